// Package httpapi holds what the hub's HTTP services share: the one error
// mapper that renders RFC 9457 problem+json, request ids, access logs,
// Prometheus metrics, authentication and authorization middleware, and the
// route table from which the OpenAPI document is generated.
package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
)

// Problem is an RFC 9457 problem details object with the hub's extensions.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail"`
	Code      string            `json:"code"`
	Instance  string            `json:"instance,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"`
	// UpstreamStatus is the status an external platform answered, on upstream errors.
	UpstreamStatus int `json:"upstream_status,omitempty"`
}

// ContentTypeProblem is the media type of problem responses.
const ContentTypeProblem = "application/problem+json"

var statusByCode = map[string]int{
	hub.ECONFLICT:     http.StatusConflict,
	hub.EINTERNAL:     http.StatusInternalServerError,
	hub.EINVALID:      http.StatusBadRequest,
	hub.ENOTFOUND:     http.StatusNotFound,
	hub.EUNAUTHORIZED: http.StatusUnauthorized,
	hub.EFORBIDDEN:    http.StatusForbidden,
	hub.ERATELIMITED:  http.StatusTooManyRequests,
	hub.EUNAVAILABLE:  http.StatusServiceUnavailable,
	hub.EUPSTREAM:     http.StatusBadGateway,
}

// StatusOf returns the HTTP status for an error code.
func StatusOf(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// codeByStatus maps statuses of echo's own errors (unknown route, wrong
// method, oversized body) to hub codes.
func codeByStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return hub.ENOTFOUND
	case http.StatusUnauthorized:
		return hub.EUNAUTHORIZED
	case http.StatusForbidden:
		return hub.EFORBIDDEN
	case http.StatusTooManyRequests:
		return hub.ERATELIMITED
	case http.StatusServiceUnavailable:
		return hub.EUNAVAILABLE
	case http.StatusConflict:
		return hub.ECONFLICT
	}
	if status >= 400 && status < 500 {
		return hub.EINVALID
	}
	return hub.EINTERNAL
}

// ProblemFor converts any error into the problem a client may see. Internal
// details are replaced by a generic message.
func ProblemFor(err error) Problem {
	var he *echo.HTTPError
	if errors.As(err, &he) && !isHubError(err) {
		detail := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			detail = m
		}
		return Problem{Type: "about:blank", Title: http.StatusText(he.Code), Status: he.Code, Detail: detail, Code: codeByStatus(he.Code)}
	}
	code := hub.ErrorCode(err)
	status := StatusOf(code)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: hub.ErrorMessage(err), Code: code}
	var e *hub.Error
	if errors.As(err, &e) {
		p.Errors = e.Fields
		if e.Code == hub.EUPSTREAM && e.UpstreamStatus != 0 {
			p.UpstreamStatus = e.UpstreamStatus
			// The platform's client errors keep their status; its failures
			// are a bad gateway, and its silence a gateway timeout.
			if e.UpstreamStatus == http.StatusGatewayTimeout || (e.UpstreamStatus >= 400 && e.UpstreamStatus < 500) {
				p.Status, p.Title = e.UpstreamStatus, http.StatusText(e.UpstreamStatus)
			}
		}
	}
	return p
}

func isHubError(err error) bool {
	var e *hub.Error
	return errors.As(err, &e)
}

// ErrorHandler returns echo's error handler: every error leaves as
// problem+json with a stable code; 5xx causes are logged with the request id
// and never shown.
func ErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := ProblemFor(err)
		p.Instance = c.Request().URL.Path
		p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
		c.Set(ctxErrorCode, p.Code)
		if p.Status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed", "err", err, "request_id", p.RequestID, "route", c.Path())
		}
		var e *hub.Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		c.Response().Header().Set(echo.HeaderContentType, ContentTypeProblem)
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(p.Status)
			return
		}
		_ = c.JSON(p.Status, p)
	}
}

// ctxErrorCode is the echo context key under which the error code of a failed
// request is kept for the access log and metrics.
const ctxErrorCode = "bizos.error_code"
