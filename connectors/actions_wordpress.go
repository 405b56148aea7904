package connectors

// Typed actions of WordPress (REST API wp/v2).

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

func init() {
	register(
		&Action{
			Name: "wordpress.list_posts", Provider: "wordpress", Title: "List WordPress posts",
			Description: "Lists blog posts of the WordPress site, newest first by default, one page at a time. " +
				"Filter by status (publish, draft, pending, private, future or any) and by words in the title or content. " +
				"Each item has the post id, title, status, dates, link and excerpt; use wordpress.get_post for the full content.",
			Input:  wpListInput("post"),
			Output: listOutput(wpPostSchema(false), true),
			Run: func(ctx context.Context, c *Call, in json.RawMessage) (any, error) {
				return wpList(ctx, c, "posts", in)
			},
		},
		&Action{
			Name: "wordpress.get_post", Provider: "wordpress", Title: "Get a WordPress post",
			Description: "Returns one post of the WordPress site by its numeric id, with its full HTML content.",
			Input: inputSchema(`"id":{"type":"integer","minimum":1,"description":"The numeric id of the post (the id of a wordpress.list_posts item)."}`,
				"id"),
			Output: outputObject(wpPostSchema(true)),
			Run:    wpGetPost,
		},
		&Action{
			Name: "wordpress.create_post", Provider: "wordpress", Title: "Create a WordPress post", Write: true,
			Description: "Creates a blog post on the WordPress site. It is saved as a draft unless status says otherwise " +
				"(publish makes it public at once; future schedules it for date). Content is HTML. Returns the new post with its id and link.",
			Input: objectSchema(`"title":{"type":"string","minLength":1,"maxLength":1000,"description":"The post title (plain text)."},`+
				`"content":{"type":"string","maxLength":1000000,"description":"The post body as HTML (Gutenberg block markup also works)."},`+
				`"excerpt":{"type":"string","maxLength":10000,"description":"Optional short summary shown in lists and feeds."},`+
				`"status":{"type":"string","enum":["draft","publish","pending","private","future"],"default":"draft","description":"draft (default) keeps it unpublished; publish makes it public now; pending awaits review; private is visible to editors only; future publishes at date."},`+
				`"date":{"type":"string","format":"date-time","description":"Publication date in the site's time zone, e.g. 2025-03-01T09:00:00; required for status future."},`+
				`"slug":{"type":"string","pattern":"^[a-z0-9-]{1,200}$","description":"Optional URL slug, lowercase letters, digits and hyphens."},`+
				`"categories":{"type":"array","items":{"type":"integer","minimum":1},"maxItems":50,"description":"Optional category ids."},`+
				`"tags":{"type":"array","items":{"type":"integer","minimum":1},"maxItems":100,"description":"Optional tag ids."}`,
				[]string{"title"}, `"if":{"properties":{"status":{"const":"future"}},"required":["status"]},"then":{"required":["date"]}`),
			Output: outputObject(wpPostSchema(true)),
			Run:    wpCreatePost,
		},
		&Action{
			Name: "wordpress.list_pages", Provider: "wordpress", Title: "List WordPress pages",
			Description: "Lists the static pages of the WordPress site (not blog posts), one page of results at a time. " +
				"Filter by status and by words in the title or content.",
			Input:  wpListInput("page"),
			Output: listOutput(wpPostSchema(false), true),
			Run: func(ctx context.Context, c *Call, in json.RawMessage) (any, error) {
				return wpList(ctx, c, "pages", in)
			},
		},
	)
}

func wpListInput(kind string) json.RawMessage {
	return inputSchema(limitProp(10, 100) + "," + cursorProp + "," +
		`"status":{"type":"string","enum":["publish","draft","pending","private","future","any"],"default":"publish","description":"Only ` + kind + `s with this status; any means all statuses."},` +
		`"search":{"type":"string","minLength":1,"maxLength":200,"description":"Only ` + kind + `s whose title or content contains these words."},` +
		`"orderby":{"type":"string","enum":["date","modified","title","id"],"default":"date","description":"Sort field."},` +
		`"order":{"type":"string","enum":["desc","asc"],"default":"desc","description":"Sort direction."}`)
}

func wpPostSchema(withContent bool) string {
	content := ""
	if withContent {
		content = `"content":{"type":"string","description":"The full content as rendered HTML."},`
	}
	return `{"type":"object","required":["id","title","status","link"],"properties":{` +
		`"id":{"type":"integer","description":"Numeric id."},` +
		`"type":{"type":"string","description":"post or page."},` +
		`"title":{"type":"string","description":"Title as plain text."},` +
		`"status":{"type":"string","description":"publish, draft, pending, private or future."},` +
		`"slug":{"type":"string"},` +
		`"link":{"type":"string","description":"Public URL."},` +
		`"date":{"type":"string","description":"Publication date in the site's time zone."},` +
		`"modified":{"type":"string","description":"Last change in the site's time zone."},` +
		`"author":{"type":"integer","description":"Author user id."},` +
		`"parent":{"type":"integer","description":"Parent page id (pages only)."},` +
		`"excerpt":{"type":"string","description":"Excerpt as rendered HTML."},` + content +
		`"categories":{"type":"array","items":{"type":"integer"}},` +
		`"tags":{"type":"array","items":{"type":"integer"}}}}`
}

