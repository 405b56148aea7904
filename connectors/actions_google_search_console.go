package connectors

// Typed actions of Google Search Console (webmasters v3).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

const gscSiteProp = `"site_url":{"type":"string","pattern":"^(sc-domain:[A-Za-z0-9.-]+|https?://\\S+)$","maxLength":2048,` +
	`"description":"The Search Console property, exactly as google-search-console.list_sites shows it (https://www.example.com/ or sc-domain:example.com). Default: the connection's property."}`

func init() {
	register(
		&Action{
			Name: "google-search-console.list_sites", Provider: "google-search-console", Title: "List Search Console properties",
			Description: "Lists the Search Console properties (sites) the connected Google account can see, with its permission level on each.",
			Input:       inputSchema(""),
			Output: listOutput(`{"type":"object","required":["site_url","permission_level"],"properties":{`+
				`"site_url":{"type":"string","description":"The property: a URL prefix or sc-domain:..."},`+
				`"permission_level":{"type":"string","description":"siteOwner, siteFullUser, siteRestrictedUser or siteUnverifiedUser."}}}`, false),
			Run: gscListSites,
		},
		&Action{
			Name: "google-search-console.search_analytics", Provider: "google-search-console", Title: "Search Console search analytics",
			Description: "Reports Google Search clicks, impressions, click-through rate and average position for a Search Console property over a date range " +
				"(start_date to end_date, or the last N days ending yesterday), broken down by dimensions such as query, page, country, device or date, " +
				"optionally filtered (e.g. queries containing a word). Rows come by clicks, most first. Search data lags about two days.",
			Input: objectSchema(gscSiteProp+","+
				`"days":{"type":"integer","minimum":1,"maximum":480,"default":28,"description":"Report the last N days ending yesterday. Leave out when giving start_date and end_date."},`+
				`"start_date":{"type":"string","format":"date","pattern":"`+datePattern+`","description":"First day, YYYY-MM-DD (with end_date)."},`+
				`"end_date":{"type":"string","format":"date","pattern":"`+datePattern+`","description":"Last day, YYYY-MM-DD, inclusive (with start_date)."},`+
				`"dimensions":{"type":"array","items":{"type":"string","enum":["query","page","country","device","date","searchAppearance"]},"maxItems":5,"uniqueItems":true,"description":"Group rows by these dimensions; none gives one total row."},`+
				`"search_type":{"type":"string","enum":["web","image","video","news","discover","googleNews"],"default":"web","description":"Which Google results to report on."},`+
				`"filters":{"type":"array","maxItems":10,"description":"Conditions rows must all meet.","items":{"type":"object","additionalProperties":false,"required":["dimension","expression"],"properties":{`+
				`"dimension":{"type":"string","enum":["query","page","country","device","searchAppearance"]},`+
				`"operator":{"type":"string","enum":["contains","equals","notContains","notEquals","includingRegex","excludingRegex"],"default":"contains"},`+
				`"expression":{"type":"string","minLength":1,"maxLength":4096,"description":"The value to compare with; countries are ISO 3166-1 alpha-3 (usa), devices DESKTOP, MOBILE or TABLET."}}}},`+
				limitProp(100, 25000)+","+cursorProp,
				nil, `"dependentRequired":{"start_date":["end_date"],"end_date":["start_date"]},"not":{"required":["days","start_date"]}`),
			Output: listOutput(`{"type":"object","required":["clicks","impressions","ctr","position"],"properties":{`+
				`"clicks":{"type":"number"},"impressions":{"type":"number"},`+
				`"ctr":{"type":"number","description":"Click-through rate, 0-1."},"position":{"type":"number","description":"Average position, 1 is the top."}},`+
				`"additionalProperties":{"type":["string","number"]},"description":"The row's dimension values by dimension name (query, page...) and its metrics."}`, false),
			Run: gscSearchAnalytics,
		},
		&Action{
			Name: "google-search-console.list_sitemaps", Provider: "google-search-console", Title: "List Search Console sitemaps",
			Description: "Lists the sitemaps submitted for a Search Console property, with when Google last downloaded them and their error and warning counts.",
			Input:       inputSchema(gscSiteProp),
			Output: listOutput(`{"type":"object","required":["path"],"properties":{`+
				`"path":{"type":"string","description":"The sitemap URL."},"last_submitted":{"type":"string"},"last_downloaded":{"type":"string"},`+
				`"is_pending":{"type":"boolean"},"is_sitemaps_index":{"type":"boolean"},"type":{"type":"string"},`+
				`"errors":{"type":"integer"},"warnings":{"type":"integer"}}}`, false),
			Run: gscListSitemaps,
		},
		&Action{
			Name: "google-search-console.submit_sitemap", Provider: "google-search-console", Title: "Submit a sitemap to Search Console", Write: true,
			Description: "Submits (or resubmits) a sitemap URL for a Search Console property so Google crawls it. The sitemap must be on the property's site.",
			Input: inputSchema(gscSiteProp+","+
				`"sitemap_url":{"type":"string","format":"uri","pattern":"^https?://\\S+$","maxLength":2048,"description":"Full URL of the sitemap, e.g. https://www.example.com/sitemap.xml."}`,
				"sitemap_url"),
			Output: outputObject(`{"type":"object","required":["site_url","sitemap_url","submitted"],"properties":{` +
				`"site_url":{"type":"string"},"sitemap_url":{"type":"string"},"submitted":{"type":"boolean"}}}`),
			Run: gscSubmitSitemap,
		},
	)
}

