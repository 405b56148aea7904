// Package rules compiles and evaluates automation-rule conditions written in CEL, and renders
// action inputs templated from the event.
//
// # Conditions
//
// A condition is a CEL expression over one variable, event, that must evaluate to bool:
//
//	event.type == "hubspot.contact.propertyChange" && event.payload.lead_score > 50
//
// event is declared to the type checker as the object type bizos.Event with exactly these
// fields, so a misspelt top-level field (event.paylod) is a compile error with a position:
//
//	id, type, tenant_id, source  string
//	occurred_at, received_at     timestamp
//	payload                      map(string, dyn)   (any JSON; its fields are checked at run time)
//
// At run time the event is an ordinary map[string]any (as the hub stores it); a custom type
// provider reads the declared fields straight out of that map, so no conversion happens per
// evaluation. Timestamps may be time.Time or RFC 3339 strings.
//
// # JSON numbers
//
// Payloads decoded from JSON carry every number as float64, i.e. a CEL double. Comparisons and
// equality between numbers of different kinds work as in arithmetic (CEL's heterogeneous numeric
// comparison): event.payload.lead_score > 50 and event.payload.count == 3 are true for 51.0 and
// 3.0. Arithmetic does not mix kinds: event.payload.amount * 2 fails at run time with "no such
// overload"; write event.payload.amount * 2.0, or convert with int(...) / double(...).
//
// # Limits
//
// Compile rejects sources longer than MaxSourceLength, comprehensions (all, exists, map,
// filter, ...) nested deeper than MaxComprehensionNesting, and expressions whose estimated
// worst-case cost exceeds CostLimit, where the estimate assumes payload lists and maps of up to
// AssumedCollectionSize entries and strings of up to AssumedStringSize characters. Because the
// real payload may be larger than assumed, evaluation also tracks the actual cost and aborts
// past CostLimit, unless the cost is within the limit for any payload size at all (typical
// field comparisons), in which case tracking is skipped to keep evaluation fast.
package rules

import (
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
)

// Limits applied by Compile and Eval.
const (
	// MaxSourceLength is the longest condition source accepted, in characters.
	MaxSourceLength = 4096
	// MaxComprehensionNesting is how deeply comprehension macros may nest.
	MaxComprehensionNesting = 2
	// CostLimit bounds both the estimated worst-case cost at compile time and the actual cost
	// of one evaluation (in CEL cost units, roughly one per operation).
	CostLimit = 1_000_000
	// AssumedCollectionSize is the largest payload list or map the cost estimate assumes.
	AssumedCollectionSize = 100
	// AssumedStringSize is the longest payload string the cost estimate assumes.
	AssumedStringSize = 4096
)

// EventTypeName is the CEL type name of the event variable.
const EventTypeName = "bizos.Event"

// Condition is a compiled CEL condition. It is safe for concurrent use.
type Condition struct {
	source  string
	program cel.Program // nil for the empty condition, which is always true
	tracked bool        // the program tracks its actual cost against CostLimit
}

// Source returns the expression the condition was compiled from.
func (c *Condition) Source() string { return c.source }

// CompileError is a condition that does not compile. Message is meant for a form's inline
// error: it names the line and column and quotes the offending line with a caret under the
// position. Line and Column are 1-based; both are 0 when the error has no position (for
// example a source that is too long).
type CompileError struct {
	Message      string
	Line, Column int
}

// Error returns the message.
func (e *CompileError) Error() string { return e.Message }

// Compile parses and type-checks expr, which must yield bool (an expression of type dyn, such
// as event.payload.vip, is accepted and its result checked by Eval). It rejects unknown top-level
// event fields, sources longer than MaxSourceLength, comprehensions nested deeper than
// MaxComprehensionNesting and expressions whose estimated cost exceeds CostLimit. Errors are
// *CompileError. An empty (or blank) expression compiles to a condition that is always true.
func Compile(expr string) (*Condition, error) {
	if strings.TrimSpace(expr) == "" {
		return &Condition{source: expr}, nil
	}
	if n := utf8.RuneCountInString(expr); n > MaxSourceLength {
		return nil, &CompileError{Message: fmt.Sprintf("condition is too long: %d characters, at most %d allowed", n, MaxSourceLength)}
	}
	env, err := environment()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, issuesError(expr, iss)
	}
	if !ast.OutputType().IsExactType(cel.BoolType) && !ast.OutputType().IsExactType(cel.DynType) {
		return nil, &CompileError{Message: fmt.Sprintf("condition must be true or false, but it yields %s", ast.OutputType())}
	}
	est, err := env.EstimateCost(ast, costEstimator{})
	if err != nil {
		return nil, &CompileError{Message: "cannot estimate the cost of the condition: " + err.Error()}
	}
	if est.Max > CostLimit {
		return nil, &CompileError{Message: fmt.Sprintf("condition is too expensive: its estimated worst-case cost %s exceeds the limit %d (avoid nested loops over payload lists)", costString(est.Max), CostLimit)}
	}
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	// Track the actual cost only when the worst case depends on the size of the payload: a
	// condition whose cost is within the limit whatever the payload holds (no comprehensions,
	// no size-dependent string operations on payload strings) skips the tracker, which wraps
	// every node and costs about ten times the evaluation itself.
	if bound, err := env.EstimateCost(ast, unboundedEstimator{}); err != nil || bound.Max > CostLimit {
		opts = append(opts,
			cel.CostLimit(CostLimit),
			cel.CostTrackerOptions(interpreter.PresenceTestHasCost(false)))
	}
	prg, err := env.Program(ast, opts...)
	if err != nil {
		return nil, &CompileError{Message: "cannot prepare the condition: " + err.Error()}
	}
	return &Condition{source: expr, program: prg, tracked: len(opts) > 1}, nil
}

