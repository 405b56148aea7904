package connectors

// Typed actions of Google Ads (REST API, googleAds:search with GAQL).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func init() {
	register(
		&Action{
			Name: "google-ads.list_campaigns", Provider: "google-ads", Title: "List Google Ads campaigns",
			Description: "Lists the campaigns of the connected Google Ads account (removed ones left out unless asked for), " +
				"with id, name, status, channel type, bidding strategy and start date.",
			Input: inputSchema(cursorProp + "," +
				`"status":{"type":"string","enum":["ENABLED","PAUSED","REMOVED"],"description":"Only campaigns with this status; by default ENABLED and PAUSED."},` +
				`"limit":{"type":"integer","minimum":1,"maximum":10000,"description":"At most this many campaigns in all (GAQL LIMIT); pages are of a size fixed by Google."}`),
			Output: listOutput(`{"type":"object","required":["id","name","status"],"properties":{`+
				`"id":{"type":"string","description":"Campaign id."},"resource_name":{"type":"string"},"name":{"type":"string"},`+
				`"status":{"type":"string","description":"ENABLED, PAUSED or REMOVED."},`+
				`"channel_type":{"type":"string","description":"SEARCH, DISPLAY, PERFORMANCE_MAX, VIDEO, SHOPPING..."},`+
				`"bidding_strategy_type":{"type":"string"},"start_date":{"type":"string"}}}`, false),
			Run: gadsListCampaigns,
		},
		&Action{
			Name: "google-ads.campaign_report", Provider: "google-ads", Title: "Google Ads campaign performance report",
			Description: "Reports impressions, clicks, cost and conversions per campaign of the connected Google Ads account over a date range: " +
				"the last N days ending yesterday (days, default 30) or start_date to end_date inclusive. With daily true there is one row per campaign per day. " +
				"cost is in the account currency (cost_micros / 1,000,000).",
			Input: objectSchema(`"days":{"type":"integer","minimum":1,"maximum":365,"default":30,"description":"Report the last N full days (ending yesterday). Leave out when giving start_date and end_date."},`+
				`"start_date":{"type":"string","format":"date","pattern":"`+datePattern+`","description":"First day, YYYY-MM-DD (with end_date)."},`+
				`"end_date":{"type":"string","format":"date","pattern":"`+datePattern+`","description":"Last day, YYYY-MM-DD, inclusive (with start_date)."},`+
				`"campaign_id":{"type":"string","pattern":"^[0-9]{1,20}$","description":"Only this campaign."},`+
				`"daily":{"type":"boolean","default":false,"description":"One row per campaign per day instead of one per campaign."},`+
				`"include_paused":{"type":"boolean","default":true,"description":"Include paused campaigns (removed ones are always left out)."},`+
				cursorProp,
				nil, `"dependentRequired":{"start_date":["end_date"],"end_date":["start_date"]},"not":{"required":["days","start_date"]}`),
			Output: listOutput(`{"type":"object","required":["campaign_id","impressions","clicks","cost_micros","conversions"],"properties":{`+
				`"campaign_id":{"type":"string"},"campaign_name":{"type":"string"},"status":{"type":"string"},`+
				`"date":{"type":"string","description":"The day, YYYY-MM-DD, when daily is true."},`+
				`"impressions":{"type":"integer"},"clicks":{"type":"integer"},`+
				`"cost_micros":{"type":"integer","description":"Cost in millionths of the account currency."},`+
				`"cost":{"type":"number","description":"Cost in the account currency."},`+
				`"conversions":{"type":"number"}}}`, false),
			Run: gadsCampaignReport,
		},
		&Action{
			Name: "google-ads.set_campaign_status", Provider: "google-ads", Title: "Pause or enable a Google Ads campaign", Write: true,
			Description: "Sets the status of one campaign of the connected Google Ads account to PAUSED (stops serving ads and spending) " +
				"or ENABLED (serves ads again). Takes the campaign id from google-ads.list_campaigns.",
			Input: inputSchema(`"campaign_id":{"type":"string","pattern":"^[0-9]{1,20}$","description":"The campaign id."},`+
				`"status":{"type":"string","enum":["ENABLED","PAUSED"],"description":"The new status."}`,
				"campaign_id", "status"),
			Output: outputObject(`{"type":"object","required":["resource_name","campaign_id","status"],"properties":{` +
				`"resource_name":{"type":"string","description":"customers/{customer_id}/campaigns/{campaign_id}"},` +
				`"campaign_id":{"type":"string"},"status":{"type":"string"}}}`),
			Run: gadsSetCampaignStatus,
		},
		&Action{
			Name: "google-ads.list_accessible_customers", Provider: "google-ads", Title: "List accessible Google Ads accounts",
			Description: "Lists the Google Ads customer ids (accounts) the signed-in Google user can access directly.",
			Input:       inputSchema(""),
			Output: listOutput(`{"type":"object","required":["customer_id"],"properties":{`+
				`"customer_id":{"type":"string","description":"10-digit customer id."},"resource_name":{"type":"string"}}}`, false),
			Run: gadsListCustomers,
		},
	)
}

