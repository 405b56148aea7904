package postgres

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// cursor marks a position in a list ordered by (created_at DESC, id DESC).
type cursor struct {
	At time.Time
	ID string
}

func (c cursor) encode() string {
	raw := strconv.FormatInt(c.At.UnixMicro(), 10) + "|" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor parses s; the empty string is the start of the list.
func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, hub.InvalidField("cursor", "is not a cursor returned by this list")
	}
	at, id, ok := strings.Cut(string(raw), "|")
	micros, perr := strconv.ParseInt(at, 10, 64)
	if !ok || perr != nil || id == "" {
		return nil, hub.InvalidField("cursor", "is not a cursor returned by this list")
	}
	return &cursor{At: time.UnixMicro(micros), ID: id}, nil
}

// pageArgs returns the (created_at, id) position a page starts after; the
// start of the list when c is nil.
func pageArgs(c *cursor) (time.Time, string) {
	if c == nil {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "ffffffff-ffff-ffff-ffff-ffffffffffff"
	}
	return c.At, c.ID
}

// nextCursor returns the cursor after the last of items when the page is
// full, and "" at the end of the list.
func nextCursor(n, limit int, at time.Time, id string) string {
	if n < limit {
		return ""
	}
	return cursor{At: at, ID: id}.encode()
}

// listPage runs one page of a tenant's list: query selects rows ordered
// by (time, id) descending and takes the tenant ($1), the position
// ($2, $3), then args, then the limit; key gives a row's (time, id).
func listPage[T any](ctx context.Context, db *DB, tenantID string, page hub.Page, what, query string,
	scan pgx.RowToFunc[T], key func(T) (time.Time, string), args ...any) ([]T, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	var out []T
	err = db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		all := append(append([]any{tenantID, at, id}, args...), page.Limit)
		rows, err := tx.Query(ctx, query, all...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scan)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: %s: %w", what, notFound(err, "Tenant"))
	}
	next := ""
	if n := len(out); n > 0 {
		t, last := key(out[n-1])
		next = nextCursor(n, page.Limit, t, last)
	}
	return out, next, nil
}
