package connectors

// Typed actions of Meta Ads (Graph API, Marketing).

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

func init() {
	register(
		&Action{
			Name: "meta-ads.list_campaigns", Provider: "meta-ads", Title: "List Meta Ads campaigns",
			Description: "Lists the campaigns of the connected Meta (Facebook/Instagram) ad account, one page at a time, with id, name, " +
				"status, effective status, objective, budgets (in the account currency's minor unit, e.g. cents) and times. Optionally only some effective statuses.",
			Input: inputSchema(limitProp(25, 100) + "," + cursorProp + "," +
				`"effective_status":{"type":"array","items":{"type":"string","enum":["ACTIVE","PAUSED","DELETED","ARCHIVED","IN_PROCESS","WITH_ISSUES"]},"minItems":1,"uniqueItems":true,"description":"Only campaigns with one of these effective statuses."}`),
			Output: listOutput(`{"type":"object","required":["id","name","status"],"properties":{`+
				`"id":{"type":"string"},"name":{"type":"string"},"status":{"type":"string","description":"ACTIVE, PAUSED, DELETED or ARCHIVED as set."},`+
				`"effective_status":{"type":"string","description":"The status in effect, including parent and review states."},`+
				`"objective":{"type":"string"},"daily_budget":{"type":"string","description":"Minor currency units."},"lifetime_budget":{"type":"string"},`+
				`"created_time":{"type":"string"},"updated_time":{"type":"string"},"start_time":{"type":"string"},"stop_time":{"type":"string"}}}`, false),
			Run: metaListCampaigns,
		},
		&Action{
			Name: "meta-ads.campaign_insights", Provider: "meta-ads", Title: "Meta Ads campaign insights",
			Description: "Reports performance per campaign of the connected Meta ad account: impressions, reach, clicks, spend (account currency), " +
				"CTR (percent), CPC and CPM, over a preset period (date_preset, default last_30d) or start_date to end_date. " +
				"With daily true there is one row per campaign per day. Optionally only one campaign.",
			Input: objectSchema(`"date_preset":{"type":"string","enum":["today","yesterday","last_7d","last_14d","last_30d","last_90d","this_month","last_month","maximum"],"default":"last_30d","description":"A preset period; leave out when giving start_date and end_date."},`+
				`"start_date":{"type":"string","format":"date","pattern":"`+datePattern+`","description":"First day, YYYY-MM-DD (with end_date)."},`+
				`"end_date":{"type":"string","format":"date","pattern":"`+datePattern+`","description":"Last day, YYYY-MM-DD, inclusive (with start_date)."},`+
				`"campaign_id":{"type":"string","pattern":"^[0-9]{1,30}$","description":"Only this campaign."},`+
				`"daily":{"type":"boolean","default":false,"description":"One row per campaign per day."},`+
				limitProp(50, 500)+","+cursorProp,
				nil, `"dependentRequired":{"start_date":["end_date"],"end_date":["start_date"]},"not":{"required":["date_preset","start_date"]}`),
			Output: listOutput(`{"type":"object","required":["campaign_id","date_start","date_stop","impressions","clicks","spend"],"properties":{`+
				`"campaign_id":{"type":"string"},"campaign_name":{"type":"string"},"date_start":{"type":"string"},"date_stop":{"type":"string"},`+
				`"impressions":{"type":"integer"},"reach":{"type":"integer"},"clicks":{"type":"integer"},`+
				`"spend":{"type":"number","description":"Account currency."},"ctr":{"type":"number","description":"Percent."},`+
				`"cpc":{"type":"number"},"cpm":{"type":"number"}}}`, false),
			Run: metaCampaignInsights,
		},
		&Action{
			Name: "meta-ads.update_campaign_status", Provider: "meta-ads", Title: "Pause or activate a Meta Ads campaign", Write: true,
			Description: "Sets the status of one campaign of the connected Meta ad account: PAUSED stops delivery and spending, ACTIVE resumes it. " +
				"Takes the campaign id from meta-ads.list_campaigns.",
			Input: inputSchema(`"campaign_id":{"type":"string","pattern":"^[0-9]{1,30}$","description":"The campaign id."},`+
				`"status":{"type":"string","enum":["ACTIVE","PAUSED"],"description":"The new status."}`,
				"campaign_id", "status"),
			Output: outputObject(`{"type":"object","required":["campaign_id","status","success"],"properties":{` +
				`"campaign_id":{"type":"string"},"status":{"type":"string"},"success":{"type":"boolean"}}}`),
			Run: metaUpdateCampaignStatus,
		},
	)
}

const metaCampaignFields = "id,name,status,effective_status,objective,daily_budget,lifetime_budget,created_time,updated_time,start_time,stop_time"

// metaAccountPath is the path of an edge of the connection's ad account.
func metaAccountPath(c *Call, edge string) string {
	return "/" + url.PathEscape(c.Config("ad_account_id")) + "/" + edge
}

type metaPaging struct {
	Cursors struct {
		After string `json:"after"`
	} `json:"cursors"`
	Next string `json:"next"`
}

// next is the after cursor when Graph says more follow.
func (p metaPaging) next() string {
	if p.Next == "" {
		return ""
	}
	return p.Cursors.After
}

