-- Automation rules, their runs (one per rule and event) and the runs' steps.

CREATE TABLE rules (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    event_type  text NOT NULL,
    condition   text NOT NULL DEFAULT '',
    actions     jsonb NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    version     integer NOT NULL DEFAULT 1,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rules_tenant_idx ON rules (tenant_id, created_at DESC, id DESC);

CREATE TABLE rule_runs (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    rule_id     uuid NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    event_id    uuid NOT NULL, -- no foreign key: events are purged, runs stay
    workflow_id text NOT NULL,
    status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    error       text NOT NULL DEFAULT '',
    retries     integer NOT NULL DEFAULT 0,
    actions     jsonb NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    UNIQUE (rule_id, event_id)
);
CREATE INDEX rule_runs_rule_idx ON rule_runs (tenant_id, rule_id, started_at DESC, id DESC);

CREATE TABLE rule_steps (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    run_id      uuid NOT NULL REFERENCES rule_runs (id) ON DELETE CASCADE,
    step_index  integer NOT NULL,
    type        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    input       jsonb,
    output      jsonb,
    error       text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (run_id, step_index)
);

ALTER TABLE rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rules USING (bizos_row_visible(tenant_id));
ALTER TABLE rule_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE rule_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rule_runs USING (bizos_row_visible(tenant_id));
ALTER TABLE rule_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE rule_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rule_steps USING (bizos_row_visible(tenant_id));

-- Tenant admins have every permission through '*'.
INSERT INTO casbin_rules (ptype, v0, v1, v2, v3) VALUES
    ('p', 'role:member', '*', 'rules', '(read|write)'),
    ('p', 'role:viewer', '*', 'rules', 'read');
