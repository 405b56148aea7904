package connectors

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// catalogIDs are the ids of the 13 providers the catalogue must describe,
// in catalogue order.
var catalogIDs = []string{
	"wordpress", "fluentcrm", "woocommerce", "hubspot", "zoho-crm", "shopify",
	"google-ads", "google-analytics", "google-search-console", "meta-ads",
	"mailchimp", "slack", "stripe",
}

var (
	catCategories       = catStrSet("cms", "crm", "ecommerce", "ads", "analytics", "email", "chat", "payments")
	catPaginationStyles = catStrSet("cursor", "page", "offset", "link", "graphql")
	catFieldTypes       = catStrSet("text", "url", "password", "select")
	catInjectTypes      = catStrSet("bearer", "basic", "header", "query")
	catTokenAuths       = catStrSet("header", "params")
	catRefreshKinds     = catStrSet("refresh_token", "rotating", "exchange", "none")
	catScopeSeparators  = catStrSet(" ", ",")
	catHTTPMethods      = catStrSet("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
	// Hooks implemented in Go (hooks.go).
	catHooks = catStrSet("meta_long_lived_token", "mailchimp_metadata", "zoho_api_domain", "shopify_rotating_refresh", "stripe_webhook_endpoint", "woocommerce_webhooks", "shopify_webhooks")
	// Variables an oauth2 mode provides to templates.
	catOAuthVars = catStrSet("access_token", "refresh_token")
	// Authorization request parameters the hub sets itself.
	catReservedAuthorizeParams = catStrSet("client_id", "redirect_uri", "response_type", "scope", "state",
		"code_challenge", "code_challenge_method")

	catFieldNameRE  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	catHeaderNameRE = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)
)

func catStrSet(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func catQuotedKeys(m map[string]bool) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, fmt.Sprintf("%q", k))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// validate checks the whole catalogue, fills c.byID and reports every problem
// found (joined). The rules:
//
//   - exactly the providers of catalogIDs, each once;
//   - every provider has id, name, a known category, logo, description,
//     docs_url, api.base_url, verify method and path, a known pagination
//     style and at least one auth mode (at most one per kind);
//   - oauth2 modes have an oauth2 block with authorize_url, token_url, scopes
//     (an explicit empty list means the platform has none), scope_separator,
//     token_auth and refresh; api_key modes have credential fields and no
//     oauth2 block; inject carries what its type needs;
//   - fields have valid names, labels, help, types, anchored RE2 patterns,
//     and selects have options and a default among them;
//   - every template variable is declared. api.base_url, api.headers and
//     verify may use config fields, extras and the variables every auth mode
//     provides. Inject templates may also use the mode's own variables
//     (credential fields; access_token and refresh_token for oauth2).
//     authorize_url, token_url and authorize_params may use config fields
//     only (no token or hook has run yet). revoke, made only for oauth2
//     connections, may use config fields, extras, access_token and
//     refresh_token; its path is relative to api.base_url or an absolute
//     https:// URL;
//   - hooks are known; extras need a hook to set them, and so does refresh
//     "exchange".
func (c *Catalog) validate() error {
	var errs []error
	byID := make(map[string]*Provider, len(c.Providers))
	for i, p := range c.Providers {
		if p == nil {
			errs = append(errs, fmt.Errorf("connectors: providers[%d] is empty", i))
			continue
		}
		if p.ID != "" {
			if _, dup := byID[p.ID]; dup {
				errs = append(errs, fmt.Errorf("connectors: provider %q: duplicate id", p.ID))
			} else {
				byID[p.ID] = p
			}
			if !slices.Contains(catalogIDs, p.ID) {
				errs = append(errs, fmt.Errorf("connectors: provider %q: unknown provider id (want one of %s)", p.ID, strings.Join(catalogIDs, ", ")))
			}
		}
		k := &catChecker{prefix: fmt.Sprintf("provider %q", p.ID)}
		if p.ID == "" {
			k.prefix = fmt.Sprintf("providers[%d]", i)
		}
		k.provider(p)
		errs = append(errs, k.errs...)
	}
	for _, id := range catalogIDs {
		if _, ok := byID[id]; !ok {
			errs = append(errs, fmt.Errorf("connectors: provider %q is missing from the catalogue", id))
		}
	}
	c.byID = byID
	return errors.Join(errs...)
}

// catChecker collects the problems of one provider.
type catChecker struct {
	prefix string
	errs   []error
}

func (k *catChecker) errorf(format string, args ...any) {
	k.errs = append(k.errs, fmt.Errorf("connectors: %s: %s", k.prefix, fmt.Sprintf(format, args...)))
}

