package fakes

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ---- helpers ----

// req describes one HTTP call.
type req struct {
	method, url string
	header      map[string]string
	body        string // sent as application/json unless ctype says otherwise
	ctype       string
}

// resp is an HTTP answer with its decoded JSON body.
type resp struct {
	status int
	header http.Header
	raw    []byte
	json   any
}

func noRedirect() *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func call(t *testing.T, r req) resp {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(method, r.url, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if r.body != "" {
		ct := r.ctype
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := noRedirect().Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, r.url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	out := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && strings.Contains(res.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &out.json); err != nil {
			t.Fatalf("%s %s: invalid JSON %q: %v", method, r.url, raw, err)
		}
	}
	return out
}

// at walks a decoded JSON value by map keys and slice indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k < 0 || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func length(v any) int {
	s, _ := v.([]any)
	return len(s)
}

// step is one call of a table-driven sequence; req is built when the step runs,
// so that it can use what earlier steps saved.
type step struct {
	name   string
	req    func() req
	status int
	check  func(t *testing.T, r resp)
}

func runSteps(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := call(t, s.req())
			if r.status != s.status {
				t.Fatalf("status = %d, want %d; body: %s", r.status, s.status, r.raw)
			}
			if s.check != nil {
				s.check(t, r)
			}
		})
	}
}

