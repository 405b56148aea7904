package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	hub "github.com/bizoshub/bizos"
)

// Tool naming. A connector action becomes the tool named after the action
// with '.' turned into '_' (hubspot.search_contacts → hubspot_search_contacts)
// when the tenant has one connection of the action's platform. When it has
// several, each tool name ends in "__" and the last 8 letters and digits of
// the connection id (hubspot_search_contacts__9f3c1a2b), or more of them
// when 8 do not tell the connections apart. The knowledge tool is
// SearchKnowledgeTool.
const (
	// SearchKnowledgeTool is the name of the knowledge search tool.
	SearchKnowledgeTool = "search_knowledge"
	suffixSeparator     = "__"
)

// Bounds on what one tenant's tool list holds.
const (
	maxConnections     = 500
	maxKnowledgeBases  = 200
	describedKBs       = 50
	defaultSearchLimit = 8
	maxSearchLimit     = 50
)

type perm struct{ resource, action string }

func (p perm) String() string { return p.resource + ":" + p.action }

var (
	permConnectionsRead  = perm{ResourceConnections, hub.ActionRead}
	permConnectionsWrite = perm{ResourceConnections, hub.ActionWrite}
	permKnowledgeRead    = perm{ResourceKnowledge, hub.ActionRead}
)

// toolSpec is one tool a tenant has, with the permissions calling it needs.
type toolSpec struct {
	tool    *mcp.Tool
	needs   []perm
	handler mcp.ToolHandler
}

// server builds the MCP server of one request: the tenant's tools that the
// principal may call, and a refusal naming the missing scope for the others.
func (h *Handler) server(ctx context.Context, p hub.Principal) (*mcp.Server, error) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "bizos-hub", Title: "BizOS Hub", Version: h.cfg.Version}, &mcp.ServerOptions{
		Instructions: "Tools of one BizOS Hub tenant: typed actions on the tenant's connected platforms (one tool per " +
			"connection and action; names end in __<connection id suffix> when the tenant has several connections of a platform)" +
			" and, when available, search_knowledge over the tenant's knowledge bases. Which tools appear depends on the API key's scopes.",
		// Tools are fixed for the life of a request: no list-changed notifications.
		Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}},
		// The list depends on the API key: no cache shared between callers
		// may keep it (the protocol's default scope is "public").
		SetCacheable: func(_ context.Context, _ mcp.Request, c *mcp.Cacheable) { c.CacheScope = "private" },
	})
	snap, err := h.snapshot(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	decisions := map[perm]bool{}
	allowed := func(pm perm) (bool, error) {
		if ok, done := decisions[pm]; done {
			return ok, nil
		}
		err := h.cfg.Authorizer.Authorize(ctx, p, p.TenantID, pm.resource, pm.action)
		switch hub.ErrorCode(err) {
		case "":
			decisions[pm] = true
		case hub.EFORBIDDEN, hub.ENOTFOUND:
			decisions[pm] = false
		default:
			return false, fmt.Errorf("mcpserver: authorize %s: %w", pm, err)
		}
		return decisions[pm], nil
	}
	forbidden := map[string]perm{}
	meta := hub.RequestMetaFromContext(ctx)
	for _, spec := range h.tools(snap, p, meta) {
		ok := true
		for _, pm := range spec.needs {
			yes, err := allowed(pm)
			if err != nil {
				return nil, err
			}
			if !yes {
				forbidden[spec.tool.Name], ok = pm, false
				break
			}
		}
		if ok {
			srv.AddTool(spec.tool, spec.handler)
		}
	}
	if len(forbidden) > 0 {
		srv.AddReceivingMiddleware(refuse(forbidden))
	}
	return srv, nil
}

// refuse answers calls of the tenant's tools that the key may not call with
// an error naming the scope it lacks (they are not listed either).
func refuse(forbidden map[string]perm) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if r, ok := req.(*mcp.CallToolRequest); ok && method == "tools/call" && r.Params != nil {
				if pm, ok := forbidden[r.Params.Name]; ok {
					return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams,
						Message: fmt.Sprintf("This API key may not call %s: it needs the %s scope.", r.Params.Name, pm)}
				}
			}
			return next(ctx, method, req)
		}
	}
}