func costString(c uint64) string {
	if c == ^uint64(0) {
		return "(unbounded)"
	}
	return fmt.Sprint(c)
}

// issuesError turns the first CEL issue into a CompileError with a position and snippet.
func issuesError(expr string, iss *cel.Issues) *CompileError {
	errs := iss.Errors()
	if len(errs) == 0 {
		return &CompileError{Message: iss.Err().Error()}
	}
	e := errs[0]
	line, col := e.Location.Line(), e.Location.Column()+1 // CEL columns are 0-based
	msg := e.Message
	if line <= 0 {
		return &CompileError{Message: msg}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "line %d, column %d: %s", line, col, msg)
	if src, ok := common.NewTextSource(expr).Snippet(line); ok {
		src = strings.ReplaceAll(src, "\t", " ")
		fmt.Fprintf(&b, "\n | %s\n | %s^", src, strings.Repeat(".", col-1))
	}
	if n := len(errs) - 1; n > 0 {
		fmt.Fprintf(&b, "\n(and %d more error", n)
		if n > 1 {
			b.WriteString("s")
		}
		b.WriteString(")")
	}
	return &CompileError{Message: b.String(), Line: line, Column: col}
}

// Eval evaluates the condition on an event. event holds the top-level fields (id, type,
// tenant_id, source, occurred_at, received_at, payload); payload is usually map[string]any as
// decoded from JSON. A run-time error (a missing payload key read without has(), a value of the
// wrong type, the cost limit exceeded) returns false and an error.
func (c *Condition) Eval(event map[string]any) (bool, error) {
	if c.program == nil {
		return true, nil
	}
	out, _, err := c.program.Eval(eventActivation{event})
	if err != nil {
		return false, evalError(err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("condition yielded %s, not true or false", out.Type().(ref.Type).TypeName())
	}
	return bool(b), nil
}

// evalError rewords CEL's run-time errors for a rule's run log.
func evalError(err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "no such key: "):
		return fmt.Errorf("condition failed: key %q is not in the event (guard it with has(...))", strings.TrimPrefix(msg, "no such key: "))
	case strings.Contains(msg, "cost limit exceeded"):
		return fmt.Errorf("condition failed: evaluation exceeded the cost limit %d (the payload is too large for this condition)", CostLimit)
	case strings.HasPrefix(msg, "no such overload"):
		return fmt.Errorf("condition failed: %s (operand types do not match; JSON numbers are doubles, so write 2.0 rather than 2 in arithmetic)", msg)
	}
	return fmt.Errorf("condition failed: %s", msg)
}

// eventActivation binds the event variable without allocating a map per evaluation.
type eventActivation struct{ event map[string]any }

func (a eventActivation) ResolveName(name string) (any, bool) {
	if name == "event" {
		return a.event, true
	}
	return nil, false
}

func (a eventActivation) Parent() interpreter.Activation { return nil }

// --- environment ---------------------------------------------------------------------------

var (
	envOnce   sync.Once
	sharedEnv *cel.Env
	envErr    error
)

// environment returns the CEL environment shared by all conditions (built once).
func environment() (*cel.Env, error) {
	envOnce.Do(func() {
		sharedEnv, envErr = cel.NewEnv(
			eventTypes(),
			cel.Variable("event", cel.ObjectType(EventTypeName)),
			ext.Strings(),
			cel.CrossTypeNumericComparisons(true),
			cel.ParserExpressionSizeLimit(MaxSourceLength),
			cel.ParserRecursionLimit(64),
			cel.ASTValidators(
				cel.ValidateComprehensionNestingLimit(MaxComprehensionNesting),
				cel.ValidateRegexLiterals(),
				cel.ValidateTimestampLiterals(),
				cel.ValidateDurationLiterals(),
			),
		)
	})
	return sharedEnv, envErr
}