func wantEq(t *testing.T, what string, got, want any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// ---- OAuth ----

func pkce() (verifier, challenge string) {
	verifier = strings.Repeat("v3rifier-", 6) // 54 characters, RFC 7636 §4.1 allows 43..128
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize runs the browser step and returns the code.
func authorize(t *testing.T, o *OAuth, redirect, challenge string) string {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {o.ClientID}, "redirect_uri": {redirect}, "state": {"st-123"}, "scope": {"a b"}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	r := call(t, req{url: o.AuthorizeURL() + "?" + q.Encode()})
	if r.status != http.StatusFound {
		t.Fatalf("authorize status = %d, body %s", r.status, r.raw)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Query().Get("state"); got != "st-123" {
		t.Fatalf("state = %q", got)
	}
	if !strings.HasPrefix(loc.String(), redirect) {
		t.Fatalf("redirected to %s, want %s", loc, redirect)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", loc)
	}
	return code
}

func tokenCall(t *testing.T, o *OAuth, form url.Values, basicAuth bool) resp {
	t.Helper()
	h := map[string]string{}
	if basicAuth {
		h["Authorization"] = basic(o.ClientID, o.ClientSecret)
	} else {
		form.Set("client_id", o.ClientID)
		form.Set("client_secret", o.ClientSecret)
	}
	return call(t, req{method: "POST", url: o.TokenURL(), header: h, body: form.Encode(), ctype: "application/x-www-form-urlencoded"})
}

func wantOAuthError(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.status != status || at(r.json, "error") != code {
		t.Fatalf("got %d %s, want %d error=%s", r.status, r.raw, status, code)
	}
	if _, ok := at(r.json, "error_description").(string); !ok {
		t.Errorf("no error_description in %s", r.raw)
	}
}

func TestOAuthCodeFlowPKCE(t *testing.T) {
	o := NewOAuth(t, OAuthOptions{ClientID: "cid", ClientSecret: "csecret", Extra: map[string]any{"api_domain": "https://www.zohoapis.example"}})
	const redirect = "http://127.0.0.1:9/callback"
	verifier, challenge := pkce()
	code := authorize(t, o, redirect, challenge)
	wantEq(t, "authorize query", o.LastAuthorizeQuery().Get("code_challenge_method"), "S256")

	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	r := tokenCall(t, o, exchange, true)
	if r.status != http.StatusOK {
		t.Fatalf("token status %d: %s", r.status, r.raw)
	}
	access, _ := at(r.json, "access_token").(string)
	refresh, _ := at(r.json, "refresh_token").(string)
	wantEq(t, "token_type", at(r.json, "token_type"), "Bearer")
	wantEq(t, "expires_in", at(r.json, "expires_in"), float64(3600))
	wantEq(t, "scope", at(r.json, "scope"), "a b")
	wantEq(t, "api_domain", at(r.json, "api_domain"), "https://www.zohoapis.example")
	wantEq(t, "Cache-Control", r.header.Get("Cache-Control"), "no-store")
	if !o.Valid(access) || refresh == "" {
		t.Fatalf("access %q valid=%v, refresh %q", access, o.Valid(access), refresh)
	}

	t.Run("code is single use", func(t *testing.T) {
		wantOAuthError(t, tokenCall(t, o, exchange, true), http.StatusBadRequest, "invalid_grant")
		if o.Valid(access) {
			t.Error("tokens granted by a replayed code stay valid")
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		code := authorize(t, o, redirect, challenge)
		bad := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {strings.Repeat("x", 50)}}
		wantOAuthError(t, tokenCall(t, o, bad, false), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("missing verifier", func(t *testing.T) {
		code := authorize(t, o, redirect, challenge)
		bad := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
		wantOAuthError(t, tokenCall(t, o, bad, false), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("redirect_uri mismatch", func(t *testing.T) {
		code := authorize(t, o, redirect, challenge)
		bad := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect + "x"}, "code_verifier": {verifier}}
		wantOAuthError(t, tokenCall(t, o, bad, false), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("bad client secret", func(t *testing.T) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}
		r := call(t, req{method: "POST", url: o.TokenURL(), header: map[string]string{"Authorization": basic("cid", "nope")},
			body: form.Encode(), ctype: "application/x-www-form-urlencoded"})
		wantOAuthError(t, r, http.StatusUnauthorized, "invalid_client")
	})
	t.Run("unsupported grant", func(t *testing.T) {
		wantOAuthError(t, tokenCall(t, o, url.Values{"grant_type": {"password"}}, true), http.StatusBadRequest, "unsupported_grant_type")
	})
	t.Run("bad client_id at authorize", func(t *testing.T) {
		q := url.Values{"response_type": {"code"}, "client_id": {"other"}, "redirect_uri": {redirect}}
		r := call(t, req{url: o.AuthorizeURL() + "?" + q.Encode()})
		wantEq(t, "status", r.status, http.StatusBadRequest)
	})
	t.Run("unsupported response_type redirects with error", func(t *testing.T) {
		q := url.Values{"response_type": {"token"}, "client_id": {"cid"}, "redirect_uri": {redirect}, "state": {"s"}}
		r := call(t, req{url: o.AuthorizeURL() + "?" + q.Encode()})
		loc, _ := url.Parse(r.header.Get("Location"))
		wantEq(t, "redirect error", loc.Query().Get("error"), "unsupported_response_type")
	})
}

func TestOAuthRefresh(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rotate bool
		auth   string
	}{
		{"static refresh token, client_secret_post", false, "params"},
		{"rotating refresh token, client_secret_basic", true, "header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := NewOAuth(t, OAuthOptions{RotateRefresh: tc.rotate, TokenAuth: tc.auth, AccessTTL: 30 * time.Second})
			useBasic := tc.auth == "header"
			access, refresh := o.IssueToken()
			if !o.Valid(access) {
				t.Fatal("issued token not valid")
			}
			t.Run("wrong client auth method", func(t *testing.T) {
				wantOAuthError(t, tokenCall(t, o, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, !useBasic),
					http.StatusUnauthorized, "invalid_client")
			})
			r := tokenCall(t, o, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, useBasic)
			if r.status != http.StatusOK {
				t.Fatalf("refresh: %d %s", r.status, r.raw)
			}
			wantEq(t, "expires_in", at(r.json, "expires_in"), float64(30))
			newAccess, _ := at(r.json, "access_token").(string)
			newRefresh, hasNew := at(r.json, "refresh_token").(string)
			wantEq(t, "refresh count", o.RefreshCount(), 1)
			if !o.Valid(newAccess) || newAccess == access {
				t.Fatalf("new access token %q invalid or reused", newAccess)
			}
			if tc.rotate {
				if !hasNew || newRefresh == refresh {
					t.Fatalf("no rotated refresh token: %s", r.raw)
				}
				wantOAuthError(t, tokenCall(t, o, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, useBasic),
					http.StatusBadRequest, "invalid_grant")
				refresh = newRefresh
			} else if hasNew {
				t.Fatalf("refresh token rotated without RotateRefresh: %s", r.raw)
			}
			// The (current) refresh token still works.
			if r := tokenCall(t, o, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, useBasic); r.status != http.StatusOK {
				t.Fatalf("second refresh: %d %s", r.status, r.raw)
			} else if tc.rotate {
				refresh, _ = at(r.json, "refresh_token").(string)
			}
			wantEq(t, "refresh count", o.RefreshCount(), 2)

			o.ExpireAll()
			if o.Valid(newAccess) || o.Valid(access) {
				t.Fatal("ExpireAll left a token valid")
			}
			o.RevokeRefreshTokens()
			wantOAuthError(t, tokenCall(t, o, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, useBasic),
				http.StatusBadRequest, "invalid_grant")
			wantEq(t, "refresh count", o.RefreshCount(), 2)
		})
	}
}

func TestOAuthRevoke(t *testing.T) {
	o := NewOAuth(t, OAuthOptions{})
	access, refresh := o.IssueToken()
	r := call(t, req{method: "POST", url: o.RevokeURL(), body: url.Values{"token": {refresh}}.Encode(), ctype: "application/x-www-form-urlencoded"})
	wantEq(t, "status", r.status, http.StatusOK)
	if o.Valid(access) {
		t.Error("revoking the refresh token left its access token valid")
	}
	r = call(t, req{method: "POST", url: o.RevokeURL(), body: "token=unknown", ctype: "application/x-www-form-urlencoded"})
	wantEq(t, "unknown token status", r.status, http.StatusOK)
}

func TestAuthorizerWithPlatform(t *testing.T) {
	o := NewOAuth(t, OAuthOptions{})
	h := NewHubSpot(t, Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	access, _ := o.IssueToken()
	get := func(tok string) int {
		return call(t, req{url: h.URL + "/crm/v3/objects/contacts?limit=1", header: map[string]string{"Authorization": "Bearer " + tok}}).status
	}
	wantEq(t, "live token", get(access), http.StatusOK)
	wantEq(t, "unknown token", get("nope"), http.StatusUnauthorized)
	o.ExpireAll()
	wantEq(t, "expired token", get(access), http.StatusUnauthorized)

	z := NewZoho(t, Options{Authorize: o.Authorizer("Authorization", "Zoho-oauthtoken ")})
	access, _ = o.IssueToken()
	r := call(t, req{url: z.URL + "/users?type=CurrentUser", header: map[string]string{"Authorization": "Zoho-oauthtoken " + access}})
	wantEq(t, "zoho live token", r.status, http.StatusOK)

	s := NewSlack(t, Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	r = call(t, req{method: "POST", url: s.URL + "/api/auth.test", body: "token=" + access, ctype: "application/x-www-form-urlencoded"})
	wantEq(t, "slack form token", at(r.json, "ok"), true)
}

// ---- platforms ----

func TestHubSpot(t *testing.T) {
	h := NewHubSpot(t, Options{})
	auth := map[string]string{"Authorization": "Bearer tok"}
	var after string
	steps := []step{
		{"no credentials", func() req { return req{url: h.URL + "/crm/v3/objects/contacts"} }, 401, func(t *testing.T, r resp) {
			wantEq(t, "category", at(r.json, "category"), "INVALID_AUTHENTICATION")
			wantEq(t, "status", at(r.json, "status"), "error")
		}},
		{"first page", func() req {
			return req{url: h.URL + "/crm/v3/objects/contacts?limit=10&properties=email,firstname", header: auth}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "results", length(at(r.json, "results")), 10)
			wantEq(t, "first email", at(r.json, "results", 0, "properties", "email"), "ada.lovelace@example.com")
			wantEq(t, "archived", at(r.json, "results", 0, "archived"), false)
			if at(r.json, "results", 0, "properties", "phone") != nil {
				t.Error("unrequested property returned")
			}
			after, _ = at(r.json, "paging", "next", "after").(string)
			if after == "" {
				t.Fatalf("no paging.next.after: %s", r.raw)
			}
			for _, hd := range []string{"X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining", "X-HubSpot-RateLimit-Secondly", "X-HubSpot-RateLimit-Secondly-Remaining"} {
				if r.header.Get(hd) == "" {
					t.Errorf("missing header %s", hd)
				}
			}
		}},
		{"last page", func() req {
			return req{url: h.URL + "/crm/v3/objects/contacts?limit=20&after=" + url.QueryEscape(after), header: auth}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "results", length(at(r.json, "results")), 15)
			wantEq(t, "11th contact", at(r.json, "results", 0, "id"), "1011")
			if at(r.json, "paging") != nil {
				t.Errorf("paging on the last page: %v", at(r.json, "paging"))
			}
		}},
		{"create", func() req {
			return req{method: "POST", url: h.URL + "/crm/v3/objects/contacts", header: auth, body: `{"properties":{"email":"new@example.com","firstname":"New"}}`}
		}, 201, func(t *testing.T, r resp) {
			wantEq(t, "id", at(r.json, "id"), "1026")
			wantEq(t, "email", at(r.json, "properties", "email"), "new@example.com")
		}},
		{"create duplicate", func() req {
			return req{method: "POST", url: h.URL + "/crm/v3/objects/contacts", header: auth, body: `{"properties":{"email":"NEW@example.com"}}`}
		}, 409, func(t *testing.T, r resp) { wantEq(t, "category", at(r.json, "category"), "CONFLICT") }},
		{"search EQ email", func() req {
			return req{method: "POST", url: h.URL + "/crm/v3/objects/contacts/search", header: auth,
				body: `{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"new@example.com"}]}],"properties":["email"]}`}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "total", at(r.json, "total"), float64(1))
			wantEq(t, "id", at(r.json, "results", 0, "id"), "1026")
		}},
		{"search GTE lastmodifieddate", func() req {
			since := strconv.FormatInt(baseTime.Add(20*24*time.Hour).UnixMilli(), 10)
			return req{method: "POST", url: h.URL + "/crm/v3/objects/deals/search", header: auth,
				body: `{"filterGroups":[{"filters":[{"propertyName":"hs_lastmodifieddate","operator":"GTE","value":"` + since + `"}]}],"sorts":[{"propertyName":"hs_lastmodifieddate","direction":"ASCENDING"}],"limit":3}`}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "total", at(r.json, "total"), float64(5))
			wantEq(t, "first", at(r.json, "results", 0, "id"), "3021")
			wantEq(t, "next", at(r.json, "paging", "next", "after"), "3")
		}},
		{"unknown type", func() req { return req{url: h.URL + "/crm/v3/objects/widgets", header: auth} }, 400, nil},
	}
	runSteps(t, steps)

	limited := NewHubSpot(t, Options{RateLimitEvery: 2})
	runSteps(t, []step{
		{"before limit", func() req { return req{url: limited.URL + "/crm/v3/objects/companies", header: auth} }, 200, nil},
		{"rate limited", func() req { return req{url: limited.URL + "/crm/v3/objects/companies", header: auth} }, 429, func(t *testing.T, r resp) {
			wantEq(t, "errorType", at(r.json, "errorType"), "RATE_LIMIT")
			wantEq(t, "policyName", at(r.json, "policyName"), "SECONDLY")
			wantEq(t, "secondly remaining", r.header.Get("X-HubSpot-RateLimit-Secondly-Remaining"), "0")
		}},
	})
	wantEq(t, "requests", limited.Requests(), 2)
}

func TestZoho(t *testing.T) {
	z := NewZoho(t, Options{})
	auth := map[string]string{"Authorization": "Zoho-oauthtoken tok"}
	runSteps(t, []step{
		{"no credentials", func() req { return req{url: z.URL + "/Contacts?fields=Email"} }, 401, func(t *testing.T, r resp) {
			wantEq(t, "status", at(r.json, "status"), "error")
		}},
		{"bearer is not Zoho's shape", func() req {
			return req{url: z.URL + "/Contacts?fields=Email", header: map[string]string{"Authorization": "Bearer tok"}}
		}, 401, nil},
		{"fields is mandatory", func() req { return req{url: z.URL + "/Contacts", header: auth} }, 400, func(t *testing.T, r resp) {
			wantEq(t, "code", at(r.json, "code"), "REQUIRED_PARAM_MISSING")
		}},
		{"page 1", func() req { return req{url: z.URL + "/Contacts?fields=Email,Last_Name&per_page=20", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "count", length(at(r.json, "data")), 20)
			wantEq(t, "info", at(r.json, "info", "more_records"), true)
			wantEq(t, "page", at(r.json, "info", "page"), float64(1))
			if at(r.json, "data", 0, "First_Name") != nil {
				t.Error("field outside fields returned")
			}
			if at(r.json, "data", 0, "id") == nil {
				t.Error("id missing")
			}
		}},
		{"page 2", func() req { return req{url: z.URL + "/Contacts?fields=Email&per_page=20&page=2", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "count", at(r.json, "info", "count"), float64(5))
			wantEq(t, "more", at(r.json, "info", "more_records"), false)
		}},
		{"past the end", func() req { return req{url: z.URL + "/Contacts?fields=Email&per_page=20&page=3", header: auth} }, 204, nil},
		{"create", func() req {
			return req{method: "POST", url: z.URL + "/Contacts", header: auth, body: `{"data":[{"Last_Name":"Newman","Email":"newman@example.com"}]}`}
		}, 201, func(t *testing.T, r resp) {
			wantEq(t, "code", at(r.json, "data", 0, "code"), "SUCCESS")
			wantEq(t, "status", at(r.json, "data", 0, "status"), "success")
			if id, _ := at(r.json, "data", 0, "details", "id").(string); id == "" {
				t.Errorf("no id: %s", r.raw)
			}
		}},
		{"create without mandatory field", func() req {
			return req{method: "POST", url: z.URL + "/Contacts", header: auth, body: `{"data":[{"Email":"x@example.com"}]}`}
		}, 400, func(t *testing.T, r resp) {
			wantEq(t, "code", at(r.json, "data", 0, "code"), "MANDATORY_NOT_FOUND")
		}},
		{"current user", func() req { return req{url: z.URL + "/users?type=CurrentUser", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "email", at(r.json, "users", 0, "email"), "p.boyle@example.com")
		}},
	})
	wantEq(t, "contacts", len(z.Records("Contacts")), 26)

	limited := NewZoho(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{{"rate limited", func() req { return req{url: limited.URL + "/Deals?fields=Deal_Name", header: auth} }, 429, func(t *testing.T, r resp) {
		wantEq(t, "code", at(r.json, "code"), "TOO_MANY_REQUESTS")
	}}})
}

func TestShopify(t *testing.T) {
	s := NewShopify(t, Options{})
	gql := s.URL + "/admin/api/2025-01/graphql.json"
	auth := map[string]string{"X-Shopify-Access-Token": "shpat_test"}
	body := func(query string, vars map[string]any) string {
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		return string(b)
	}
	const ordersQ = `query Orders($first: Int!, $after: String) { orders(first: $first, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`
	var cursor string
	runSteps(t, []step{
		{"no credentials", func() req { return req{method: "POST", url: gql, body: body(`{ shop { name } }`, nil)} }, 401, func(t *testing.T, r resp) {
			wantEq(t, "errors", at(r.json, "errors"), "[API] Invalid API key or access token (unrecognized login or wrong password)")
		}},
		{"shop", func() req { return req{method: "POST", url: gql, header: auth, body: body(`{ shop { name } }`, nil)} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "name", at(r.json, "data", "shop", "name"), "Fake Shop")
			if at(r.json, "extensions", "cost", "throttleStatus", "maximumAvailable") == nil {
				t.Errorf("no throttleStatus: %s", r.raw)
			}
		}},
		{"orders page 1", func() req {
			return req{method: "POST", url: gql, header: auth, body: body(ordersQ, map[string]any{"first": 10})}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "edges", length(at(r.json, "data", "orders", "edges")), 10)
			wantEq(t, "hasNextPage", at(r.json, "data", "orders", "pageInfo", "hasNextPage"), true)
			wantEq(t, "first", at(r.json, "data", "orders", "edges", 0, "node", "name"), "#1001")
			cursor, _ = at(r.json, "data", "orders", "pageInfo", "endCursor").(string)
		}},
		{"orders page 2", func() req {
			return req{method: "POST", url: gql, header: auth, body: body(ordersQ, map[string]any{"first": 20, "after": cursor})}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "nodes", length(at(r.json, "data", "orders", "nodes")), 15)
			wantEq(t, "first", at(r.json, "data", "orders", "nodes", 0, "name"), "#1011")
			wantEq(t, "hasNextPage", at(r.json, "data", "orders", "pageInfo", "hasNextPage"), false)
		}},
		{"products literal args", func() req {
			return req{method: "POST", url: gql, header: auth, body: body(`{ products(first: 5, query: "updated_at:>=2024-01-20") { nodes { id title } pageInfo { hasNextPage endCursor } } }`, nil)}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "nodes", length(at(r.json, "data", "products", "nodes")), 5)
			wantEq(t, "first", at(r.json, "data", "products", "nodes", 0, "title"), "Widget 19")
			wantEq(t, "hasNextPage", at(r.json, "data", "products", "pageInfo", "hasNextPage"), true)
		}},
		{"productCreate", func() req {
			return req{method: "POST", url: gql, header: auth, body: body(`mutation create($product: ProductCreateInput!) { productCreate(product: $product) { product { id title } userErrors { field message } } }`,
				map[string]any{"product": map[string]any{"title": "Gadget"}})}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "title", at(r.json, "data", "productCreate", "product", "title"), "Gadget")
			wantEq(t, "id", at(r.json, "data", "productCreate", "product", "id"), "gid://shopify/Product/7026")
			wantEq(t, "userErrors", length(at(r.json, "data", "productCreate", "userErrors")), 0)
		}},
		{"productCreate without title", func() req {
			return req{method: "POST", url: gql, header: auth, body: body(`mutation { productCreate(product: $p) { product { id } userErrors { field message } } }`, map[string]any{"p": map[string]any{}})}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "message", at(r.json, "data", "productCreate", "userErrors", 0, "message"), "Title can't be blank")
		}},
	})

	limited := NewShopify(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{
		{"graphql throttled", func() req {
			return req{method: "POST", url: limited.URL + "/admin/api/2025-01/graphql.json", header: auth, body: body(`{ shop { name } }`, nil)}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "code", at(r.json, "errors", 0, "extensions", "code"), "THROTTLED")
			wantEq(t, "actualQueryCost", at(r.json, "extensions", "cost", "actualQueryCost"), nil)
		}},
		{"rest throttled", func() req { return req{url: limited.URL + "/admin/api/2025-01/shop.json", header: auth} }, 429, func(t *testing.T, r resp) {
			wantEq(t, "Retry-After", r.header.Get("Retry-After"), "1")
		}},
	})
}