// wpRendered is WordPress's {"rendered": ...} field.
type wpRendered struct {
	Rendered string `json:"rendered"`
}

type wpPostRaw struct {
	ID         int64      `json:"id"`
	Type       string     `json:"type"`
	Title      wpRendered `json:"title"`
	Status     string     `json:"status"`
	Slug       string     `json:"slug"`
	Link       string     `json:"link"`
	Date       string     `json:"date"`
	Modified   string     `json:"modified"`
	Author     int64      `json:"author"`
	Parent     int64      `json:"parent"`
	Excerpt    wpRendered `json:"excerpt"`
	Content    wpRendered `json:"content"`
	Categories []int64    `json:"categories"`
	Tags       []int64    `json:"tags"`
}

type wpPost struct {
	ID         int64   `json:"id"`
	Type       string  `json:"type"`
	Title      string  `json:"title"`
	Status     string  `json:"status"`
	Slug       string  `json:"slug"`
	Link       string  `json:"link"`
	Date       string  `json:"date"`
	Modified   string  `json:"modified"`
	Author     int64   `json:"author"`
	Parent     int64   `json:"parent,omitempty"`
	Excerpt    string  `json:"excerpt"`
	Content    *string `json:"content,omitempty"`
	Categories []int64 `json:"categories,omitempty"`
	Tags       []int64 `json:"tags,omitempty"`
}

func (r wpPostRaw) normalise(withContent bool) wpPost {
	p := wpPost{ID: r.ID, Type: r.Type, Title: html.UnescapeString(r.Title.Rendered), Status: r.Status, Slug: r.Slug,
		Link: r.Link, Date: r.Date, Modified: r.Modified, Author: r.Author, Parent: r.Parent,
		Excerpt: strings.TrimSpace(r.Excerpt.Rendered), Categories: r.Categories, Tags: r.Tags}
	if withContent {
		content := r.Content.Rendered
		p.Content = &content
	}
	return p
}

const wpListFields = "id,type,title,status,slug,link,date,modified,author,parent,excerpt,categories,tags"

func wpList(ctx context.Context, c *Call, collection string, input json.RawMessage) (any, error) {
	var in struct {
		Limit   int    `json:"limit"`
		Cursor  string `json:"cursor"`
		Status  string `json:"status"`
		Search  string `json:"search"`
		OrderBy string `json:"orderby"`
		Order   string `json:"order"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	pg, err := pageNumber(in.Cursor)
	if err != nil {
		return nil, err
	}
	if in.Limit == 0 {
		in.Limit = 10
	}
	q := url.Values{"page": {strconv.Itoa(pg)}, "per_page": {strconv.Itoa(in.Limit)}, "_fields": {wpListFields}}
	for k, v := range map[string]string{"status": in.Status, "search": in.Search, "orderby": in.OrderBy, "order": in.Order} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var raw []wpPostRaw
	h, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/wp/v2/" + collection, query: q}, &raw)
	if err != nil {
		return nil, err
	}
	items := make([]wpPost, 0, len(raw))
	for _, r := range raw {
		items = append(items, r.normalise(false))
	}
	next := ""
	if pages, ok := headerInt(h, "X-WP-TotalPages"); ok && int64(pg) < pages {
		next = strconv.Itoa(pg + 1)
	}
	total, ok := headerInt(h, "X-WP-Total")
	return newListPage(items, next).withTotal(total, ok), nil
}

func wpGetPost(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		ID int64 `json:"id"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	var raw wpPostRaw
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/wp/v2/posts/" + strconv.FormatInt(in.ID, 10)}, &raw); err != nil {
		return nil, err
	}
	return raw.normalise(true), nil
}

func wpCreatePost(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Title      string  `json:"title"`
		Content    string  `json:"content,omitempty"`
		Excerpt    string  `json:"excerpt,omitempty"`
		Status     string  `json:"status"`
		Date       string  `json:"date,omitempty"`
		Slug       string  `json:"slug,omitempty"`
		Categories []int64 `json:"categories,omitempty"`
		Tags       []int64 `json:"tags,omitempty"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.Status == "" {
		in.Status = "draft"
	}
	if in.Date != "" && !wpDate(in.Date) {
		return nil, hub.InvalidField("date", "is not a date and time like 2025-03-01T09:00:00")
	}
	var raw wpPostRaw
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: "/wp/v2/posts", json: in}, &raw); err != nil {
		return nil, err
	}
	return raw.normalise(true), nil
}

// wpDate reports whether v is a date-time WordPress takes: RFC 3339, or
// without a zone (the site's time zone).
func wpDate(v string) bool {
	if _, err := time.Parse(time.RFC3339, v); err == nil {
		return true
	}
	_, err := time.Parse("2006-01-02T15:04:05", v)
	return err == nil
}
