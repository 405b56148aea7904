package connectors

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Override is an operator's setting for one provider, read from the file
// named by BIZOS_PROVIDER_OVERRIDES. Empty fields leave the catalogue as it
// is.
//
// APIBaseURL, AuthorizationURL and TokenURL point the provider's API and
// OAuth endpoints elsewhere (self-hosted, sandbox, local fakes in tests);
// ApplyOverrides writes them into the catalogue. They may be templates using
// the same variables as the catalogue values they replace.
//
// ClientID and ClientSecret are the operator's default OAuth app for the
// provider (tenants may register their own instead). They are never written
// into the catalogue, which is public data: the caller keeps the map
// LoadOverrides returns and looks the app up there.
type Override struct {
	APIBaseURL       string `yaml:"api_base_url" json:"api_base_url,omitempty"`
	AuthorizationURL string `yaml:"authorization_url" json:"authorization_url,omitempty"`
	TokenURL         string `yaml:"token_url" json:"token_url,omitempty"`
	ClientID         string `yaml:"client_id" json:"client_id,omitempty"`
	ClientSecret     string `yaml:"client_secret" json:"-"`
	// WebhookSecret verifies the platform's inbound webhooks when they are
	// signed with an app-level secret other than the client secret (Slack's
	// signing secret).
	WebhookSecret string `yaml:"webhook_secret" json:"-"`
}

// LoadOverrides reads a YAML file mapping provider id to Override, for
// example:
//
//	hubspot:
//	  api_base_url: http://127.0.0.1:9999
//	  token_url: http://127.0.0.1:9999/oauth/v1/token
//	  client_id: my-app
//	  client_secret: s3cret
//
// Decoding is strict: unknown keys are an error. Provider ids are checked by
// ApplyOverrides, not here. An empty path, or a file with no document,
// yields an empty map.
func LoadOverrides(path string) (map[string]Override, error) {
	out := map[string]Override{}
	if path == "" {
		return out, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("connectors: provider overrides: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&out); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]Override{}, nil
		}
		return nil, fmt.Errorf("connectors: provider overrides %s: %w", path, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("connectors: provider overrides %s: want a single YAML document", path)
	}
	if out == nil { // a document that is just null
		out = map[string]Override{}
	}
	return out, nil
}

// ApplyOverrides writes the operator's endpoints into the catalogue: for
// each named provider, a non-empty APIBaseURL replaces api.base_url, and a
// non-empty AuthorizationURL or TokenURL replaces the authorize_url or
// token_url of every oauth2 auth mode. Absolute revoke URLs are left alone.
// The catalogue is then validated again.
//
// It fails, leaving the catalogue unchanged, when an id is not a provider of
// the catalogue, when OAuth settings (endpoints, client id or secret) are
// given for a provider without an oauth2 mode, or when the result does not
// validate. ClientID and ClientSecret are not stored; see Override.
func (c *Catalog) ApplyOverrides(o map[string]Override) error {
	ids := make([]string, 0, len(o))
	for id := range o {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	var errs []error
	for _, id := range ids {
		p, ok := c.byID[id]
		if !ok {
			errs = append(errs, fmt.Errorf("connectors: provider overrides: %q is not a provider (want one of %s)", id, strings.Join(c.catalogOrder(), ", ")))
			continue
		}
		ov := o[id]
		if _, hasOAuth2 := p.Mode(ModeOAuth2); !hasOAuth2 &&
			(ov.AuthorizationURL != "" || ov.TokenURL != "" || ov.ClientID != "" || ov.ClientSecret != "") {
			errs = append(errs, fmt.Errorf("connectors: provider overrides: %q has no oauth2 mode, so authorization_url, token_url, client_id and client_secret do not apply", id))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	// Apply in place, remembering the old values to roll back on failure.
	type saved struct {
		p        *Provider
		baseURL  string
		oauth2   []*OAuth2
		authURLs []string
		tokURLs  []string
	}
	var undo []saved
	for _, id := range ids {
		p, ov := c.byID[id], o[id]
		s := saved{p: p, baseURL: p.API.BaseURL}
		if ov.APIBaseURL != "" {
			p.API.BaseURL = ov.APIBaseURL
		}
		for i := range p.AuthModes {
			m := p.AuthModes[i].OAuth2
			if p.AuthModes[i].Kind != ModeOAuth2 || m == nil {
				continue
			}
			s.oauth2 = append(s.oauth2, m)
			s.authURLs = append(s.authURLs, m.AuthorizeURL)
			s.tokURLs = append(s.tokURLs, m.TokenURL)
			if ov.AuthorizationURL != "" {
				m.AuthorizeURL = ov.AuthorizationURL
			}
			if ov.TokenURL != "" {
				m.TokenURL = ov.TokenURL
			}
		}
		undo = append(undo, s)
	}
	if err := c.validate(); err != nil {
		for _, s := range undo {
			s.p.API.BaseURL = s.baseURL
			for i, m := range s.oauth2 {
				m.AuthorizeURL, m.TokenURL = s.authURLs[i], s.tokURLs[i]
			}
		}
		if verr := c.validate(); verr != nil { // restores byID; cannot fail for a catalogue that was valid
			return errors.Join(err, verr)
		}
		return fmt.Errorf("connectors: provider overrides: %w", err)
	}
	return nil
}

// catalogOrder lists the catalogue's provider ids in order.
func (c *Catalog) catalogOrder() []string {
	out := make([]string, 0, len(c.Providers))
	for _, p := range c.Providers {
		if p != nil {
			out = append(out, p.ID)
		}
	}
	return out
}
