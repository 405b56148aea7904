package postgres

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

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
