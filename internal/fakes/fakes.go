// Package fakes runs local fake servers of the SaaS platforms the hub connects to, following their documented contracts, for tests.
//
// Every fake is an httptest.Server started by its constructor and closed by
// t.Cleanup. A fake checks the platform's credential shape (and, through
// Options.Authorize, the credential itself), answers with the platform's own
// error bodies, pages the way the platform documents, and can be told to
// answer the platform's rate-limit error every Nth request. Data is seeded
// deterministically (25 records per main collection, so that pagination is
// exercised) and can be extended or inspected with Seed and Records.
package fakes

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configures a platform fake.
type Options struct {
	// Authorize validates a request's credentials; nil accepts any non-empty credential of the platform's header shape.
	//
	// Fakes whose platform also accepts the credential elsewhere (a token query or
	// form parameter, Basic consumer keys in the query string, the "OAuth " scheme)
	// copy it into the canonical header of a cloned request before calling
	// Authorize, so an Authorizer built from an *OAuth sees it: "Authorization:
	// Bearer <token>" for Slack, Meta and Mailchimp OAuth tokens, "Authorization:
	// Basic ..." for WooCommerce query-string keys.
	Authorize func(r *http.Request) bool
	// RateLimitEvery makes every Nth request answer the platform's rate-limit error (429 + Retry-After: 1 where the platform sends it). 0 = never.
	RateLimitEvery int
}

// baseTime is the creation time of the first seeded record; later records
// follow a day apart, so that data and cursors are deterministic.
var baseTime = time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)

// seedNames are the people every fake's seed data is made of.
var seedNames = [][2]string{
	{"Ada", "Lovelace"}, {"Alan", "Turing"}, {"Grace", "Hopper"}, {"Edsger", "Dijkstra"},
	{"Barbara", "Liskov"}, {"Donald", "Knuth"}, {"Frances", "Allen"}, {"John", "McCarthy"},
	{"Margaret", "Hamilton"}, {"Ken", "Thompson"}, {"Radia", "Perlman"}, {"Dennis", "Ritchie"},
	{"Shafi", "Goldwasser"}, {"Niklaus", "Wirth"}, {"Adele", "Goldberg"}, {"Tony", "Hoare"},
	{"Sophie", "Wilson"}, {"Leslie", "Lamport"}, {"Karen", "Jones"}, {"Robin", "Milner"},
	{"Hedy", "Lamarr"}, {"Butler", "Lampson"}, {"Jean", "Sammet"}, {"Rob", "Pike"},
	{"Lynn", "Conway"},
}

// seedCount is the number of records of each main collection.
const seedCount = 25

// seedPerson returns the i-th seeded first name, last name and e-mail address.
func seedPerson(i int) (first, last, email string) {
	n := seedNames[i%len(seedNames)]
	first, last = n[0], n[1]
	email = strings.ToLower(first + "." + last)
	if i >= len(seedNames) {
		email += strconv.Itoa(i)
	}
	return first, last, email + "@example.com"
}

// seedTimes returns the creation and last-modification times of the i-th record.
func seedTimes(i int) (created, updated time.Time) {
	created = baseTime.Add(time.Duration(i) * 24 * time.Hour)
	return created, created.Add(time.Duration(i+1) * time.Hour)
}

// params holds the values of a route's wildcards.
type params map[string]string

type handlerFunc func(w http.ResponseWriter, r *http.Request, p params)

type route struct {
	method string
	segs   []string
	public bool // no platform credential needed (the handler authenticates itself)
	h      handlerFunc
}

// platform is what a fake tells the shared server about its platform.
type platform struct {
	// credential extracts the platform-shaped credential: it returns the
	// request to give Options.Authorize and whether a credential is present.
	credential func(r *http.Request) (*http.Request, bool)
	// deny answers an unauthenticated request; present says whether a credential was sent.
	deny func(w http.ResponseWriter, r *http.Request, present bool)
	// limit answers a rate-limited request.
	limit func(w http.ResponseWriter, r *http.Request)
	// fail answers any other error in the platform's shape.
	fail func(w http.ResponseWriter, r *http.Request, status int, code, message string)
	// before runs first on every request (headers sent on every answer); n is the request number.
	before func(w http.ResponseWriter, r *http.Request, n int, limited bool)
	// prepare completes a seeded record (assigns an id) before it is stored.
	prepare func(kind string, rec map[string]any)
}