// tools lists every tool of the tenant, whatever the key's scopes.
func (h *Handler) tools(snap *snapshot, p hub.Principal, meta hub.RequestMeta) []toolSpec {
	var specs []toolSpec
	suffixes := connectionSuffixes(snap.conns)
	actions := map[string][]Action{}
	for _, c := range snap.conns {
		acts, ok := actions[c.Provider]
		if !ok {
			acts = h.cfg.Actions(c.Provider)
			actions[c.Provider] = acts
		}
		for _, a := range acts {
			if !isObjectSchema(a.Input) {
				h.cfg.Log.Error("mcpserver: action input schema is not an object; tool left out", "action", a.Name)
				continue
			}
			specs = append(specs, h.actionTool(c, a, suffixes[c.ID], p, meta))
		}
	}
	if h.cfg.Knowledge != nil && (h.cfg.KnowledgeBases == nil || len(snap.kbs) > 0) {
		specs = append(specs, h.searchTool(snap.kbs, p))
	}
	return specs
}

func (h *Handler) actionTool(c *hub.Connection, a Action, suffix string, p hub.Principal, meta hub.RequestMeta) toolSpec {
	name := toolName(a.Name, suffix)
	desc := strings.TrimSpace(a.Description)
	if desc != "" {
		desc += "\n\n"
	}
	desc += fmt.Sprintf("Runs on the tenant's %s connection %q (id %s).", c.Provider, c.Name, c.ID)
	if c.Status != "" && c.Status != hub.ConnectionConnected {
		desc += fmt.Sprintf(" The connection's status is %s: it may need to be reconnected in BizOS Hub first.", c.Status)
	}
	openWorld := true
	t := &mcp.Tool{
		Name:        name,
		Title:       fmt.Sprintf("%s (%s)", a.Title, c.Name),
		Description: desc,
		InputSchema: a.Input,
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: !a.Write, OpenWorldHint: &openWorld},
		Meta:        mcp.Meta{"bizos/action": a.Name, "bizos/connection_id": c.ID},
	}
	if isObjectSchema(a.Output) {
		t.OutputSchema = a.Output
	}
	needs := []perm{permConnectionsRead}
	if a.Write {
		needs = append(needs, permConnectionsWrite)
	}
	connID, action, write := c.ID, a.Name, a.Write
	handler := func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		input := req.Params.Arguments
		if len(bytes.TrimSpace(input)) == 0 || bytes.Equal(bytes.TrimSpace(input), []byte("null")) {
			input = json.RawMessage("{}")
		}
		out, err := h.cfg.Runner.RunAction(ctx, p.TenantID, connID, action, input)
		if err != nil {
			return h.toolError(ctx, name, err), nil
		}
		if write && h.cfg.Audit != nil {
			e := &hub.AuditEntry{TenantID: p.TenantID, ActorType: string(p.Kind), ActorID: p.ID, Action: "connection.action",
				TargetType: "connection", TargetID: connID, RequestID: meta.RequestID, IP: meta.IP,
				Details: map[string]any{"action": action, "via": "mcp"}}
			if err := h.cfg.Audit.RecordAudit(ctx, e); err != nil {
				h.cfg.Log.ErrorContext(ctx, "mcpserver: audit record failed", "action", action, "err", err, "request_id", meta.RequestID)
			}
		}
		return h.result(ctx, name, out), nil
	}
	return toolSpec{tool: t, needs: needs, handler: handler}
}

// searchInput is the arguments of search_knowledge.
type searchInput struct {
	Query           string `json:"query"`
	KnowledgeBaseID string `json:"knowledge_base_id,omitempty"`
	Limit           int    `json:"limit,omitempty"`
}

// SearchResults is the structured result of search_knowledge.
type SearchResults struct {
	Results []*hub.SearchResult `json:"results"`
}

var searchSchema = json.RawMessage(fmt.Sprintf(`{"type":"object","additionalProperties":false,"required":["query"],"properties":{`+
	`"query":{"type":"string","minLength":1,"maxLength":1000,"description":"What to look for: a question or keywords (\"quoted phrases\", -excluded words and OR work)."},`+
	`"knowledge_base_id":{"type":"string","description":"Search only this knowledge base (ids are listed in this tool's description); every one of the tenant's bases when omitted."},`+
	`"limit":{"type":"integer","minimum":1,"maximum":%d,"description":"How many passages to return (default %d)."}}}`, maxSearchLimit, defaultSearchLimit))