// gadsHeader adds login-customer-id when the account is reached through a manager.
func gadsHeader(c *Call) http.Header {
	h := http.Header{}
	if id := c.Config("login_customer_id"); id != "" {
		h.Set("login-customer-id", id)
	}
	return h
}

// gadsSearch runs one page of a GAQL query on the connection's customer.
func gadsSearch(ctx context.Context, c *Call, query, pageToken string, out any) error {
	body := map[string]any{"query": query}
	if pageToken != "" {
		body["pageToken"] = pageToken
	}
	path := "/customers/" + url.PathEscape(c.Config("customer_id")) + "/googleAds:search"
	_, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: path, header: gadsHeader(c), json: body}, out)
	return err
}

type gadsCampaign struct {
	ResourceName        string     `json:"resourceName"`
	ID                  flexString `json:"id"`
	Name                string     `json:"name"`
	Status              string     `json:"status"`
	AdvertisingChannel  string     `json:"advertisingChannelType"`
	BiddingStrategyType string     `json:"biddingStrategyType"`
	StartDate           string     `json:"startDate"`
}

func gadsListCampaigns(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Cursor string `json:"cursor"`
		Status string `json:"status"`
		Limit  int    `json:"limit"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	where := "campaign.status IN ('ENABLED', 'PAUSED')"
	if in.Status != "" { // an enum value checked by the schema
		where = "campaign.status = '" + in.Status + "'"
	}
	q := "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, campaign.bidding_strategy_type, " +
		"campaign.start_date FROM campaign WHERE " + where + " ORDER BY campaign.id"
	if in.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(in.Limit)
	}
	var raw struct {
		Results []struct {
			Campaign gadsCampaign `json:"campaign"`
		} `json:"results"`
		NextPageToken string `json:"nextPageToken"`
	}
	if err := gadsSearch(ctx, c, q, in.Cursor, &raw); err != nil {
		return nil, err
	}
	type campaign struct {
		ID                  string `json:"id"`
		ResourceName        string `json:"resource_name"`
		Name                string `json:"name"`
		Status              string `json:"status"`
		ChannelType         string `json:"channel_type"`
		BiddingStrategyType string `json:"bidding_strategy_type"`
		StartDate           string `json:"start_date"`
	}
	items := make([]campaign, 0, len(raw.Results))
	for _, r := range raw.Results {
		cp := r.Campaign
		items = append(items, campaign{ID: string(cp.ID), ResourceName: cp.ResourceName, Name: cp.Name, Status: cp.Status,
			ChannelType: cp.AdvertisingChannel, BiddingStrategyType: cp.BiddingStrategyType, StartDate: cp.StartDate})
	}
	return newListPage(items, raw.NextPageToken), nil
}

func gadsCampaignReport(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Days          int    `json:"days"`
		StartDate     string `json:"start_date"`
		EndDate       string `json:"end_date"`
		CampaignID    string `json:"campaign_id"`
		Daily         bool   `json:"daily"`
		IncludePaused *bool  `json:"include_paused"`
		Cursor        string `json:"cursor"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.Days == 0 {
		in.Days = 30
	}
	start, end, err := dayRange(c.svc.cfg.Now(), in.Days, in.StartDate, in.EndDate)
	if err != nil {
		return nil, err
	}
	fields := []string{"campaign.id", "campaign.name", "campaign.status", "metrics.impressions", "metrics.clicks",
		"metrics.cost_micros", "metrics.conversions"}
	if in.Daily {
		fields = append(fields, "segments.date")
	}
	conds := []string{fmt.Sprintf("segments.date BETWEEN '%s' AND '%s'", start.Format("2006-01-02"), end.Format("2006-01-02"))}
	if in.IncludePaused != nil && !*in.IncludePaused {
		conds = append(conds, "campaign.status = 'ENABLED'")
	} else {
		conds = append(conds, "campaign.status != 'REMOVED'")
	}
	if in.CampaignID != "" { // digits only, checked by the schema
		conds = append(conds, "campaign.id = "+in.CampaignID)
	}
	order := "campaign.id"
	if in.Daily {
		order = "segments.date"
	}
	q := "SELECT " + strings.Join(fields, ", ") + " FROM campaign WHERE " + strings.Join(conds, " AND ") + " ORDER BY " + order
	var raw struct {
		Results []struct {
			Campaign gadsCampaign `json:"campaign"`
			Metrics  struct {
				Impressions flexInt   `json:"impressions"`
				Clicks      flexInt   `json:"clicks"`
				CostMicros  flexInt   `json:"costMicros"`
				Conversions flexFloat `json:"conversions"`
			} `json:"metrics"`
			Segments struct {
				Date string `json:"date"`
			} `json:"segments"`
		} `json:"results"`
		NextPageToken string `json:"nextPageToken"`
	}
	if err := gadsSearch(ctx, c, q, in.Cursor, &raw); err != nil {
		return nil, err
	}
	type row struct {
		CampaignID   string  `json:"campaign_id"`
		CampaignName string  `json:"campaign_name"`
		Status       string  `json:"status"`
		Date         string  `json:"date,omitempty"`
		Impressions  int64   `json:"impressions"`
		Clicks       int64   `json:"clicks"`
		CostMicros   int64   `json:"cost_micros"`
		Cost         float64 `json:"cost"`
		Conversions  float64 `json:"conversions"`
	}
	items := make([]row, 0, len(raw.Results))
	for _, r := range raw.Results {
		m := r.Metrics
		items = append(items, row{CampaignID: string(r.Campaign.ID), CampaignName: r.Campaign.Name, Status: r.Campaign.Status,
			Date: r.Segments.Date, Impressions: int64(m.Impressions), Clicks: int64(m.Clicks), CostMicros: int64(m.CostMicros),
			Cost: float64(m.CostMicros) / 1e6, Conversions: float64(m.Conversions)})
	}
	return newListPage(items, raw.NextPageToken), nil
}

