-- Events (the outbox every integration reads) and inbound webhook endpoints.

CREATE TABLE events (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    type        text NOT NULL,
    source      text NOT NULL,
    external_id text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    payload     jsonb NOT NULL
);
CREATE UNIQUE INDEX events_dedupe_key ON events (tenant_id, source, external_id) WHERE external_id <> '';
CREATE INDEX events_tenant_idx ON events (tenant_id, received_at DESC, id DESC);
CREATE INDEX events_type_idx ON events (tenant_id, type, received_at DESC);
CREATE INDEX events_received_idx ON events (received_at);

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events USING (bizos_row_visible(tenant_id));

-- Each connection gets an unguessable token for its inbound webhook URL.
ALTER TABLE connections ADD COLUMN inbound_token text NOT NULL
    DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
CREATE UNIQUE INDEX connections_inbound_token_key ON connections (inbound_token);

INSERT INTO casbin_rules (ptype, v0, v1, v2, v3) VALUES
    ('p', 'role:member', '*', 'events', 'read'),
    ('p', 'role:viewer', '*', 'events', 'read');
