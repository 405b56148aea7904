package connectors

// Typed actions of Slack (Web API).

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	hub "github.com/bizoshub/bizos"
)

func init() {
	register(
		&Action{
			Name: "slack.list_channels", Provider: "slack", Title: "List Slack channels",
			Description: "Lists channels of the Slack workspace visible to the bot, one page at a time, with id, name, privacy, " +
				"member count, topic and purpose. Use a channel id or name with slack.post_message.",
			Input: inputSchema(limitProp(100, 1000) + "," + cursorProp + "," +
				`"types":{"type":"array","items":{"type":"string","enum":["public_channel","private_channel"]},"minItems":1,"uniqueItems":true,"description":"Channel kinds to list (default public_channel); private channels need the bot to be a member and the groups:read scope."},` +
				`"exclude_archived":{"type":"boolean","default":true,"description":"Leave archived channels out."}`),
			Output: listOutput(`{"type":"object","required":["id","name"],"properties":{`+
				`"id":{"type":"string","description":"Channel id, e.g. C0123456789."},"name":{"type":"string"},`+
				`"is_private":{"type":"boolean"},"is_archived":{"type":"boolean"},"is_member":{"type":"boolean","description":"Whether the bot is in the channel."},`+
				`"num_members":{"type":"integer"},"topic":{"type":"string"},"purpose":{"type":"string"},`+
				`"created":{"type":"integer","description":"Unix time."}}}`, false),
			Run: slackListChannels,
		},
		&Action{
			Name: "slack.list_users", Provider: "slack", Title: "List Slack users",
			Description: "Lists members of the Slack workspace, one page at a time, with id, handle, real and display names, email " +
				"(when the app may read emails), time zone and whether they are bots, admins or deactivated.",
			Input: inputSchema(limitProp(100, 1000) + "," + cursorProp),
			Output: listOutput(`{"type":"object","required":["id","name"],"properties":{`+
				`"id":{"type":"string","description":"User id, e.g. U0123456789."},"name":{"type":"string","description":"Handle."},`+
				`"real_name":{"type":"string"},"display_name":{"type":"string"},"email":{"type":"string"},"tz":{"type":"string"},`+
				`"is_bot":{"type":"boolean"},"is_admin":{"type":"boolean"},"deleted":{"type":"boolean","description":"Deactivated."}}}`, false),
			Run: slackListUsers,
		},
		&Action{
			Name: "slack.post_message", Provider: "slack", Title: "Post a Slack message", Write: true,
			Description: "Posts a message as the bot to a Slack channel (id like C0123456789, or name like general), or as a reply in a thread " +
				"when thread_ts is given. Text uses Slack mrkdwn (*bold*, _italic_, <https://example.com|link>). The bot must be a member of private channels.",
			Input: objectSchema(`"channel":{"type":"string","pattern":"^#?[A-Za-z0-9._-]{1,80}$","description":"Channel id (C0123456789) or name (general)."},`+
				`"text":{"type":"string","minLength":1,"maxLength":40000,"description":"The message text (mrkdwn); with blocks it is the notification fallback."},`+
				`"blocks":{"type":"array","maxItems":50,"items":{"type":"object","required":["type"]},"description":"Optional Block Kit blocks."},`+
				`"thread_ts":{"type":"string","pattern":"^[0-9]+\\.[0-9]+$","description":"ts of the parent message, to reply in its thread."},`+
				`"unfurl_links":{"type":"boolean","default":false,"description":"Show previews of links."}`,
				[]string{"channel"}, `"anyOf":[{"required":["text"]},{"required":["blocks"]}]`),
			Output: outputObject(`{"type":"object","required":["channel","ts"],"properties":{` +
				`"channel":{"type":"string","description":"Channel id the message went to."},` +
				`"ts":{"type":"string","description":"The message's timestamp id (use as thread_ts to reply)."},` +
				`"text":{"type":"string"},"thread_ts":{"type":"string"}}}`),
			Run: slackPostMessage,
		},
	)
}

// slackInputErrors are Slack error codes caused by the action's input.
var slackInputErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "no_text": true, "msg_too_long": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "too_many_attachments": true, "invalid_cursor": true,
	"invalid_limit": true, "thread_not_found": true, "cannot_reply_to_message": true, "restricted_action": true,
	"invalid_arguments": true,
}

// slackAPI calls a Web API method and decodes the answer into out. Slack
// answers HTTP 200 with {"ok": false, "error": code} on failure: codes the
// input caused become EINVALID, the others EUPSTREAM; both name the code.
func slackAPI(ctx context.Context, c *Call, method, apiMethod string, query url.Values, body, out any) error {
	var raw json.RawMessage
	r := apiRequest{method: method, path: "/" + apiMethod, query: query}
	if body != nil {
		r.header = http.Header{"Content-Type": {"application/json; charset=utf-8"}}
		r.json = body
	}
	if _, err := callAPI(ctx, c, r, &raw); err != nil {
		return err
	}
	var status struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(raw, &status); err != nil {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway, Message: "Slack answered something that is not JSON.", Err: err}
	}
	if !status.OK {
		code := cmp.Or(status.Error, "unknown_error")
		if slackInputErrors[code] {
			return &hub.Error{Code: hub.EINVALID, Message: "Slack refused the call: " + code, Fields: map[string]string{"input": code}}
		}
		return upstreamError(c, http.StatusOK, "%s", code)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway, Message: "Slack answered data of an unexpected shape.", Err: err}
	}
	return nil
}

