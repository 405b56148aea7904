package httpapi

import (
	"log/slog"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
)

// Auditor records the state-changing calls of a handler in the audit log:
// who (the request's principal), what, on which target, from which request.
// A zero Auditor records nothing.
type Auditor struct {
	// Log receives audit failures; nil discards them.
	Log   *slog.Logger
	Audit hub.AuditLog
}

// Record records one call; a failure to record is logged, not returned,
// since the change itself has happened.
func (a Auditor) Record(c echo.Context, action, targetType, targetID string, details map[string]any) {
	if a.Audit == nil {
		return
	}
	p := Principal(c)
	meta := hub.RequestMetaFromContext(c.Request().Context())
	e := &hub.AuditEntry{TenantID: p.TenantID, ActorType: string(p.Kind), ActorID: p.ID, Action: action, TargetType: targetType,
		TargetID: targetID, RequestID: meta.RequestID, IP: meta.IP, Details: details}
	if err := a.Audit.RecordAudit(c.Request().Context(), e); err != nil && a.Log != nil {
		a.Log.ErrorContext(c.Request().Context(), "audit record failed", "action", action, "err", err)
	}
}
