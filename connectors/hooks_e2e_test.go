package connectors_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/internal/fakes"
)

// TestMetaLongLivedToken: connecting Meta swaps the short-lived token of the
// code exchange for a long-lived one before anything is stored.
func TestMetaLongLivedToken(t *testing.T) {
	o := fakes.NewOAuth(t, fakes.OAuthOptions{ClientID: "meta-app", ClientSecret: "meta-secret"})
	meta := fakes.NewMeta(t, fakes.Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	h := newHarness(t, map[string]connectors.Override{"meta-ads": {APIBaseURL: meta.URL + "/v25.0", AuthorizationURL: o.AuthorizeURL(),
		TokenURL: o.TokenURL(), ClientID: "meta-app", ClientSecret: "meta-secret"}}, nil)
	conn := h.oauthConnect("meta-ads", map[string]string{"ad_account_id": "act_" + meta.AdAccountID})
	if got := meta.ExchangeCount(); got != 1 {
		t.Fatalf("exchanges = %d, want 1", got)
	}
	creds, _, err := h.store.ConnectionCredentials(context.Background(), h.user.TenantID, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Valid(creds.AccessToken) || creds.Expiry.IsZero() {
		t.Errorf("stored token is the short-lived one (or has no expiry): expiry %v", creds.Expiry)
	}
	if status, body := get(t, h.svc, conn, "/me"); status != http.StatusOK {
		t.Errorf("GET /me with the long-lived token = %d %s", status, body)
	}
}

// TestMailchimpAPIKeyDataCentre: the data centre comes from the key's suffix.
func TestMailchimpAPIKeyDataCentre(t *testing.T) {
	mc := fakes.NewMailchimp(t, fakes.Options{})
	h := newHarness(t, map[string]connectors.Override{"mailchimp": {APIBaseURL: mc.URL + "/3.0"}}, nil)
	ctx := context.Background()
	conn, err := h.svc.Connect(ctx, h.user, connectors.ConnectRequest{Provider: "mailchimp",
		Credentials: map[string]string{"api_key": "0123456789abcdef0123456789abcdef-us21"}})
	if err != nil {
		t.Fatal(err)
	}
	creds, _, _ := h.store.ConnectionCredentials(ctx, h.user.TenantID, conn.ID)
	if creds.Extras["dc"] != "us21" {
		t.Errorf("dc = %q, want us21", creds.Extras["dc"])
	}
	if _, err := h.svc.Connect(ctx, h.user, connectors.ConnectRequest{Provider: "mailchimp",
		Credentials: map[string]string{"api_key": "no-data-centre-"}}); err == nil {
		t.Error("a key without data centre was accepted")
	}
}
