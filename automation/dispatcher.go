package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/poller"
	"github.com/bizoshub/bizos/rules"
	"github.com/bizoshub/bizos/workflows"
)

// Dispatcher defaults.
const (
	DefaultPollInterval = 200 * time.Millisecond
	DefaultBatch        = 100
	// DefaultLag bounds how long a transaction still open may hold
	// dispatch back: events are read up to the start of the oldest open
	// transaction, or up to DefaultLag ago when that is older.
	DefaultLag = 5 * time.Second
	// DispatcherName names the position and the lock ("webhooks" is the
	// webhook dispatcher's).
	DispatcherName = "rules"
)

// EventStream is what the dispatcher reads events and keeps its position
// with; postgres.WebhookStore implements it.
type EventStream interface {
	EventsAfter(ctx context.Context, pos hub.DispatchPosition, lag time.Duration, limit int) ([]*hub.Event, error)
	DispatchPosition(ctx context.Context, name string) (hub.DispatchPosition, error)
	SetDispatchPosition(ctx context.Context, name string, pos hub.DispatchPosition) error
	TryDispatchLock(ctx context.Context, name string) (release func(), ok bool, err error)
}

// Dispatcher reads every tenant's events in order after its stored
// position, evaluates the tenant's enabled rules whose trigger matches and
// starts RunRule for each rule whose condition holds. Dispatch is at least
// once; the workflow id "rule-<rule>-<event>" makes runs once. Only the
// replica holding the advisory lock "rules" dispatches.
type Dispatcher struct {
	stream   EventStream
	rules    hub.RuleStore
	temporal client.Client
	// PollInterval, Batch and Lag tune polling (defaults above).
	PollInterval time.Duration
	Batch        int
	Lag          time.Duration
	// Log receives dispatch problems; nil discards them.
	Log *slog.Logger

	mu    sync.Mutex
	cache map[string]cachedCondition // by rule id
}

type cachedCondition struct {
	version int
	cond    *rules.Condition
	err     error
}

// NewDispatcher returns a Dispatcher.
func NewDispatcher(stream EventStream, store hub.RuleStore, c client.Client) *Dispatcher {
	return &Dispatcher{stream: stream, rules: store, temporal: c, PollInterval: DefaultPollInterval, Batch: DefaultBatch,
		Lag: DefaultLag, cache: map[string]cachedCondition{}}
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run dispatches until ctx ends, on one replica at a time (an advisory
// lock); while another replica holds it, it waits and tries again.
func (d *Dispatcher) Run(ctx context.Context) error {
	poll := d.PollInterval
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	poller.Run(ctx, poller.Config{Name: DispatcherName, Poll: poll, Log: d.log()}, d.stream.TryDispatchLock, d.DispatchOnce)
	return nil
}

// DispatchOnce dispatches the next batch of events and advances the
// position past each dispatched event; it returns how many it read.
// Callers other than Run must make sure only one dispatches at a time.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	batch := d.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	return poller.DispatchEvents(ctx, d.stream, DispatcherName, d.Lag, batch, d.Dispatch)
}

// condition returns the compiled condition of r, compiling once per version.
func (d *Dispatcher) condition(r *hub.Rule) (*rules.Condition, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cache == nil {
		d.cache = map[string]cachedCondition{}
	}
	if c, ok := d.cache[r.ID]; ok && c.version == r.Version {
		return c.cond, c.err
	}
	cond, err := rules.Compile(r.Condition)
	d.cache[r.ID] = cachedCondition{version: r.Version, cond: cond, err: err}
	return cond, err
}

// rulesFor returns the rules e may start: the event-triggered rules
// matching its type, or, for a schedule firing, the scheduled rule it names.
func (d *Dispatcher) rulesFor(ctx context.Context, e *hub.Event) ([]*hub.Rule, error) {
	if e.Type != hub.EventRuleScheduleFired || e.Source != "hub" {
		return d.rules.MatchingRules(ctx, e.TenantID, e.Type)
	}
	var fired struct {
		RuleID string `json:"rule_id"`
	}
	if err := json.Unmarshal(e.Payload, &fired); err != nil || fired.RuleID == "" {
		d.log().WarnContext(ctx, "rule dispatch: schedule event names no rule", "event", e.ID)
		return nil, nil
	}
	r, err := d.rules.Rule(ctx, e.TenantID, fired.RuleID)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return nil, nil // deleted since it fired
	}
	if err != nil {
		return nil, err
	}
	if !r.Enabled || !r.Trigger.Scheduled() {
		return nil, nil
	}
	return []*hub.Rule{r}, nil
}

// Dispatch starts RunRule for every enabled rule of e's tenant that
// matches e. Dispatching an event again runs nothing twice. A condition
// that fails to evaluate (a missing payload field) does not match.
func (d *Dispatcher) Dispatch(ctx context.Context, e *hub.Event) error {
	matching, err := d.rulesFor(ctx, e)
	if err != nil || len(matching) == 0 {
		return err
	}
	em, err := workflows.EventMap(e)
	if err != nil {
		d.log().WarnContext(ctx, "rule dispatch: bad event", "event", e.ID, "err", err)
		return nil
	}
	for _, r := range matching {
		cond, err := d.condition(r)
		if err != nil {
			d.log().WarnContext(ctx, "rule condition does not compile", "rule", r.ID, "err", err)
			continue
		}
		ok, err := cond.Eval(em)
		if err != nil {
			d.log().InfoContext(ctx, "rule condition failed to evaluate", "rule", r.ID, "event", e.ID, "err", err)
			continue
		}
		if !ok {
			continue
		}
		in := workflows.RuleRunInput{TenantID: e.TenantID, RuleID: r.ID, EventID: e.ID, Actions: r.Actions}
		if err := startRun(ctx, d.temporal, workflows.RuleRunWorkflowID(r.ID, e.ID, 0), in); err != nil {
			return fmt.Errorf("start rule %s: %w", r.ID, err)
		}
	}
	return nil
}
