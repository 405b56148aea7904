package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
)

// TestConnectorsAgainstRealPeers connects a real WordPress (Debian's package)
// and stripe-mock through the gateway and reads and writes through the proxy.
func TestConnectorsAgainstRealPeers(t *testing.T) {
	wp := testenv.WordPress(t)
	stripeURL := testenv.StripeMock(t)
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": stripeURL}})
	s := startStack(t, "-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8")
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "peers")

	t.Run("wordpress", func(t *testing.T) {
		bad := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "wordpress",
			"config":      map[string]string{"site_url": wp.URL},
			"credentials": map[string]string{"username": wp.Username, "application_password": "wrong wrong wrong wrong"}}, bearer(a.AdminToken))
		wantProblem(t, bad, 400, hub.EINVALID)
		if !strings.Contains(bad.field(t, "detail"), "WordPress refused") {
			t.Errorf("detail %q lacks WordPress's reason", bad.field(t, "detail"))
		}
		r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "wordpress", "name": "Blog",
			"config":      map[string]string{"site_url": wp.URL + "/"},
			"credentials": map[string]string{"username": wp.Username, "application_password": wp.AppPassword}}, bearer(a.AdminToken))
		if r.Status != 201 {
			t.Fatalf("connect: %d %s", r.Status, r.Body)
		}
		id := r.field(t, "id")
		created := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+id+"/proxy/wp/v2/posts",
			map[string]string{"title": "Hello from BizOS", "status": "draft"}, bearer(a.MemberToken))
		if created.Status != 201 {
			t.Fatalf("create post: %d %s", created.Status, created.Body)
		}
		var post struct{ ID int }
		created.json(t, &post)
		list := call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+id+"/proxy/wp/v2/posts?status=draft&per_page=5", nil, bearer(a.ViewerToken))
		if list.Status != 200 || !strings.Contains(string(list.Body), "Hello from BizOS") || list.Header.Get("X-WP-Total") == "" {
			t.Errorf("list posts: %d %s", list.Status, list.Body)
		}
		del := call(t, http.MethodDelete, s.BrainURL+"/api/v1/connections/"+id+"/proxy/wp/v2/posts/"+strconv.Itoa(post.ID)+"?force=true", nil, bearer(a.MemberToken))
		if del.Status != 200 {
			t.Errorf("delete post: %d %s", del.Status, del.Body)
		}
		missing := call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+id+"/proxy/wp/v2/posts/999999", nil, bearer(a.ViewerToken))
		wantProblem(t, missing, 404, hub.EUPSTREAM)
	})

	t.Run("stripe", func(t *testing.T) {
		r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
			"credentials": map[string]string{"api_key": "sk_test_123"}}, bearer(a.AdminToken))
		if r.Status != 201 {
			t.Fatalf("connect: %d %s", r.Status, r.Body)
		}
		list := call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+r.field(t, "id")+"/proxy/v1/customers?limit=3", nil, bearer(a.ViewerToken))
		if list.Status != 200 || !strings.Contains(string(list.Body), `"object": "list"`) && !strings.Contains(string(list.Body), `"object":"list"`) {
			t.Errorf("customers: %d %s", list.Status, list.Body)
		}
		wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
			"credentials": map[string]string{"api_key": "not-a-key"}}, bearer(a.AdminToken)), 400, hub.EINVALID)
	})
}