func TestGoogleAds(t *testing.T) {
	g := NewGoogleAds(t, Options{})
	auth := map[string]string{"Authorization": "Bearer tok", "developer-token": "dev"}
	search := g.URL + "/v25/customers/" + g.CustomerIDs[1] + "/googleAds:search"
	const q = `SELECT campaign.id, campaign.name, metrics.clicks, metrics.cost_micros FROM campaign WHERE segments.date DURING LAST_7_DAYS ORDER BY campaign.id`
	var token string
	runSteps(t, []step{
		{"no credentials", func() req { return req{url: g.URL + "/v25/customers:listAccessibleCustomers"} }, 401, func(t *testing.T, r resp) {
			wantEq(t, "status", at(r.json, "error", "status"), "UNAUTHENTICATED")
			wantEq(t, "code", at(r.json, "error", "code"), float64(401))
		}},
		{"no developer token", func() req {
			return req{url: g.URL + "/v25/customers:listAccessibleCustomers", header: map[string]string{"Authorization": "Bearer tok"}}
		}, 400, func(t *testing.T, r resp) {
			wantEq(t, "error code", at(r.json, "error", "details", 0, "errors", 0, "errorCode", "requestError"), "DEVELOPER_TOKEN_PARAMETER_MISSING")
		}},
		{"accessible customers", func() req { return req{url: g.URL + "/v25/customers:listAccessibleCustomers", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "resourceNames", at(r.json, "resourceNames"), []any{"customers/1234567890", "customers/9876543210"})
		}},
		{"search page 1", func() req {
			return req{method: "POST", url: search, header: auth, body: `{"query":` + strconv.Quote(q) + `}`}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "results", length(at(r.json, "results")), GoogleAdsPageSize)
			wantEq(t, "fieldMask", at(r.json, "fieldMask"), "campaign.id,campaign.name,metrics.clicks,metrics.costMicros")
			wantEq(t, "resourceName", at(r.json, "results", 0, "campaign", "resourceName"), "customers/9876543210/campaigns/20000000001")
			if _, ok := at(r.json, "results", 0, "metrics", "costMicros").(string); !ok {
				t.Errorf("costMicros is not an int64 string: %v", at(r.json, "results", 0, "metrics"))
			}
			token, _ = at(r.json, "nextPageToken").(string)
		}},
		{"search page 2", func() req {
			return req{method: "POST", url: search, header: auth, body: `{"query":` + strconv.Quote(q) + `,"pageToken":"` + token + `"}`}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "first id", at(r.json, "results", 0, "campaign", "id"), "20000000011")
		}},
		{"filter and segments", func() req {
			body := `{"query":"SELECT campaign.id, segments.date, metrics.impressions FROM campaign WHERE campaign.status = 'PAUSED' AND segments.date BETWEEN '2024-03-01' AND '2024-03-03'","searchSettings":{"returnTotalResultsCount":true}}`
			return req{method: "POST", url: search, header: auth, body: body}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "total", at(r.json, "totalResultsCount"), "18") // 6 paused campaigns x 3 days
			wantEq(t, "date", at(r.json, "results", 0, "segments", "date"), "2024-03-01")
		}},
		{"unknown customer", func() req {
			return req{method: "POST", url: g.URL + "/v25/customers/555/googleAds:search", header: auth, body: `{"query":"SELECT campaign.id FROM campaign"}`}
		}, 403, func(t *testing.T, r resp) { wantEq(t, "status", at(r.json, "error", "status"), "PERMISSION_DENIED") }},
		{"bad field", func() req {
			return req{method: "POST", url: search, header: auth, body: `{"query":"SELECT campaign.nope FROM campaign"}`}
		}, 400, func(t *testing.T, r resp) {
			wantEq(t, "queryError", at(r.json, "error", "details", 0, "errors", 0, "errorCode", "queryError"), "UNRECOGNIZED_FIELD")
		}},
	})

	limited := NewGoogleAds(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{{"rate limited", func() req { return req{url: limited.URL + "/v25/customers:listAccessibleCustomers", header: auth} }, 429, func(t *testing.T, r resp) {
		wantEq(t, "status", at(r.json, "error", "status"), "RESOURCE_EXHAUSTED")
		wantEq(t, "quotaError", at(r.json, "error", "details", 0, "errors", 0, "errorCode", "quotaError"), "RESOURCE_EXHAUSTED")
	}}})
}

