package connectors

// Typed actions of Google Analytics 4 (Analytics Data API v1beta).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func init() {
	nameList := func(what, examples string, min, max int) string {
		return `{"type":"array","items":{"type":"string","pattern":"^[A-Za-z][A-Za-z0-9_:]{0,99}$"},"minItems":` + strconv.Itoa(min) +
			`,"maxItems":` + strconv.Itoa(max) + `,"uniqueItems":true,"description":"GA4 API names of the ` + what + `, e.g. ` + examples +
			`; google-analytics.get_metadata lists them all."}`
	}
	gaDate := `{"type":"string","pattern":"^([0-9]{4}-[0-9]{2}-[0-9]{2}|today|yesterday|[0-9]{1,4}daysAgo)$",`
	register(
		&Action{
			Name: "google-analytics.run_report", Provider: "google-analytics", Title: "Run a Google Analytics 4 report",
			Description: "Runs a report on the connected GA4 property: metrics (e.g. activeUsers, sessions, screenPageViews, conversions, totalRevenue) " +
				"broken down by dimensions (e.g. date, country, deviceCategory, sessionSource, pagePath) over a date range. " +
				"Dates are YYYY-MM-DD or relative (today, yesterday, 30daysAgo). Each row maps dimension and metric names to values; metric values are numbers.",
			Input: inputSchema(`"metrics":`+nameList("metrics", "activeUsers, sessions, screenPageViews", 1, 10)+`,`+
				`"dimensions":`+nameList("dimensions", "date, country, pagePath", 0, 9)+`,`+
				`"start_date":`+gaDate+`"default":"28daysAgo","description":"First day: YYYY-MM-DD, today, yesterday or NdaysAgo (default 28daysAgo)."},`+
				`"end_date":`+gaDate+`"default":"yesterday","description":"Last day, inclusive: YYYY-MM-DD, today, yesterday or NdaysAgo (default yesterday)."},`+
				`"order_by":{"type":"string","pattern":"^-?[A-Za-z][A-Za-z0-9_:]{0,99}$","description":"A metric or dimension of the report to sort by; prefix with - for descending (e.g. -sessions)."},`+
				limitProp(100, 10000)+","+cursorProp,
				"metrics"),
			Output: gaReportOutput(true),
			Run:    gaRunReport,
		},
		&Action{
			Name: "google-analytics.realtime_report", Provider: "google-analytics", Title: "Google Analytics 4 realtime report",
			Description: "Reports activity on the connected GA4 property in the last 30 minutes: realtime metrics (e.g. activeUsers, screenPageViews, eventCount) " +
				"by realtime dimensions (e.g. country, deviceCategory, unifiedScreenName, eventName).",
			Input: inputSchema(`"metrics":`+nameList("realtime metrics", "activeUsers, eventCount", 1, 10)+`,`+
				`"dimensions":`+nameList("realtime dimensions", "country, deviceCategory", 0, 9)+`,`+
				`"minutes_ago":{"type":"integer","minimum":1,"maximum":30,"default":30,"description":"Report the last N minutes (1-30; up to 60 on GA4 360)."},`+
				limitProp(100, 10000),
				"metrics"),
			Output: gaReportOutput(false),
			Run:    gaRealtimeReport,
		},
		&Action{
			Name: "google-analytics.get_metadata", Provider: "google-analytics", Title: "List GA4 dimensions and metrics",
			Description: "Lists the dimensions and metrics available on the connected GA4 property (standard and custom), with API name, " +
				"UI name, description and category; use the API names in google-analytics.run_report. Optionally keep only names or descriptions containing a text.",
			Input: inputSchema(`"search":{"type":"string","minLength":1,"maxLength":100,"description":"Only fields whose API name, UI name or description contains this text (case-insensitive)."}`),
			Output: outputObject(`{"type":"object","required":["dimensions","metrics"],"properties":{` +
				`"dimensions":{"type":"array","items":{"type":"object","required":["api_name"],"properties":{"api_name":{"type":"string"},"ui_name":{"type":"string"},"description":{"type":"string"},"category":{"type":"string"}}}},` +
				`"metrics":{"type":"array","items":{"type":"object","required":["api_name"],"properties":{"api_name":{"type":"string"},"ui_name":{"type":"string"},"description":{"type":"string"},"category":{"type":"string"},"type":{"type":"string","description":"TYPE_INTEGER, TYPE_FLOAT, TYPE_SECONDS, TYPE_CURRENCY..."}}}}}}`),
			Run: gaGetMetadata,
		},
	)
}

