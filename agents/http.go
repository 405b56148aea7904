package agents

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

// RunSubscriber delivers a run's live events (redisstore.RunEvents).
type RunSubscriber interface {
	SubscribeRun(ctx context.Context, runID string) (<-chan *hub.RunEvent, func(), error)
}

// Handler serves /api/v1/agents, /api/v1/runs and /api/v1/llm-providers.
type Handler struct {
	svc *Service
	// Live streams runs' events as they happen; nil makes SSE poll the store.
	Live RunSubscriber
	// Audit records changes when set.
	Audit hub.AuditLog
	// Log receives audit failures; nil discards them.
	Log *slog.Logger
	// Poll is how often SSE re-reads the transcript (default 500 ms).
	Poll time.Duration
}

// NewHandler returns the HTTP handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// RunRequest is the body of POST /api/v1/agents/{id}/runs.
type RunRequest struct {
	Input string `json:"input"`
}

// Routes returns the agent routes (resource "agents").
func (h *Handler) Routes() []httpapi.Route {
	read, write := httpapi.Permission("agents", hub.ActionRead), httpapi.Permission("agents", hub.ActionWrite)
	page := httpapi.PageQuery
	return []httpapi.Route{
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/agents", Summary: "Create an AI agent",
			Request: AgentRequest{}, Response: hub.Agent{}, Status: http.StatusCreated, Handler: h.create}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/agents", Summary: "List agents", Query: page,
			Response: httpapi.List[*hub.Agent]{}, Handler: h.list}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/agents/:id", Summary: "One agent", Response: hub.Agent{}, Handler: h.get}),
		write(httpapi.Route{Method: http.MethodPut, Path: "/api/v1/agents/:id", Summary: "Replace an agent's settings",
			Request: AgentRequest{}, Response: hub.Agent{}, Handler: h.replace}),
		write(httpapi.Route{Method: http.MethodDelete, Path: "/api/v1/agents/:id", Summary: "Delete an agent and its runs",
			Status: http.StatusNoContent, Handler: h.delete}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/agents/:id/runs", Summary: "Start a run of an agent",
			Request: RunRequest{}, Response: hub.AgentRun{}, Status: http.StatusCreated, Handler: h.startRun}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/agents/:id/runs", Summary: "An agent's runs", Query: page,
			Response: httpapi.List[*hub.AgentRun]{}, Handler: h.runs}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/runs/:run_id", Summary: "One agent run with the calls waiting for approval",
			Response: hub.AgentRun{}, Handler: h.run}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/runs/:run_id/transcript", Summary: "A run's transcript",
			Query: map[string]string{"after": "only events after this sequence number"}, Response: httpapi.List[*hub.RunEvent]{}, Handler: h.transcript}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/runs/:run_id/tool-calls", Summary: "A run's tool calls",
			Response: httpapi.List[*hub.ToolCallRecord]{}, Handler: h.toolCalls}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/runs/:run_id/events",
			Summary: "A run's transcript as server-sent events, live until the run ends (Last-Event-ID resumes)", Handler: h.events}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/runs/:run_id/approvals", Summary: "Approve or reject a waiting tool call",
			Request: DecisionRequest{}, Response: hub.ToolCallRecord{}, Status: http.StatusAccepted, Handler: h.decide}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/runs/:run_id/cancel", Summary: "Cancel a run",
			Response: hub.AgentRun{}, Status: http.StatusAccepted, Handler: h.cancel}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/llm-providers", Summary: "The tenant's LLM provider settings (keys never shown)",
			Response: httpapi.List[*hub.LLMProviderSettings]{}, Handler: h.providers}),
		write(httpapi.Route{Method: http.MethodPut, Path: "/api/v1/llm-providers/:provider", Summary: "Set the base URL and API key agents use for a provider",
			Request: ProviderRequest{}, Response: hub.LLMProviderSettings{}, Handler: h.putProvider}),
		write(httpapi.Route{Method: http.MethodDelete, Path: "/api/v1/llm-providers/:provider", Summary: "Remove the tenant's settings for a provider",
			Status: http.StatusNoContent, Handler: h.deleteProvider}),
	}
}

func (h *Handler) record(c echo.Context, action, targetType, targetID string) {
	httpapi.Auditor{Audit: h.Audit, Log: h.Log}.Record(c, action, targetType, targetID, nil)
}

func tenant(c echo.Context) string { return httpapi.Principal(c).TenantID }

func (h *Handler) create(c echo.Context) error {
	var req AgentRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	a, err := h.svc.Create(c.Request().Context(), httpapi.Principal(c), req)
	if err != nil {
		return err
	}
	h.record(c, "agent.create", "agent", a.ID)
	return c.JSON(http.StatusCreated, a)
}

func (h *Handler) list(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Store.ListAgents(c.Request().Context(), tenant(c), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.List[*hub.Agent]{Items: items, NextCursor: next})
}