type slackMeta struct {
	NextCursor string `json:"next_cursor"`
}

func slackListChannels(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit           int      `json:"limit"`
		Cursor          string   `json:"cursor"`
		Types           []string `json:"types"`
		ExcludeArchived *bool    `json:"exclude_archived"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	q := url.Values{"limit": {strconv.Itoa(cmp.Or(in.Limit, 100))}, "exclude_archived": {"true"}}
	if in.ExcludeArchived != nil && !*in.ExcludeArchived {
		q.Set("exclude_archived", "false")
	}
	if len(in.Types) > 0 {
		q.Set("types", strings.Join(in.Types, ","))
	}
	if in.Cursor != "" {
		q.Set("cursor", in.Cursor)
	}
	type text struct {
		Value string `json:"value"`
	}
	var raw struct {
		Channels []struct {
			ID         string `json:"id"`
			Name       string `json:"name"`
			IsPrivate  bool   `json:"is_private"`
			IsArchived bool   `json:"is_archived"`
			IsMember   bool   `json:"is_member"`
			NumMembers int64  `json:"num_members"`
			Topic      text   `json:"topic"`
			Purpose    text   `json:"purpose"`
			Created    int64  `json:"created"`
		} `json:"channels"`
		ResponseMetadata slackMeta `json:"response_metadata"`
	}
	if err := slackAPI(ctx, c, http.MethodGet, "conversations.list", q, nil, &raw); err != nil {
		return nil, err
	}
	type channel struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		IsPrivate  bool   `json:"is_private"`
		IsArchived bool   `json:"is_archived"`
		IsMember   bool   `json:"is_member"`
		NumMembers int64  `json:"num_members"`
		Topic      string `json:"topic"`
		Purpose    string `json:"purpose"`
		Created    int64  `json:"created"`
	}
	items := make([]channel, 0, len(raw.Channels))
	for _, ch := range raw.Channels {
		items = append(items, channel{ch.ID, ch.Name, ch.IsPrivate, ch.IsArchived, ch.IsMember, ch.NumMembers,
			ch.Topic.Value, ch.Purpose.Value, ch.Created})
	}
	return newListPage(items, raw.ResponseMetadata.NextCursor), nil
}

func slackListUsers(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	q := url.Values{"limit": {strconv.Itoa(cmp.Or(in.Limit, 100))}}
	if in.Cursor != "" {
		q.Set("cursor", in.Cursor)
	}
	var raw struct {
		Members []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			RealName string `json:"real_name"`
			TZ       string `json:"tz"`
			IsBot    bool   `json:"is_bot"`
			IsAdmin  bool   `json:"is_admin"`
			Deleted  bool   `json:"deleted"`
			Profile  struct {
				RealName    string `json:"real_name"`
				DisplayName string `json:"display_name"`
				Email       string `json:"email"`
			} `json:"profile"`
		} `json:"members"`
		ResponseMetadata slackMeta `json:"response_metadata"`
	}
	if err := slackAPI(ctx, c, http.MethodGet, "users.list", q, nil, &raw); err != nil {
		return nil, err
	}
	type user struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		RealName    string `json:"real_name"`
		DisplayName string `json:"display_name"`
		Email       string `json:"email"`
		TZ          string `json:"tz"`
		IsBot       bool   `json:"is_bot"`
		IsAdmin     bool   `json:"is_admin"`
		Deleted     bool   `json:"deleted"`
	}
	items := make([]user, 0, len(raw.Members))
	for _, m := range raw.Members {
		items = append(items, user{m.ID, m.Name, cmp.Or(m.RealName, m.Profile.RealName), m.Profile.DisplayName, m.Profile.Email,
			m.TZ, m.IsBot, m.IsAdmin, m.Deleted})
	}
	return newListPage(items, raw.ResponseMetadata.NextCursor), nil
}

func slackPostMessage(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Channel     string           `json:"channel"`
		Text        string           `json:"text,omitempty"`
		Blocks      []map[string]any `json:"blocks,omitempty"`
		ThreadTS    string           `json:"thread_ts,omitempty"`
		UnfurlLinks bool             `json:"unfurl_links"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	in.Channel = strings.TrimPrefix(in.Channel, "#")
	var raw struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
		Message struct {
			Text     string `json:"text"`
			ThreadTS string `json:"thread_ts"`
		} `json:"message"`
	}
	if err := slackAPI(ctx, c, http.MethodPost, "chat.postMessage", nil, in, &raw); err != nil {
		return nil, err
	}
	out := map[string]string{"channel": raw.Channel, "ts": raw.TS, "text": raw.Message.Text}
	if raw.Message.ThreadTS != "" {
		out["thread_ts"] = raw.Message.ThreadTS
	}
	return out, nil
}
