package workflows

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	hub "github.com/bizoshub/bizos"
)

// maxToolResultForModel bounds how much of a tool's output the model is
// shown (the whole output is kept in the tool call record).
const maxToolResultForModel = 16 << 10

// AgentActivities holds what agent runs need.
type AgentActivities struct {
	Store  hub.AgentStore
	Model  hub.ChatModel
	Runner hub.ConnectorActionRunner
	// Authz checks that the agent, as a principal, may use its tools.
	Authz hub.Authorizer
	// Knowledge serves the search_knowledge tool; nil leaves it out.
	Knowledge hub.KnowledgeSearcher
	// Publisher streams events to live listeners; nil streams nothing.
	Publisher hub.RunEventPublisher
	// Events receives agent.run.completed; nil records none.
	Events hub.EventStore
	// ResolveLLM fills in the base URL and key of the agent's model (agent
	// settings, then the tenant's provider settings, then the operator's).
	ResolveLLM func(ctx context.Context, a *hub.Agent) (hub.LLMConfig, error)
	// ApprovalTimeout is how long a run waits for a decision (default 7 days).
	ApprovalTimeout time.Duration
}

func nonRetryable(err error) error {
	switch hub.ErrorCode(err) {
	case hub.EINVALID, hub.EUNAUTHORIZED, hub.ENOTFOUND, hub.EFORBIDDEN, hub.ECONFLICT, hub.EUPSTREAM:
		return temporal.NewNonRetryableApplicationError(hub.ErrorMessage(err), hub.ErrorCode(err), err)
	}
	return err
}

// emit stores a transcript event and tells live listeners.
func (a *AgentActivities) emit(ctx context.Context, tenantID, runID, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", typ, err)
	}
	e := &hub.RunEvent{RunID: runID, Type: typ, Data: raw}
	if err := a.Store.AppendRunEvent(ctx, tenantID, e); err != nil {
		return err
	}
	a.publish(ctx, e)
	return nil
}

// record applies a run's changes in one transaction and tells live
// listeners of the events it appended.
func (a *AgentActivities) record(ctx context.Context, tenantID string, ch hub.RunChanges) error {
	evs, err := a.Store.RecordRunChanges(ctx, tenantID, ch)
	if err != nil {
		return err
	}
	for _, e := range evs {
		a.publish(ctx, e)
	}
	return nil
}

// event returns an unsaved transcript event.
func event(typ string, data any) *hub.RunEvent {
	return &hub.RunEvent{Type: typ, Data: mustJSON(data)}
}

func (a *AgentActivities) publish(ctx context.Context, e *hub.RunEvent) {
	if a.Publisher != nil {
		_ = a.Publisher.PublishRunEvent(ctx, e) // live streaming is best effort; the transcript is stored
	}
}

// stepMessage is a stored conversation message with the step that made it.
type stepMessage struct {
	hub.ChatMessage
	Step int `json:"step,omitempty"`
}