func (h *Handler) searchTool(kbs []*hub.KnowledgeBase, p hub.Principal) toolSpec {
	desc := "Searches the tenant's knowledge bases (uploaded documents) and returns the best-matching passages, best first, " +
		"each with its document name, heading, page and offsets so it can be cited."
	known := map[string]bool{}
	var ids []string
	for i, kb := range kbs {
		known[kb.ID] = true
		ids = append(ids, kb.ID)
		if i == 0 {
			desc += "\n\nKnowledge bases:"
		}
		if i < describedKBs {
			desc += fmt.Sprintf("\n- %q (id %s)", kb.Name, kb.ID)
			if d := strings.TrimSpace(kb.Description); d != "" {
				desc += ": " + d
			}
		} else if i == describedKBs {
			desc += fmt.Sprintf("\n- and %d more", len(kbs)-describedKBs)
		}
	}
	openWorld := false
	t := &mcp.Tool{
		Name:        SearchKnowledgeTool,
		Title:       "Search knowledge bases",
		Description: desc,
		InputSchema: searchSchema,
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: &openWorld},
	}
	listed := h.cfg.KnowledgeBases != nil
	handler := func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		in, err := decodeSearch(req.Params.Arguments)
		if err != nil {
			return h.toolError(ctx, SearchKnowledgeTool, err), nil
		}
		kbIDs := ids
		if in.KnowledgeBaseID != "" {
			if listed && !known[in.KnowledgeBaseID] {
				return h.toolError(ctx, SearchKnowledgeTool, hub.InvalidField("knowledge_base_id",
					fmt.Sprintf("%q is not one of this tenant's knowledge bases", in.KnowledgeBaseID))), nil
			}
			kbIDs = []string{in.KnowledgeBaseID}
		}
		res, err := h.cfg.Knowledge.SearchKnowledge(ctx, p.TenantID, kbIDs, in.Query, in.Limit)
		if err != nil {
			return h.toolError(ctx, SearchKnowledgeTool, err), nil
		}
		if res == nil {
			res = []*hub.SearchResult{}
		}
		return h.result(ctx, SearchKnowledgeTool, SearchResults{Results: res}), nil
	}
	return toolSpec{tool: t, needs: []perm{permKnowledgeRead}, handler: handler}
}

// decodeSearch reads and checks search_knowledge's arguments (the SDK leaves
// that to tools added with a raw schema).
func decodeSearch(raw json.RawMessage) (searchInput, error) {
	var in searchInput
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return in, hub.Errorf(hub.EINVALID, "The arguments must be an object with query (text), knowledge_base_id (text) and limit (number): %s.",
				strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	in.Query = strings.TrimSpace(in.Query)
	switch {
	case in.Query == "":
		return in, hub.InvalidField("query", "is required")
	case len(in.Query) > 1000:
		return in, hub.InvalidField("query", "must be at most 1000 bytes")
	case in.Limit < 0 || in.Limit > maxSearchLimit:
		return in, hub.InvalidField("limit", fmt.Sprintf("must be from 1 to %d", maxSearchLimit))
	case in.Limit == 0:
		in.Limit = defaultSearchLimit
	}
	return in, nil
}

// result renders a tool's output as JSON text, and as structured content
// when it is a JSON object.
func (h *Handler) result(ctx context.Context, tool string, out any) *mcp.CallToolResult {
	raw, err := json.Marshal(out)
	if err != nil {
		return h.toolError(ctx, tool, fmt.Errorf("mcpserver: encode %s result: %w", tool, err))
	}
	res := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(raw)}}}
	if len(raw) > 0 && raw[0] == '{' {
		res.StructuredContent = json.RawMessage(raw)
	}
	return res
}

// toolError turns err into a tool error whose text is the hub error's
// user-facing message; internal causes are logged, never returned.
func (h *Handler) toolError(ctx context.Context, tool string, err error) *mcp.CallToolResult {
	if code := hub.ErrorCode(err); code == hub.EINTERNAL {
		h.cfg.Log.ErrorContext(ctx, "mcpserver: tool failed", "tool", tool, "err", err,
			"request_id", hub.RequestMetaFromContext(ctx).RequestID)
	}
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: hub.ErrorMessage(err)}}}
}

