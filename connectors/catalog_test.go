package connectors

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func catMustLoad(t *testing.T) *Catalog {
	t.Helper()
	c, err := LoadCatalog()
	if err != nil {
		t.Fatalf("LoadCatalog: %v", err)
	}
	return c
}

func TestCatalogLoadsInOrder(t *testing.T) {
	c := catMustLoad(t)
	var got []string
	for _, p := range c.Providers {
		got = append(got, p.ID)
	}
	want := []string{
		"wordpress", "fluentcrm", "woocommerce", "hubspot", "zoho-crm", "shopify",
		"google-ads", "google-analytics", "google-search-console", "meta-ads",
		"mailchimp", "slack", "stripe",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("provider ids:\n got %v\nwant %v", got, want)
	}
	for _, id := range want {
		p, ok := c.Provider(id)
		if !ok || p.ID != id {
			t.Errorf("Provider(%q) = %v, %v; want the provider", id, p, ok)
		}
	}
	if _, ok := c.Provider("nosuch"); ok {
		t.Errorf("Provider(nosuch) found a provider")
	}
}

func TestCatalogAuthModes(t *testing.T) {
	c := catMustLoad(t)
	for _, p := range c.Providers {
		if len(p.AuthModes) == 0 {
			t.Errorf("%s: no auth mode", p.ID)
		}
		for _, m := range p.AuthModes {
			if m.Kind != ModeOAuth2 {
				continue
			}
			if m.OAuth2 == nil {
				t.Errorf("%s: oauth2 mode without an oauth2 block", p.ID)
				continue
			}
			// Mailchimp's OAuth has no scopes and says so with scopes: [].
			if len(m.OAuth2.Scopes) == 0 && p.ID != "mailchimp" {
				t.Errorf("%s: oauth2 mode without scopes", p.ID)
			}
		}
	}
}

// TestCatalogFacts pins the facts other code and the fake servers rely on.
func TestCatalogFacts(t *testing.T) {
	c := catMustLoad(t)
	tests := []struct {
		id, kind                  string
		baseURL, tokenURL, inject string
		verify                    string
		scopes                    string
	}{
		{"wordpress", ModeAPIKey, "{{site_url}}/wp-json", "", "basic {{username}}:{{application_password}}", "GET /wp/v2/users/me?context=edit", ""},
		{"fluentcrm", ModeAPIKey, "{{site_url}}/wp-json/fluent-crm/v2", "", "basic {{username}}:{{application_password}}", "GET /subscribers?per_page=1", ""},
		{"woocommerce", ModeAPIKey, "{{site_url}}/wp-json/wc/v3", "", "basic {{consumer_key}}:{{consumer_secret}}", "GET /products?per_page=1", ""},
		{"hubspot", ModeOAuth2, "https://api.hubapi.com", "https://api.hubapi.com/oauth/v1/token", "bearer ", "GET /crm/v3/objects/contacts?limit=1",
			"crm.objects.contacts.read crm.objects.contacts.write crm.objects.companies.read crm.objects.deals.read oauth"},
		{"hubspot", ModeAPIKey, "https://api.hubapi.com", "", "bearer {{access_token}}", "GET /crm/v3/objects/contacts?limit=1", ""},
		{"zoho-crm", ModeOAuth2, "{{api_domain}}/crm/v6", "https://accounts.{{data_center}}/oauth/v2/token", "header Authorization=Zoho-oauthtoken {{access_token}}",
			"GET /users?type=CurrentUser", "ZohoCRM.modules.ALL,ZohoCRM.users.READ"},
		{"shopify", ModeOAuth2, "https://{{shop}}.myshopify.com/admin/api/2025-01", "https://{{shop}}.myshopify.com/admin/oauth/access_token",
			"header X-Shopify-Access-Token={{access_token}}", "POST /graphql.json", "read_orders,read_products,read_customers,write_products"},
		{"shopify", ModeAPIKey, "https://{{shop}}.myshopify.com/admin/api/2025-01", "", "header X-Shopify-Access-Token={{access_token}}", "POST /graphql.json", ""},
		{"google-ads", ModeOAuth2, "https://googleads.googleapis.com/v25", "https://oauth2.googleapis.com/token", "bearer ",
			"GET /customers:listAccessibleCustomers", "https://www.googleapis.com/auth/adwords"},
		{"google-analytics", ModeOAuth2, "https://analyticsdata.googleapis.com/v1beta", "https://oauth2.googleapis.com/token", "bearer ",
			"GET /properties/{{property_id}}/metadata", "https://www.googleapis.com/auth/analytics.readonly"},
		{"google-search-console", ModeOAuth2, "https://www.googleapis.com/webmasters/v3", "https://oauth2.googleapis.com/token", "bearer ",
			"GET /sites", "https://www.googleapis.com/auth/webmasters"},
		{"meta-ads", ModeOAuth2, "https://graph.facebook.com/v25.0", "https://graph.facebook.com/v25.0/oauth/access_token", "bearer ", "GET /me", "ads_read,ads_management"},
		{"mailchimp", ModeOAuth2, "https://{{dc}}.api.mailchimp.com/3.0", "https://login.mailchimp.com/oauth2/token", "bearer ", "GET /ping", ""},
		{"mailchimp", ModeAPIKey, "https://{{dc}}.api.mailchimp.com/3.0", "", "basic anystring:{{api_key}}", "GET /ping", ""},
		{"slack", ModeOAuth2, "https://slack.com/api", "https://slack.com/api/oauth.v2.access", "bearer ", "POST /auth.test", "chat:write,channels:read,groups:read,users:read.email,users:read"},
		{"stripe", ModeAPIKey, "https://api.stripe.com", "", "bearer {{api_key}}", "GET /v1/balance", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.kind, func(t *testing.T) {
			p, ok := c.Provider(tt.id)
			if !ok {
				t.Fatalf("no provider %q", tt.id)
			}
			m, ok := p.Mode(tt.kind)
			if !ok {
				t.Fatalf("no %s mode", tt.kind)
			}
			if got := p.API.BaseURL; got != tt.baseURL {
				t.Errorf("base_url = %q, want %q", got, tt.baseURL)
			}
			var gotInject string
			switch m.Inject.Type {
			case "basic":
				gotInject = "basic " + m.Inject.Username + ":" + m.Inject.Password
			case "header", "query":
				gotInject = m.Inject.Type + " " + m.Inject.Name + "=" + m.Inject.Value
			default:
				gotInject = m.Inject.Type + " " + m.Inject.Value
			}
			if gotInject != tt.inject {
				t.Errorf("inject = %q, want %q", gotInject, tt.inject)
			}
			if got := p.Verify.Method + " " + p.Verify.Path; got != tt.verify {
				t.Errorf("verify = %q, want %q", got, tt.verify)
			}
			var gotToken, gotScopes string
			if m.OAuth2 != nil {
				gotToken = m.OAuth2.TokenURL
				gotScopes = strings.Join(m.OAuth2.Scopes, m.OAuth2.ScopeSeparator)
			}
			if gotToken != tt.tokenURL {
				t.Errorf("token_url = %q, want %q", gotToken, tt.tokenURL)
			}
			if gotScopes != tt.scopes {
				t.Errorf("scopes = %q, want %q", gotScopes, tt.scopes)
			}
		})
	}
}