func gaReportOutput(paged bool) json.RawMessage {
	next := ""
	req := `"rows","row_count"`
	if paged {
		next = `,"next_cursor":{"type":["string","null"],"description":"Pass as cursor to get the next rows; null after the last."}`
		req += `,"next_cursor"`
	}
	return outputObject(`{"type":"object","required":[` + req + `],"properties":{` +
		`"dimensions":{"type":"array","items":{"type":"string"},"description":"The dimension names, in row order."},` +
		`"metrics":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"type":{"type":"string"}}}},` +
		`"rows":{"type":"array","items":{"type":"object","additionalProperties":{"type":["string","number"]},"description":"Dimension values (strings) and metric values (numbers) by name."}},` +
		`"row_count":{"type":"integer","description":"Rows in the whole report (all pages)."}` + next + `}}`)
}

type gaName struct {
	Name string `json:"name"`
}

type gaReportRaw struct {
	DimensionHeaders []gaName `json:"dimensionHeaders"`
	MetricHeaders    []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"metricHeaders"`
	Rows []struct {
		DimensionValues []struct {
			Value string `json:"value"`
		} `json:"dimensionValues"`
		MetricValues []struct {
			Value string `json:"value"`
		} `json:"metricValues"`
	} `json:"rows"`
	RowCount int64 `json:"rowCount"`
}

type gaMetric struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type gaReport struct {
	Dimensions []string         `json:"dimensions"`
	Metrics    []gaMetric       `json:"metrics"`
	Rows       []map[string]any `json:"rows"`
	RowCount   int64            `json:"row_count"`
}

// gaPagedReport is a report page with the cursor of the next rows.
type gaPagedReport struct {
	gaReport
	NextCursor *string `json:"next_cursor"`
}

func (r gaReportRaw) normalise() gaReport {
	out := gaReport{Dimensions: []string{}, Metrics: []gaMetric{}, Rows: []map[string]any{}, RowCount: r.RowCount}
	for _, d := range r.DimensionHeaders {
		out.Dimensions = append(out.Dimensions, d.Name)
	}
	for _, m := range r.MetricHeaders {
		out.Metrics = append(out.Metrics, gaMetric{Name: m.Name, Type: m.Type})
	}
	for _, row := range r.Rows {
		m := map[string]any{}
		for i, v := range row.DimensionValues {
			if i < len(out.Dimensions) {
				m[out.Dimensions[i]] = v.Value
			}
		}
		for i, v := range row.MetricValues {
			if i >= len(out.Metrics) {
				continue
			}
			if f, err := strconv.ParseFloat(v.Value, 64); err == nil {
				m[out.Metrics[i].Name] = f
			} else {
				m[out.Metrics[i].Name] = v.Value
			}
		}
		out.Rows = append(out.Rows, m)
	}
	return out
}

func gaNames(names []string) []gaName {
	out := make([]gaName, 0, len(names))
	for _, n := range names {
		out = append(out, gaName{Name: n})
	}
	return out
}

func gaPropertyPath(c *Call, suffix string) string {
	return "/properties/" + url.PathEscape(c.Config("property_id")) + suffix
}

func gaRunReport(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Metrics    []string `json:"metrics"`
		Dimensions []string `json:"dimensions"`
		StartDate  string   `json:"start_date"`
		EndDate    string   `json:"end_date"`
		OrderBy    string   `json:"order_by"`
		Limit      int      `json:"limit"`
		Cursor     string   `json:"cursor"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	offset, err := offsetNumber(in.Cursor)
	if err != nil {
		return nil, err
	}
	if in.StartDate == "" {
		in.StartDate = "28daysAgo"
	}
	if in.EndDate == "" {
		in.EndDate = "yesterday"
	}
	if in.Limit == 0 {
		in.Limit = 100
	}
	body := map[string]any{
		"dateRanges": []map[string]string{{"startDate": in.StartDate, "endDate": in.EndDate}},
		"metrics":    gaNames(in.Metrics),
		"limit":      strconv.Itoa(in.Limit),
	}
	if len(in.Dimensions) > 0 {
		body["dimensions"] = gaNames(in.Dimensions)
	}
	if offset > 0 {
		body["offset"] = strconv.Itoa(offset)
	}
	if in.OrderBy != "" {
		name, desc := strings.TrimPrefix(in.OrderBy, "-"), strings.HasPrefix(in.OrderBy, "-")
		ob := map[string]any{"desc": desc}
		if contains(in.Metrics, name) {
			ob["metric"] = map[string]string{"metricName": name}
		} else {
			ob["dimension"] = map[string]string{"dimensionName": name}
		}
		body["orderBys"] = []any{ob}
	}
	var raw gaReportRaw
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: gaPropertyPath(c, ":runReport"), json: body}, &raw); err != nil {
		return nil, err
	}
	rep := gaPagedReport{gaReport: raw.normalise()}
	if next := int64(offset + len(rep.Rows)); len(rep.Rows) > 0 && next < raw.RowCount {
		s := strconv.FormatInt(next, 10)
		rep.NextCursor = &s
	}
	return rep, nil
}