// eventField describes one top-level field of the event.
type eventField struct {
	typ  *types.Type
	zero any // value when absent; nil means absence is an error
}

var eventFields = map[string]eventField{
	"id":          {cel.StringType, ""},
	"type":        {cel.StringType, ""},
	"tenant_id":   {cel.StringType, ""},
	"source":      {cel.StringType, ""},
	"occurred_at": {cel.TimestampType, nil},
	"received_at": {cel.TimestampType, nil},
	"payload":     {cel.MapType(cel.StringType, cel.DynType), map[string]any{}},
}

// EventFields lists the top-level event fields a condition or template may use.
var EventFields = []string{"id", "type", "tenant_id", "source", "occurred_at", "received_at", "payload"}

// eventProvider declares bizos.Event on top of the environment's type provider and reads its
// fields out of a map[string]any at run time.
type eventProvider struct {
	types.Provider
	fields map[string]*types.FieldType
}

func eventTypes() cel.EnvOption {
	return func(env *cel.Env) (*cel.Env, error) {
		p := &eventProvider{Provider: env.CELTypeProvider(), fields: map[string]*types.FieldType{}}
		for name, f := range eventFields {
			p.fields[name] = &types.FieldType{
				Type:    f.typ,
				IsSet:   func(obj any) bool { v, ok := eventMap(obj)[name]; return ok && v != nil },
				GetFrom: getter(name, f),
			}
		}
		return cel.CustomTypeProvider(p)(env)
	}
}

func eventMap(obj any) map[string]any {
	if v, ok := obj.(ref.Val); ok {
		obj = v.Value()
	}
	m, _ := obj.(map[string]any)
	return m
}

func getter(name string, f eventField) ref.FieldGetter {
	return func(obj any) (any, error) {
		v := eventMap(obj)[name]
		if v == nil {
			if f.zero == nil {
				return nil, fmt.Errorf("event.%s is not set", name)
			}
			return f.zero, nil
		}
		switch f.typ {
		case cel.StringType:
			if _, ok := v.(string); !ok {
				return nil, fmt.Errorf("event.%s is %T, not a string", name, v)
			}
		case cel.TimestampType:
			switch t := v.(type) {
			case time.Time:
			case string:
				ts, err := time.Parse(time.RFC3339Nano, t)
				if err != nil {
					return nil, fmt.Errorf("event.%s is not an RFC 3339 timestamp: %q", name, t)
				}
				return ts, nil
			default:
				return nil, fmt.Errorf("event.%s is %T, not a timestamp", name, v)
			}
		default: // payload
			if _, ok := v.(map[string]any); !ok {
				return nil, fmt.Errorf("event.%s is %T, not an object", name, v)
			}
		}
		return v, nil
	}
}

// FindStructType implements types.Provider.
func (p *eventProvider) FindStructType(name string) (*types.Type, bool) {
	if name == EventTypeName {
		return types.NewTypeTypeWithParam(types.NewObjectType(EventTypeName)), true
	}
	return p.Provider.FindStructType(name)
}

// FindStructFieldNames implements types.Provider.
func (p *eventProvider) FindStructFieldNames(name string) ([]string, bool) {
	if name == EventTypeName {
		return append([]string(nil), EventFields...), true
	}
	return p.Provider.FindStructFieldNames(name)
}

// FindStructFieldType implements types.Provider.
func (p *eventProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if name == EventTypeName {
		ft, ok := p.fields[field]
		return ft, ok
	}
	return p.Provider.FindStructFieldType(name, field)
}

// NewValue implements types.Provider; conditions cannot construct events.
func (p *eventProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if name == EventTypeName {
		return types.NewErr("%s values cannot be constructed in a condition", EventTypeName)
	}
	return p.Provider.NewValue(name, fields)
}

// costEstimator sizes the values whose size CEL cannot know at compile time: anything read
// from the payload.
type costEstimator struct{}

func (costEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	switch n.Type().Kind() {
	case types.StringKind, types.BytesKind:
		return &checker.SizeEstimate{Min: 0, Max: AssumedStringSize}
	case types.ListKind, types.MapKind, types.DynKind:
		return &checker.SizeEstimate{Min: 0, Max: AssumedCollectionSize}
	}
	return nil
}

func (costEstimator) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	return nil
}

// unboundedEstimator makes no assumption about payload sizes: an estimate made with it bounds
// the cost of every possible evaluation.
type unboundedEstimator struct{}

func (unboundedEstimator) EstimateSize(checker.AstNode) *checker.SizeEstimate { return nil }

func (unboundedEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}
