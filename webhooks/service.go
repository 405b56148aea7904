// Package webhooks sends the hub's events to the HTTP endpoints tenants
// register, signed per Standard Webhooks: the endpoint API (service and
// HTTP handler), the Dispatcher that turns stored events into deliveries,
// and the Deliverer that makes each attempt for the DeliverWebhook workflow.
package webhooks

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/egress"
	"github.com/bizoshub/bizos/stdwebhooks"
	"github.com/bizoshub/bizos/workflows"
)

// SecretOverlap is how long the previous secret keeps signing after a rotation.
const SecretOverlap = 24 * time.Hour

// Limits on endpoint input.
const (
	maxEventTypes  = 100
	maxDescription = 500
	maxURL         = 2000
)

var eventTypePattern = regexp.MustCompile(`^(\*|[a-z0-9][a-z0-9_.\-]{0,199}\*?)$`)

// Config holds a Service's dependencies.
type Config struct {
	Store hub.WebhookStore
	// Egress checks endpoint URLs.
	Egress *egress.Policy
	// Temporal starts replays; nil answers EUNAVAILABLE on replay.
	Temporal client.Client
	// Limits are copied into every delivery workflow's input (attempts,
	// intervals); zero fields take the workflow defaults.
	Limits workflows.DeliveryInput
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Service manages endpoints and replays.
type Service struct{ cfg Config }

// NewService returns a Service.
func NewService(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}
}

// EndpointRequest is the body of POST /api/v1/webhooks.
type EndpointRequest struct {
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description"`
}

// EndpointPatch is the body of PATCH /api/v1/webhooks/{id}; absent fields stay.
type EndpointPatch struct {
	URL         *string   `json:"url"`
	EventTypes  *[]string `json:"event_types"`
	Description *string   `json:"description"`
	Enabled     *bool     `json:"enabled"`
}

func (s *Service) checkURL(ctx context.Context, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxURL {
		return "", hub.InvalidField("url", "is required (an http or https URL up to 2000 characters)")
	}
	u, err := s.cfg.Egress.CheckURL(ctx, "url", raw)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// CheckEventTypes validates a subscription list: exact types, prefixes
// ending in "*" such as "stripe.*", or "*".
func CheckEventTypes(types []string) ([]string, error) {
	if len(types) == 0 {
		return nil, hub.InvalidField("event_types", "must list at least one event type, a prefix such as \"stripe.*\", or \"*\"")
	}
	if len(types) > maxEventTypes {
		return nil, hub.InvalidField("event_types", fmt.Sprintf("may list at most %d entries", maxEventTypes))
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(types))
	for _, t := range types {
		t = strings.TrimSpace(t)
		if !eventTypePattern.MatchString(t) {
			return nil, hub.InvalidField("event_types", fmt.Sprintf("%q is not an event type (lowercase letters, digits, '.', '_', '-', optionally ending in '*')", t))
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if len(d) > maxDescription {
		return "", hub.InvalidField("description", "must be at most 500 characters")
	}
	return d, nil
}

// Create registers an endpoint for p's tenant. The answer carries the
// secret, which is never shown again.
func (s *Service) Create(ctx context.Context, p hub.Principal, req EndpointRequest) (*hub.WebhookEndpoint, error) {
	url, err := s.checkURL(ctx, req.URL)
	if err != nil {
		return nil, err
	}
	types, err := CheckEventTypes(req.EventTypes)
	if err != nil {
		return nil, err
	}
	desc, err := checkDescription(req.Description)
	if err != nil {
		return nil, err
	}
	secret, err := stdwebhooks.NewSecret()
	if err != nil {
		return nil, err
	}
	e := &hub.WebhookEndpoint{TenantID: p.TenantID, URL: url, Description: desc, EventTypes: types, Enabled: true,
		CreatedBy: p.Subject()}
	if err := s.cfg.Store.CreateWebhookEndpoint(ctx, e, secret); err != nil {
		return nil, err
	}
	e.Secret = secret
	return e, nil
}

// Update applies a patch to one of the tenant's endpoints.
func (s *Service) Update(ctx context.Context, tenantID, id string, patch EndpointPatch) (*hub.WebhookEndpoint, error) {
	e, err := s.cfg.Store.WebhookEndpoint(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if patch.URL != nil {
		if e.URL, err = s.checkURL(ctx, *patch.URL); err != nil {
			return nil, err
		}
	}
	if patch.EventTypes != nil {
		if e.EventTypes, err = CheckEventTypes(*patch.EventTypes); err != nil {
			return nil, err
		}
	}
	if patch.Description != nil {
		if e.Description, err = checkDescription(*patch.Description); err != nil {
			return nil, err
		}
	}
	if patch.Enabled != nil {
		e.Enabled = *patch.Enabled
	}
	if err := s.cfg.Store.UpdateWebhookEndpoint(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// RotateSecret gives the endpoint a new secret (returned once); the old one
// keeps signing, next to the new one, for SecretOverlap.
func (s *Service) RotateSecret(ctx context.Context, tenantID, id string) (*hub.WebhookEndpoint, error) {
	secret, err := stdwebhooks.NewSecret()
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.RotateWebhookSecret(ctx, tenantID, id, secret, s.cfg.Now().Add(SecretOverlap)); err != nil {
		return nil, err
	}
	e, err := s.cfg.Store.WebhookEndpoint(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	e.Secret = secret
	return e, nil
}

// Replay delivers a delivery's event to its endpoint again, in a new
// workflow run "delivery-<endpoint>-<event>-replay-<n>".
func (s *Service) Replay(ctx context.Context, tenantID, endpointID, deliveryID string) (*hub.WebhookDelivery, error) {
	d, err := s.cfg.Store.WebhookDelivery(ctx, tenantID, deliveryID)
	if err != nil {
		return nil, err
	}
	if d.EndpointID != endpointID {
		return nil, hub.Errorf(hub.ENOTFOUND, "Delivery not found.")
	}
	ep, err := s.cfg.Store.WebhookEndpoint(ctx, tenantID, endpointID)
	if err != nil {
		return nil, err
	}
	if !ep.Enabled {
		return nil, hub.Errorf(hub.ECONFLICT, "The endpoint is disabled; enable it before replaying.")
	}
	if s.cfg.Temporal == nil {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "Replays are not available right now.")
	}
	n, err := s.cfg.Store.StartWebhookReplay(ctx, tenantID, deliveryID)
	if err != nil {
		return nil, err
	}
	if err := startDelivery(ctx, s.cfg.Temporal, s.cfg.Limits, d, n); err != nil {
		return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "The replay could not be started; try again.", Err: err}
	}
	return s.cfg.Store.WebhookDelivery(ctx, tenantID, deliveryID)
}

// startDelivery starts DeliverWebhook for d (replay 0 is the first
// delivery). A workflow with the same id that already ran or runs is
// success: the event goes to an endpoint once.
func startDelivery(ctx context.Context, c client.Client, limits workflows.DeliveryInput, d *hub.WebhookDelivery, replay int) error {
	in := limits
	in.TenantID, in.EndpointID, in.EventID, in.DeliveryID = d.TenantID, d.EndpointID, d.EventID, d.ID
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.DeliveryWorkflowID(d.EndpointID, d.EventID, replay),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.DeliverWebhook, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}