// TestCatalogTemplatesExpand expands every template of every mode with a
// value for each variable the validator allows there, as the service would.
func TestCatalogTemplatesExpand(t *testing.T) {
	c := catMustLoad(t)
	for _, p := range c.Providers {
		for _, m := range p.AuthModes {
			vars := map[string]string{}
			for _, f := range p.ConfigFields {
				vars[f.Name] = "cfg-" + f.Name
			}
			for _, x := range p.Extras {
				vars[x] = "extra-" + x
			}
			for _, f := range m.CredentialFields {
				vars[f.Name] = "cred-" + f.Name
			}
			if m.Kind == ModeOAuth2 {
				vars["access_token"], vars["refresh_token"] = "at", "rt"
			}
			tmpls := map[string]string{
				"base_url": p.API.BaseURL, "verify.path": p.Verify.Path, "verify.body": p.Verify.Body,
				"inject.value": m.Inject.Value, "inject.username": m.Inject.Username, "inject.password": m.Inject.Password,
			}
			for k, v := range p.API.Headers {
				tmpls["header "+k] = v
			}
			if m.OAuth2 != nil {
				tmpls["authorize_url"], tmpls["token_url"] = m.OAuth2.AuthorizeURL, m.OAuth2.TokenURL
			}
			if p.Revoke != nil && m.Kind == ModeOAuth2 {
				tmpls["revoke.path"], tmpls["revoke.body"] = p.Revoke.Path, p.Revoke.Body
			}
			for where, tmpl := range tmpls {
				got, err := Expand(tmpl, vars)
				if err != nil {
					t.Errorf("%s/%s %s: %v", p.ID, m.Kind, where, err)
				} else if strings.Contains(got, "{{") {
					t.Errorf("%s/%s %s: %q still has a template", p.ID, m.Kind, where, got)
				}
			}
		}
	}
}

