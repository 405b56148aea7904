package rules

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TemplateError is a placeholder that is malformed (CheckTemplate, Render) or that names a path
// the event does not have (Render). Location says where in the action input the string sits,
// e.g. "input.body.to" or "input.items[2]".
type TemplateError struct {
	Location    string
	Placeholder string
	Message     string
}

// Error returns "<location>: <placeholder>: <message>".
func (e *TemplateError) Error() string {
	if e.Placeholder == "" {
		return e.Location + ": " + e.Message
	}
	return fmt.Sprintf("%s: %s: %s", e.Location, e.Placeholder, e.Message)
}

// Render fills "{{ event.payload.email }}"-style placeholders in a JSON-like action input:
// every string inside maps ([]any, map[string]any) is rendered, recursively; the input is not
// modified. A string that is exactly one placeholder becomes the value itself, keeping its JSON
// type (number, bool, object, array, null); placeholders inside longer strings are stringified
// (numbers in plain decimal, null as "", objects and arrays as JSON). Paths are dotted from
// event (event.payload.a.b) with [n] indexes into arrays and ["key"] for keys that are not
// plain names. A path the event does not have is a *TemplateError naming it, unless the
// placeholder has a default, which also replaces null:
//
//	{{ event.payload.name | default: "there" }}
//
// The default is a JSON literal (string, number, true, false, null).
func Render(input any, event map[string]any) (any, error) {
	return render(input, event, "input")
}

// CheckTemplate validates the syntax of every placeholder in a JSON-like action input at save
// time: placeholders must be closed, their paths must start with "event." followed by a known
// top-level event field, and defaults must be JSON literals. It returns the first problem as a
// *TemplateError.
func CheckTemplate(input any) error {
	return walkStrings(input, "input", func(s, loc string) error {
		_, err := parseTemplate(s, loc)
		return err
	})
}

func walkStrings(v any, loc string, f func(s, loc string) error) error {
	switch v := v.(type) {
	case string:
		return f(v, loc)
	case map[string]any:
		for k, e := range v {
			if err := walkStrings(e, loc+"."+k, f); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if err := walkStrings(e, fmt.Sprintf("%s[%d]", loc, i), f); err != nil {
				return err
			}
		}
	}
	return nil
}