func (k *catChecker) required(where, v string) bool {
	if strings.TrimSpace(v) == "" {
		k.errorf("%s is missing", where)
		return false
	}
	return true
}

// template checks that tmpl only uses declared variables and is well formed.
func (k *catChecker) template(where, tmpl string, declared map[string]bool) {
	seen := map[string]bool{}
	for _, v := range TemplateVars(tmpl) {
		if !declared[v] && !seen[v] {
			k.errorf("%s uses {{%s}}, which is not declared", where, v)
		}
		seen[v] = true
	}
	rest := templateVar.ReplaceAllString(tmpl, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		k.errorf("%s has a malformed template %q (variables are {{lower_case}})", where, tmpl)
	}
}

// url checks a URL template: absolute http(s), or starting with a variable.
func (k *catChecker) url(where, tmpl string, declared map[string]bool) {
	if !k.required(where, tmpl) {
		return
	}
	if !strings.HasPrefix(tmpl, "https://") && !strings.HasPrefix(tmpl, "http://") && !strings.HasPrefix(tmpl, "{{") {
		k.errorf("%s %q is not an absolute http(s) URL", where, tmpl)
	}
	k.template(where, tmpl, declared)
}

func catUnion(ms ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k, v := range m {
			if v {
				out[k] = true
			}
		}
	}
	return out
}

// catModeVars are the variables an auth mode itself provides.
func catModeVars(m *AuthMode) map[string]bool {
	out := map[string]bool{}
	for _, f := range m.CredentialFields {
		out[f.Name] = true
	}
	if m.Kind == ModeOAuth2 {
		out["access_token"] = true
		out["refresh_token"] = true
	}
	return out
}

func (k *catChecker) provider(p *Provider) {
	k.required("id", p.ID)
	k.required("name", p.Name)
	if k.required("category", p.Category) && !catCategories[p.Category] {
		k.errorf("category %q is not one of %s", p.Category, catQuotedKeys(catCategories))
	}
	k.required("logo", p.Logo)
	k.required("description", p.Description)
	if k.required("docs_url", p.DocsURL) && !strings.HasPrefix(p.DocsURL, "https://") {
		k.errorf("docs_url %q is not an https URL", p.DocsURL)
	}

	// Hooks and extras.
	hooks := map[string]bool{}
	for _, h := range p.Hooks {
		switch {
		case !catHooks[h]:
			k.errorf("hooks: unknown hook %q (want one of %s)", h, catQuotedKeys(catHooks))
		case hooks[h]:
			k.errorf("hooks: %q is listed twice", h)
		}
		hooks[h] = true
	}
	extras := map[string]bool{}
	for _, x := range p.Extras {
		switch {
		case !catFieldNameRE.MatchString(x):
			k.errorf("extras: %q is not a valid variable name (want %s)", x, catFieldNameRE)
		case extras[x]:
			k.errorf("extras: %q is listed twice", x)
		case catOAuthVars[x]:
			k.errorf("extras: %q is reserved for oauth2 tokens", x)
		}
		extras[x] = true
	}
	if len(p.Extras) > 0 && len(p.Hooks) == 0 {
		k.errorf("extras %v are declared but no hook sets them", p.Extras)
	}

	// Config fields.
	config := map[string]bool{}
	for i, f := range p.ConfigFields {
		where := fmt.Sprintf("config_fields[%d] (%s)", i, f.Name)
		k.field(where, f)
		switch {
		case config[f.Name]:
			k.errorf("%s: name %q is used twice", where, f.Name)
		case extras[f.Name]:
			k.errorf("%s: name %q is also an extra", where, f.Name)
		case catOAuthVars[f.Name]:
			k.errorf("%s: name %q is reserved for oauth2 tokens", where, f.Name)
		}
		config[f.Name] = true
	}

	// Auth modes.
	if len(p.AuthModes) == 0 {
		k.errorf("auth_modes: at least one auth mode is needed")
	}
	var common map[string]bool // variables every mode provides
	kinds := map[string]bool{}
	hasOAuth2 := false
	for i := range p.AuthModes {
		m := &p.AuthModes[i]
		where := fmt.Sprintf("auth_modes[%d] (%s)", i, m.Kind)
		if kinds[m.Kind] {
			k.errorf("%s: a second %q mode (one per kind)", where, m.Kind)
		}
		kinds[m.Kind] = true
		if m.Kind == ModeOAuth2 {
			hasOAuth2 = true
		}
		k.mode(where, m, config, extras, hooks)
		mv := catModeVars(m)
		if common == nil {
			common = mv
		} else {
			for v := range common {
				if !mv[v] {
					delete(common, v)
				}
			}
		}
	}
	shared := catUnion(config, extras, common)

	// API.
	k.url("api.base_url", p.API.BaseURL, shared)
	for _, name := range catSortedKeys(p.API.Headers) {
		if !catHeaderNameRE.MatchString(name) {
			k.errorf("api.headers: %q is not a valid header name", name)
		}
		k.template(fmt.Sprintf("api.headers[%s]", name), p.API.Headers[name], shared)
	}

	// Verify and revoke.
	k.request("verify", p.Verify, shared, false)
	if p.Revoke != nil {
		if !hasOAuth2 {
			k.errorf("revoke is declared but the provider has no oauth2 mode")
		}
		k.request("revoke", *p.Revoke, catUnion(config, extras, catOAuthVars), true)
	}

	// Pagination.
	pg := p.Pagination
	if k.required("pagination.style", pg.Style) {
		if !catPaginationStyles[pg.Style] {
			k.errorf("pagination.style %q is not one of %s", pg.Style, catQuotedKeys(catPaginationStyles))
		}
		switch pg.Style {
		case "cursor", "graphql":
			k.required("pagination.cursor_param", pg.CursorParam)
			k.required("pagination.cursor_path", pg.CursorPath)
		case "page":
			k.required("pagination.page_param", pg.PageParam)
		case "offset":
			k.required("pagination.offset_param", pg.OffsetParam)
		}
	}
	if pg.MaxLimit < 0 {
		k.errorf("pagination.max_limit %d is negative", pg.MaxLimit)
	}
	if p.RateLimit.MaxConcurrency < 0 {
		k.errorf("rate_limit.max_concurrency %d is negative", p.RateLimit.MaxConcurrency)
	}
}

func catSortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (k *catChecker) request(where string, r Request, declared map[string]bool, absoluteOK bool) {
	if k.required(where+".method", r.Method) && !catHTTPMethods[r.Method] {
		k.errorf("%s.method %q is not one of %s", where, r.Method, catQuotedKeys(catHTTPMethods))
	}
	if k.required(where+".path", r.Path) {
		switch {
		case strings.HasPrefix(r.Path, "/"):
		case absoluteOK && strings.HasPrefix(r.Path, "https://"):
		case absoluteOK:
			k.errorf("%s.path %q must start with / (relative to api.base_url) or https://", where, r.Path)
		default:
			k.errorf("%s.path %q must start with / (it is relative to api.base_url)", where, r.Path)
		}
	}
	k.template(where+".path", r.Path, declared)
	k.template(where+".body", r.Body, declared)
}

func (k *catChecker) mode(where string, m *AuthMode, config, extras, hooks map[string]bool) {
	k.required(where+".label", m.Label)
	creds := map[string]bool{}
	for i, f := range m.CredentialFields {
		fw := fmt.Sprintf("%s.credential_fields[%d] (%s)", where, i, f.Name)
		k.field(fw, f)
		switch {
		case creds[f.Name]:
			k.errorf("%s: name %q is used twice", fw, f.Name)
		case config[f.Name]:
			k.errorf("%s: name %q is also a config field", fw, f.Name)
		case extras[f.Name]:
			k.errorf("%s: name %q is also an extra", fw, f.Name)
		case m.Kind == ModeOAuth2 && catOAuthVars[f.Name]:
			k.errorf("%s: name %q is reserved for oauth2 tokens", fw, f.Name)
		}
		creds[f.Name] = true
	}

	switch m.Kind {
	case ModeOAuth2:
		if m.OAuth2 == nil {
			k.errorf("%s: an oauth2 mode needs an oauth2 block (authorize_url, token_url, scopes...)", where)
		} else {
			k.oauth2(where+".oauth2", m.OAuth2, config, hooks)
		}
	case ModeAPIKey:
		if len(m.CredentialFields) == 0 {
			k.errorf("%s: an api_key mode needs at least one credential field", where)
		}
		if m.OAuth2 != nil {
			k.errorf("%s: an api_key mode cannot have an oauth2 block", where)
		}
	case "":
		k.errorf("%s.kind is missing", where)
	default:
		k.errorf("%s.kind %q is not %q or %q", where, m.Kind, ModeOAuth2, ModeAPIKey)
	}

	k.inject(where+".inject", m, catUnion(config, extras, catModeVars(m)))
}

