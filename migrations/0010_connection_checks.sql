-- The history of connections' live checks: POST /api/v1/connections/{id}/test,
-- the worker's scheduled health sweep and the check made while connecting.
-- Recording a check keeps only the newest 100 per connection
-- (hub.ConnectionCheckHistory).

CREATE TABLE connection_checks (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    checked_at    timestamptz NOT NULL DEFAULT now(),
    status        text NOT NULL CHECK (status IN ('connected', 'expired', 'error')),
    ok            boolean NOT NULL,
    error         text NOT NULL DEFAULT '',
    latency_ms    integer NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    source        text NOT NULL CHECK (source IN ('test', 'scheduled', 'connect'))
);
CREATE INDEX connection_checks_connection_idx ON connection_checks (tenant_id, connection_id, checked_at DESC, id DESC);

ALTER TABLE connection_checks ENABLE ROW LEVEL SECURITY;
ALTER TABLE connection_checks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON connection_checks USING (bizos_row_visible(tenant_id));