func TestGA4(t *testing.T) {
	g := NewGA4(t, Options{})
	auth := map[string]string{"Authorization": "Bearer tok"}
	run := g.URL + "/v1beta/properties/123456:runReport"
	const report = `{"dateRanges":[{"startDate":"2024-01-01","endDate":"2024-01-07"}],"dimensions":[{"name":"date"},{"name":"country"}],"metrics":[{"name":"sessions"},{"name":"bounceRate"}],"limit":"10"%s}`
	runSteps(t, []step{
		{"no credentials", func() req { return req{method: "POST", url: run, body: strings.Replace(report, "%s", "", 1)} }, 401, func(t *testing.T, r resp) {
			wantEq(t, "status", at(r.json, "error", "status"), "UNAUTHENTICATED")
		}},
		{"page 1", func() req {
			return req{method: "POST", url: run, header: auth, body: strings.Replace(report, "%s", "", 1)}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "rowCount", at(r.json, "rowCount"), float64(21))
			wantEq(t, "rows", length(at(r.json, "rows")), 10)
			wantEq(t, "dims", at(r.json, "rows", 0, "dimensionValues"), []any{map[string]any{"value": "20240101"}, map[string]any{"value": "United States"}})
			wantEq(t, "metric header", at(r.json, "metricHeaders", 1), map[string]any{"name": "bounceRate", "type": "TYPE_FLOAT"})
		}},
		{"page 3 via offset", func() req {
			return req{method: "POST", url: run, header: auth, body: strings.Replace(report, "%s", `,"offset":"20"`, 1)}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "rows", length(at(r.json, "rows")), 1)
		}},
		{"bad metric", func() req {
			return req{method: "POST", url: run, header: auth, body: `{"dateRanges":[{"startDate":"7daysAgo","endDate":"today"}],"metrics":[{"name":"nope"}]}`}
		}, 400, func(t *testing.T, r resp) { wantEq(t, "status", at(r.json, "error", "status"), "INVALID_ARGUMENT") }},
		{"metadata", func() req { return req{url: g.URL + "/v1beta/properties/123456/metadata", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "name", at(r.json, "name"), "properties/123456/metadata")
		}},
	})
	limited := NewGA4(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{{"rate limited", func() req { return req{url: limited.URL + "/v1beta/properties/1/metadata", header: auth} }, 429, func(t *testing.T, r resp) {
		wantEq(t, "status", at(r.json, "error", "status"), "RESOURCE_EXHAUSTED")
	}}})
}

