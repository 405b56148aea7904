package testenv_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bizoshub/bizos/internal/testenv"
)

// getJSON makes one authenticated GET and decodes the JSON body into v.
func getJSON(t *testing.T, url, user, password string, v any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: status %d, body is not JSON: %v\n%s", url, resp.StatusCode, err, body)
	}
	return resp.StatusCode
}

func TestWordPressPeer(t *testing.T) {
	wp := testenv.WordPress(t)

	type me struct {
		Status int
		Slug   string
		Admin  bool
	}
	var user struct {
		Slug string          `json:"slug"`
		Code string          `json:"code"`
		Caps map[string]bool `json:"capabilities"`
	}
	status := getJSON(t, wp.URL+"/wp-json/wp/v2/users/me?context=edit", wp.Username, wp.AppPassword, &user)

	got := me{Status: status, Slug: user.Slug, Admin: user.Caps["manage_options"]}
	want := me{Status: http.StatusOK, Slug: wp.Username, Admin: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /wp-json/wp/v2/users/me (-want +got):\n%s\nerror code: %q", diff, user.Code)
	}
}

func TestStripeMockPeer(t *testing.T) {
	base := testenv.StripeMock(t)

	type list struct {
		Status int
		Object string
	}
	var customers struct {
		Object string `json:"object"`
	}
	status := getJSON(t, base+"/v1/customers", "sk_test_123", "", &customers)

	got := list{Status: status, Object: customers.Object}
	want := list{Status: http.StatusOK, Object: "list"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /v1/customers (-want +got):\n%s", diff)
	}
}

// TestPeersAreStable checks that asking again returns the same peer without
// running the scripts again.
func TestPeersAreStable(t *testing.T) {
	first, second := testenv.WordPress(t), testenv.WordPress(t)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("WordPress twice (-first +second):\n%s", diff)
	}
	if got, want := testenv.StripeMock(t), testenv.StripeMock(t); got != want {
		t.Errorf("StripeMock twice: got %q, want %q", got, want)
	}
}