// catReplace returns the embedded catalogue with old replaced once by new.
func catReplace(t *testing.T, old, new string) []byte {
	t.Helper()
	doc := string(catalogYAML)
	if !strings.Contains(doc, old) {
		t.Fatalf("the catalogue does not contain %q", old)
	}
	return []byte(strings.Replace(doc, old, new, 1))
}

func TestParseCatalogRejects(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string // substrings of the error
	}{
		{"unknown provider field",
			"    docs_url: https://developer.wordpress.org/rest-api/\n",
			"    docs_url: https://developer.wordpress.org/rest-api/\n    homepage: https://wordpress.org\n",
			[]string{"homepage"}},
		{"unknown oauth2 field",
			"          pkce: true\n", "          pkce_enabled: true\n",
			[]string{"pkce_enabled"}},
		{"undeclared variable in base_url",
			"base_url: https://{{shop}}.myshopify.com/admin/api/2025-01", "base_url: https://{{shopp}}.myshopify.com/admin/api/2025-01",
			[]string{`provider "shopify": api.base_url uses {{shopp}}, which is not declared`}},
		{"variable of one mode only in base_url",
			"base_url: https://api.hubapi.com", "base_url: https://api.hubapi.com/{{refresh_token}}",
			[]string{`provider "hubspot": api.base_url uses {{refresh_token}}`}},
		{"undeclared variable in inject",
			`password: "{{application_password}}"`, `password: "{{app_password}}"`,
			[]string{`provider "wordpress"`, "inject.password uses {{app_password}}"}},
		{"undeclared variable in header",
			`developer-token: "{{developer_token}}"`, `developer-token: "{{dev_token}}"`,
			[]string{`provider "google-ads"`, "api.headers[developer-token] uses {{dev_token}}"}},
		{"undeclared variable in verify",
			"path: /properties/{{property_id}}/metadata", "path: /properties/{{property}}/metadata",
			[]string{`provider "google-analytics"`, "verify.path uses {{property}}"}},
		{"extra used before any hook runs",
			"authorize_url: https://accounts.{{data_center}}/oauth/v2/auth", `authorize_url: "{{api_domain}}/oauth/v2/auth"`,
			[]string{`provider "zoho-crm"`, "authorize_url uses {{api_domain}}"}},
		{"malformed template",
			"base_url: https://api.stripe.com", "base_url: https://api.stripe.com/{{ Version }}",
			[]string{`provider "stripe"`, "malformed"}},
		{"duplicate id",
			"- id: fluentcrm\n", "- id: wordpress\n",
			[]string{`provider "wordpress": duplicate id`, `"fluentcrm" is missing`}},
		{"unknown id",
			"- id: stripe\n", "- id: paypal\n",
			[]string{`"paypal"`, `"stripe" is missing`}},
		{"bad category",
			"category: payments", "category: money",
			[]string{`provider "stripe"`, `category "money"`}},
		{"missing name",
			"    name: Slack\n", "",
			[]string{`provider "slack": name is missing`}},
		{"bad pattern",
			"pattern: '^[a-z0-9][a-z0-9-]*$'", "pattern: '^[a-z0-9][a-z0-9-*$'",
			[]string{`provider "shopify"`, "config_fields[0] (shop).pattern", "does not compile"}},
		{"unanchored pattern",
			"pattern: '^[0-9]+$'", "pattern: '[0-9]+'",
			[]string{`provider "google-analytics"`, "not anchored"}},
		{"bad field name",
			"      - name: site_url\n", "      - name: SiteURL\n",
			[]string{`provider "wordpress"`, `"SiteURL"`}},
		{"bad field type",
			"        type: select\n", "        type: dropdown\n",
			[]string{`provider "zoho-crm"`, `type "dropdown"`}},
		{"select default not an option",
			"default: zoho.com\n", "default: us\n",
			[]string{`provider "zoho-crm"`, `default "us" is not one of the options`}},
		{"missing token_url",
			"          token_url: https://api.hubapi.com/oauth/v1/token\n", "",
			[]string{`provider "hubspot"`, "oauth2.token_url is missing"}},
		{"missing scopes",
			"          scopes:\n            - chat:write\n            - channels:read\n            - groups:read\n            - users:read.email\n            - users:read\n", "",
			[]string{`provider "slack"`, "scopes is missing"}},
		{"bad refresh",
			"refresh: none", "refresh: never",
			[]string{`provider "mailchimp"`, `refresh "never"`}},
		{"bad token_auth",
			"          token_auth: params\n          # No refresh token", "          token_auth: body\n          # No refresh token",
			[]string{`provider "meta-ads"`, `token_auth "body"`}},
		{"oauth2 mode with credential fields but no oauth2 block",
			"      - kind: api_key\n        label: Restricted API key\n", "      - kind: oauth2\n        label: Restricted API key\n",
			[]string{`provider "stripe"`, "auth_modes[0] (oauth2)", "oauth2 block"}},
		{"api_key mode with an oauth2 block",
			"      - kind: oauth2\n        label: Add to Slack\n", "      - kind: api_key\n        label: Add to Slack\n",
			[]string{`provider "slack"`, "auth_modes[0] (api_key)", "credential field", "cannot have an oauth2 block"}},
		{"bad auth kind",
			"      - kind: api_key\n        label: Restricted API key\n", "      - kind: apikey\n        label: Restricted API key\n",
			[]string{`provider "stripe"`, `kind "apikey"`}},
		{"bearer without a value in an api_key mode",
			"          type: bearer\n          value: \"{{api_key}}\"\n", "          type: bearer\n",
			[]string{`provider "stripe"`, "inject.value is missing"}},
		{"bad inject type",
			"          type: header\n          name: Authorization\n", "          type: cookie\n          name: Authorization\n",
			[]string{`provider "zoho-crm"`, `inject.type "cookie"`}},
		{"unknown hook",
			"hooks: [meta_long_lived_token]", "hooks: [meta_token]",
			[]string{`provider "meta-ads"`, `unknown hook "meta_token"`}},
		{"extras without a hook",
			"    hooks: [mailchimp_metadata]\n", "",
			[]string{`provider "mailchimp"`, "no hook sets them"}},
		{"bad pagination style",
			"style: graphql", "style: relay",
			[]string{`provider "shopify"`, `pagination.style "relay"`}},
		{"cursor pagination without cursor_path",
			"      cursor_path: response_metadata.next_cursor\n", "",
			[]string{`provider "slack"`, "pagination.cursor_path is missing"}},
		{"relative verify path without slash",
			"      path: /v1/balance\n", "      path: v1/balance\n",
			[]string{`provider "stripe"`, "verify.path"}},
		{"revoke on a provider without oauth2",
			"    verify:\n      method: GET\n      path: /v1/balance\n",
			"    verify:\n      method: GET\n      path: /v1/balance\n    revoke:\n      method: POST\n      path: /v1/revoke\n",
			[]string{`provider "stripe"`, "revoke is declared but the provider has no oauth2 mode"}},
		{"absolute revoke URL must be https",
			"path: https://oauth2.googleapis.com/revoke\n", "path: ftp://oauth2.googleapis.com/revoke\n",
			[]string{`provider "google-ads"`, "revoke.path"}},
		{"empty document",
			"", "", // replaced below
			[]string{`"wordpress" is missing`, `"stripe" is missing`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := []byte("providers: []\n")
			if tt.old != "" {
				doc = catReplace(t, tt.old, tt.new)
			}
			c, err := ParseCatalog(doc)
			if err == nil {
				t.Fatalf("ParseCatalog succeeded, want an error mentioning %q", tt.want)
			}
			if c != nil {
				t.Errorf("ParseCatalog returned a catalogue with its error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestCatalogTemplateVars(t *testing.T) {
	tests := []struct {
		tmpl string
		want []string
	}{
		{"https://api.stripe.com", nil},
		{"https://{{shop}}.myshopify.com/admin/api/2025-01", []string{"shop"}},
		{"{{ site_url }}/wp-json/{{path}}/{{site_url}}", []string{"site_url", "path", "site_url"}},
		{"Zoho-oauthtoken {{access_token}}", []string{"access_token"}},
		{"{{Shop}} {{shop-name}} {shop}", nil}, // not variables: upper case, dash, single braces
	}
	for _, tt := range tests {
		if got := TemplateVars(tt.tmpl); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("TemplateVars(%q) = %q, want %q", tt.tmpl, got, tt.want)
		}
	}
}

func TestCatalogExpand(t *testing.T) {
	vars := map[string]string{"shop": "acme", "site_url": "https://example.com", "empty": ""}
	tests := []struct {
		tmpl, want, wantErr string
	}{
		{"https://{{shop}}.myshopify.com/admin", "https://acme.myshopify.com/admin", ""},
		{"{{ site_url }}/wp-json", "https://example.com/wp-json", ""},
		{"no variables", "no variables", ""},
		{"x{{empty}}y", "xy", ""},
		{"{{shop}}/{{zeta}}/{{alpha}}", "", "lacks alpha, zeta"},
	}
	for _, tt := range tests {
		got, err := Expand(tt.tmpl, vars)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Expand(%q) error = %v, want one mentioning %q", tt.tmpl, err, tt.wantErr)
		case tt.wantErr == "" && err != nil:
			t.Errorf("Expand(%q): %v", tt.tmpl, err)
		case got != tt.want:
			t.Errorf("Expand(%q) = %q, want %q", tt.tmpl, got, tt.want)
		}
	}
}

func catWriteFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "overrides.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCatalogOverrides(t *testing.T) {
	c := catMustLoad(t)
	path := catWriteFile(t, `
hubspot:
  api_base_url: http://127.0.0.1:9999
  token_url: http://127.0.0.1:9999/oauth/v1/token
  client_id: my-client
  client_secret: my-secret
`)
	o, err := LoadOverrides(path)
	if err != nil {
		t.Fatalf("LoadOverrides: %v", err)
	}
	want := map[string]Override{"hubspot": {APIBaseURL: "http://127.0.0.1:9999", TokenURL: "http://127.0.0.1:9999/oauth/v1/token",
		ClientID: "my-client", ClientSecret: "my-secret"}}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("LoadOverrides = %+v, want %+v", o, want)
	}
	if err := c.ApplyOverrides(o); err != nil {
		t.Fatalf("ApplyOverrides: %v", err)
	}
	p, _ := c.Provider("hubspot")
	m, _ := p.Mode(ModeOAuth2)
	got := []string{p.API.BaseURL, m.OAuth2.TokenURL, m.OAuth2.AuthorizeURL}
	wantURLs := []string{"http://127.0.0.1:9999", "http://127.0.0.1:9999/oauth/v1/token", "https://app.hubspot.com/oauth/authorize"}
	if !reflect.DeepEqual(got, wantURLs) {
		t.Errorf("hubspot base, token, authorize URLs = %q, want %q", got, wantURLs)
	}
	if other, _ := c.Provider("slack"); other.API.BaseURL != "https://slack.com/api" {
		t.Errorf("slack base_url changed to %q", other.API.BaseURL)
	}
	// The embedded document is untouched: a fresh load has the real URLs.
	if fresh := catMustLoad(t); func() string { p, _ := fresh.Provider("hubspot"); return p.API.BaseURL }() != "https://api.hubapi.com" {
		t.Errorf("a fresh catalogue sees the override")
	}
}