func (k *catChecker) oauth2(where string, o *OAuth2, config, hooks map[string]bool) {
	k.url(where+".authorize_url", o.AuthorizeURL, config)
	k.url(where+".token_url", o.TokenURL, config)
	if o.Scopes == nil {
		k.errorf("%s.scopes is missing (write scopes: [] if the platform has none)", where)
	}
	switch {
	case o.ScopeSeparator == "": // a space is a valid separator, so not k.required
		k.errorf("%s.scope_separator is missing", where)
	case !catScopeSeparators[o.ScopeSeparator]:
		k.errorf("%s.scope_separator %q is not one of %s", where, o.ScopeSeparator, catQuotedKeys(catScopeSeparators))
	}
	for i, s := range o.Scopes {
		if strings.TrimSpace(s) == "" {
			k.errorf("%s.scopes[%d] is empty", where, i)
		} else if strings.ContainsAny(s, " ,") {
			k.errorf("%s.scopes[%d] %q contains a separator", where, i, s)
		}
	}
	for _, name := range catSortedKeys(o.AuthorizeParams) {
		if catReservedAuthorizeParams[name] {
			k.errorf("%s.authorize_params: %q is set by the hub", where, name)
		}
		k.template(fmt.Sprintf("%s.authorize_params[%s]", where, name), o.AuthorizeParams[name], config)
	}
	if k.required(where+".token_auth", o.TokenAuth) && !catTokenAuths[o.TokenAuth] {
		k.errorf("%s.token_auth %q is not one of %s", where, o.TokenAuth, catQuotedKeys(catTokenAuths))
	}
	if k.required(where+".refresh", o.Refresh) && !catRefreshKinds[o.Refresh] {
		k.errorf("%s.refresh %q is not one of %s", where, o.Refresh, catQuotedKeys(catRefreshKinds))
	}
	if o.Refresh == "exchange" && len(hooks) == 0 {
		k.errorf("%s.refresh is \"exchange\" but no hook is declared to exchange tokens", where)
	}
}

func (k *catChecker) inject(where string, m *AuthMode, declared map[string]bool) {
	in := m.Inject
	switch in.Type {
	case "bearer":
		if in.Value == "" && m.Kind != ModeOAuth2 {
			k.errorf("%s.value is missing (an empty bearer value means {{access_token}}, which only oauth2 modes have)", where)
		}
		if in.Name != "" || in.Username != "" || in.Password != "" {
			k.errorf("%s: bearer takes only a value", where)
		}
	case "basic":
		k.required(where+".username", in.Username)
		if in.Name != "" || in.Value != "" {
			k.errorf("%s: basic takes only username and password", where)
		}
	case "header", "query":
		if k.required(where+".name", in.Name) && in.Type == "header" && !catHeaderNameRE.MatchString(in.Name) {
			k.errorf("%s.name %q is not a valid header name", where, in.Name)
		}
		k.required(where+".value", in.Value)
		if in.Username != "" || in.Password != "" {
			k.errorf("%s: %s takes only name and value", where, in.Type)
		}
	case "":
		k.errorf("%s.type is missing", where)
	default:
		k.errorf("%s.type %q is not one of %s", where, in.Type, catQuotedKeys(catInjectTypes))
	}
	k.template(where+".value", in.Value, declared)
	k.template(where+".username", in.Username, declared)
	k.template(where+".password", in.Password, declared)
}

func (k *catChecker) field(where string, f Field) {
	if !catFieldNameRE.MatchString(f.Name) {
		k.errorf("%s: name %q does not match %s", where, f.Name, catFieldNameRE)
	}
	k.required(where+".label", f.Label)
	k.required(where+".help", f.Help)
	if k.required(where+".type", f.Type) && !catFieldTypes[f.Type] {
		k.errorf("%s.type %q is not one of %s", where, f.Type, catQuotedKeys(catFieldTypes))
	}
	var re *regexp.Regexp
	if f.Pattern != "" {
		var err error
		if re, err = regexp.Compile(f.Pattern); err != nil {
			k.errorf("%s.pattern %q does not compile: %v", where, f.Pattern, err)
		} else if !strings.HasPrefix(f.Pattern, "^") || !strings.HasSuffix(f.Pattern, "$") {
			k.errorf("%s.pattern %q is not anchored (^...$)", where, f.Pattern)
		}
	}
	if f.Type == "select" {
		if len(f.Options) == 0 {
			k.errorf("%s: a select needs options", where)
		}
		seen := map[string]bool{}
		for _, o := range f.Options {
			if o == "" || seen[o] {
				k.errorf("%s.options: %q is empty or listed twice", where, o)
			}
			seen[o] = true
		}
		if f.Default == "" {
			k.errorf("%s: a select needs a default", where)
		} else if !seen[f.Default] {
			k.errorf("%s.default %q is not one of the options", where, f.Default)
		}
	} else if len(f.Options) > 0 {
		k.errorf("%s: options are only for selects", where)
	}
	if re != nil && f.Default != "" && !re.MatchString(f.Default) {
		k.errorf("%s.default %q does not match the pattern", where, f.Default)
	}
	if f.Egress && f.Type != "url" {
		k.errorf("%s: egress is only for url fields", where)
	}
}
