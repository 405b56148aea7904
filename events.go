package hub

import (
	"context"
	"encoding/json"
	"time"
)

// Event is something that happened at a platform or in the hub, such as
// "shopify.orders.create" or "connection.expired". Events are stored before
// anything acts on them.
type Event struct {
	ID         string          `json:"id"`
	TenantID   string          `json:"tenant_id"`
	Type       string          `json:"type"`
	Source     string          `json:"source"`      // the connection id, or "hub" for the hub's own events
	ExternalID string          `json:"external_id"` // the platform's delivery/event id, used to drop duplicates
	OccurredAt time.Time       `json:"occurred_at"`
	ReceivedAt time.Time       `json:"received_at"`
	Payload    json.RawMessage `json:"payload"`
}

// EventFilter narrows an event listing.
type EventFilter struct {
	Type   string // exact type, or a prefix ending in "*" such as "shopify.*"
	Source string
	Since  time.Time
	Until  time.Time
}

// EventStore persists events.
type EventStore interface {
	// AppendEvents stores events, filling ID and ReceivedAt; an event whose
	// (tenant, source, external id) is already stored is not stored again and
	// is reported in the returned duplicates (by index into events).
	AppendEvents(ctx context.Context, events []*Event) (duplicates []bool, err error)
	// ListEvents pages through a tenant's events, newest first.
	ListEvents(ctx context.Context, tenantID string, f EventFilter, page Page) ([]*Event, string, error)
	// Event returns one of the tenant's events or ENOTFOUND.
	Event(ctx context.Context, tenantID, id string) (*Event, error)
	// PurgeEvents deletes events received before the given time.
	PurgeEvents(ctx context.Context, before time.Time) (int64, error)
}

// InboundEndpoint is what an inbound webhook token resolves to.
type InboundEndpoint struct {
	Connection *Connection
	// Secrets verify the platform's signature (several while one rotates).
	Secrets [][]byte
}

// InboundResolver finds the connection an inbound webhook token belongs to,
// with the secrets that verify its deliveries.
type InboundResolver interface {
	ResolveInbound(ctx context.Context, token string) (*InboundEndpoint, error)
}
