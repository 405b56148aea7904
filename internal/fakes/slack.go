package fakes

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Slack is a fake of the Slack Web API.
//
// Routes (base URL = server root): /api/auth.test, /api/chat.postMessage
// (POST, application/json or form), /api/conversations.list?limit&cursor&types&exclude_archived
// and /api/users.list?limit&cursor; parameters may come in the query or a form
// body. Lists answer response_metadata.next_cursor ("" on the last page);
// limit is at most 1000. Credentials: "Authorization: Bearer <token>", or a
// token form/query parameter (given to Options.Authorize as Bearer). Failures
// answer, like Slack, HTTP 200 {"ok":false,"error":...}: not_authed,
// invalid_auth, channel_not_found, no_text, invalid_cursor; rate limit: HTTP 429
// with Retry-After: 1 and {"ok":false,"error":"ratelimited"}.
//
// Seed and Records collections: "channels" (25 seeded; every fifth is
// private), "users" (25 seeded), "messages" (posted messages: "channel",
// "ts", "text", "blocks").
type Slack struct {
	// URL is the API base URL (the server root); paths start with /api.
	URL string
	*server
}

// NewSlack starts a Slack fake with 25 channels and 25 users.
func NewSlack(t testing.TB, opts Options) *Slack {
	t.Helper()
	s := &Slack{}
	s.server = newServer(t, opts, platform{
		credential: s.credential,
		deny: func(w http.ResponseWriter, r *http.Request, present bool) {
			if present {
				slackFail(w, "invalid_auth")
				return
			}
			slackFail(w, "not_authed")
		},
		limit: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		},
		fail: func(w http.ResponseWriter, r *http.Request, status int, code, message string) {
			writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "unknown_method", "req_method": strings.TrimPrefix(r.URL.Path, "/api/")})
		},
		prepare: func(kind string, rec map[string]any) {
			if str(rec["id"]) != "" || kind == "messages" {
				return
			}
			prefix := "C"
			if kind == "users" {
				prefix = "U"
			}
			rec["id"] = fmt.Sprintf("%s0FAKE%04d", prefix, s.id(kind, 1))
		},
	})
	s.URL = s.root
	s.handle("", "/api/auth.test", s.authTest)
	s.handle("POST", "/api/chat.postMessage", s.postMessage)
	s.handle("", "/api/conversations.list", s.conversations)
	s.handle("", "/api/users.list", s.users)

	for i := 0; i < seedCount; i++ {
		name := fmt.Sprintf("channel-%02d", i+1)
		switch i {
		case 0:
			name = "general"
		case 1:
			name = "random"
		}
		created, _ := seedTimes(i)
		s.Seed("channels", map[string]any{
			"name": name, "name_normalized": name, "is_channel": true, "is_group": false, "is_im": false, "is_mpim": false,
			"is_private": i%5 == 4, "is_archived": false, "is_general": i == 0, "is_member": true, "is_shared": false,
			"is_ext_shared": false, "is_org_shared": false, "created": created.Unix(), "creator": "U0FAKE0001",
			"num_members": 5 + i, "topic": map[string]any{"value": "", "creator": "", "last_set": 0},
			"purpose": map[string]any{"value": "Channel " + name, "creator": "", "last_set": 0}, "previous_names": []any{},
		})
		first, last, email := seedPerson(i)
		handle := strings.ToLower(first + "." + last)
		s.Seed("users", map[string]any{
			"team_id": "T0FAKE001", "name": handle, "deleted": false, "real_name": first + " " + last,
			"tz": "Europe/London", "tz_label": "Greenwich Mean Time", "tz_offset": 0, "is_admin": i == 0, "is_owner": i == 0,
			"is_bot": false, "is_app_user": false, "updated": created.Unix(),
			"profile": map[string]any{"real_name": first + " " + last, "display_name": handle, "email": email, "first_name": first, "last_name": last},
		})
	}
	return s
}

func slackFail(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
}

func (s *Slack) credential(r *http.Request) (*http.Request, bool) {
	if tok := bearerToken(r); tok != "" {
		return r, true
	}
	_ = r.ParseForm()
	if tok := strings.TrimSpace(r.Form.Get("token")); tok != "" {
		return withHeader(r, "Authorization", "Bearer "+tok), true
	}
	return r, false
}