// gscSite is the property the call is about: the input's, else the connection's.
func gscSite(c *Call, input string) string {
	if input != "" {
		return input
	}
	return c.Config("site_url")
}

func gscListSites(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var raw struct {
		SiteEntry []struct {
			SiteURL         string `json:"siteUrl"`
			PermissionLevel string `json:"permissionLevel"`
		} `json:"siteEntry"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/sites"}, &raw); err != nil {
		return nil, err
	}
	type site struct {
		SiteURL         string `json:"site_url"`
		PermissionLevel string `json:"permission_level"`
	}
	items := make([]site, 0, len(raw.SiteEntry))
	for _, s := range raw.SiteEntry {
		items = append(items, site{s.SiteURL, s.PermissionLevel})
	}
	return newListPage(items, ""), nil
}

func gscSearchAnalytics(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		SiteURL    string   `json:"site_url"`
		Days       int      `json:"days"`
		StartDate  string   `json:"start_date"`
		EndDate    string   `json:"end_date"`
		Dimensions []string `json:"dimensions"`
		SearchType string   `json:"search_type"`
		Filters    []struct {
			Dimension  string `json:"dimension"`
			Operator   string `json:"operator"`
			Expression string `json:"expression"`
		} `json:"filters"`
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	startRow, err := offsetNumber(in.Cursor)
	if err != nil {
		return nil, err
	}
	if in.Days == 0 {
		in.Days = 28
	}
	if in.Limit == 0 {
		in.Limit = 100
	}
	start, end, err := dayRange(c.svc.cfg.Now(), in.Days, in.StartDate, in.EndDate)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"startDate": start.Format("2006-01-02"), "endDate": end.Format("2006-01-02"),
		"rowLimit": in.Limit, "startRow": startRow, "dataState": "final"}
	if len(in.Dimensions) > 0 {
		body["dimensions"] = in.Dimensions
	}
	if in.SearchType != "" {
		body["type"] = in.SearchType
	}
	if len(in.Filters) > 0 {
		var fs []map[string]string
		for _, f := range in.Filters {
			op := f.Operator
			if op == "" {
				op = "contains"
			}
			fs = append(fs, map[string]string{"dimension": f.Dimension, "operator": op, "expression": f.Expression})
		}
		body["dimensionFilterGroups"] = []map[string]any{{"groupType": "and", "filters": fs}}
	}
	var raw struct {
		Rows []struct {
			Keys        []string `json:"keys"`
			Clicks      float64  `json:"clicks"`
			Impressions float64  `json:"impressions"`
			CTR         float64  `json:"ctr"`
			Position    float64  `json:"position"`
		} `json:"rows"`
	}
	path := "/sites/" + url.PathEscape(gscSite(c, in.SiteURL)) + "/searchAnalytics/query"
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: path, json: body}, &raw); err != nil {
		return nil, err
	}
	items := make([]map[string]any, 0, len(raw.Rows))
	for _, r := range raw.Rows {
		row := map[string]any{"clicks": r.Clicks, "impressions": r.Impressions, "ctr": r.CTR, "position": r.Position}
		for i, k := range r.Keys {
			if i < len(in.Dimensions) {
				row[in.Dimensions[i]] = k
			}
		}
		items = append(items, row)
	}
	next := ""
	if len(raw.Rows) == in.Limit {
		next = strconv.Itoa(startRow + in.Limit)
	}
	return newListPage(items, next), nil
}

func gscListSitemaps(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		SiteURL string `json:"site_url"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	var raw struct {
		Sitemap []struct {
			Path            string  `json:"path"`
			LastSubmitted   string  `json:"lastSubmitted"`
			LastDownloaded  string  `json:"lastDownloaded"`
			IsPending       bool    `json:"isPending"`
			IsSitemapsIndex bool    `json:"isSitemapsIndex"`
			Type            string  `json:"type"`
			Errors          flexInt `json:"errors"`
			Warnings        flexInt `json:"warnings"`
		} `json:"sitemap"`
	}
	path := "/sites/" + url.PathEscape(gscSite(c, in.SiteURL)) + "/sitemaps"
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: path}, &raw); err != nil {
		return nil, err
	}
	type sitemap struct {
		Path            string `json:"path"`
		LastSubmitted   string `json:"last_submitted"`
		LastDownloaded  string `json:"last_downloaded"`
		IsPending       bool   `json:"is_pending"`
		IsSitemapsIndex bool   `json:"is_sitemaps_index"`
		Type            string `json:"type"`
		Errors          int64  `json:"errors"`
		Warnings        int64  `json:"warnings"`
	}
	items := make([]sitemap, 0, len(raw.Sitemap))
	for _, s := range raw.Sitemap {
		items = append(items, sitemap{s.Path, s.LastSubmitted, s.LastDownloaded, s.IsPending, s.IsSitemapsIndex, s.Type,
			int64(s.Errors), int64(s.Warnings)})
	}
	return newListPage(items, ""), nil
}

func gscSubmitSitemap(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		SiteURL    string `json:"site_url"`
		SitemapURL string `json:"sitemap_url"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	site := gscSite(c, in.SiteURL)
	path := "/sites/" + url.PathEscape(site) + "/sitemaps/" + url.PathEscape(in.SitemapURL)
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPut, path: path}, nil); err != nil {
		return nil, err
	}
	return map[string]any{"site_url": site, "sitemap_url": in.SitemapURL, "submitted": true}, nil
}
