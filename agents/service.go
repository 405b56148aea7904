// Package agents manages tenants' AI agents: their configuration (role,
// goal, backstory, model, tools bound to connections, knowledge bases,
// approval policy), the tenant's LLM provider settings, and agent runs,
// which it starts as Temporal workflows (workflows.RunAgent), steers
// (approvals, cancel) and streams (SSE).
package agents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/workflows"
)

// Limits and defaults of agent settings.
const (
	DefaultMaxSteps    = 10
	MaxMaxSteps        = 50
	DefaultTokenBudget = 100_000
	MaxTokenBudget     = 10_000_000
	DefaultTemperature = 0.7
	MaxTools           = 64
	maxText            = 8000
	maxInput           = 100_000
)

// ActionInfo is what the service needs to know of a connector action.
type ActionInfo struct {
	Provider    string
	Write       bool
	Title       string
	Description string
	Input       json.RawMessage
}

// ActionCatalog looks up a connector action by name.
type ActionCatalog func(name string) (ActionInfo, bool)

// Grants gives an agent, as a casbin principal, the permissions its tools
// need; rbac.Authorizer implements it.
type Grants interface {
	GrantSubjectScopes(ctx context.Context, subject, tenantID string, scopes []string) error
	RevokePrincipal(ctx context.Context, subject string) error
}

// ModelCheck validates a model configuration (llm.CheckConfig) and gives
// a provider's temperature range (llm.TemperatureRange).
type ModelCheck struct {
	Check            func(hub.LLMConfig) error
	TemperatureRange func(provider string) (lo, hi float64)
}

// Config holds a Service's dependencies.
type Config struct {
	Store       hub.AgentStore
	Connections hub.ConnectionStore
	Actions     ActionCatalog
	Grants      Grants
	Resolver    *Resolver
	Models      ModelCheck
	// Knowledge checks knowledge base ids; nil refuses knowledge bases.
	Knowledge hub.KnowledgeStore
	// Temporal starts, signals and cancels runs; nil refuses runs.
	Temporal client.Client
}

// Service manages agents and their runs.
type Service struct{ cfg Config }

// NewService returns a Service.
func NewService(cfg Config) *Service { return &Service{cfg: cfg} }

// LLMInput is an agent's model as submitted; APIKey is write-only.
type LLMInput struct {
	Provider           string      `json:"provider"`
	Model              string      `json:"model"`
	BaseURL            string      `json:"base_url"`
	APIKey             *hub.Secret `json:"api_key"`
	InputPricePerMTok  float64     `json:"input_price_per_mtok"`
	OutputPricePerMTok float64     `json:"output_price_per_mtok"`
}

// ToolInput is one tool as submitted.
type ToolInput struct {
	Action       string `json:"action"`
	ConnectionID string `json:"connection_id"`
	Approval     string `json:"approval"`
}

// AgentRequest is the body of POST /api/v1/agents and PUT /api/v1/agents/{id}.
type AgentRequest struct {
	Name             string      `json:"name"`
	Role             string      `json:"role"`
	Goal             string      `json:"goal"`
	Backstory        string      `json:"backstory"`
	Instructions     string      `json:"instructions"`
	LLM              LLMInput    `json:"llm"`
	Temperature      *float64    `json:"temperature"`
	MaxSteps         int         `json:"max_steps"`
	TokenBudget      int         `json:"token_budget"`
	Tools            []ToolInput `json:"tools"`
	KnowledgeBaseIDs []string    `json:"knowledge_base_ids"`
}

func checkText(field, v string, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return "", hub.InvalidField(field, "is required")
	}
	if len(v) > maxText {
		return "", hub.InvalidField(field, fmt.Sprintf("may have at most %d characters", maxText))
	}
	return v, nil
}

// toolName is the model-facing name of an action ("hubspot.create_contact"
// → "hubspot_create_contact"), suffixed when the agent has the action on
// several connections.
func toolName(action, connectionID string, shared bool) string {
	n := strings.ReplaceAll(action, ".", "_")
	if shared {
		id := strings.ReplaceAll(connectionID, "-", "")
		if len(id) > 8 {
			id = id[len(id)-8:]
		}
		n += "_" + id
	}
	return n
}