// toolName names a connector action's tool: the action name with '.' as
// '_', then "__" and the connection suffix when there is one.
func toolName(action, suffix string) string {
	var b strings.Builder
	for _, r := range action {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if suffix != "" {
		b.WriteString(suffixSeparator + suffix)
	}
	return b.String()
}

// connectionSuffixes gives every connection that shares its platform with
// another one of the tenant's a suffix: the shortest tail of its id (8, 12,
// 16 letters and digits, or all of them) that no other connection of that
// platform shares. Ids are UUIDv7, whose head is a timestamp and whose tail
// is random, hence the tail.
func connectionSuffixes(conns []*hub.Connection) map[string]string {
	byProvider := map[string][]*hub.Connection{}
	for _, c := range conns {
		byProvider[c.Provider] = append(byProvider[c.Provider], c)
	}
	out := map[string]string{}
	for _, group := range byProvider {
		if len(group) < 2 {
			continue
		}
		clean := make([]string, len(group))
		longest := 0
		for i, c := range group {
			clean[i] = alnum(c.ID)
			longest = max(longest, len(clean[i]))
		}
		for _, n := range []int{8, 12, 16, longest} {
			seen := map[string]bool{}
			unique := true
			for _, id := range clean {
				s := id[max(0, len(id)-n):]
				if seen[s] {
					unique = false
					break
				}
				seen[s] = true
			}
			if unique || n == longest {
				for i, c := range group {
					out[c.ID] = clean[i][max(0, len(clean[i])-n):]
				}
				break
			}
		}
	}
	return out
}

// alnum keeps the ASCII letters and digits of s, lowercased.
func alnum(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isObjectSchema reports whether raw is a JSON Schema of type "object", the
// only kind MCP takes for tool input (and, in protocol 2025-06-18, output).
func isObjectSchema(raw json.RawMessage) bool {
	var s struct {
		Type any `json:"type"`
	}
	return len(raw) > 0 && json.Unmarshal(raw, &s) == nil && s.Type == "object"
}

// snapshot is what the tools of one tenant are built from.
type snapshot struct {
	conns   []*hub.Connection
	kbs     []*hub.KnowledgeBase
	expires time.Time
}

// snapshot returns the tenant's connections and knowledge bases, from the
// cache while fresh.
func (h *Handler) snapshot(ctx context.Context, tenantID string) (*snapshot, error) {
	now := time.Now()
	if s := h.cache.get(tenantID, now); s != nil {
		return s, nil
	}
	s := &snapshot{expires: now.Add(h.cfg.CacheTTL)}
	for cursor := ""; len(s.conns) < maxConnections; {
		page, next, err := h.cfg.Connections.ListConnections(ctx, tenantID, hub.Page{Cursor: cursor, Limit: hub.MaxPageLimit})
		if err != nil {
			return nil, fmt.Errorf("mcpserver: list connections: %w", err)
		}
		s.conns = append(s.conns, page...)
		if next == "" || len(page) == 0 {
			break
		}
		cursor = next
	}
	if h.cfg.Knowledge != nil && h.cfg.KnowledgeBases != nil {
		for cursor := ""; len(s.kbs) < maxKnowledgeBases; {
			page, next, err := h.cfg.KnowledgeBases.ListKnowledgeBases(ctx, tenantID, hub.Page{Cursor: cursor, Limit: hub.MaxPageLimit})
			if err != nil {
				return nil, fmt.Errorf("mcpserver: list knowledge bases: %w", err)
			}
			s.kbs = append(s.kbs, page...)
			if next == "" || len(page) == 0 {
				break
			}
			cursor = next
		}
	}
	// Oldest first, so names and order do not move when one is added.
	sort.SliceStable(s.conns, func(i, j int) bool { return s.conns[i].CreatedAt.Before(s.conns[j].CreatedAt) })
	h.cache.put(tenantID, s)
	return s, nil
}

// tenantCache keeps tenants' snapshots for a short while; a negative TTL
// disables it.
type tenantCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]*snapshot
}

const maxCachedTenants = 10_000

func newTenantCache(ttl time.Duration) *tenantCache {
	return &tenantCache{ttl: ttl, m: map[string]*snapshot{}}
}

func (c *tenantCache) get(tenantID string, now time.Time) *snapshot {
	if c.ttl <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.m[tenantID]; s != nil && now.Before(s.expires) {
		return s
	}
	return nil
}

func (c *tenantCache) put(tenantID string, s *snapshot) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedTenants {
		now := time.Now()
		for id, old := range c.m {
			if !now.Before(old.expires) {
				delete(c.m, id)
			}
		}
		if len(c.m) >= maxCachedTenants {
			c.m = map[string]*snapshot{}
		}
	}
	c.m[tenantID] = s
}
