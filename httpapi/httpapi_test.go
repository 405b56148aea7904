package httpapi_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

type body struct {
	Name  string     `json:"name"`
	Count int        `json:"count,omitempty"`
	Pass  hub.Secret `json:"pass,omitempty"`
}

type fixedAuth struct{ p hub.Principal }

func (f fixedAuth) Authenticate(r *http.Request) (hub.Principal, error) {
	if r.Header.Get("Authorization") == "" {
		return hub.Principal{}, hub.Errorf(hub.EUNAUTHORIZED, "no credentials")
	}
	return f.p, nil
}

func newServer(t *testing.T, logs io.Writer) *echo.Echo {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(logs, nil))
	e, err := httpapi.NewEcho(httpapi.ServerConfig{Service: "test", Log: log, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	routes := []httpapi.Route{
		{Method: http.MethodPost, Path: "/echo", Public: true, Request: body{}, Response: body{}, Handler: func(c echo.Context) error {
			var b body
			if err := httpapi.Bind(c, &b); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, b)
		}},
		{Method: http.MethodGet, Path: "/boom", Public: true, Handler: func(c echo.Context) error {
			return errors.New("database password=hunter2 exploded")
		}},
		{Method: http.MethodGet, Path: "/panic", Public: true, Handler: func(c echo.Context) error { panic("oops") }},
		{Method: http.MethodGet, Path: "/private", Handler: func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }},
	}
	httpapi.Mount(e, routes, fixedAuth{hub.Principal{Kind: hub.PrincipalUser, ID: "u1"}}, nil)
	return e
}

func do(e *echo.Echo, method, path, ct, payload string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(payload))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestProblems(t *testing.T) {
	var logs strings.Builder
	e := newServer(t, &logs)
	tests := []struct {
		name, method, path, ct, payload string
		status                          int
		code, field                     string
	}{
		{"unknown route", "GET", "/nowhere", "", "", 404, hub.ENOTFOUND, ""},
		{"wrong method", "DELETE", "/echo", "", "", 405, hub.EINVALID, ""},
		{"empty body", "POST", "/echo", "application/json", "", 400, hub.EINVALID, ""},
		{"syntax error", "POST", "/echo", "application/json", "{", 400, hub.EINVALID, ""},
		{"wrong type", "POST", "/echo", "application/json", `{"name": 5}`, 400, hub.EINVALID, "name"},
		{"unknown field", "POST", "/echo", "application/json", `{"name":"a","admin":true}`, 400, hub.EINVALID, "admin"},
		{"two objects", "POST", "/echo", "application/json", `{"name":"a"}{"name":"b"}`, 400, hub.EINVALID, ""},
		{"form body", "POST", "/echo", "application/x-www-form-urlencoded", "name=a", 400, hub.EINVALID, ""},
		{"too large", "POST", "/echo", "application/json", `{"name":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`, 400, hub.EINVALID, ""},
		{"internal error hides details", "GET", "/boom", "", "", 500, hub.EINTERNAL, ""},
		{"panic", "GET", "/panic", "", "", 500, hub.EINTERNAL, ""},
		{"no credentials", "GET", "/private", "", "", 401, hub.EUNAUTHORIZED, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(e, tt.method, tt.path, tt.ct, tt.payload)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, httpapi.ContentTypeProblem) {
				t.Errorf("content type = %q", ct)
			}
			var p httpapi.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Code != tt.code || p.Status != tt.status || p.RequestID == "" || p.Instance != tt.path {
				t.Errorf("problem = %+v", p)
			}
			if tt.field != "" && p.Errors[tt.field] == "" {
				t.Errorf("problem names no error for field %q: %+v", tt.field, p)
			}
			if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "oops") {
				t.Error("internal detail leaked to the client")
			}
		})
	}
	if !strings.Contains(logs.String(), "exploded") {
		t.Error("internal error was not logged")
	}
}

func TestRequestIDAndSecrets(t *testing.T) {
	var logs strings.Builder
	e := newServer(t, &logs)
	rec := do(e, "POST", "/echo", "application/json", `{"name":"n","pass":"topsecret"}`, "X-Request-Id", "abc-123")
	if got := rec.Header().Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("request id = %q, want the caller's", got)
	}
	if strings.Contains(rec.Body.String(), "topsecret") {
		t.Errorf("a Secret was serialised: %s", rec.Body)
	}
	rec = do(e, "GET", "/healthz-not-here", "", "", "X-Request-Id", "bad id with spaces")
	if got := rec.Header().Get("X-Request-Id"); got == "bad id with spaces" || got == "" {
		t.Errorf("malformed request id was kept: %q", got)
	}
	if !strings.Contains(logs.String(), `"request_id":"abc-123"`) {
		t.Error("access log lacks the request id")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := hub.Secret("hunter2")
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "pw", s, "obj", body{Pass: s})
	for _, out := range []string{logs.String(), s.String(), strings.TrimSpace(strings.Join([]string{string(must(json.Marshal(body{Pass: s})))}, ""))} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret printed: %s", out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Error("Reveal lost the value")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestOpenAPI(t *testing.T) {
	type resp struct {
		ID   string   `json:"id"`
		Tags []string `json:"tags,omitempty"`
	}
	doc := httpapi.OpenAPI("t", "1", []httpapi.Route{
		{Method: "POST", Path: "/things/:id/parts", Summary: "s", Request: body{}, Response: resp{}, Status: 201, Resource: "users", Action: "write"},
	})
	paths := doc["paths"].(map[string]map[string]any)
	op, ok := paths["/things/{id}/parts"]["post"].(map[string]any)
	if !ok {
		t.Fatalf("paths = %v", paths)
	}
	if got := op["x-permission"]; got != "users:write" {
		t.Errorf("x-permission = %v", got)
	}
	schema := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	if diff := cmp.Diff([]string{"name"}, schema["required"]); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}
	if got := schema["properties"].(map[string]any)["pass"].(map[string]any)["format"]; got != "password" {
		t.Errorf("secret format = %v", got)
	}
	if _, ok := op["responses"].(map[string]any)["201"]; !ok {
		t.Error("no 201 response")
	}
}
