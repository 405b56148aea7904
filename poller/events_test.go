package poller_test

import (
	"context"
	"errors"
	"testing"
	"time"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/poller"
)

// memStream is an in-memory event stream for the test.
type memStream struct {
	events []*hub.Event
	pos    hub.DispatchPosition
}

func (m *memStream) DispatchPosition(context.Context, string) (hub.DispatchPosition, error) {
	return m.pos, nil
}

func (m *memStream) SetDispatchPosition(_ context.Context, _ string, p hub.DispatchPosition) error {
	m.pos = p
	return nil
}

func (m *memStream) EventsAfter(_ context.Context, p hub.DispatchPosition, _ time.Duration, limit int) ([]*hub.Event, error) {
	var out []*hub.Event
	for _, e := range m.events {
		if e.ReceivedAt.After(p.ReceivedAt) && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func TestDispatchEventsAdvancesPastHandledEvents(t *testing.T) {
	base := time.Unix(1700000000, 0)
	s := &memStream{}
	for i := 0; i < 5; i++ {
		s.events = append(s.events, &hub.Event{ID: string(rune('a' + i)), ReceivedAt: base.Add(time.Duration(i+1) * time.Second)})
	}
	var seen []string
	failOn := "c"
	handle := func(_ context.Context, e *hub.Event) error {
		if e.ID == failOn {
			return errors.New("temporal down")
		}
		seen = append(seen, e.ID)
		return nil
	}
	n, err := poller.DispatchEvents(context.Background(), s, "test", 0, 10, handle)
	if err == nil || n != 2 || s.pos.ID != "b" {
		t.Fatalf("first pass: n=%d err=%v pos=%q; want a failure at c with the position after b", n, err, s.pos.ID)
	}
	failOn = ""
	if n, err := poller.DispatchEvents(context.Background(), s, "test", 0, 10, handle); err != nil || n != 3 || s.pos.ID != "e" {
		t.Fatalf("second pass: n=%d err=%v pos=%q", n, err, s.pos.ID)
	}
	if got := len(seen); got != 5 {
		t.Errorf("handled %d events (%v), want each of the 5 once", got, seen)
	}
}
