-- Tenants, users, memberships, credentials, signing keys, audit log and
-- authorization policies.
--
-- Row-level security: tenant-owned tables are FORCE'd so even their owner is
-- filtered. Each transaction states its scope through settings:
--   bizos.tenant_id = '<uuid>'  sees only that tenant's rows;
--   bizos.scope     = 'system'  is used by the few cross-tenant operations
--                                (login lookup, API-key authentication, purges).
-- A transaction that sets neither sees nothing.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    is_super_admin boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('tenant_admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id   uuid REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix       text NOT NULL UNIQUE,
    key_hash     bytea NOT NULL,
    scopes       text[] NOT NULL,
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at DESC, id DESC);

CREATE TABLE signing_keys (
    kid                   text PRIMARY KEY,
    private_key_encrypted bytea NOT NULL,
    public_key            bytea NOT NULL,
    created_at            timestamptz NOT NULL,
    retired_at            timestamptz
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants (id) ON DELETE CASCADE,
    actor_type  text NOT NULL,
    actor_id    text NOT NULL,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL,
    request_id  text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id DESC);

CREATE TABLE casbin_rules (
    id    bigserial PRIMARY KEY,
    ptype text NOT NULL,
    v0    text NOT NULL DEFAULT '',
    v1    text NOT NULL DEFAULT '',
    v2    text NOT NULL DEFAULT '',
    v3    text NOT NULL DEFAULT '',
    v4    text NOT NULL DEFAULT '',
    v5    text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX casbin_rules_key ON casbin_rules (ptype, v0, v1, v2, v3, v4, v5);

-- The role permissions. Resources and actions match hub.Resources and
-- hub.ActionRead/ActionWrite; "*" in the domain column means every tenant.
INSERT INTO casbin_rules (ptype, v0, v1, v2, v3) VALUES
    ('p', 'role:super_admin',  '*', '*',        '(read|write)'),
    ('p', 'role:tenant_admin', '*', '*',        '(read|write)'),
    ('p', 'role:member',       '*', 'profile',  '(read|write)'),
    ('p', 'role:member',       '*', 'users',    'read'),
    ('p', 'role:viewer',       '*', 'profile',  'read'),
    ('p', 'role:viewer',       '*', 'users',    'read');

CREATE FUNCTION bizos_row_visible(row_tenant uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('bizos.scope', true), '') = 'system'
        OR row_tenant::text = coalesce(current_setting('bizos.tenant_id', true), '')
$$;

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships USING (bizos_row_visible(tenant_id));

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys USING (bizos_row_visible(tenant_id));

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log USING (bizos_row_visible(tenant_id));