// build validates req into an agent of the tenant.
func (s *Service) build(ctx context.Context, tenantID string, req AgentRequest, a *hub.Agent) error {
	var err error
	if a.Name, err = checkText("name", req.Name, true); err != nil {
		return err
	}
	if len(a.Name) > 200 {
		return hub.InvalidField("name", "may have at most 200 characters")
	}
	for _, f := range []struct {
		field string
		in    string
		out   *string
	}{{"role", req.Role, &a.Role}, {"goal", req.Goal, &a.Goal}, {"backstory", req.Backstory, &a.Backstory},
		{"instructions", req.Instructions, &a.Instructions}} {
		if *f.out, err = checkText(f.field, f.in, false); err != nil {
			return err
		}
	}
	llm := hub.AgentLLM{Provider: strings.TrimSpace(req.LLM.Provider), Model: strings.TrimSpace(req.LLM.Model),
		BaseURL: strings.TrimSpace(req.LLM.BaseURL), InputPricePerMTok: req.LLM.InputPricePerMTok,
		OutputPricePerMTok: req.LLM.OutputPricePerMTok}
	if llm.Provider != "" || llm.Model != "" {
		if err := s.cfg.Models.Check(hub.LLMConfig{Provider: llm.Provider, Model: llm.Model, BaseURL: llm.BaseURL}); err != nil {
			return prefixField("llm.", err)
		}
	}
	if llm.InputPricePerMTok < 0 || llm.OutputPricePerMTok < 0 {
		return hub.InvalidField("llm", "prices must not be negative")
	}
	a.LLM = llm
	a.Temperature = DefaultTemperature
	if req.Temperature != nil {
		a.Temperature = *req.Temperature
	}
	lo, hi := 0.0, 2.0
	if llm.Provider != "" {
		lo, hi = s.cfg.Models.TemperatureRange(llm.Provider)
	}
	if a.Temperature < lo || a.Temperature > hi {
		return hub.InvalidField("temperature", fmt.Sprintf("must be between %g and %g for %s", lo, hi, orDefault(llm.Provider, "this provider")))
	}
	switch {
	case req.MaxSteps == 0:
		a.MaxSteps = DefaultMaxSteps
	case req.MaxSteps < 1 || req.MaxSteps > MaxMaxSteps:
		return hub.InvalidField("max_steps", fmt.Sprintf("must be between 1 and %d", MaxMaxSteps))
	default:
		a.MaxSteps = req.MaxSteps
	}
	switch {
	case req.TokenBudget == 0:
		a.TokenBudget = DefaultTokenBudget
	case req.TokenBudget < 100 || req.TokenBudget > MaxTokenBudget:
		return hub.InvalidField("token_budget", fmt.Sprintf("must be between 100 and %d tokens", MaxTokenBudget))
	default:
		a.TokenBudget = req.TokenBudget
	}
	if a.Tools, err = s.tools(ctx, tenantID, req.Tools); err != nil {
		return err
	}
	a.KnowledgeBaseIDs = []string{}
	seen := map[string]bool{}
	for i, id := range req.KnowledgeBaseIDs {
		field := fmt.Sprintf("knowledge_base_ids[%d]", i)
		if seen[id] {
			return hub.InvalidField(field, "is listed twice")
		}
		seen[id] = true
		if s.cfg.Knowledge == nil {
			return hub.InvalidField(field, "knowledge bases are not available on this hub")
		}
		if _, err := s.cfg.Knowledge.KnowledgeBase(ctx, tenantID, id); hub.ErrorCode(err) == hub.ENOTFOUND {
			return hub.InvalidField(field, fmt.Sprintf("knowledge base %q not found", id))
		} else if err != nil {
			return err
		}
		a.KnowledgeBaseIDs = append(a.KnowledgeBaseIDs, id)
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// prefixField moves a hub error's field names under prefix.
func prefixField(prefix string, err error) error {
	var he *hub.Error
	if !errors.As(err, &he) || len(he.Fields) == 0 {
		return err
	}
	fields := map[string]string{}
	for k, v := range he.Fields {
		if !strings.HasPrefix(k, prefix) {
			k = prefix + k
		}
		fields[k] = v
	}
	return &hub.Error{Code: he.Code, Message: he.Message, Fields: fields, Err: he.Err}
}

func (s *Service) tools(ctx context.Context, tenantID string, in []ToolInput) ([]hub.AgentTool, error) {
	if len(in) > MaxTools {
		return nil, hub.InvalidField("tools", fmt.Sprintf("may list at most %d tools", MaxTools))
	}
	perAction := map[string]int{}
	for _, t := range in {
		perAction[t.Action]++
	}
	out := make([]hub.AgentTool, 0, len(in))
	seen := map[string]bool{}
	for i, t := range in {
		field := fmt.Sprintf("tools[%d]", i)
		info, ok := ActionInfo{}, false
		if s.cfg.Actions != nil {
			info, ok = s.cfg.Actions(t.Action)
		}
		if !ok {
			return nil, hub.InvalidField(field+".action", fmt.Sprintf("unknown action %q (GET /api/v1/actions lists them)", t.Action))
		}
		if t.ConnectionID == "" {
			return nil, hub.InvalidField(field+".connection_id", "is required: the connection the tool acts on")
		}
		if seen[t.Action+"|"+t.ConnectionID] {
			return nil, hub.InvalidField(field, "lists the same action on the same connection twice")
		}
		seen[t.Action+"|"+t.ConnectionID] = true
		conn, err := s.cfg.Connections.Connection(ctx, tenantID, t.ConnectionID)
		if hub.ErrorCode(err) == hub.ENOTFOUND {
			return nil, hub.InvalidField(field+".connection_id", fmt.Sprintf("connection %q not found", t.ConnectionID))
		}
		if err != nil {
			return nil, err
		}
		if conn.Provider != info.Provider {
			return nil, hub.InvalidField(field+".action", fmt.Sprintf("action %q belongs to %s, but the connection is %s", t.Action, info.Provider, conn.Provider))
		}
		if conn.Status != hub.ConnectionConnected {
			return nil, hub.InvalidField(field+".connection_id", fmt.Sprintf("connection %q is %s; reconnect it first", conn.Name, conn.Status))
		}
		approval := t.Approval
		switch approval {
		case "":
			approval = hub.ApprovalAuto
			if info.Write {
				approval = hub.ApprovalRequired
			}
		case hub.ApprovalAuto, hub.ApprovalRequired:
		default:
			return nil, hub.InvalidField(field+".approval", `must be "required" or "auto"`)
		}
		desc := info.Title
		if info.Description != "" {
			desc += ": " + info.Description
		}
		desc += fmt.Sprintf(" (on %s connection %q)", conn.Provider, conn.Name)
		out = append(out, hub.AgentTool{Action: t.Action, ConnectionID: t.ConnectionID, Approval: approval,
			Name: toolName(t.Action, t.ConnectionID, perAction[t.Action] > 1), Write: info.Write,
			Description: desc, Parameters: info.Input})
	}
	return out, nil
}

// scopes are the permissions an agent needs for its tools.
func scopes(a *hub.Agent) []string {
	var out []string
	read, write := false, false
	for _, t := range a.Tools {
		read = true
		write = write || t.Write
	}
	if read {
		out = append(out, "connections:read")
	}
	if write {
		out = append(out, "connections:write")
	}
	if len(a.KnowledgeBaseIDs) > 0 {
		out = append(out, "knowledge:read")
	}
	return out
}

func (s *Service) grant(ctx context.Context, a *hub.Agent) error {
	if s.cfg.Grants == nil {
		return nil
	}
	sub := a.Principal().Subject()
	if err := s.cfg.Grants.RevokePrincipal(ctx, sub); err != nil {
		return err
	}
	if sc := scopes(a); len(sc) > 0 {
		return s.cfg.Grants.GrantSubjectScopes(ctx, sub, a.TenantID, sc)
	}
	return nil
}

// Create validates and stores an agent for p's tenant.
func (s *Service) Create(ctx context.Context, p hub.Principal, req AgentRequest) (*hub.Agent, error) {
	a := &hub.Agent{TenantID: p.TenantID, CreatedBy: p.Subject()}
	if err := s.build(ctx, p.TenantID, req, a); err != nil {
		return nil, err
	}
	var key hub.Secret
	if req.LLM.APIKey != nil {
		key = *req.LLM.APIKey
	}
	if err := s.cfg.Store.CreateAgent(ctx, a, key); err != nil {
		return nil, err
	}
	if err := s.grant(ctx, a); err != nil {
		_ = s.cfg.Store.DeleteAgent(context.WithoutCancel(ctx), a.TenantID, a.ID)
		return nil, err
	}
	return a, nil
}

// Replace sets every field of one of the tenant's agents; an absent
// llm.api_key keeps the stored key, "" removes it.
func (s *Service) Replace(ctx context.Context, tenantID, id string, req AgentRequest) (*hub.Agent, error) {
	a, err := s.cfg.Store.Agent(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if err := s.build(ctx, tenantID, req, a); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.UpdateAgent(ctx, a, req.LLM.APIKey); err != nil {
		return nil, err
	}
	return a, s.grant(ctx, a)
}

// Delete removes an agent, its runs and its permissions.
func (s *Service) Delete(ctx context.Context, tenantID, id string) error {
	a, err := s.cfg.Store.Agent(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteAgent(ctx, tenantID, id); err != nil {
		return err
	}
	if s.cfg.Grants != nil {
		return s.cfg.Grants.RevokePrincipal(ctx, a.Principal().Subject())
	}
	return nil
}

// StartAgentRun implements hub.AgentRunStarter: it checks that the agent's
// model can be reached with what is configured, snapshots the agent and
// starts RunAgent. With req.RunID set, a second start returns the first run.
func (s *Service) StartAgentRun(ctx context.Context, req hub.AgentRunRequest) (*hub.AgentRun, error) {
	if s.cfg.Temporal == nil && !req.RecordOnly {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "Agent runs are not available right now.")
	}
	if strings.TrimSpace(req.Input) == "" {
		return nil, hub.InvalidField("input", "is required: what the agent should do")
	}
	if len(req.Input) > maxInput {
		return nil, hub.InvalidField("input", fmt.Sprintf("may have at most %d characters", maxInput))
	}
	if req.RunID != "" {
		if run, err := s.cfg.Store.AgentRun(ctx, req.TenantID, req.RunID); err == nil {
			return run, nil
		} else if hub.ErrorCode(err) != hub.ENOTFOUND {
			return nil, err
		}
	}
	a, err := s.cfg.Store.Agent(ctx, req.TenantID, req.AgentID)
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Resolver.Resolve(ctx, a); err != nil {
		return nil, err
	}
	run := &hub.AgentRun{ID: req.RunID, TenantID: req.TenantID, AgentID: a.ID, Input: req.Input, Agent: *a,
		Trigger: req.Trigger, CreatedBy: req.CreatedBy}
	if run.ID == "" {
		run.ID = newRunID()
	}
	run.WorkflowID = workflows.AgentRunWorkflowID(run.ID)
	if err := s.cfg.Store.CreateAgentRun(ctx, run); err != nil {
		if hub.ErrorCode(err) == hub.ECONFLICT && req.RunID != "" {
			return s.cfg.Store.AgentRun(ctx, req.TenantID, req.RunID)
		}
		return nil, err
	}
	if req.RecordOnly {
		return run, nil
	}
	_, err = s.cfg.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       run.WorkflowID,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.RunAgent, workflows.AgentRunInput{TenantID: run.TenantID, RunID: run.ID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		_ = s.cfg.Store.FinishAgentRun(context.WithoutCancel(ctx), run.TenantID, run.ID, hub.AgentRunFailed, "", "the run could not be started", nil)
		return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "The run could not be started; try again.", Err: err}
	}
	return run, nil
}

// DecisionRequest is the body of POST /api/v1/runs/{id}/approvals.
type DecisionRequest struct {
	// CallID names the call; it may be left out when one call waits.
	CallID string `json:"call_id"`
	// Decision is "approve" or "reject".
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
}

// Decide sends a person's decision on a waiting tool call to the run.
func (s *Service) Decide(ctx context.Context, p hub.Principal, runID string, req DecisionRequest) (*hub.ToolCallRecord, error) {
	if req.Decision != "approve" && req.Decision != "reject" {
		return nil, hub.InvalidField("decision", `must be "approve" or "reject"`)
	}
	if len(req.Comment) > maxText {
		return nil, hub.InvalidField("comment", fmt.Sprintf("may have at most %d characters", maxText))
	}
	run, err := s.cfg.Store.AgentRun(ctx, p.TenantID, runID)
	if err != nil {
		return nil, err
	}
	if run.FinishedAt != nil {
		return nil, hub.Errorf(hub.ECONFLICT, "The run has ended (%s); nothing waits for a decision.", run.Status)
	}
	var call *hub.ToolCallRecord
	for _, c := range run.PendingCalls {
		if c.CallID == req.CallID || (req.CallID == "" && len(run.PendingCalls) == 1) {
			call = c
		}
	}
	if call == nil {
		if req.CallID == "" && len(run.PendingCalls) > 1 {
			return nil, hub.InvalidField("call_id", "several calls wait for a decision; name one")
		}
		if req.CallID != "" {
			return nil, hub.Errorf(hub.ECONFLICT, "No tool call %q of this run waits for a decision.", req.CallID)
		}
		return nil, hub.Errorf(hub.ECONFLICT, "No tool call of this run waits for a decision.")
	}
	d := workflows.ApprovalDecision{CallID: call.CallID, Approved: req.Decision == "approve", By: p.Subject(), Comment: strings.TrimSpace(req.Comment)}
	if err := s.cfg.Temporal.SignalWorkflow(ctx, run.WorkflowID, "", workflows.ApprovalSignal, d); err != nil {
		return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "The decision could not be delivered; try again.", Err: err}
	}
	call.DecidedBy, call.Comment = d.By, d.Comment
	return call, nil
}

// Cancel asks a running run to stop.
func (s *Service) Cancel(ctx context.Context, tenantID, runID string) (*hub.AgentRun, error) {
	run, err := s.cfg.Store.AgentRun(ctx, tenantID, runID)
	if err != nil {
		return nil, err
	}
	if run.FinishedAt != nil {
		return nil, hub.Errorf(hub.ECONFLICT, "The run has ended (%s).", run.Status)
	}
	if err := s.cfg.Temporal.CancelWorkflow(ctx, run.WorkflowID, ""); err != nil {
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "The run could not be cancelled; try again.", Err: err}
		}
	}
	return run, nil
}

// ProviderRequest is the body of PUT /api/v1/llm-providers/{provider}.
type ProviderRequest struct {
	BaseURL string     `json:"base_url"`
	APIKey  hub.Secret `json:"api_key"`
}

// PutProvider saves the tenant's settings for an LLM provider.
func (s *Service) PutProvider(ctx context.Context, tenantID, provider string, req ProviderRequest) (*hub.LLMProviderSettings, error) {
	cfg := hub.LLMConfig{Provider: provider, Model: "any", BaseURL: strings.TrimSpace(req.BaseURL), APIKey: req.APIKey}
	if err := s.cfg.Models.Check(cfg); err != nil {
		return nil, err
	}
	p := &hub.LLMProviderSettings{TenantID: tenantID, Provider: provider, BaseURL: cfg.BaseURL, APIKey: req.APIKey}
	if err := s.cfg.Store.PutLLMProvider(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}
