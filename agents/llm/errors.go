package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	hub "github.com/bizoshub/bizos"
)

// maxErrorBody bounds how much of an error answer is kept.
const maxErrorBody = 64 << 10

// recorder is the transport of one call. It remembers the last transport
// error and the status, Retry-After and (bounded) body of the last error
// answer, because langchaingo reduces those to strings (llms/openai turns a
// refused connection into "network error: failed to reach API server" and a
// status into text) or keeps them in internal types (llms/ollama); errors are
// classified from what the recorder saw. The body is handed on unchanged.
type recorder struct {
	base http.RoundTripper

	mu         sync.Mutex
	status     int
	retryAfter string
	body       []byte
	err        error
}

// RoundTrip implements http.RoundTripper.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
	if err != nil {
		return nil, err
	}
	r.status, r.retryAfter, r.body = resp.StatusCode, "", nil
	if resp.StatusCode >= http.StatusBadRequest {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		r.body, r.retryAfter = b, resp.Header.Get("Retry-After")
	}
	return resp, nil
}

func (r *recorder) snapshot() (status int, retryAfter string, body []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status, r.retryAfter, r.body, r.err
}

// classify turns a failed call into a *hub.Error (or, when the caller's
// context was cancelled, a wrapped context.Canceled). Nothing it returns
// contains the API key.
func classify(ctx context.Context, op string, t target, cfg hub.LLMConfig, rec *recorder, err error) error {
	key := cfg.APIKey.Reveal()
	status, retryAfter, body, terr := rec.snapshot()
	var he *hub.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("llm: %s: %w", op, ctx.Err())
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &hub.Error{Code: hub.EUNAVAILABLE, Message: fmt.Sprintf("The %s model at %s did not answer in time.", t.provider, t.host()), Err: ctx.Err()}
	case terr != nil:
		if errors.As(terr, &he) { // the egress policy refused the address
			return &hub.Error{Code: hub.EINVALID, Message: "llm.base_url: " + he.Message,
				Fields: map[string]string{"llm.base_url": he.Message}, Err: terr}
		}
		return &hub.Error{Code: hub.EUNAVAILABLE, UpstreamStatus: http.StatusBadGateway,
			Message: fmt.Sprintf("The %s server at %s cannot be reached.", t.provider, t.host()), Err: terr}
	case status >= http.StatusBadRequest:
		msg := redact(upstreamMessage(body), key)
		e := &hub.Error{UpstreamStatus: status, Err: fmt.Errorf("llm: %s: HTTP %d: %s", op, status, msg)}
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			// The provider's message may quote part of the key; keep none of it.
			e.Code = hub.EUNAUTHORIZED
			e.Err = fmt.Errorf("llm: %s: HTTP %d", op, status)
			e.Message = fmt.Sprintf("The %s provider at %s refused the API key (HTTP %d); check llm.api_key.", t.provider, t.host(), status)
		case status == http.StatusNotFound:
			e.Code = hub.EINVALID
			e.Message = fmt.Sprintf("The %s provider at %s does not know the model %q (HTTP 404: %s); check llm.model and llm.base_url.", t.provider, t.host(), cfg.Model, msg)
			e.Fields = map[string]string{"llm.model": "not found at the provider"}
		case status == http.StatusTooManyRequests:
			e.Code = hub.EUPSTREAM
			e.Message = fmt.Sprintf("The %s provider at %s is rate limiting calls: %s", t.provider, t.host(), msg)
			e.RetryAfter = 1
			if n, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && n > 0 {
				e.RetryAfter = n
			}
		case status >= http.StatusInternalServerError:
			e.Code = hub.EUNAVAILABLE
			e.Message = fmt.Sprintf("The %s provider at %s failed (HTTP %d): %s", t.provider, t.host(), status, msg)
		default:
			e.Code = hub.EUPSTREAM
			e.Message = fmt.Sprintf("The %s provider at %s refused the request (HTTP %d): %s", t.provider, t.host(), status, msg)
		}
		return e
	case errors.As(err, &he):
		return he
	default:
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway,
			Message: fmt.Sprintf("The %s provider at %s answered something unexpected.", t.provider, t.host()),
			Err:     errors.New(redact(fmt.Sprintf("llm: %s: %v", op, err), key))}
	}
}

// upstreamMessage extracts the provider's error message from an error body:
// OpenAI's {"error":{"message"}}, Ollama's {"error":"..."}, or the text.
func upstreamMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  any             `json:"detail"`
	}
	msg := ""
	if json.Unmarshal(body, &v) == nil {
		var s string
		var obj struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			msg = s
		case json.Unmarshal(v.Error, &obj) == nil && obj.Message != "":
			msg = obj.Message
		case v.Message != "":
			msg = v.Message
		case v.Detail != nil:
			msg = fmt.Sprint(v.Detail)
		}
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	if msg == "" {
		msg = "no details"
	}
	if r := []rune(msg); len(r) > 300 {
		msg = string(r[:300]) + "…"
	}
	return msg
}

// redact replaces every occurrence of the API key in s.
func redact(s, key string) string {
	if len(key) < 4 {
		return s
	}
	return strings.ReplaceAll(s, key, hub.Redacted)
}
