package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
)

// Hook names the catalogue may list; each is Go code for what data cannot say.
const (
	HookMetaLongLivedToken = "meta_long_lived_token" // swap Meta's short-lived token for a ~60-day one
	HookMailchimpMetadata  = "mailchimp_metadata"    // find the account's data centre
	HookZohoAPIDomain      = "zoho_api_domain"       // keep the api_domain of the token answer
	HookShopifyRotating    = "shopify_rotating_refresh"
)

type hookPhase int

const hookConnect hookPhase = iota

var refreshCount = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "bizos_connector_token_refreshes_total", Help: "Successful OAuth token refreshes, by provider."}, []string{"provider"})

// Collectors returns the package's Prometheus collectors.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{refreshCount, upstreamRequests, upstreamDuration}
}

func (s *Service) runHooks(ctx context.Context, prov *Provider, conn *hub.Connection, creds *hub.Credentials, phase hookPhase) error {
	if creds.Extras == nil {
		creds.Extras = map[string]string{}
	}
	for _, h := range prov.Hooks {
		var err error
		switch h {
		case HookZohoAPIDomain:
			if creds.Extras["api_domain"] == "" {
				creds.Extras["api_domain"] = zohoAPIDomain(conn.Config["data_center"])
			}
		case HookMailchimpMetadata:
			err = s.mailchimpDataCentre(ctx, prov, conn, creds)
		case HookMetaLongLivedToken:
			if conn.AuthMode == ModeOAuth2 {
				err = s.metaLongLived(ctx, prov, conn, creds)
			}
		case HookShopifyRotating:
			// Rotation itself is generic (refresh: rotating); nothing more at connect time.
		case HookStripeWebhookEndpoint, HookWooCommerceWebhooks, HookShopifyWebhooks:
			// Runs once the connection exists (it needs the inbound URL): registerWebhooks.
		default:
			err = fmt.Errorf("connectors: unknown hook %q", h)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) mailchimpDataCentre(ctx context.Context, prov *Provider, conn *hub.Connection, creds *hub.Credentials) error {
	if conn.AuthMode == ModeAPIKey {
		key := creds.Fields["api_key"]
		i := strings.LastIndex(key, "-")
		if i < 0 || i == len(key)-1 {
			return hub.InvalidField("credentials.api_key", "must end with the data centre, like -us21")
		}
		creds.Extras["dc"] = key[i+1:]
		return nil
	}
	mode, _ := prov.Mode(ModeOAuth2)
	tokenURL, err := url.Parse(mode.OAuth2.TokenURL)
	if err != nil {
		return fmt.Errorf("connectors: mailchimp token url: %w", err)
	}
	meta := tokenURL.ResolveReference(&url.URL{Path: "/oauth2/metadata"})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, meta.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "OAuth "+creds.AccessToken)
	resp, err := s.trusted.Do(req)
	if err != nil {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway, Message: "Mailchimp's metadata endpoint could not be reached.", Err: err}
	}
	defer resp.Body.Close()
	var doc struct {
		DC string `json:"dc"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc) != nil || doc.DC == "" {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: resp.StatusCode, Message: "Mailchimp did not tell the account's data centre."}
	}
	creds.Extras["dc"] = doc.DC
	return nil
}

func (s *Service) metaLongLived(ctx context.Context, prov *Provider, conn *hub.Connection, creds *hub.Credentials) error {
	clientID, clientSecret, err := s.oauthClient(ctx, conn.TenantID, prov)
	if err != nil {
		return err
	}
	// The exchange lives on the Graph API itself: GET {api}/oauth/access_token.
	exchangeURL, err := buildURL(prov, templateVars(conn, creds), "/oauth/access_token", url.Values{
		"grant_type": {"fb_exchange_token"}, "client_id": {clientID}, "client_secret": {clientSecret},
		"fb_exchange_token": {creds.AccessToken}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, exchangeURL, nil)
	if err != nil {
		return err
	}
	resp, err := s.trusted.Do(req)
	if err != nil {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway, Message: "Meta's token exchange could not be reached.", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: resp.StatusCode, Message: "Meta refused the long-lived token exchange: " + upstreamReason(resp)}
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil || tok.AccessToken == "" {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway, Message: "Meta's token exchange answered no token."}
	}
	creds.AccessToken = tok.AccessToken
	if tok.ExpiresIn > 0 {
		creds.Expiry = s.cfg.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return nil
}

// platformOK checks a 2xx answer of platforms that report failures in the
// body (Slack answers 200 with {"ok": false}).
func platformOK(prov *Provider, resp *http.Response) error {
	if prov.ID != "slack" {
		return nil
	}
	var doc struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil || doc.OK == nil || !*doc.OK {
		return hub.Errorf(hub.EINVALID, "Slack refused the credentials: %s", doc.Error)
	}
	return nil
}

// zohoAPIDomain is the API server of a Zoho accounts domain, for token
// answers that lack api_domain: zoho.eu -> https://www.zohoapis.eu,
// zohocloud.ca -> https://www.zohoapis.ca.
func zohoAPIDomain(accounts string) string {
	tld := strings.TrimPrefix(strings.TrimPrefix(accounts, "zohocloud."), "zoho.")
	return "https://www.zohoapis." + tld
}