func (h *Handler) get(c echo.Context) error {
	a, err := h.svc.cfg.Store.Agent(c.Request().Context(), tenant(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (h *Handler) replace(c echo.Context) error {
	var req AgentRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	a, err := h.svc.Replace(c.Request().Context(), tenant(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	h.record(c, "agent.update", "agent", a.ID)
	return c.JSON(http.StatusOK, a)
}

func (h *Handler) delete(c echo.Context) error {
	if err := h.svc.Delete(c.Request().Context(), tenant(c), c.Param("id")); err != nil {
		return err
	}
	h.record(c, "agent.delete", "agent", c.Param("id"))
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) startRun(c echo.Context) error {
	var req RunRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	p := httpapi.Principal(c)
	run, err := h.svc.StartAgentRun(c.Request().Context(), hub.AgentRunRequest{TenantID: p.TenantID, AgentID: c.Param("id"),
		Input: req.Input, Trigger: "api", CreatedBy: p.Subject()})
	if err != nil {
		return err
	}
	h.record(c, "agent.run", "agent_run", run.ID)
	return c.JSON(http.StatusCreated, run)
}

func (h *Handler) runs(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.svc.cfg.Store.Agent(ctx, tenant(c), c.Param("id")); err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Store.ListAgentRuns(ctx, tenant(c), c.Param("id"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.List[*hub.AgentRun]{Items: items, NextCursor: next})
}

func (h *Handler) run(c echo.Context) error {
	run, err := h.svc.cfg.Store.AgentRun(c.Request().Context(), tenant(c), c.Param("run_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, run)
}

func (h *Handler) transcript(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := h.svc.cfg.Store.AgentRun(ctx, tenant(c), c.Param("run_id")); err != nil {
		return err
	}
	after, err := afterParam(c.QueryParam("after"))
	if err != nil {
		return err
	}
	evs, err := h.svc.cfg.Store.RunEvents(ctx, tenant(c), c.Param("run_id"), after, 0)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []*hub.RunEvent{}
	}
	return c.JSON(http.StatusOK, httpapi.List[*hub.RunEvent]{Items: evs})
}

func afterParam(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, hub.InvalidField("after", "must be a sequence number")
	}
	return n, nil
}

func (h *Handler) toolCalls(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := h.svc.cfg.Store.AgentRun(ctx, tenant(c), c.Param("run_id")); err != nil {
		return err
	}
	calls, err := h.svc.cfg.Store.ToolCalls(ctx, tenant(c), c.Param("run_id"))
	if err != nil {
		return err
	}
	if calls == nil {
		calls = []*hub.ToolCallRecord{}
	}
	return c.JSON(http.StatusOK, httpapi.List[*hub.ToolCallRecord]{Items: calls})
}

// events streams the transcript as server-sent events: first what is
// stored after Last-Event-ID, then new events as they come (tokens of the
// answer included, without ids), and an "end" event once the run is over.
func (h *Handler) events(c echo.Context) error {
	ctx := c.Request().Context()
	tenantID, runID := tenant(c), c.Param("run_id")
	if _, err := h.svc.cfg.Store.AgentRun(ctx, tenantID, runID); err != nil {
		return err
	}
	last, err := afterParam(c.Request().Header.Get("Last-Event-ID"))
	if err != nil {
		return err
	}
	var live <-chan *hub.RunEvent
	if h.Live != nil {
		ch, stop, err := h.Live.SubscribeRun(ctx, runID)
		if err == nil {
			defer stop()
			live = ch
		}
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(e *hub.RunEvent) error {
		if e.Seq > 0 {
			if _, err := fmt.Fprintf(w, "id: %d\n", e.Seq); err != nil {
				return err
			}
		}
		raw, _ := json.Marshal(e)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, raw); err != nil {
			return err
		}
		w.Flush()
		return nil
	}
	poll := h.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	catchUp := func() (bool, error) {
		evs, err := h.svc.cfg.Store.RunEvents(ctx, tenantID, runID, last, 1000)
		if err != nil {
			return false, err
		}
		for _, e := range evs {
			if err := send(e); err != nil {
				return false, err
			}
			last = e.Seq
		}
		run, err := h.svc.cfg.Store.AgentRun(ctx, tenantID, runID)
		if err != nil {
			return false, err
		}
		return run.FinishedAt != nil && len(evs) < 1000, nil
	}
	for {
		done, err := catchUp()
		if err != nil {
			return nil // the stream has started; the client reconnects with Last-Event-ID
		}
		if done {
			_ = send(&hub.RunEvent{RunID: runID, Type: "end", Data: json.RawMessage(`{}`), At: time.Now()})
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-live:
			if !ok {
				live = nil
				continue
			}
			if e.Type == hub.RunEventToken {
				if err := send(e); err != nil {
					return nil
				}
			}
		case <-tick.C:
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
		}
	}
}

func (h *Handler) decide(c echo.Context) error {
	var req DecisionRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	call, err := h.svc.Decide(c.Request().Context(), httpapi.Principal(c), c.Param("run_id"), req)
	if err != nil {
		return err
	}
	h.record(c, "agent.run."+req.Decision, "agent_run", c.Param("run_id"))
	return c.JSON(http.StatusAccepted, call)
}

func (h *Handler) cancel(c echo.Context) error {
	run, err := h.svc.Cancel(c.Request().Context(), tenant(c), c.Param("run_id"))
	if err != nil {
		return err
	}
	h.record(c, "agent.run.cancel", "agent_run", run.ID)
	return c.JSON(http.StatusAccepted, run)
}

func (h *Handler) providers(c echo.Context) error {
	items, err := h.svc.cfg.Store.ListLLMProviders(c.Request().Context(), tenant(c))
	if err != nil {
		return err
	}
	if items == nil {
		items = []*hub.LLMProviderSettings{}
	}
	return c.JSON(http.StatusOK, httpapi.List[*hub.LLMProviderSettings]{Items: items})
}

func (h *Handler) putProvider(c echo.Context) error {
	var req ProviderRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	p, err := h.svc.PutProvider(c.Request().Context(), tenant(c), c.Param("provider"), req)
	if err != nil {
		return err
	}
	h.record(c, "llm_provider.put", "llm_provider", p.Provider)
	return c.JSON(http.StatusOK, p)
}

func (h *Handler) deleteProvider(c echo.Context) error {
	if err := h.svc.cfg.Store.DeleteLLMProvider(c.Request().Context(), tenant(c), c.Param("provider")); err != nil {
		return err
	}
	h.record(c, "llm_provider.delete", "llm_provider", c.Param("provider"))
	return c.NoContent(http.StatusNoContent)
}