func gadsSetCampaignStatus(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		CampaignID string `json:"campaign_id"`
		Status     string `json:"status"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	customer := c.Config("customer_id")
	resource := "customers/" + customer + "/campaigns/" + in.CampaignID
	body := map[string]any{"operations": []any{map[string]any{
		"update":     map[string]string{"resourceName": resource, "status": in.Status},
		"updateMask": "status",
	}}}
	var raw struct {
		Results []struct {
			ResourceName string `json:"resourceName"`
		} `json:"results"`
	}
	path := "/customers/" + url.PathEscape(customer) + "/campaigns:mutate"
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: path, header: gadsHeader(c), json: body}, &raw); err != nil {
		return nil, err
	}
	if len(raw.Results) > 0 && raw.Results[0].ResourceName != "" {
		resource = raw.Results[0].ResourceName
	}
	return map[string]string{"resource_name": resource, "campaign_id": in.CampaignID, "status": in.Status}, nil
}

func gadsListCustomers(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var raw struct {
		ResourceNames []string `json:"resourceNames"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/customers:listAccessibleCustomers", header: gadsHeader(c)}, &raw); err != nil {
		return nil, err
	}
	type customer struct {
		CustomerID   string `json:"customer_id"`
		ResourceName string `json:"resource_name"`
	}
	items := make([]customer, 0, len(raw.ResourceNames))
	for _, rn := range raw.ResourceNames {
		items = append(items, customer{CustomerID: strings.TrimPrefix(rn, "customers/"), ResourceName: rn})
	}
	return newListPage(items, ""), nil
}