// server is the machinery shared by the platform fakes.
type server struct {
	srv    *httptest.Server
	root   string
	opts   Options
	p      platform
	routes []route

	mu     sync.Mutex
	n      int
	data   map[string][]map[string]any
	nextID map[string]int
}

func newServer(t testing.TB, opts Options, p platform) *server {
	t.Helper()
	s := &server{opts: opts, p: p, data: map[string][]map[string]any{}, nextID: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.root = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Requests returns the number of requests the fake has served.
func (s *server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Seed adds records to the named collection of the fake, in the platform's
// JSON shape (as the API would return them); a record without an id gets the
// next one. The collection names are listed on each fake's type.
func (s *server) Seed(kind string, records ...map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		r = cloneMap(r)
		if s.p.prepare != nil {
			s.p.prepare(kind, r)
		}
		s.data[kind] = append(s.data[kind], r)
	}
}

// Records returns a copy of the named collection, including the records
// created through the API.
func (s *server) Records(kind string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.data[kind]))
	for _, r := range s.data[kind] {
		out = append(out, cloneMap(r))
	}
	return out
}

// Clear empties the named collection.
func (s *server) Clear(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, kind)
}

// id returns the next numeric id of a collection, starting at start; callers hold mu.
func (s *server) id(kind string, start int) int {
	if s.nextID[kind] < start {
		s.nextID[kind] = start
	}
	v := s.nextID[kind]
	s.nextID[kind]++
	return v
}

// list returns copies of a collection's records that keep passes (nil keeps all).
func (s *server) list(kind string, keep func(map[string]any) bool) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, r := range s.data[kind] {
		if keep == nil || keep(r) {
			out = append(out, cloneMap(r))
		}
	}
	return out
}

// insert stores a prepared record and returns a copy.
func (s *server) insert(kind string, rec map[string]any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p.prepare != nil {
		s.p.prepare(kind, rec)
	}
	s.data[kind] = append(s.data[kind], rec)
	return cloneMap(rec)
}

// handle registers a route needing the platform credential. Pattern segments
// are literals or hold one {name} wildcard with an optional literal prefix and
// suffix ("act_{id}", "{property}:runReport").
func (s *server) handle(method, pattern string, h handlerFunc) {
	s.routes = append(s.routes, route{method: method, segs: splitPath(pattern), h: h})
}