func TestSearchConsole(t *testing.T) {
	s := NewSearchConsole(t, Options{})
	auth := map[string]string{"Authorization": "Bearer tok"}
	query := s.URL + "/webmasters/v3/sites/" + url.PathEscape("https://www.example.com/") + "/searchAnalytics/query"
	runSteps(t, []step{
		{"no credentials", func() req { return req{url: s.URL + "/webmasters/v3/sites"} }, 401, func(t *testing.T, r resp) {
			wantEq(t, "reason", at(r.json, "error", "errors", 0, "reason"), "required")
		}},
		{"sites", func() req { return req{url: s.URL + "/webmasters/v3/sites", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "site", at(r.json, "siteEntry", 0, "siteUrl"), "https://www.example.com/")
		}},
		{"page 1", func() req {
			return req{method: "POST", url: query, header: auth, body: `{"startDate":"2024-01-01","endDate":"2024-01-07","dimensions":["query"],"rowLimit":20}`}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "rows", length(at(r.json, "rows")), 20)
			if k := at(r.json, "rows", 0, "keys", 0); k == nil {
				t.Errorf("no keys: %s", r.raw)
			}
		}},
		{"page 2 via startRow", func() req {
			return req{method: "POST", url: query, header: auth, body: `{"startDate":"2024-01-01","endDate":"2024-01-07","dimensions":["query"],"rowLimit":20,"startRow":20}`}
		}, 200, func(t *testing.T, r resp) { wantEq(t, "rows", length(at(r.json, "rows")), 5) }},
		{"domain property", func() req {
			return req{method: "POST", url: s.URL + "/webmasters/v3/sites/" + url.PathEscape("sc-domain:example.com") + "/searchAnalytics/query", header: auth,
				body: `{"startDate":"2024-01-01","endDate":"2024-01-02","dimensions":["date","device"]}`}
		}, 200, func(t *testing.T, r resp) { wantEq(t, "rows", length(at(r.json, "rows")), 6) }},
		{"unknown site", func() req {
			return req{method: "POST", url: s.URL + "/webmasters/v3/sites/" + url.PathEscape("https://other.example/") + "/searchAnalytics/query", header: auth,
				body: `{"startDate":"2024-01-01","endDate":"2024-01-02"}`}
		}, 403, nil},
	})
	limited := NewSearchConsole(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{{"rate limited", func() req { return req{url: limited.URL + "/webmasters/v3/sites", header: auth} }, 429, func(t *testing.T, r resp) {
		wantEq(t, "reason", at(r.json, "error", "errors", 0, "reason"), "rateLimitExceeded")
	}}})
}