func render(v any, event map[string]any, loc string) (any, error) {
	switch v := v.(type) {
	case string:
		return renderString(v, event, loc)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := render(e, event, loc+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := render(e, event, fmt.Sprintf("%s[%d]", loc, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func renderString(s string, event map[string]any, loc string) (any, error) {
	phs, err := parseTemplate(s, loc)
	if err != nil || len(phs) == 0 {
		return s, err
	}
	if len(phs) == 1 && phs[0].start == 0 && phs[0].end == len(s) {
		v, err := phs[0].resolve(event, loc)
		if err != nil {
			return nil, err
		}
		return cloneJSON(v), nil
	}
	var b strings.Builder
	last := 0
	for _, ph := range phs {
		b.WriteString(s[last:ph.start])
		v, err := ph.resolve(event, loc)
		if err != nil {
			return nil, err
		}
		str, err := stringify(v)
		if err != nil {
			return nil, &TemplateError{Location: loc, Placeholder: ph.raw, Message: err.Error()}
		}
		b.WriteString(str)
		last = ph.end
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// placeholder is one {{ ... }} in a string: s[start:end] == raw.
type placeholder struct {
	start, end int
	raw        string
	path       []pathSeg
	def        any
	hasDef     bool
}

// pathSeg is one step of a path: a map key or a list index.
type pathSeg struct {
	key     string
	index   int
	isIndex bool
}

// parseTemplate finds and parses the placeholders of s.
func parseTemplate(s, loc string) ([]placeholder, error) {
	var out []placeholder
	for off := 0; ; {
		i := strings.Index(s[off:], "{{")
		if i < 0 {
			return out, nil
		}
		start := off + i
		j := strings.Index(s[start+2:], "}}")
		if j < 0 {
			return nil, &TemplateError{Location: loc, Message: fmt.Sprintf("placeholder opened at character %d is not closed with }}", start+1)}
		}
		end := start + 2 + j + 2
		ph := placeholder{start: start, end: end, raw: s[start:end]}
		if err := ph.parse(strings.TrimSpace(s[start+2 : end-2])); err != nil {
			return nil, &TemplateError{Location: loc, Placeholder: ph.raw, Message: err.Error()}
		}
		out = append(out, ph)
		off = end
	}
}

// parse reads `event.path [| default: <json>]`.
func (ph *placeholder) parse(body string) error {
	if body == "" {
		return fmt.Errorf("empty placeholder")
	}
	segs, rest, err := parsePath(body)
	if err != nil {
		return err
	}
	ph.path = segs
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return nil
	}
	if rest[0] != '|' {
		return fmt.Errorf("unexpected %q after the path (filters start with |)", rest)
	}
	rest = strings.TrimSpace(rest[1:])
	name, arg, ok := strings.Cut(rest, ":")
	if !ok || strings.TrimSpace(name) != "default" {
		return fmt.Errorf(`unknown filter %q (only default: "value" is supported)`, strings.TrimSpace(name))
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(arg)), &ph.def); err != nil {
		return fmt.Errorf(`default must be a JSON literal such as "n/a", 0 or false, got %q`, strings.TrimSpace(arg))
	}
	ph.hasDef = true
	return nil
}

// parsePath reads a path starting at event and returns the rest of the body.
func parsePath(s string) ([]pathSeg, string, error) {
	if !strings.HasPrefix(s, "event.") {
		return nil, "", fmt.Errorf("path must start with \"event.\"")
	}
	var segs []pathSeg
	i := len("event")
scan:
	for i < len(s) {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, "", fmt.Errorf("expected a field name after %q", s[:i+1])
			}
			segs = append(segs, pathSeg{key: s[i+1 : j]})
			i = j
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, "", fmt.Errorf("unclosed [ in %q", s)
			}
			inner := strings.TrimSpace(s[i+1 : i+j])
			if n, err := strconv.Atoi(inner); err == nil && n >= 0 {
				segs = append(segs, pathSeg{index: n, isIndex: true})
			} else if k, err := strconv.Unquote(inner); err == nil && strings.HasPrefix(inner, `"`) {
				segs = append(segs, pathSeg{key: k})
			} else {
				return nil, "", fmt.Errorf("index [%s] must be a non-negative number or a quoted key", inner)
			}
			i += j + 1
		default:
			if isNameByte(s[i]) {
				return nil, "", fmt.Errorf("unexpected %q in path", s[i:])
			}
			break scan
		}
	}
	if segs[0].isIndex || !isEventField(segs[0].key) {
		return nil, "", fmt.Errorf("event has no field %q (fields: %s)", segs[0].key, strings.Join(EventFields, ", "))
	}
	return segs, s[i:], nil
}

func isEventField(name string) bool {
	_, ok := eventFields[name]
	return ok
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// resolve looks the placeholder's path up in the event.
func (ph *placeholder) resolve(event map[string]any, loc string) (any, error) {
	var cur any = event
	path := "event"
	for _, seg := range ph.path {
		var next any
		found := false
		switch c := cur.(type) {
		case map[string]any:
			if !seg.isIndex {
				next, found = c[seg.key]
			}
		case []any:
			if seg.isIndex && seg.index < len(c) {
				next, found = c[seg.index], true
			}
		}
		path += seg.String()
		if !found {
			if ph.hasDef {
				return ph.def, nil
			}
			return nil, &TemplateError{Location: loc, Placeholder: ph.raw, Message: fmt.Sprintf("unknown path %s%s", path, why(cur, seg))}
		}
		cur = next
	}
	if cur == nil && ph.hasDef {
		return ph.def, nil
	}
	return cur, nil
}

func (s pathSeg) String() string {
	if s.isIndex {
		return fmt.Sprintf("[%d]", s.index)
	}
	for i := 0; i < len(s.key); i++ {
		if !isNameByte(s.key[i]) {
			return "[" + strconv.Quote(s.key) + "]"
		}
	}
	return "." + s.key
}

// why explains a failed lookup step.
func why(cur any, seg pathSeg) string {
	switch c := cur.(type) {
	case map[string]any:
		if seg.isIndex {
			return " (an object, not an array)"
		}
		return ""
	case []any:
		if !seg.isIndex {
			return " (an array, not an object)"
		}
		return fmt.Sprintf(" (the array has %d elements)", len(c))
	case nil:
		return " (its parent is null)"
	}
	return fmt.Sprintf(" (its parent is a %s)", jsonKind(cur))
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, float32, int, int64, int32, uint, uint64, uint32, json.Number:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// stringify renders a value inside a longer string.
func stringify(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32), nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, json.Number:
		return fmt.Sprint(v), nil
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	case fmt.Stringer:
		return v.String(), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("cannot render value as text: %v", err)
	}
	return string(b), nil
}

// cloneJSON deep-copies maps and slices so rendered output never aliases the event.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSON(e)
		}
		return out
	}
	return v
}