// handlePublic registers a route that authenticates by itself.
func (s *server) handlePublic(method, pattern string, h handlerFunc) {
	s.routes = append(s.routes, route{method: method, segs: splitPath(pattern), public: true, h: h})
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func matchSeg(pat, seg string, p params) bool {
	i := strings.IndexByte(pat, '{')
	if i < 0 {
		return pat == seg
	}
	j := strings.IndexByte(pat, '}')
	prefix, name, suffix := pat[:i], pat[i+1:j], pat[j+1:]
	if len(seg) <= len(prefix)+len(suffix) || !strings.HasPrefix(seg, prefix) || !strings.HasSuffix(seg, suffix) {
		return false
	}
	p[name] = seg[len(prefix) : len(seg)-len(suffix)]
	return true
}

// serve counts the request, routes it, checks the credential and the rate limit, and runs the handler.
func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	limited := s.opts.RateLimitEvery > 0 && n%s.opts.RateLimitEvery == 0

	var segs []string
	for _, raw := range splitPath(r.URL.EscapedPath()) {
		seg, err := url.PathUnescape(raw)
		if err != nil {
			seg = raw
		}
		segs = append(segs, seg)
	}
	var found *route
	var p params
	pathMatched := false
	for i := range s.routes {
		rt := &s.routes[i]
		if len(rt.segs) != len(segs) {
			continue
		}
		q := params{}
		ok := true
		for k := range segs {
			if !matchSeg(rt.segs[k], segs[k], q) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		pathMatched = true
		if rt.method == "" || rt.method == r.Method || (rt.method == http.MethodGet && r.Method == http.MethodHead) {
			found, p = rt, q
			break
		}
	}
	if found == nil {
		if s.p.before != nil {
			s.p.before(w, r, n, false)
		}
		if pathMatched {
			s.p.fail(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "The "+r.Method+" method is not supported for this resource.")
			return
		}
		s.p.fail(w, r, http.StatusNotFound, "not_found", "No route was found matching the URL and request method.")
		return
	}
	authorized, present := true, true
	if !found.public {
		var cr *http.Request
		cr, present = s.p.credential(r)
		authorized = present && (s.opts.Authorize == nil || s.opts.Authorize(cr))
	}
	if s.p.before != nil {
		s.p.before(w, r, n, limited && authorized)
	}
	if !authorized {
		s.p.deny(w, r, present)
		return
	}
	if limited {
		s.p.limit(w, r)
		return
	}
	found.h(w, r, p)
}

// ---- credential shapes ----

// headerCredential accepts a non-empty value of header after the
// case-insensitive scheme prefix.
func headerCredential(header, prefix string) func(r *http.Request) (*http.Request, bool) {
	return func(r *http.Request) (*http.Request, bool) {
		v, ok := cutPrefixFold(r.Header.Get(header), prefix)
		return r, ok && strings.TrimSpace(v) != ""
	}
}

// cutPrefixFold strips prefix from s, ignoring case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	v, ok := cutPrefixFold(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// withHeader returns a clone of r whose header name is set to value.
func withHeader(r *http.Request, name, value string) *http.Request {
	c := r.Clone(r.Context())
	c.Header.Set(name, value)
	return c
}

// ---- JSON and paging helpers ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, "application/json; charset=utf-8", status, v)
}

func writeJSONType(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// readJSON decodes a JSON request body into v; an empty body leaves v unchanged.
func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	return dec.Decode(v)
}

// intParam parses a query parameter as an integer, returning def when absent
// and ok=false when malformed.
func intParam(q url.Values, name string, def int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, false
	}
	return n, true
}

// window returns items[offset:offset+limit] and whether more items follow.
func window[T any](items []T, offset, limit int) ([]T, bool) {
	if offset < 0 {
		offset = 0
	}
	if offset >= len(items) {
		return []T{}, false
	}
	end := offset + limit
	if limit <= 0 || end > len(items) {
		end = len(items)
	}
	return items[offset:end], end < len(items)
}

// encodeCursor makes an opaque cursor from an offset.
func encodeCursor(kind string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.Itoa(offset)))
}

// decodeCursor reads a cursor made by encodeCursor; "" is offset 0.
func decodeCursor(kind, c string) (int, bool) {
	if c == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c, "="))
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), kind+":")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// cloneValue deep-copies maps and slices of JSON-like values.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = cloneValue(x[i])
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i := range x {
			out[i] = cloneMap(x[i])
		}
		return out
	case []string:
		return append([]string(nil), x...)
	default:
		return v
	}
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

// str formats a JSON-like scalar as a string ("" for nil).
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// pick returns a copy of rec limited to the given top-level fields (always keeping keep).
func pick(rec map[string]any, fields []string, keep ...string) map[string]any {
	if len(fields) == 0 {
		return rec
	}
	out := map[string]any{}
	for _, f := range append(keep, fields...) {
		if v, ok := rec[f]; ok {
			out[f] = v
		}
	}
	return out
}

// splitList splits a comma-separated parameter, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// requestID makes a deterministic request identifier from the request number.
func (s *server) requestID() string {
	s.mu.Lock()
	n := s.n
	s.mu.Unlock()
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)
}
