package inbound

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/hooksig"
	"github.com/bizoshub/bizos/httpapi"
)

// Config holds the handler's dependencies and settings.
type Config struct {
	Resolver hub.InboundResolver
	Writer   *Writer
	Events   hub.EventStore
	Log      *slog.Logger
	// PublicURL is brain's external base URL; signatures that cover the URL
	// (HubSpot v3) are checked against it.
	PublicURL string
	// MaxBody bounds a delivery's body (1 MiB when zero).
	MaxBody int64
	Now     func() time.Time
}

// Handler serves /hooks/{token} and the event log.
type Handler struct {
	cfg Config
}

var (
	received = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizos_webhooks_received_total",
		Help: "Inbound webhook deliveries stored, by provider."}, []string{"provider"})
	duplicates = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizos_webhooks_duplicate_total",
		Help: "Inbound webhook redeliveries dropped, by provider."}, []string{"provider"})
	rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizos_webhooks_rejected_total",
		Help: "Inbound webhook deliveries refused, by reason."}, []string{"reason"})
)

// Collectors returns the package's Prometheus collectors.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{received, duplicates, rejected}
}

// NewHandler returns the inbound handler.
func NewHandler(cfg Config) *Handler {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg}
}

// Receipt is the answer to a stored delivery.
type Receipt struct {
	Received  bool   `json:"received"`
	EventID   string `json:"event_id,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// Routes returns the inbound and event-log routes.
func (h *Handler) Routes() []httpapi.Route {
	pageQuery := map[string]string{"cursor": "next_cursor of the previous page", "limit": "page size, 1-200",
		"type": "exact type or prefix ending in *", "source": "connection id", "since": "RFC 3339 time", "until": "RFC 3339 time"}
	return []httpapi.Route{
		{Method: http.MethodPost, Path: "/hooks/:token", Summary: "Receive a platform's webhook (signature-verified)", Tag: "events",
			Public: true, Response: Receipt{}, Handler: h.receive},
		{Method: http.MethodGet, Path: "/hooks/:token", Summary: "Answer a platform's verification challenge (Meta)", Tag: "events",
			Public: true, Handler: h.receive},
		{Method: http.MethodGet, Path: "/api/v1/events", Summary: "The tenant's events, newest first", Tag: "events",
			Resource: "events", Action: hub.ActionRead, Query: pageQuery, Response: httpapi.List[*hub.Event]{}, Handler: h.list},
		{Method: http.MethodGet, Path: "/api/v1/events/:id", Summary: "One event", Tag: "events",
			Resource: "events", Action: hub.ActionRead, Response: hub.Event{}, Handler: h.get},
	}
}

func reject(reason string, err error) error {
	rejected.WithLabelValues(reason).Inc()
	return err
}

func (h *Handler) receive(c echo.Context) error {
	ctx := c.Request().Context()
	ep, err := h.cfg.Resolver.ResolveInbound(ctx, c.Param("token"))
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return reject("unknown_endpoint", hub.Errorf(hub.ENOTFOUND, "Webhook endpoint not found."))
	}
	if err != nil {
		return err
	}
	conn := ep.Connection
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, h.cfg.MaxBody+1))
	if err != nil {
		return reject("unreadable", hub.Errorf(hub.EINVALID, "The request body could not be read."))
	}
	if int64(len(body)) > h.cfg.MaxBody {
		return reject("too_large", &hub.Error{Code: hub.EINVALID, Message: "The delivery is larger than the limit of this endpoint."})
	}
	res := hooksig.Result{}
	if hooksig.Supported(conn.Provider) {
		if len(ep.Secrets) == 0 {
			return reject("no_secret", hub.Errorf(hub.EUNAUTHORIZED, "This connection has no webhook signing secret; add credentials.webhook_secret."))
		}
		u, _ := url.Parse(strings.TrimSuffix(h.cfg.PublicURL, "/") + c.Request().URL.RequestURI())
		req := hooksig.Request{Method: c.Request().Method, URL: u, Header: c.Request().Header, Body: body}
		var verr error
		for _, secret := range ep.Secrets {
			if res, verr = hooksig.Verify(conn.Provider, secret, req, h.cfg.Now()); verr == nil {
				break
			}
		}
		if verr != nil {
			reason := "bad_signature"
			if errors.Is(verr, hooksig.ErrTimestamp) {
				reason = "bad_timestamp"
			}
			h.cfg.Log.WarnContext(ctx, "webhook refused", "provider", conn.Provider, "connection_id", conn.ID, "reason", reason)
			return reject(reason, hub.Errorf(hub.EUNAUTHORIZED, "The webhook signature could not be verified."))
		}
	} else if c.Request().Method != http.MethodPost {
		return reject("bad_method", hub.Errorf(hub.EINVALID, "Deliveries are POST requests."))
	}
	if res.Challenge != "" {
		if res.Challenge == "ping" {
			return c.NoContent(http.StatusOK)
		}
		return c.String(http.StatusOK, res.Challenge)
	}
	if c.Request().Method != http.MethodPost {
		return reject("bad_method", hub.Errorf(hub.EINVALID, "Deliveries are POST requests."))
	}
	if !json.Valid(body) {
		return reject("malformed", hub.Errorf(hub.EINVALID, "The delivery is not valid JSON."))
	}
	e := &hub.Event{TenantID: conn.TenantID, Source: conn.ID, Type: eventType(conn.Provider, res.EventType, c.Request().Header),
		ExternalID: res.DeliveryID, OccurredAt: res.OccurredAt, Payload: json.RawMessage(body)}
	if e.ExternalID == "" {
		sum := sha256.Sum256(body)
		e.ExternalID = "sha256:" + hex.EncodeToString(sum[:])
	}
	dup, err := h.cfg.Writer.Append(ctx, e)
	if err != nil {
		return &hub.Error{Code: hub.EUNAVAILABLE, Message: "The delivery could not be stored; retry it.", Err: err}
	}
	if dup {
		duplicates.WithLabelValues(conn.Provider).Inc()
		return c.JSON(http.StatusOK, Receipt{Received: true, Duplicate: true})
	}
	received.WithLabelValues(conn.Provider).Inc()
	return c.JSON(http.StatusOK, Receipt{Received: true, EventID: e.ID})
}

// eventType names an event "<provider>.<platform event>" with "/" turned
// into "." (shopify.orders.create). Platforms that sign nothing may name
// the event in a header the sender sets (X-Event-Type).
func eventType(provider, platformType string, h http.Header) string {
	if platformType == "" {
		platformType = h.Get("X-Event-Type")
	}
	if platformType == "" {
		platformType = "webhook"
	}
	return provider + "." + strings.ReplaceAll(platformType, "/", ".")
}

func (h *Handler) list(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	f := hub.EventFilter{Type: c.QueryParam("type"), Source: c.QueryParam("source")}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := c.QueryParam(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return hub.InvalidField(name, "must be an RFC 3339 time")
			}
			*dst = t
		}
	}
	items, next, err := h.cfg.Events.ListEvents(c.Request().Context(), httpapi.Principal(c).TenantID, f, page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) get(c echo.Context) error {
	e, err := h.cfg.Events.Event(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}