// conversation rebuilds the messages of a run from its transcript.
func (a *AgentActivities) conversation(ctx context.Context, tenantID, runID string) ([]stepMessage, error) {
	evs, err := a.Store.RunEvents(ctx, tenantID, runID, 0, 0)
	if err != nil {
		return nil, err
	}
	var out []stepMessage
	for _, e := range evs {
		if e.Type != hub.RunEventMessage {
			continue
		}
		var m stepMessage
		if err := json.Unmarshal(e.Data, &m); err != nil {
			return nil, fmt.Errorf("decode message %d of run %s: %w", e.Seq, runID, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// SystemPrompt is the system message an agent's runs begin with.
func SystemPrompt(ag *hub.Agent, hasKnowledge bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "You are %s", ag.Name)
	if ag.Role != "" {
		fmt.Fprintf(&b, ", %s", ag.Role)
	}
	b.WriteString(".\n")
	if ag.Goal != "" {
		fmt.Fprintf(&b, "Your goal: %s\n", ag.Goal)
	}
	if ag.Backstory != "" {
		fmt.Fprintf(&b, "Backstory: %s\n", ag.Backstory)
	}
	if ag.Instructions != "" {
		fmt.Fprintf(&b, "Instructions: %s\n", ag.Instructions)
	}
	b.WriteString("You act only through the tools you are given. Some tools need a person's approval; a rejected call is reported back to you with the reason.\n")
	if hasKnowledge {
		b.WriteString("Use search_knowledge for facts from the knowledge bases and cite the chunks you use as [chunk:<id>].\n")
	}
	b.WriteString("When you are done, answer with your final result and no tool call.")
	return b.String()
}

// BeginAgentRun opens the transcript of a run (system prompt and the
// user's input, once) and returns its limits.
func (a *AgentActivities) BeginAgentRun(ctx context.Context, in AgentRunInput) (AgentRunPlan, error) {
	run, err := a.Store.AgentRun(ctx, in.TenantID, in.RunID)
	if err != nil {
		return AgentRunPlan{}, nonRetryable(err)
	}
	plan := AgentRunPlan{MaxSteps: run.Agent.MaxSteps, TokenBudget: run.Agent.TokenBudget, ApprovalTimeout: a.ApprovalTimeout}
	msgs, err := a.conversation(ctx, in.TenantID, in.RunID)
	if err != nil || len(msgs) > 0 {
		return plan, err // begun before (a retried activity)
	}
	if err := a.emit(ctx, in.TenantID, in.RunID, hub.RunEventStatus, map[string]string{"status": hub.AgentRunRunning}); err != nil {
		return plan, err
	}
	hasKnowledge := a.Knowledge != nil && len(run.Agent.KnowledgeBaseIDs) > 0
	for _, m := range []hub.ChatMessage{
		{Role: hub.RoleSystem, Content: SystemPrompt(&run.Agent, hasKnowledge)},
		{Role: hub.RoleUser, Content: run.Input},
	} {
		if err := a.emit(ctx, in.TenantID, in.RunID, hub.RunEventMessage, stepMessage{ChatMessage: m}); err != nil {
			return plan, err
		}
	}
	return plan, nil
}

// toolSpecs are the tools offered to the model for an agent.
func (a *AgentActivities) toolSpecs(ag *hub.Agent) []hub.ToolSpec {
	var specs []hub.ToolSpec
	for _, t := range ag.Tools {
		params := t.Parameters
		if len(params) == 0 {
			params = json.RawMessage(`{"type":"object"}`)
		}
		specs = append(specs, hub.ToolSpec{Name: t.Name, Description: t.Description, Parameters: params})
	}
	if a.Knowledge != nil && len(ag.KnowledgeBaseIDs) > 0 {
		specs = append(specs, hub.ToolSpec{Name: hub.SearchKnowledgeTool,
			Description: "Search the agent's knowledge bases; returns the best matching chunks with their ids.",
			Parameters:  json.RawMessage(`{"type":"object","properties":{"query":{"type":"string","description":"what to look for"},"limit":{"type":"integer","minimum":1,"maximum":20}},"required":["query"]}`)})
	}
	return specs
}

// canonicalJSON returns b re-encoded with sorted keys, so equal inputs compare equal.
func canonicalJSON(b json.RawMessage) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(bytes.TrimSpace(b))
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// AgentLLMStep calls the model once with the run's conversation and tools,
// stores its answer and the tool calls it makes, and returns them by id. A
// retried step whose answer was stored returns it without calling the
// model again.
func (a *AgentActivities) AgentLLMStep(ctx context.Context, req AgentStepRequest) (AgentStepResult, error) {
	run, err := a.Store.AgentRun(ctx, req.TenantID, req.RunID)
	if err != nil {
		return AgentStepResult{}, nonRetryable(err)
	}
	msgs, err := a.conversation(ctx, req.TenantID, req.RunID)
	if err != nil {
		return AgentStepResult{}, err
	}
	for _, m := range msgs {
		if m.Role == hub.RoleAssistant && m.Step == req.Step {
			ch := hub.RunChanges{RunID: req.RunID}
			res, err := a.planCalls(ctx, run, m.ChatMessage, 0, &ch)
			if err != nil {
				return res, err
			}
			return res, a.record(ctx, req.TenantID, ch)
		}
	}
	cfg, err := a.ResolveLLM(ctx, &run.Agent)
	if err != nil {
		return AgentStepResult{}, nonRetryable(err)
	}
	chat := make([]hub.ChatMessage, len(msgs))
	for i, m := range msgs {
		chat[i] = m.ChatMessage
	}
	stop := heartbeatWhile(ctx)
	start := time.Now()
	resp, err := a.Model.Chat(ctx, hub.ChatRequest{LLM: cfg, Messages: chat, Tools: a.toolSpecs(&run.Agent),
		Temperature: run.Agent.Temperature}, func(tok string) {
		a.publish(ctx, &hub.RunEvent{RunID: req.RunID, Type: hub.RunEventToken, Data: mustJSON(map[string]string{"text": tok})})
	})
	stop()
	if err != nil {
		return AgentStepResult{}, nonRetryable(fmt.Errorf("model %s/%s: %w", cfg.Provider, cfg.Model, err))
	}
	latency := time.Since(start)
	answer := resp.Message
	answer.Role = hub.RoleAssistant
	for i := range answer.ToolCalls { // our ids: unique in the run, stable across retries
		answer.ToolCalls[i].ID = fmt.Sprintf("s%d_%d", req.Step, i)
	}
	cost := (float64(resp.PromptTokens)*run.Agent.LLM.InputPricePerMTok + float64(resp.CompletionTokens)*run.Agent.LLM.OutputPricePerMTok) / 1e6
	ch := hub.RunChanges{RunID: req.RunID,
		Usage: &hub.RunUsage{Steps: 1, PromptTokens: resp.PromptTokens, CompletionTokens: resp.CompletionTokens, CostUSD: cost},
		Events: []*hub.RunEvent{
			event(hub.RunEventLLM, map[string]any{"step": req.Step, "model": cfg.Model, "prompt_tokens": resp.PromptTokens,
				"completion_tokens": resp.CompletionTokens, "latency_ms": latency.Milliseconds(), "cost_usd": cost}),
			event(hub.RunEventMessage, stepMessage{ChatMessage: answer, Step: req.Step}),
		}}
	res, err := a.planCalls(ctx, run, answer, resp.PromptTokens+resp.CompletionTokens, &ch)
	if err != nil {
		return res, err
	}
	return res, a.record(ctx, req.TenantID, ch)
}

// planCalls adds the tool calls of an answer to ch (each stored once, with
// its tool_call event) and says which need approval or repeat an earlier
// call. Unknown tools are answered at once.
func (a *AgentActivities) planCalls(ctx context.Context, run *hub.AgentRun, answer hub.ChatMessage, tokens int, ch *hub.RunChanges) (AgentStepResult, error) {
	res := AgentStepResult{Final: len(answer.ToolCalls) == 0, Tokens: tokens}
	if res.Final {
		return res, nil
	}
	earlier, err := a.Store.ToolCalls(ctx, run.TenantID, run.ID)
	if err != nil {
		return res, err
	}
	seen := map[string]bool{}
	for _, c := range earlier {
		if c.Status == hub.ToolCallSucceeded || c.Status == hub.ToolCallFailed {
			seen[c.Tool+"\x00"+canonicalJSON(c.Input)] = true
		}
	}
	ch.NewCallEvents = map[int][]*hub.RunEvent{}
	for _, tc := range answer.ToolCalls {
		input := tc.Arguments
		if len(bytes.TrimSpace(input)) == 0 || !json.Valid(input) {
			input = json.RawMessage(`{}`)
		}
		rec := &hub.ToolCallRecord{RunID: run.ID, CallID: tc.ID, Tool: tc.Name, Input: input, Status: hub.ToolCallPending}
		known := tc.Name == hub.SearchKnowledgeTool && a.Knowledge != nil && len(run.Agent.KnowledgeBaseIDs) > 0
		if t, ok := run.Agent.Tool(tc.Name); ok {
			known = true
			rec.Action, rec.ConnectionID, rec.NeedsApprove = t.Action, t.ConnectionID, t.Approval == hub.ApprovalRequired
		}
		if !known {
			rec.Status, rec.Error = hub.ToolCallFailed, fmt.Sprintf("there is no tool %q; use one of the tools offered", tc.Name)
		}
		evs := []*hub.RunEvent{event(hub.RunEventToolCall, rec)}
		if !known {
			evs = append(evs, event(hub.RunEventMessage, stepMessage{ChatMessage: hub.ChatMessage{Role: hub.RoleTool,
				ToolCallID: rec.CallID, Name: rec.Tool, Content: "error: " + rec.Error}}))
		}
		ch.NewCallEvents[len(ch.PutCalls)] = evs
		ch.PutCalls = append(ch.PutCalls, rec)
		if !known {
			continue
		}
		res.Calls = append(res.Calls, PlannedCall{CallID: tc.ID, Tool: tc.Name, NeedsApproval: rec.NeedsApprove,
			Repeat: seen[tc.Name+"\x00"+canonicalJSON(input)]})
	}
	return res, nil
}

// toolMessage answers a tool call in the conversation, once.
func (a *AgentActivities) toolMessage(ctx context.Context, run *hub.AgentRun, c *hub.ToolCallRecord, content string) error {
	msgs, err := a.conversation(ctx, run.TenantID, run.ID)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Role == hub.RoleTool && m.ToolCallID == c.CallID {
			return nil
		}
	}
	return a.emit(ctx, run.TenantID, run.ID, hub.RunEventMessage, stepMessage{ChatMessage: hub.ChatMessage{Role: hub.RoleTool,
		ToolCallID: c.CallID, Name: c.Tool, Content: truncateForModel(content)}})
}

// SkipRepeatedCall answers a repeated identical call with the earlier
// result instead of running it again.
func (a *AgentActivities) SkipRepeatedCall(ctx context.Context, req ToolCallRequest) error {
	run, c, err := a.runAndCall(ctx, req)
	if err != nil {
		return err
	}
	c.Status, c.Error = hub.ToolCallSkipped, "an identical call was made before"
	if err := a.Store.UpdateToolCall(ctx, req.TenantID, c); err != nil {
		return err
	}
	if err := a.emit(ctx, req.TenantID, req.RunID, hub.RunEventToolResult, c); err != nil {
		return err
	}
	return a.toolMessage(ctx, run, c, "You already called "+c.Tool+" with exactly this input; use that result instead of calling it again.")
}

func (a *AgentActivities) runAndCall(ctx context.Context, req ToolCallRequest) (*hub.AgentRun, *hub.ToolCallRecord, error) {
	run, err := a.Store.AgentRun(ctx, req.TenantID, req.RunID)
	if err != nil {
		return nil, nil, nonRetryable(err)
	}
	c, err := a.Store.ToolCall(ctx, req.TenantID, req.RunID, req.CallID)
	if err != nil {
		return nil, nil, nonRetryable(err)
	}
	return run, c, nil
}

// RequestApproval marks a call as waiting for a person and the run as
// waiting_approval.
func (a *AgentActivities) RequestApproval(ctx context.Context, req ToolCallRequest) error {
	_, c, err := a.runAndCall(ctx, req)
	if err != nil {
		return err
	}
	if c.Status == hub.ToolCallPending {
		c.Status = hub.ToolCallWaitingApproval
		if err := a.Store.UpdateToolCall(ctx, req.TenantID, c); err != nil {
			return err
		}
		if err := a.emit(ctx, req.TenantID, req.RunID, hub.RunEventApprovalRequired, map[string]any{"call_id": c.CallID,
			"tool": c.Tool, "action": c.Action, "connection_id": c.ConnectionID, "input": c.Input}); err != nil {
			return err
		}
	}
	if err := a.Store.SetAgentRunStatus(ctx, req.TenantID, req.RunID, hub.AgentRunWaitingApproval, ""); err != nil {
		return err
	}
	return a.emit(ctx, req.TenantID, req.RunID, hub.RunEventStatus, map[string]string{"status": hub.AgentRunWaitingApproval})
}

// RecordDecision records a person's decision on a call; a rejection is
// reported to the model as the call's result.
func (a *AgentActivities) RecordDecision(ctx context.Context, req DecisionRequest) error {
	run, c, err := a.runAndCall(ctx, ToolCallRequest{TenantID: req.TenantID, RunID: req.RunID, CallID: req.Decision.CallID})
	if err != nil {
		return err
	}
	if c.Status == hub.ToolCallWaitingApproval {
		c.DecidedBy, c.Comment = req.Decision.By, req.Decision.Comment
		c.Status = hub.ToolCallPending
		if !req.Decision.Approved {
			c.Status = hub.ToolCallRejected
		}
		if err := a.Store.UpdateToolCall(ctx, req.TenantID, c); err != nil {
			return err
		}
		if err := a.emit(ctx, req.TenantID, req.RunID, hub.RunEventApproval, map[string]any{"call_id": c.CallID,
			"approved": req.Decision.Approved, "by": req.Decision.By, "comment": req.Decision.Comment}); err != nil {
			return err
		}
	}
	if c.Status == hub.ToolCallRejected {
		msg := "A person rejected this call"
		if c.Comment != "" {
			msg += ": " + c.Comment
		}
		if err := a.toolMessage(ctx, run, c, msg+". Do not retry it unchanged."); err != nil {
			return err
		}
	}
	if err := a.Store.SetAgentRunStatus(ctx, req.TenantID, req.RunID, hub.AgentRunRunning, ""); err != nil {
		return err
	}
	return a.emit(ctx, req.TenantID, req.RunID, hub.RunEventStatus, map[string]string{"status": hub.AgentRunRunning})
}

// RunAgentTool runs one tool call as the agent: a connector action on the
// connection the tool is bound to, or a knowledge search. A call that
// finished before (a retried activity after a worker died) is not run
// again; platform calls carry the idempotency key "agent-<run>-<call>".
// A tool's own failure is its result, which the model sees; only the
// hub's unavailability fails the activity.
func (a *AgentActivities) RunAgentTool(ctx context.Context, req ToolCallRequest) error {
	run, c, err := a.runAndCall(ctx, req)
	if err != nil {
		return err
	}
	if c.Status == hub.ToolCallSucceeded || c.Status == hub.ToolCallFailed {
		return a.toolMessage(ctx, run, c, toolContent(c))
	}
	if c.Status != hub.ToolCallPending {
		return temporal.NewNonRetryableApplicationError("the call is "+c.Status, "invalid_state", nil)
	}
	start := time.Now()
	out, runErr := a.execute(ctx, run, c)
	if runErr != nil && (hub.ErrorCode(runErr) == hub.EUNAVAILABLE || hub.ErrorCode(runErr) == hub.ERATELIMITED) &&
		activity.GetInfo(ctx).Attempt < 3 {
		return runErr // retried by Temporal
	}
	c.LatencyMS = time.Since(start).Milliseconds()
	if runErr != nil {
		c.Status, c.Error = hub.ToolCallFailed, hub.ErrorMessage(runErr)
	} else {
		c.Status = hub.ToolCallSucceeded
		if c.Output, err = json.Marshal(out); err != nil {
			c.Status, c.Error, c.Output = hub.ToolCallFailed, "the output cannot be encoded", nil
		}
	}
	return a.record(ctx, req.TenantID, hub.RunChanges{RunID: req.RunID, UpdateCall: c, Events: []*hub.RunEvent{
		event(hub.RunEventToolResult, c),
		event(hub.RunEventMessage, stepMessage{ChatMessage: hub.ChatMessage{Role: hub.RoleTool, ToolCallID: c.CallID, Name: c.Tool,
			Content: truncateForModel(toolContent(c))}}),
	}})
}

func truncateForModel(content string) string {
	if len(content) > maxToolResultForModel {
		return content[:maxToolResultForModel] + "\n[output truncated]"
	}
	return content
}

func toolContent(c *hub.ToolCallRecord) string {
	if c.Status == hub.ToolCallFailed {
		return "error: " + c.Error
	}
	return string(c.Output)
}

func (a *AgentActivities) execute(ctx context.Context, run *hub.AgentRun, c *hub.ToolCallRecord) (any, error) {
	if c.Tool == hub.SearchKnowledgeTool && a.Knowledge != nil {
		var in struct {
			Query string `json:"query"`
			Limit int    `json:"limit"`
		}
		if err := json.Unmarshal(c.Input, &in); err != nil || strings.TrimSpace(in.Query) == "" {
			return nil, hub.InvalidField("query", "is required")
		}
		if in.Limit <= 0 || in.Limit > 20 {
			in.Limit = 5
		}
		results, err := a.Knowledge.SearchKnowledge(ctx, run.TenantID, run.Agent.KnowledgeBaseIDs, in.Query, in.Limit)
		if err != nil {
			return nil, err
		}
		chunks := make([]hub.Citation, len(results))
		for i, r := range results {
			chunks[i] = hub.Citation{ChunkID: r.ChunkID, DocumentID: r.DocumentID, DocumentName: r.DocumentName, Text: r.Text}
		}
		return map[string]any{"chunks": chunks}, nil
	}
	tool, ok := run.Agent.Tool(c.Tool)
	if !ok {
		return nil, hub.Errorf(hub.EINVALID, "The agent has no tool %q.", c.Tool)
	}
	perm := hub.ActionRead
	if tool.Write {
		perm = hub.ActionWrite
	}
	if a.Authz != nil {
		if err := a.Authz.Authorize(ctx, run.Agent.Principal(), run.TenantID, "connections", perm); err != nil {
			if activity.GetInfo(ctx).Attempt < 3 {
				// Policies reach this replica through a watcher; a just-saved
				// agent's grant may be a moment late.
				return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "The agent's permissions are not loaded yet.", Err: err}
			}
			return nil, err
		}
	}
	stop := heartbeatWhile(ctx)
	defer stop()
	key := fmt.Sprintf("agent-%s-%s", run.ID, c.CallID)
	return a.Runner.RunAction(hub.NewContextWithIdempotencyKey(ctx, key), run.TenantID, tool.ConnectionID, tool.Action, c.Input)
}

// FinishAgentRun records how a run ended: the final answer, the chunks
// it cites, and an agent.run.completed event.
func (a *AgentActivities) FinishAgentRun(ctx context.Context, req AgentFinishRequest) error {
	run, err := a.Store.AgentRun(ctx, req.TenantID, req.RunID)
	if err != nil {
		return nonRetryable(err)
	}
	msgs, err := a.conversation(ctx, req.TenantID, req.RunID)
	if err != nil {
		return err
	}
	output := ""
	if n := len(msgs); n > 0 && msgs[n-1].Role == hub.RoleAssistant && req.Status == hub.AgentRunSucceeded {
		output = msgs[n-1].Content
	}
	citations, err := a.citations(ctx, run, output)
	if err != nil {
		return err
	}
	if err := a.Store.FinishAgentRun(ctx, req.TenantID, req.RunID, req.Status, output, req.Error, citations); err != nil {
		return err
	}
	if err := a.emit(ctx, req.TenantID, req.RunID, hub.RunEventStatus, map[string]string{"status": req.Status, "error": req.Error}); err != nil {
		return err
	}
	if a.Events == nil {
		return nil
	}
	payload := mustJSON(map[string]any{"agent_id": run.AgentID, "run_id": run.ID, "status": req.Status, "error": req.Error, "trigger": run.Trigger})
	_, err = a.Events.AppendEvents(ctx, []*hub.Event{{TenantID: req.TenantID, Type: hub.EventAgentRunCompleted, Source: "hub",
		ExternalID: "agent-run-" + run.ID, Payload: payload}})
	return err
}

// citations are the retrieved chunks the answer cites as [chunk:<id>], or
// every retrieved chunk when it cites none explicitly.
func (a *AgentActivities) citations(ctx context.Context, run *hub.AgentRun, answer string) ([]hub.Citation, error) {
	calls, err := a.Store.ToolCalls(ctx, run.TenantID, run.ID)
	if err != nil {
		return nil, err
	}
	var all, cited []hub.Citation
	seen := map[string]bool{}
	for _, c := range calls {
		if c.Tool != hub.SearchKnowledgeTool || c.Status != hub.ToolCallSucceeded {
			continue
		}
		var out struct {
			Chunks []hub.Citation `json:"chunks"`
		}
		if err := json.Unmarshal(c.Output, &out); err != nil {
			continue
		}
		for _, ch := range out.Chunks {
			if seen[ch.ChunkID] {
				continue
			}
			seen[ch.ChunkID] = true
			all = append(all, ch)
			if strings.Contains(answer, ch.ChunkID) {
				cited = append(cited, ch)
			}
		}
	}
	if len(cited) > 0 {
		return cited, nil
	}
	return all, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}
