package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	hub "github.com/bizoshub/bizos"
)

// Action is a typed operation on one provider, callable by people (HTTP),
// rules and agents alike. Input and Output are JSON Schemas.
type Action struct {
	Name        string          `json:"name"` // "<provider>.<verb_noun>", e.g. hubspot.search_contacts
	Provider    string          `json:"provider"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Write       bool            `json:"write"` // changes data at the platform
	Input       json.RawMessage `json:"input_schema"`
	Output      json.RawMessage `json:"output_schema"`
	// Run performs the action; input has been validated against Input.
	Run func(ctx context.Context, c *Call, input json.RawMessage) (any, error) `json:"-"`

	compiled *jsonschema.Schema
}

var (
	registryMu sync.RWMutex
	registry   = map[string]*Action{}
)

// register adds actions at init time; a malformed schema is a programming error.
func register(actions ...*Action) {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, a := range actions {
		if _, dup := registry[a.Name]; dup {
			panic("connectors: action registered twice: " + a.Name)
		}
		if !strings.HasPrefix(a.Name, a.Provider+".") {
			panic("connectors: action " + a.Name + " is not named after its provider " + a.Provider)
		}
		a.compiled = compileSchema(a.Name, a.Input)
		compileSchema(a.Name+"#output", a.Output)
		registry[a.Name] = a
	}
}

func compileSchema(name string, raw json.RawMessage) *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		panic(fmt.Sprintf("connectors: schema of %s: %v", name, err))
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // email, date, date-time and uri are rules, not notes
	loc := "mem://actions/" + strings.ReplaceAll(name, "#", "/")
	if err := c.AddResource(loc, doc); err != nil {
		panic(fmt.Sprintf("connectors: schema of %s: %v", name, err))
	}
	s, err := c.Compile(loc)
	if err != nil {
		panic(fmt.Sprintf("connectors: schema of %s: %v", name, err))
	}
	return s
}

// Actions lists the registered actions, optionally of one provider, by name.
func Actions(provider string) []*Action {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var out []*Action
	for _, a := range registry {
		if provider == "" || a.Provider == provider {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupAction returns an action by name.
func LookupAction(name string) (*Action, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	a, ok := registry[name]
	return a, ok
}

// ValidateInput checks input against the action's input schema.
func (a *Action) ValidateInput(input json.RawMessage) error {
	if len(bytes.TrimSpace(input)) == 0 {
		input = json.RawMessage("{}")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(input))
	if err != nil {
		return hub.InvalidField("input", "is not valid JSON")
	}
	if err := a.compiled.Validate(doc); err != nil {
		msg := err.Error()
		if ve, ok := err.(*jsonschema.ValidationError); ok {
			msg = strings.TrimSpace(strings.ReplaceAll(ve.Error(), "jsonschema validation failed with 'mem://actions/"+a.Name+"#'", ""))
		}
		return hub.InvalidField("input", msg)
	}
	return nil
}

// Call is an action's handle on the connection it runs for.
type Call struct {
	svc  *Service
	conn *hub.Connection
}

// Config returns a connection setting, such as a Google Ads customer id.
func (c *Call) Config(name string) string { return c.conn.Config[name] }

// JSON sends a request (body, when not nil, as JSON) and decodes a JSON
// answer into out (when not nil). Answers of 400 and above are EUPSTREAM
// errors carrying the platform's status and reason.
func (c *Call) JSON(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("connectors: encode request: %w", err)
		}
		rd = bytes.NewReader(raw)
	}
	resp, err := c.svc.Do(ctx, c.conn, method, path, query, rd, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	prov, _ := c.svc.cfg.Catalog.Provider(c.conn.Provider)
	if resp.StatusCode >= 400 {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: resp.StatusCode,
			Message: fmt.Sprintf("%s answered HTTP %d: %s", prov.Name, resp.StatusCode, upstreamReason(resp))}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(out); err != nil && err != io.EOF {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway,
			Message: fmt.Sprintf("%s answered something that is not JSON.", prov.Name), Err: err}
	}
	return nil
}

// RunAction runs a named action on one of the tenant's connections.
func (s *Service) RunAction(ctx context.Context, tenantID, connectionID, name string, input json.RawMessage) (any, error) {
	a, ok := LookupAction(name)
	if !ok {
		return nil, hub.Errorf(hub.ENOTFOUND, "There is no action %q.", name)
	}
	conn, err := s.Connection(ctx, tenantID, connectionID)
	if err != nil {
		return nil, err
	}
	if conn.Provider != a.Provider {
		return nil, hub.Errorf(hub.EINVALID, "The action %s needs a %s connection; this one is %s.", name, a.Provider, conn.Provider)
	}
	if err := a.ValidateInput(input); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(input)) == 0 {
		input = json.RawMessage("{}")
	}
	return a.Run(ctx, &Call{svc: s, conn: conn}, input)
}
