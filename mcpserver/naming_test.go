package mcpserver

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	hub "github.com/bizoshub/bizos"
)

func TestConnectionSuffixes(t *testing.T) {
	conn := func(provider, id string) *hub.Connection { return &hub.Connection{ID: id, Provider: provider} }
	tests := []struct {
		name  string
		conns []*hub.Connection
		want  map[string]string
	}{
		{"one per platform has none", []*hub.Connection{
			conn("hubspot", "01980000-0000-7000-8000-00000000aaaa"), conn("stripe", "01980000-0000-7000-8000-00000000bbbb")},
			map[string]string{}},
		{"the id's random tail tells two apart", []*hub.Connection{
			conn("hubspot", "01980000-0000-7000-8000-0000a1b2c3d4"), conn("hubspot", "01980000-0000-7000-8000-0000e5f6a7b8"),
			conn("stripe", "01980000-0000-7000-8000-00000000bbbb")},
			map[string]string{"01980000-0000-7000-8000-0000a1b2c3d4": "a1b2c3d4", "01980000-0000-7000-8000-0000e5f6a7b8": "e5f6a7b8"}},
		{"a longer tail when 8 collide", []*hub.Connection{
			conn("slack", "01980000-0000-7000-8000-0001a1b2c3d4"), conn("slack", "01980000-0000-7000-8000-0002a1b2c3d4")},
			map[string]string{"01980000-0000-7000-8000-0001a1b2c3d4": "0001a1b2c3d4", "01980000-0000-7000-8000-0002a1b2c3d4": "0002a1b2c3d4"}},
		{"short ids are used whole", []*hub.Connection{conn("slack", "c-1"), conn("slack", "c-2")},
			map[string]string{"c-1": "c1", "c-2": "c2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, connectionSuffixes(tt.conns)); diff != "" {
				t.Errorf("suffixes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestToolName(t *testing.T) {
	tests := []struct{ action, suffix, want string }{
		{"hubspot.search_contacts", "", "hubspot_search_contacts"},
		{"google-ads.search", "a1b2c3d4", "google-ads_search__a1b2c3d4"},
		{"odd.name with space", "", "odd_name_with_space"},
	}
	for _, tt := range tests {
		if got := toolName(tt.action, tt.suffix); got != tt.want {
			t.Errorf("toolName(%q, %q) = %q, want %q", tt.action, tt.suffix, got, tt.want)
		}
	}
}

// lister counts how often a tenant's connections are listed.
type lister struct{ calls int }

func (l *lister) ListConnections(_ context.Context, tenantID string, _ hub.Page) ([]*hub.Connection, string, error) {
	l.calls++
	return []*hub.Connection{{ID: "c1", TenantID: tenantID, Provider: "stripe"}}, "", nil
}

func TestSnapshotCache(t *testing.T) {
	tests := []struct {
		ttl  time.Duration
		want int
	}{{time.Hour, 1}, {-1, 2}}
	for _, tt := range tests {
		l := &lister{}
		h := &Handler{cfg: Config{Connections: l, CacheTTL: tt.ttl}, cache: newTenantCache(tt.ttl)}
		for range 2 {
			s, err := h.snapshot(context.Background(), "t1")
			if err != nil || len(s.conns) != 1 {
				t.Fatalf("snapshot = %+v, %v", s, err)
			}
		}
		if l.calls != tt.want {
			t.Errorf("ttl %v: %d listings, want %d", tt.ttl, l.calls, tt.want)
		}
	}
}