func (s *Slack) authTest(w http.ResponseWriter, r *http.Request, p params) {
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "url": "https://fake-team.slack.com/", "team": "Fake Team", "user": "fakebot",
		"team_id": "T0FAKE001", "user_id": "U0FAKEBOT", "bot_id": "B0FAKE001", "is_enterprise_install": false,
	})
}

// cursorPage pages items with Slack's cursor and limit; ok=false after writing the error.
func (s *Slack) cursorPage(w http.ResponseWriter, r *http.Request, kind string, items []map[string]any) ([]map[string]any, string, bool) {
	_ = r.ParseForm()
	limit, ok := intParam(r.Form, "limit", 100)
	if !ok || limit < 0 {
		slackFail(w, "invalid_limit")
		return nil, "", false
	}
	if limit == 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	offset, ok := decodeCursor(kind, r.Form.Get("cursor"))
	if !ok || offset > len(items) {
		slackFail(w, "invalid_cursor")
		return nil, "", false
	}
	page, more := window(items, offset, limit)
	next := ""
	if more {
		next = encodeCursor(kind, offset+len(page))
	}
	return page, next, true
}

func (s *Slack) conversations(w http.ResponseWriter, r *http.Request, p params) {
	_ = r.ParseForm()
	types := splitList(r.Form.Get("types"))
	if len(types) == 0 {
		types = []string{"public_channel"}
	}
	excludeArchived := r.Form.Get("exclude_archived") == "true" || r.Form.Get("exclude_archived") == "1"
	items := s.server.list("channels", func(c map[string]any) bool {
		if excludeArchived && c["is_archived"] == true {
			return false
		}
		kind := "public_channel"
		if c["is_private"] == true {
			kind = "private_channel"
		}
		return contains(types, kind)
	})
	page, next, ok := s.cursorPage(w, r, "channels", items)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channels": page, "response_metadata": map[string]any{"next_cursor": next}})
}

func (s *Slack) users(w http.ResponseWriter, r *http.Request, p params) {
	page, next, ok := s.cursorPage(w, r, "users", s.server.list("users", nil))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "members": page, "cache_ts": baseTime.Unix(), "response_metadata": map[string]any{"next_cursor": next}})
}

func (s *Slack) postMessage(w http.ResponseWriter, r *http.Request, p params) {
	in := map[string]any{}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/json") {
		if err := readJSON(r, &in); err != nil {
			slackFail(w, "invalid_json")
			return
		}
	} else {
		_ = r.ParseForm()
		for k := range r.Form {
			in[k] = r.Form.Get(k)
		}
	}
	ch := strings.TrimPrefix(str(in["channel"]), "#")
	if ch == "" {
		slackFail(w, "channel_not_found")
		return
	}
	found := s.server.list("channels", func(c map[string]any) bool { return str(c["id"]) == ch || str(c["name"]) == ch })
	if len(found) == 0 {
		slackFail(w, "channel_not_found")
		return
	}
	if found[0]["is_archived"] == true {
		slackFail(w, "is_archived")
		return
	}
	text := str(in["text"])
	blocks, hasBlocks := in["blocks"]
	_, hasAttachments := in["attachments"]
	if strings.TrimSpace(text) == "" && !hasBlocks && !hasAttachments {
		slackFail(w, "no_text")
		return
	}
	s.mu.Lock()
	n := s.id("message-ts", 1)
	s.mu.Unlock()
	ts := strconv.FormatInt(baseTime.Unix()+int64(n), 10) + fmt.Sprintf(".%06d", n)
	msg := map[string]any{
		"type": "message", "subtype": "bot_message", "text": text, "ts": ts,
		"username": "fakebot", "bot_id": "B0FAKE001", "user": "U0FAKEBOT",
	}
	if hasBlocks {
		msg["blocks"] = blocks
	}
	if ts := str(in["thread_ts"]); ts != "" {
		msg["thread_ts"] = ts
	}
	stored := cloneMap(msg)
	stored["channel"] = found[0]["id"]
	s.insert("messages", stored)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": found[0]["id"], "ts": ts, "message": msg})
}
