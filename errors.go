// Package hub holds BizOS Hub's domain types, the service interfaces that the
// implementation packages satisfy, and the one error type every layer speaks.
// It depends on the standard library only.
package hub

import (
	"errors"
	"fmt"
)

// Error codes. They are stable: clients and tests rely on them, and the HTTP
// layer maps each to one status code.
const (
	ECONFLICT     = "conflict"       // the action conflicts with existing state
	EINTERNAL     = "internal"       // something went wrong on our side
	EINVALID      = "invalid"        // the input is not acceptable
	ENOTFOUND     = "not_found"      // the entity does not exist (or is not visible to the caller)
	EUNAUTHORIZED = "unauthorized"   // the caller is not authenticated
	EFORBIDDEN    = "forbidden"      // the caller is authenticated but not allowed
	ERATELIMITED  = "rate_limited"   // the caller must slow down
	EUNAVAILABLE  = "unavailable"    // a dependency is down; retrying later may help
	EUPSTREAM     = "upstream_error" // an external platform refused or failed the call
)

// Error is the application error. Code is machine readable, Message is safe to
// show to users. Err, when set, carries internal detail that is logged but
// never returned to a client.
type Error struct {
	Code    string
	Message string
	// Fields optionally names invalid input fields and why they are invalid.
	Fields map[string]string
	// RetryAfter, in seconds, is set on rate-limit errors.
	RetryAfter int
	// UpstreamStatus is the HTTP status an external platform answered (or
	// 502/504 when it could not be reached), for EUPSTREAM errors.
	UpstreamStatus int
	Err            error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField builds an EINVALID error naming one offending field.
func InvalidField(field, reason string) *Error {
	return &Error{Code: EINVALID, Message: field + ": " + reason, Fields: map[string]string{field: reason}}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Errors that are not
// *Error yield a generic message so internal details never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error has occurred."
}