func TestMeta(t *testing.T) {
	m := NewMeta(t, Options{Authorize: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer good" }})
	base := m.URL + "/v25.0/act_" + m.AdAccountID
	var next string
	var long string
	runSteps(t, []step{
		{"no credentials", func() req { return req{url: m.URL + "/v25.0/me"} }, 400, func(t *testing.T, r resp) {
			wantEq(t, "type", at(r.json, "error", "type"), "OAuthException")
		}},
		{"bad token", func() req { return req{url: m.URL + "/v25.0/me?access_token=bad"} }, 400, func(t *testing.T, r resp) {
			wantEq(t, "code", at(r.json, "error", "code"), float64(190))
		}},
		{"me", func() req { return req{url: m.URL + "/v25.0/me?access_token=good"} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "me", r.json, map[string]any{"id": "10150000000000001", "name": "Ada Lovelace"})
			if r.header.Get("X-App-Usage") == "" {
				t.Error("no X-App-Usage")
			}
		}},
		{"campaigns page 1", func() req {
			return req{url: base + "/campaigns?fields=id,name,status&limit=10", header: map[string]string{"Authorization": "Bearer good"}}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "data", length(at(r.json, "data")), 10)
			wantEq(t, "name", at(r.json, "data", 0, "name"), "Campaign 01")
			if at(r.json, "paging", "cursors", "after") == nil {
				t.Errorf("no cursors: %s", r.raw)
			}
			next, _ = at(r.json, "paging", "next").(string)
		}},
		{"campaigns via paging.next", func() req { return req{url: next + "&access_token=good"} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "name", at(r.json, "data", 0, "name"), "Campaign 11")
		}},
		{"create campaign", func() req {
			return req{method: "POST", url: base + "/campaigns", ctype: "application/x-www-form-urlencoded",
				body: "access_token=good&name=New&objective=OUTCOME_SALES&status=PAUSED&special_ad_categories=[]"}
		}, 200, func(t *testing.T, r resp) {
			if id, _ := at(r.json, "id").(string); id == "" {
				t.Errorf("no id: %s", r.raw)
			}
		}},
		{"insights", func() req {
			return req{url: base + `/insights?access_token=good&level=campaign&fields=campaign_id,impressions,spend&time_range={"since":"2024-01-01","until":"2024-01-07"}&limit=5`}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "rows", length(at(r.json, "data")), 5)
			wantEq(t, "date_start", at(r.json, "data", 0, "date_start"), "2024-01-01")
			if _, ok := at(r.json, "data", 0, "impressions").(string); !ok {
				t.Errorf("impressions not a string: %s", r.raw)
			}
		}},
		{"exchange refused", func() req {
			return req{url: m.URL + "/v25.0/oauth/access_token?grant_type=fb_exchange_token&client_id=a&client_secret=b&fb_exchange_token=bad"}
		}, 400, func(t *testing.T, r resp) { wantEq(t, "code", at(r.json, "error", "code"), float64(190)) }},
		{"exchange", func() req {
			return req{url: m.URL + "/v25.0/oauth/access_token?grant_type=fb_exchange_token&client_id=a&client_secret=b&fb_exchange_token=good"}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "token_type", at(r.json, "token_type"), "bearer")
			wantEq(t, "expires_in", at(r.json, "expires_in"), float64(5183944))
			long, _ = at(r.json, "access_token").(string)
		}},
		{"exchanged token works", func() req {
			return req{url: m.URL + "/v25.0/me", header: map[string]string{"Authorization": "OAuth " + long}}
		}, 200, nil},
	})
	wantEq(t, "exchanges", m.ExchangeCount(), 1)

	limited := NewMeta(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{{"throttled", func() req { return req{url: limited.URL + "/v25.0/me?access_token=x"} }, 400, func(t *testing.T, r resp) {
		wantEq(t, "code", at(r.json, "error", "code"), float64(17))
	}}})
}

