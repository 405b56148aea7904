// Package connectors knows the 13 platforms the hub connects to: the embedded
// catalogue that describes each provider as data (auth modes, URLs, scopes,
// headers, pagination, rate-limit headers, verification call, connect-form
// fields), plus the Go hooks for what data cannot say.
package connectors

import (
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed catalog.yaml
var catalogYAML []byte

// Catalog is the set of providers, in catalogue order.
type Catalog struct {
	Providers []*Provider `yaml:"providers" json:"providers"`
	byID      map[string]*Provider
}

// Provider describes one platform.
type Provider struct {
	ID          string `yaml:"id" json:"id"`
	Name        string `yaml:"name" json:"name"`
	Category    string `yaml:"category" json:"category"` // crm, cms, ecommerce, ads, analytics, email, chat, payments
	Logo        string `yaml:"logo" json:"logo"`         // inline SVG data URI or path under the portal's static files
	Description string `yaml:"description" json:"description"`
	DocsURL     string `yaml:"docs_url" json:"docs_url"`

	// ConfigFields are the per-connection settings asked for in the connect
	// form (site URL, shop domain, data centre, customer id...). Their values
	// are not secret and are usable in every template as {{name}}.
	ConfigFields []Field `yaml:"config_fields" json:"config_fields"`

	// AuthModes lists the ways to connect, the preferred one first.
	AuthModes []AuthMode `yaml:"auth_modes" json:"auth_modes"`

	API        APISpec    `yaml:"api" json:"api"`
	Verify     Request    `yaml:"verify" json:"verify"`
	Pagination Pagination `yaml:"pagination" json:"pagination"`
	RateLimit  RateLimit  `yaml:"rate_limit" json:"rate_limit"`
	Revoke     *Request   `yaml:"revoke,omitempty" json:"revoke,omitempty"`
	Hooks      []string   `yaml:"hooks,omitempty" json:"hooks,omitempty"`   // names of Go hooks, see hooks.go
	Extras     []string   `yaml:"extras,omitempty" json:"extras,omitempty"` // template variables set by hooks (api_domain, dc...)
}

// Field is one input of the connect form.
type Field struct {
	Name        string   `yaml:"name" json:"name"`
	Label       string   `yaml:"label" json:"label"`
	Help        string   `yaml:"help" json:"help"`
	Type        string   `yaml:"type" json:"type"` // text, url, password, select
	Required    bool     `yaml:"required" json:"required"`
	Pattern     string   `yaml:"pattern,omitempty" json:"pattern,omitempty"` // RE2, anchored
	Options     []string `yaml:"options,omitempty" json:"options,omitempty"` // for select
	Default     string   `yaml:"default,omitempty" json:"default,omitempty"`
	Placeholder string   `yaml:"placeholder,omitempty" json:"placeholder,omitempty"`
	// Egress marks a URL field whose host the hub will call: it is checked
	// against the egress policy (no private, loopback or metadata addresses).
	Egress bool `yaml:"egress,omitempty" json:"egress,omitempty"`
}

// Auth mode kinds.
const (
	ModeOAuth2 = "oauth2"
	ModeAPIKey = "api_key" // any static credential typed into the form: API keys, app passwords, admin tokens
)

// AuthMode is one way to authenticate to a provider.
type AuthMode struct {
	Kind  string `yaml:"kind" json:"kind"` // oauth2 or api_key
	Label string `yaml:"label" json:"label"`
	// CredentialFields are the secret inputs of an api_key mode (stored
	// encrypted, usable in templates as {{name}}).
	CredentialFields []Field `yaml:"credential_fields,omitempty" json:"credential_fields,omitempty"`
	OAuth2           *OAuth2 `yaml:"oauth2,omitempty" json:"oauth2,omitempty"`
	Inject           Inject  `yaml:"inject" json:"inject"`
}

// OAuth2 describes an authorization-code flow.
type OAuth2 struct {
	AuthorizeURL    string            `yaml:"authorize_url" json:"authorize_url"`
	TokenURL        string            `yaml:"token_url" json:"token_url"`
	Scopes          []string          `yaml:"scopes" json:"scopes"`
	ScopeSeparator  string            `yaml:"scope_separator" json:"scope_separator"`
	PKCE            bool              `yaml:"pkce" json:"pkce"`
	AuthorizeParams map[string]string `yaml:"authorize_params,omitempty" json:"authorize_params,omitempty"`
	// TokenAuth is how the client authenticates at the token endpoint:
	// "header" (HTTP Basic) or "params" (client_id/client_secret in the body).
	TokenAuth string `yaml:"token_auth" json:"token_auth"`
	// Refresh is "refresh_token" (standard), "rotating" (each refresh returns
	// a new refresh token that must replace the old one), "exchange" (no
	// refresh token; a hook re-exchanges the token) or "none" (tokens do not expire).
	Refresh string `yaml:"refresh" json:"refresh"`
}

// Inject says how a credential is put on an API request. Value templates may
// use {{access_token}} and the config and credential field names.
type Inject struct {
	Type     string `yaml:"type" json:"type"`                             // bearer, basic, header, query
	Name     string `yaml:"name,omitempty" json:"name,omitempty"`         // header or query parameter name (header, query)
	Value    string `yaml:"value,omitempty" json:"value,omitempty"`       // template (header, query)
	Username string `yaml:"username,omitempty" json:"username,omitempty"` // template (basic)
	Password string `yaml:"password,omitempty" json:"password,omitempty"` // template (basic)
}

// APISpec is where and how the provider's API is called.
type APISpec struct {
	BaseURL string            `yaml:"base_url" json:"base_url"` // template, e.g. https://{{shop}}.myshopify.com/admin/api/2025-01
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
}

// Request is a call relative to the API base URL.
type Request struct {
	Method string `yaml:"method" json:"method"`
	Path   string `yaml:"path" json:"path"` // template
	Body   string `yaml:"body,omitempty" json:"body,omitempty"`
}

// Pagination describes how lists page.
type Pagination struct {
	Style string `yaml:"style" json:"style"` // cursor, page, offset, link, graphql
	// Parameter and response-field names, as the provider documents them.
	CursorParam string `yaml:"cursor_param,omitempty" json:"cursor_param,omitempty"`
	CursorPath  string `yaml:"cursor_path,omitempty" json:"cursor_path,omitempty"` // dotted path in the response body
	LimitParam  string `yaml:"limit_param,omitempty" json:"limit_param,omitempty"`
	PageParam   string `yaml:"page_param,omitempty" json:"page_param,omitempty"`
	OffsetParam string `yaml:"offset_param,omitempty" json:"offset_param,omitempty"`
	MaxLimit    int    `yaml:"max_limit,omitempty" json:"max_limit,omitempty"`
	TotalHeader string `yaml:"total_header,omitempty" json:"total_header,omitempty"`
}

// RateLimit names the provider's rate-limit signals.
type RateLimit struct {
	RemainingHeader string `yaml:"remaining_header,omitempty" json:"remaining_header,omitempty"`
	LimitHeader     string `yaml:"limit_header,omitempty" json:"limit_header,omitempty"`
	ResetHeader     string `yaml:"reset_header,omitempty" json:"reset_header,omitempty"`
	RetryAfter      bool   `yaml:"retry_after" json:"retry_after"` // honours Retry-After on 429
	// MaxConcurrency bounds in-flight calls per connection (0 = hub default).
	MaxConcurrency int `yaml:"max_concurrency,omitempty" json:"max_concurrency,omitempty"`
}

// LoadCatalog decodes the embedded catalogue strictly and validates it.
func LoadCatalog() (*Catalog, error) { return ParseCatalog(catalogYAML) }

// ParseCatalog decodes and validates a catalogue document.
func ParseCatalog(doc []byte) (*Catalog, error) {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("connectors: decode catalogue: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Provider returns a provider by id.
func (c *Catalog) Provider(id string) (*Provider, bool) {
	p, ok := c.byID[id]
	return p, ok
}

// Mode returns the provider's auth mode of the given kind.
func (p *Provider) Mode(kind string) (*AuthMode, bool) {
	for i := range p.AuthModes {
		if p.AuthModes[i].Kind == kind {
			return &p.AuthModes[i], true
		}
	}
	return nil, false
}

var templateVar = regexp.MustCompile(`\{\{\s*([a-z0-9_]+)\s*\}\}`)

// TemplateVars lists the variables a template uses.
func TemplateVars(tmpl string) []string {
	var out []string
	for _, m := range templateVar.FindAllStringSubmatch(tmpl, -1) {
		out = append(out, m[1])
	}
	return out
}

// Expand fills a template from vars; a missing variable is an error.
func Expand(tmpl string, vars map[string]string) (string, error) {
	var missing []string
	out := templateVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := templateVar.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", fmt.Errorf("connectors: template %q lacks %s", tmpl, strings.Join(missing, ", "))
	}
	return out, nil
}
