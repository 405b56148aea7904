package connectors

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

// pausedUntil reports until when calls on a connection should wait because
// the platform said its quota is used up.
func (s *Service) pausedUntil(connID string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused[connID]
}

// noteRateLimit reads the provider's rate-limit headers on an answer: when
// the remaining quota is zero, further calls on the connection wait for the
// window to reset instead of being refused by the platform.
func (s *Service) noteRateLimit(p *Provider, connID string, h http.Header) {
	rl := p.RateLimit
	if rl.RemainingHeader == "" {
		return
	}
	v := strings.TrimSpace(h.Get(rl.RemainingHeader))
	if v == "" {
		return
	}
	remaining, err := strconv.Atoi(v)
	if err != nil || remaining > 0 {
		return
	}
	wait := time.Second
	if rl.ResetHeader != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(h.Get(rl.ResetHeader)), 10, 64); err == nil && n > 0 {
			switch {
			case n > 1_000_000_000: // an epoch time
				wait = time.Until(time.Unix(n, 0))
			default: // seconds until the reset
				wait = time.Duration(n) * time.Second
			}
		}
	}
	if wait <= 0 {
		return
	}
	s.mu.Lock()
	s.paused[connID] = s.cfg.Now().Add(wait)
	s.mu.Unlock()
}

// waitRateLimit holds a call while the connection's quota is used up; a wait
// longer than MaxRetryWait is refused at once with the platform's 429.
func (s *Service) waitRateLimit(ctx context.Context, p *Provider, connID string) error {
	until := s.pausedUntil(connID)
	wait := until.Sub(s.cfg.Now())
	if wait <= 0 {
		return nil
	}
	if wait > s.cfg.MaxRetryWait {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusTooManyRequests, RetryAfter: int(wait.Seconds()) + 1,
			Message: fmt.Sprintf("%s's rate limit for this connection is used up; try again in %s.", p.Name, wait.Round(time.Second))}
	}
	select {
	case <-time.After(wait):
		return nil
	case <-ctx.Done():
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusTooManyRequests,
			Message: fmt.Sprintf("%s's rate limit for this connection is used up.", p.Name), Err: ctx.Err()}
	}
}