func TestMailchimp(t *testing.T) {
	m := NewMailchimp(t, Options{Authorize: func(r *http.Request) bool {
		_, key, ok := r.BasicAuth()
		return (ok && key == "key-us1") || r.Header.Get("Authorization") == "Bearer oauth-tok"
	}})
	auth := map[string]string{"Authorization": basic("anystring", "key-us1")}
	members := m.URL + "/3.0/lists/" + m.ListID + "/members"
	runSteps(t, []step{
		{"no credentials", func() req { return req{url: m.URL + "/3.0/ping"} }, 401, func(t *testing.T, r resp) {
			wantEq(t, "title", at(r.json, "title"), "API Key Missing")
			wantEq(t, "content type", r.header.Get("Content-Type"), "application/problem+json; charset=utf-8")
		}},
		{"wrong key", func() req {
			return req{url: m.URL + "/3.0/ping", header: map[string]string{"Authorization": basic("x", "bad-us1")}}
		}, 401, func(t *testing.T, r resp) {
			wantEq(t, "title", at(r.json, "title"), "API Key Invalid")
			wantEq(t, "status", at(r.json, "status"), float64(401))
		}},
		{"ping", func() req { return req{url: m.URL + "/3.0/ping", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "health", at(r.json, "health_status"), "Everything's Chimpy!")
		}},
		{"members page 1", func() req { return req{url: members + "?count=20", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "members", length(at(r.json, "members")), 20)
			wantEq(t, "total", at(r.json, "total_items"), float64(25))
		}},
		{"members page 2", func() req { return req{url: members + "?count=20&offset=20", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "members", length(at(r.json, "members")), 5)
		}},
		{"add member", func() req {
			return req{method: "POST", url: members, header: auth, body: `{"email_address":"New@Example.com","status":"subscribed","merge_fields":{"FNAME":"New"}}`}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "id", at(r.json, "id"), mailchimpMemberID("new@example.com"))
		}},
		{"member exists", func() req {
			return req{method: "POST", url: members, header: auth, body: `{"email_address":"new@example.com","status":"subscribed"}`}
		}, 400, func(t *testing.T, r resp) { wantEq(t, "title", at(r.json, "title"), "Member Exists") }},
		{"lists", func() req { return req{url: m.URL + "/3.0/lists?count=2", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "lists", length(at(r.json, "lists")), 2)
			wantEq(t, "total", at(r.json, "total_items"), float64(3))
		}},
		{"campaigns", func() req { return req{url: m.URL + "/3.0/campaigns?count=5&offset=5", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "campaigns", length(at(r.json, "campaigns")), 5)
		}},
		{"metadata with OAuth scheme", func() req {
			return req{url: m.URL + "/oauth2/metadata", header: map[string]string{"Authorization": "OAuth oauth-tok"}}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "dc", at(r.json, "dc"), "us1")
			wantEq(t, "api_endpoint", at(r.json, "api_endpoint"), m.URL)
		}},
	})
	limited := NewMailchimp(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{{"rate limited", func() req { return req{url: limited.URL + "/3.0/ping", header: auth} }, 429, func(t *testing.T, r resp) {
		wantEq(t, "title", at(r.json, "title"), "Too Many Requests")
	}}})
}

func TestSlack(t *testing.T) {
	s := NewSlack(t, Options{Authorize: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer xoxb-good" }})
	auth := map[string]string{"Authorization": "Bearer xoxb-good"}
	var cursor string
	runSteps(t, []step{
		{"no credentials", func() req { return req{method: "POST", url: s.URL + "/api/auth.test"} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "body", r.json, map[string]any{"ok": false, "error": "not_authed"})
		}},
		{"bad token", func() req {
			return req{method: "POST", url: s.URL + "/api/auth.test", header: map[string]string{"Authorization": "Bearer xoxb-bad"}}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "body", r.json, map[string]any{"ok": false, "error": "invalid_auth"})
		}},
		{"auth.test", func() req { return req{method: "POST", url: s.URL + "/api/auth.test", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "team_id", at(r.json, "team_id"), "T0FAKE001")
		}},
		{"conversations page 1", func() req { return req{url: s.URL + "/api/conversations.list?limit=15", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "channels", length(at(r.json, "channels")), 15)
			wantEq(t, "first", at(r.json, "channels", 0, "name"), "general")
			cursor, _ = at(r.json, "response_metadata", "next_cursor").(string)
			if cursor == "" {
				t.Fatalf("no next_cursor: %s", r.raw)
			}
		}},
		{"conversations page 2 (form)", func() req {
			return req{method: "POST", url: s.URL + "/api/conversations.list", ctype: "application/x-www-form-urlencoded",
				body: url.Values{"token": {"xoxb-good"}, "limit": {"15"}, "cursor": {cursor}}.Encode()}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "channels", length(at(r.json, "channels")), 5) // 20 public channels
			wantEq(t, "next", at(r.json, "response_metadata", "next_cursor"), "")
		}},
		{"bad cursor", func() req { return req{url: s.URL + "/api/users.list?cursor=zzz", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "error", at(r.json, "error"), "invalid_cursor")
		}},
		{"users", func() req { return req{url: s.URL + "/api/users.list?limit=30", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "members", length(at(r.json, "members")), 25)
		}},
		{"post message (json)", func() req {
			return req{method: "POST", url: s.URL + "/api/chat.postMessage", header: auth, ctype: "application/json; charset=utf-8", body: `{"channel":"#random","text":"hello"}`}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "ok", at(r.json, "ok"), true)
			wantEq(t, "text", at(r.json, "message", "text"), "hello")
			if at(r.json, "ts") == nil {
				t.Error("no ts")
			}
		}},
		{"post message (form)", func() req {
			return req{method: "POST", url: s.URL + "/api/chat.postMessage", header: auth, ctype: "application/x-www-form-urlencoded", body: "channel=C0FAKE0001&text=hi"}
		}, 200, func(t *testing.T, r resp) { wantEq(t, "ok", at(r.json, "ok"), true) }},
		{"unknown channel", func() req {
			return req{method: "POST", url: s.URL + "/api/chat.postMessage", header: auth, body: `{"channel":"nope","text":"x"}`}
		}, 200, func(t *testing.T, r resp) { wantEq(t, "error", at(r.json, "error"), "channel_not_found") }},
	})
	wantEq(t, "messages", len(s.Records("messages")), 2)

	limited := NewSlack(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{{"rate limited", func() req { return req{url: limited.URL + "/api/users.list", header: auth} }, 429, func(t *testing.T, r resp) {
		wantEq(t, "Retry-After", r.header.Get("Retry-After"), "1")
		wantEq(t, "error", at(r.json, "error"), "ratelimited")
	}}})
}

