-- Outbound webhooks (Standard Webhooks): endpoints with sealed secrets,
-- deliveries, their attempts, and the dispatcher's position in the events.

CREATE TABLE webhook_endpoints (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                  text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    description          text NOT NULL DEFAULT '',
    event_types          text[] NOT NULL,
    enabled              boolean NOT NULL DEFAULT true,
    disabled_reason      text NOT NULL DEFAULT '',
    consecutive_failures integer NOT NULL DEFAULT 0,
    -- JSON {"current","previous","previous_until"} sealed with the master key,
    -- bound to "webhook_endpoints:<id>".
    secrets_sealed       bytea NOT NULL,
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at DESC, id DESC);

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL, -- no foreign key: events are purged, deliveries stay
    event_type      text NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    replays         integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (tenant_id, endpoint_id, created_at DESC, id DESC);

CREATE TABLE webhook_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    delivery_id  uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number       integer NOT NULL,
    status_code  integer NOT NULL DEFAULT 0,
    latency_ms   bigint NOT NULL DEFAULT 0,
    response     text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    succeeded    boolean NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_endpoints USING (bizos_row_visible(tenant_id));
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries USING (bizos_row_visible(tenant_id));
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_attempts USING (bizos_row_visible(tenant_id));

-- Where each event dispatcher stands in the events, ordered by (received_at, id).
-- Not tenant data: only the system scope uses it.
CREATE TABLE dispatch_positions (
    name        text PRIMARY KEY,
    received_at timestamptz NOT NULL,
    id          uuid NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Tenant admins have every permission through '*'.
INSERT INTO casbin_rules (ptype, v0, v1, v2, v3) VALUES
    ('p', 'role:member', '*', 'webhooks', '(read|write)'),
    ('p', 'role:viewer', '*', 'webhooks', 'read');