func TestCatalogOverridesRejected(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"unknown provider", "nosuch:\n  api_base_url: http://127.0.0.1:9999\n", `"nosuch" is not a provider`},
		{"oauth settings for an api_key-only provider", "stripe:\n  token_url: http://127.0.0.1:9999/token\n", `"stripe" has no oauth2 mode`},
		{"URL without a scheme", "hubspot:\n  api_base_url: 127.0.0.1:9999\n", "not an absolute http(s) URL"},
		{"undeclared variable", "shopify:\n  api_base_url: http://127.0.0.1:9999/{{store}}\n", "uses {{store}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := catMustLoad(t)
			o, err := LoadOverrides(catWriteFile(t, tt.file))
			if err != nil {
				t.Fatalf("LoadOverrides: %v", err)
			}
			err = c.ApplyOverrides(o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ApplyOverrides error = %v, want one mentioning %q", err, tt.want)
			}
			for _, id := range []string{"hubspot", "shopify"} {
				p, ok := c.Provider(id)
				if !ok || strings.Contains(p.API.BaseURL, "127.0.0.1") {
					t.Errorf("%s after a failed ApplyOverrides: %v, base_url %q; want it unchanged", id, ok, p.API.BaseURL)
				}
			}
		})
	}
}

func TestLoadOverridesStrict(t *testing.T) {
	tests := []struct {
		name, file, want string // want "" means success
	}{
		{"unknown key", "hubspot:\n  base_url: http://127.0.0.1:9999\n", "base_url"},
		{"not a mapping", "- hubspot\n", "cannot unmarshal"},
		{"two documents", "hubspot:\n  client_id: a\n---\nslack:\n  client_id: b\n", "single YAML document"},
		{"empty file", "", ""},
		{"comments only", "# nothing yet\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := LoadOverrides(catWriteFile(t, tt.file))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("LoadOverrides: %v", err)
			case tt.want == "" && len(o) != 0:
				t.Fatalf("LoadOverrides = %v, want an empty map", o)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("LoadOverrides error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := LoadOverrides(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Errorf("LoadOverrides of a missing file succeeded")
	}
	if o, err := LoadOverrides(""); err != nil || len(o) != 0 {
		t.Errorf(`LoadOverrides("") = %v, %v; want an empty map`, o, err)
	}
}
