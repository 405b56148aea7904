package connectors

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/bizoshub/bizos/egress"
)

// counted returns how many calls of provider were counted with code.
func counted(t *testing.T, provider, code string) float64 {
	t.Helper()
	var m dto.Metric
	if err := upstreamRequests.WithLabelValues(provider, code).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// observations returns how many durations provider's histogram holds.
func observations(t *testing.T, provider string) uint64 {
	t.Helper()
	var m dto.Metric
	if err := upstreamDuration.WithLabelValues(provider).(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

func TestInstrumentedRoundTripper(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		case "/limited":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/broken":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	guarded, err := egress.ParsePolicy("") // loopback is refused
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		client  *http.Client
		url     string
		timeout time.Duration
		cancel  bool
		// want is the code counted, "" when nothing is counted.
		want string
		// timed says whether a duration is observed.
		timed bool
	}{
		{name: "ok", client: http.DefaultClient, url: srv.URL + "/", want: "200", timed: true},
		{name: "rate limited", client: http.DefaultClient, url: srv.URL + "/limited", want: "429", timed: true},
		{name: "server error", client: http.DefaultClient, url: srv.URL + "/broken", want: "503", timed: true},
		{name: "no answer", client: http.DefaultClient, url: closedURL + "/", want: UpstreamCodeError, timed: true},
		{name: "deadline", client: http.DefaultClient, url: srv.URL + "/slow", timeout: 50 * time.Millisecond, want: UpstreamCodeTimeout, timed: true},
		{name: "caller gave up", client: http.DefaultClient, url: srv.URL + "/slow", cancel: true, want: UpstreamCodeCanceled},
		{name: "egress refusal is no call", client: &http.Client{Transport: guarded.Transport()}, url: srv.URL + "/"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			provider := fmt.Sprintf("test-provider-%d", i)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			if tt.cancel {
				time.AfterFunc(50*time.Millisecond, cancel)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := instrument(tt.client, provider).Do(req)
			if err == nil {
				resp.Body.Close()
			}
			got := map[string]float64{}
			for _, code := range []string{"200", "429", "503", UpstreamCodeError, UpstreamCodeTimeout, UpstreamCodeCanceled} {
				if v := counted(t, provider, code); v != 0 {
					got[code] = v
				}
			}
			want := map[string]float64{}
			if tt.want != "" {
				want[tt.want] = 1
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("counted calls (-want +got):\n%s", diff)
			}
			wantObs := uint64(0)
			if tt.timed {
				wantObs = 1
			}
			if n := observations(t, provider); n != wantObs {
				t.Errorf("durations observed = %d, want %d", n, wantObs)
			}
		})
	}
}

// TestServiceCallsAreInstrumented checks that the client every API call goes
// through (proxy, actions, verification) records in the upstream metrics.
func TestServiceCallsAreInstrumented(t *testing.T) {
	s := New(Config{Egress: mustPolicy(t)})
	for _, p := range []*Provider{{ID: "stripe"}, {ID: "wordpress", API: APISpec{BaseURL: "{{site_url}}"},
		ConfigFields: []Field{{Name: "site_url", Egress: true}}}} {
		c := s.clientFor(p)
		rt, ok := c.Transport.(*instrumented)
		if !ok || rt.provider != p.ID {
			t.Errorf("%s: client transport %T is not instrumented for it", p.ID, c.Transport)
		}
	}
}

func mustPolicy(t *testing.T) *egress.Policy {
	t.Helper()
	p, err := egress.ParsePolicy("")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