func TestWooCommerce(t *testing.T) {
	c := NewWooCommerce(t, Options{Authorize: func(r *http.Request) bool {
		u, p, _ := r.BasicAuth()
		return u == "ck_good" && p == "cs_good"
	}})
	auth := map[string]string{"Authorization": basic("ck_good", "cs_good")}
	var next string
	runSteps(t, []step{
		{"no credentials", func() req { return req{url: c.URL + "/orders"} }, 401, func(t *testing.T, r resp) {
			wantEq(t, "body", r.json, map[string]any{"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": map[string]any{"status": float64(401)}})
		}},
		{"wrong key", func() req {
			return req{url: c.URL + "/orders", header: map[string]string{"Authorization": basic("ck_bad", "cs_bad")}}
		}, 401, func(t *testing.T, r resp) {
			wantEq(t, "code", at(r.json, "code"), "woocommerce_rest_authentication_error")
		}},
		{"orders page 1", func() req { return req{url: c.URL + "/orders?per_page=10", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "orders", length(r.json), 10)
			wantEq(t, "newest first", at(r.json, 0, "id"), float64(724))
			wantEq(t, "X-WP-Total", r.header.Get("X-WP-Total"), "25")
			wantEq(t, "X-WP-TotalPages", r.header.Get("X-WP-TotalPages"), "3")
			link := r.header.Get("Link")
			if !strings.Contains(link, `rel="next"`) {
				t.Fatalf("Link = %q", link)
			}
			next = link[strings.Index(link, "<")+1 : strings.Index(link, ">")]
		}},
		{"orders via Link next", func() req { return req{url: next, header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "first", at(r.json, 0, "id"), float64(714))
			if !strings.Contains(r.header.Get("Link"), `rel="prev"`) {
				t.Errorf("Link = %q", r.header.Get("Link"))
			}
		}},
		{"query-string keys", func() req {
			return req{url: c.URL + "/customers?per_page=5&page=5&consumer_key=ck_good&consumer_secret=cs_good"}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "customers", length(r.json), 5)
		}},
		{"per_page too large", func() req { return req{url: c.URL + "/products?per_page=101", header: auth} }, 400, func(t *testing.T, r resp) {
			wantEq(t, "code", at(r.json, "code"), "rest_invalid_param")
		}},
		{"create product", func() req {
			return req{method: "POST", url: c.URL + "/products", header: auth, body: `{"name":"Premium Quality","type":"simple","regular_price":"21.99"}`}
		}, 201, func(t *testing.T, r resp) {
			wantEq(t, "id", at(r.json, "id"), float64(125))
			wantEq(t, "price", at(r.json, "price"), "21.99")
		}},
		{"system status", func() req { return req{url: c.URL + "/system_status", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "version", at(r.json, "environment", "version"), "9.5.1")
		}},
	})
	limited := NewWooCommerce(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{{"rate limited", func() req { return req{url: limited.URL + "/products", header: auth} }, 429, func(t *testing.T, r resp) {
		wantEq(t, "Retry-After", r.header.Get("Retry-After"), "1")
		wantEq(t, "status", at(r.json, "data", "status"), float64(429))
	}}})
}

func TestFluentCRM(t *testing.T) {
	f := NewFluentCRM(t, Options{})
	auth := map[string]string{"Authorization": basic("admin", "abcd efgh ijkl mnop")}
	runSteps(t, []step{
		{"no credentials", func() req { return req{url: f.URL + "/subscribers"} }, 401, func(t *testing.T, r resp) {
			wantEq(t, "body", r.json, map[string]any{"code": "rest_forbidden", "message": "Sorry, you are not allowed to do that.", "data": map[string]any{"status": float64(401)}})
		}},
		{"page 1", func() req { return req{url: f.URL + "/subscribers?per_page=10", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "data", length(at(r.json, "subscribers", "data")), 10)
			wantEq(t, "total", at(r.json, "subscribers", "total"), float64(25))
			wantEq(t, "last_page", at(r.json, "subscribers", "last_page"), float64(3))
			wantEq(t, "newest first", at(r.json, "subscribers", "data", 0, "id"), "25")
		}},
		{"page 3", func() req { return req{url: f.URL + "/subscribers?per_page=10&page=3", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "data", length(at(r.json, "subscribers", "data")), 5)
			wantEq(t, "next", at(r.json, "subscribers", "next_page_url"), nil)
		}},
		{"search", func() req { return req{url: f.URL + "/subscribers?search=hopper", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "email", at(r.json, "subscribers", "data", 0, "email"), "grace.hopper@example.com")
		}},
		{"create", func() req {
			return req{method: "POST", url: f.URL + "/subscribers", header: auth, body: `{"email":"new@example.com","first_name":"New","lists":[1],"tags":["2"]}`}
		}, 200, func(t *testing.T, r resp) {
			wantEq(t, "id", at(r.json, "contact", "id"), "26")
			wantEq(t, "list", at(r.json, "contact", "lists", 0, "title"), "Newsletter")
			wantEq(t, "tag", at(r.json, "contact", "tags", 0, "title"), "Customer")
		}},
		{"duplicate", func() req {
			return req{method: "POST", url: f.URL + "/subscribers", header: auth, body: `{"email":"new@example.com"}`}
		}, 422, func(t *testing.T, r resp) {
			if at(r.json, "email", "unique") == nil {
				t.Errorf("body %s", r.raw)
			}
		}},
		{"lists", func() req { return req{url: f.URL + "/lists", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "lists", length(at(r.json, "lists")), 3)
		}},
		{"tags", func() req { return req{url: f.URL + "/tags", header: auth} }, 200, func(t *testing.T, r resp) {
			wantEq(t, "tags", length(at(r.json, "tags")), 3)
		}},
	})
	limited := NewFluentCRM(t, Options{RateLimitEvery: 1})
	runSteps(t, []step{{"rate limited", func() req { return req{url: limited.URL + "/tags", header: auth} }, 429, func(t *testing.T, r resp) {
		wantEq(t, "Retry-After", r.header.Get("Retry-After"), "1")
	}}})
}

func TestFlaky(t *testing.T) {
	f := NewFlaky(t)
	get := func(timeout time.Duration) (*http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL+"/anything", nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(r)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		return res, err
	}
	for _, tc := range []struct {
		mode   string
		status int
		err    error
	}{
		{"ok", 200, nil},
		{"500", 500, nil},
		{"429", 429, nil},
		{"hang", 0, context.DeadlineExceeded},
		{"close", 0, io.EOF},
		{"ok", 200, nil},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			f.SetMode(tc.mode)
			res, err := get(300 * time.Millisecond)
			switch {
			case tc.err == context.DeadlineExceeded:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want deadline exceeded", err)
				}
			case tc.err != nil:
				if err == nil {
					t.Fatalf("status %d, want a connection error", res.StatusCode)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				wantEq(t, "status", res.StatusCode, tc.status)
				if tc.status == 429 {
					wantEq(t, "Retry-After", res.Header.Get("Retry-After"), "1")
				}
			}
		})
	}
	if n := f.Requests(); n < 6 {
		t.Errorf("Requests() = %d, want at least 6", n)
	}
	defer func() {
		if recover() == nil {
			t.Error("SetMode accepted an unknown mode")
		}
	}()
	f.SetMode("sideways")
}
