package connectors

import (
	"context"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

// InboundWebhookURL is the public URL at which a connection receives the
// platform's webhooks.
func (s *Service) InboundWebhookURL(conn *hub.Connection) string {
	if conn.InboundToken == "" {
		return ""
	}
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/hooks/" + conn.InboundToken
}

// present fills the fields of a connection that answers show.
func (s *Service) present(conn *hub.Connection) *hub.Connection {
	if conn != nil {
		conn.InboundWebhookURL = s.InboundWebhookURL(conn)
	}
	return conn
}

var _ hub.InboundResolver = (*Service)(nil)

// ResolveInbound implements hub.InboundResolver: the connection of an inbound
// webhook token, with the secrets that sign its platform's deliveries: the
// webhook_secret the tenant typed in, the OAuth app's client secret
// (HubSpot, Shopify and Meta sign with it) and the operator's webhook secret
// for the provider (Slack's signing secret).
func (s *Service) ResolveInbound(ctx context.Context, token string) (*hub.InboundEndpoint, error) {
	if len(token) < 32 {
		return nil, hub.Errorf(hub.ENOTFOUND, "Webhook endpoint not found.")
	}
	ref, err := s.inboundRef(ctx, token)
	if err != nil {
		return nil, err
	}
	e, err := s.loadConnection(ctx, ref.TenantID, ref.ID)
	if err != nil {
		return nil, err
	}
	conn := e.conn
	prov, err := s.provider(conn.Provider)
	if err != nil {
		return nil, err
	}
	var secrets [][]byte
	if v := e.creds.Fields["webhook_secret"]; v != "" {
		secrets = append(secrets, []byte(v))
	}
	if _, ok := prov.Mode(ModeOAuth2); ok && conn.AuthMode == ModeOAuth2 {
		if _, secret, err := s.oauthClient(ctx, conn.TenantID, prov); err == nil && secret != "" {
			secrets = append(secrets, []byte(secret))
		}
	}
	if v := s.cfg.Apps[prov.ID].WebhookSecret; v != "" {
		secrets = append(secrets, []byte(v))
	}
	return &hub.InboundEndpoint{Connection: s.present(conn), Secrets: secrets}, nil
}

// inboundRef maps a webhook token to its connection, remembering the answer
// as briefly as connections themselves are cached, so a stream of
// deliveries does not look the token up in PostgreSQL every time.
func (s *Service) inboundRef(ctx context.Context, token string) (hub.ConnectionRef, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	t, ok := s.tokens[token]
	s.mu.Unlock()
	if ok && now.Before(t.expires) {
		return t.ref, nil
	}
	conn, err := s.cfg.Store.ConnectionByInboundToken(ctx, token)
	if err != nil {
		return hub.ConnectionRef{}, err
	}
	ref := hub.ConnectionRef{TenantID: conn.TenantID, ID: conn.ID}
	if s.cfg.CacheTTL > 0 {
		s.mu.Lock()
		if len(s.tokens) > 10_000 {
			s.tokens = map[string]tokenRef{}
		}
		s.tokens[token] = tokenRef{ref: ref, expires: now.Add(s.cfg.CacheTTL)}
		s.mu.Unlock()
	}
	return ref, nil
}

type tokenRef struct {
	ref     hub.ConnectionRef
	expires time.Time
}