func gaRealtimeReport(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Metrics    []string `json:"metrics"`
		Dimensions []string `json:"dimensions"`
		MinutesAgo int      `json:"minutes_ago"`
		Limit      int      `json:"limit"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.MinutesAgo == 0 {
		in.MinutesAgo = 30
	}
	if in.Limit == 0 {
		in.Limit = 100
	}
	body := map[string]any{
		"metrics":      gaNames(in.Metrics),
		"limit":        strconv.Itoa(in.Limit),
		"minuteRanges": []map[string]any{{"startMinutesAgo": in.MinutesAgo - 1, "endMinutesAgo": 0}},
	}
	if len(in.Dimensions) > 0 {
		body["dimensions"] = gaNames(in.Dimensions)
	}
	var raw gaReportRaw
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: gaPropertyPath(c, ":runRealtimeReport"), json: body}, &raw); err != nil {
		return nil, err
	}
	return raw.normalise(), nil
}

func gaGetMetadata(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Search string `json:"search"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	type field struct {
		APIName     string `json:"api_name"`
		UIName      string `json:"ui_name"`
		Description string `json:"description"`
		Category    string `json:"category"`
		Type        string `json:"type,omitempty"`
	}
	var raw struct {
		Dimensions []struct {
			APIName     string `json:"apiName"`
			UIName      string `json:"uiName"`
			Description string `json:"description"`
			Category    string `json:"category"`
		} `json:"dimensions"`
		Metrics []struct {
			APIName     string `json:"apiName"`
			UIName      string `json:"uiName"`
			Description string `json:"description"`
			Category    string `json:"category"`
			Type        string `json:"type"`
		} `json:"metrics"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: gaPropertyPath(c, "/metadata")}, &raw); err != nil {
		return nil, err
	}
	needle := strings.ToLower(in.Search)
	keep := func(f field) bool {
		return needle == "" || strings.Contains(strings.ToLower(f.APIName+"\n"+f.UIName+"\n"+f.Description), needle)
	}
	out := struct {
		Dimensions []field `json:"dimensions"`
		Metrics    []field `json:"metrics"`
	}{Dimensions: []field{}, Metrics: []field{}}
	for _, d := range raw.Dimensions {
		if f := (field{d.APIName, d.UIName, d.Description, d.Category, ""}); keep(f) {
			out.Dimensions = append(out.Dimensions, f)
		}
	}
	for _, m := range raw.Metrics {
		if f := (field{m.APIName, m.UIName, m.Description, m.Category, m.Type}); keep(f) {
			out.Metrics = append(out.Metrics, f)
		}
	}
	return out, nil
}
