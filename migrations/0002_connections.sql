-- Connections to external platforms and their sealed credentials.

CREATE TABLE connections (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider            text NOT NULL,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    auth_mode           text NOT NULL CHECK (auth_mode IN ('oauth2', 'api_key')),
    config              jsonb NOT NULL DEFAULT '{}',
    scopes              text[] NOT NULL DEFAULT '{}',
    status              text NOT NULL CHECK (status IN ('connected', 'expired', 'error')),
    last_error          text NOT NULL DEFAULT '',
    last_checked_at     timestamptz,
    token_expires_at    timestamptz,
    credentials_sealed  bytea NOT NULL,
    credentials_version bigint NOT NULL DEFAULT 1,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connections_tenant_idx ON connections (tenant_id, created_at DESC, id DESC);

ALTER TABLE connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON connections USING (bizos_row_visible(tenant_id));

-- OAuth client registrations a tenant brings for a provider (instead of the
-- operator's default app).
CREATE TABLE oauth_apps (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider             text NOT NULL,
    client_id            text NOT NULL,
    client_secret_sealed bytea NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, provider)
);
ALTER TABLE oauth_apps ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_apps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON oauth_apps USING (bizos_row_visible(tenant_id));

-- Role permissions for the connector resources.
INSERT INTO casbin_rules (ptype, v0, v1, v2, v3) VALUES
    ('p', 'role:member', '*', 'connections', '(read|write)'),
    ('p', 'role:viewer', '*', 'connections', 'read'),
    ('p', 'role:member', '*', 'connectors',  'read'),
    ('p', 'role:viewer', '*', 'connectors',  'read');