func metaListCampaigns(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit           int      `json:"limit"`
		Cursor          string   `json:"cursor"`
		EffectiveStatus []string `json:"effective_status"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.Limit == 0 {
		in.Limit = 25
	}
	q := url.Values{"fields": {metaCampaignFields}, "limit": {strconv.Itoa(in.Limit)}}
	if in.Cursor != "" {
		q.Set("after", in.Cursor)
	}
	if len(in.EffectiveStatus) > 0 {
		raw, _ := json.Marshal(in.EffectiveStatus)
		q.Set("effective_status", string(raw))
	}
	type campaign struct {
		ID              string `json:"id"`
		Name            string `json:"name"`
		Status          string `json:"status"`
		EffectiveStatus string `json:"effective_status"`
		Objective       string `json:"objective"`
		DailyBudget     string `json:"daily_budget,omitempty"`
		LifetimeBudget  string `json:"lifetime_budget,omitempty"`
		CreatedTime     string `json:"created_time"`
		UpdatedTime     string `json:"updated_time"`
		StartTime       string `json:"start_time,omitempty"`
		StopTime        string `json:"stop_time,omitempty"`
	}
	var raw struct {
		Data   []campaign `json:"data"`
		Paging metaPaging `json:"paging"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: metaAccountPath(c, "campaigns"), query: q}, &raw); err != nil {
		return nil, err
	}
	return newListPage(raw.Data, raw.Paging.next()), nil
}

func metaCampaignInsights(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		DatePreset string `json:"date_preset"`
		StartDate  string `json:"start_date"`
		EndDate    string `json:"end_date"`
		CampaignID string `json:"campaign_id"`
		Daily      bool   `json:"daily"`
		Limit      int    `json:"limit"`
		Cursor     string `json:"cursor"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.Limit == 0 {
		in.Limit = 50
	}
	q := url.Values{"level": {"campaign"}, "limit": {strconv.Itoa(in.Limit)},
		"fields": {"campaign_id,campaign_name,impressions,reach,clicks,spend,ctr,cpc,cpm"}}
	if in.StartDate != "" {
		start, end, err := dayRange(c.svc.cfg.Now(), 0, in.StartDate, in.EndDate)
		if err != nil {
			return nil, err
		}
		rng, _ := json.Marshal(map[string]string{"since": start.Format("2006-01-02"), "until": end.Format("2006-01-02")})
		q.Set("time_range", string(rng))
	} else {
		q.Set("date_preset", cmp.Or(in.DatePreset, "last_30d"))
	}
	if in.Daily {
		q.Set("time_increment", "1")
	}
	if in.CampaignID != "" {
		f, _ := json.Marshal([]map[string]any{{"field": "campaign.id", "operator": "IN", "value": []string{in.CampaignID}}})
		q.Set("filtering", string(f))
	}
	if in.Cursor != "" {
		q.Set("after", in.Cursor)
	}
	var raw struct {
		Data []struct {
			CampaignID   string    `json:"campaign_id"`
			CampaignName string    `json:"campaign_name"`
			DateStart    string    `json:"date_start"`
			DateStop     string    `json:"date_stop"`
			Impressions  flexInt   `json:"impressions"`
			Reach        flexInt   `json:"reach"`
			Clicks       flexInt   `json:"clicks"`
			Spend        flexFloat `json:"spend"`
			CTR          flexFloat `json:"ctr"`
			CPC          flexFloat `json:"cpc"`
			CPM          flexFloat `json:"cpm"`
		} `json:"data"`
		Paging metaPaging `json:"paging"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: metaAccountPath(c, "insights"), query: q}, &raw); err != nil {
		return nil, err
	}
	type row struct {
		CampaignID   string  `json:"campaign_id"`
		CampaignName string  `json:"campaign_name"`
		DateStart    string  `json:"date_start"`
		DateStop     string  `json:"date_stop"`
		Impressions  int64   `json:"impressions"`
		Reach        int64   `json:"reach"`
		Clicks       int64   `json:"clicks"`
		Spend        float64 `json:"spend"`
		CTR          float64 `json:"ctr"`
		CPC          float64 `json:"cpc"`
		CPM          float64 `json:"cpm"`
	}
	items := make([]row, 0, len(raw.Data))
	for _, d := range raw.Data {
		if in.CampaignID != "" && d.CampaignID != in.CampaignID {
			continue // the filtering parameter already did this at Meta
		}
		items = append(items, row{d.CampaignID, d.CampaignName, d.DateStart, d.DateStop, int64(d.Impressions), int64(d.Reach),
			int64(d.Clicks), float64(d.Spend), float64(d.CTR), float64(d.CPC), float64(d.CPM)})
	}
	return newListPage(items, raw.Paging.next()), nil
}

func metaUpdateCampaignStatus(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		CampaignID string `json:"campaign_id"`
		Status     string `json:"status"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	var raw struct {
		Success bool `json:"success"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: "/" + url.PathEscape(in.CampaignID),
		form: url.Values{"status": {in.Status}}}, &raw); err != nil {
		return nil, err
	}
	if !raw.Success {
		return nil, upstreamError(c, http.StatusOK, "the status of campaign %s was not changed", in.CampaignID)
	}
	return map[string]any{"campaign_id": in.CampaignID, "status": in.Status, "success": true}, nil
}
