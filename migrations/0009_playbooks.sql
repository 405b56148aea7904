-- Playbooks (tenant-defined multi-step workflows) and their runs.

CREATE TABLE playbooks (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    steps       jsonb NOT NULL,
    schedule    jsonb,
    enabled     boolean NOT NULL DEFAULT true,
    template    text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX playbooks_tenant_idx ON playbooks (tenant_id, created_at DESC, id DESC);

CREATE TABLE playbook_runs (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    playbook_id uuid NOT NULL REFERENCES playbooks (id) ON DELETE CASCADE,
    workflow_id text NOT NULL UNIQUE,
    status      text NOT NULL CHECK (status IN ('running', 'waiting_approval', 'succeeded', 'failed', 'cancelled')),
    input       jsonb NOT NULL DEFAULT '{}',
    error       text NOT NULL DEFAULT '',
    steps       jsonb NOT NULL,
    trigger     text NOT NULL DEFAULT 'api',
    created_by  text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX playbook_runs_playbook_idx ON playbook_runs (tenant_id, playbook_id, started_at DESC, id DESC);

CREATE TABLE playbook_steps (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    run_id       uuid NOT NULL REFERENCES playbook_runs (id) ON DELETE CASCADE,
    step_index   integer NOT NULL,
    step_id      text NOT NULL,
    type         text NOT NULL,
    status       text NOT NULL CHECK (status IN ('running', 'waiting_approval', 'succeeded', 'failed', 'skipped')),
    input        jsonb,
    output       jsonb,
    error        text NOT NULL DEFAULT '',
    agent_run_id text NOT NULL DEFAULT '',
    decided_by   text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    PRIMARY KEY (run_id, step_index)
);

ALTER TABLE playbooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE playbooks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON playbooks USING (bizos_row_visible(tenant_id));
ALTER TABLE playbook_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE playbook_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON playbook_runs USING (bizos_row_visible(tenant_id));
ALTER TABLE playbook_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE playbook_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON playbook_steps USING (bizos_row_visible(tenant_id));

INSERT INTO casbin_rules (ptype, v0, v1, v2, v3) VALUES
    ('p', 'role:member', '*', 'playbooks', '(read|write)'),
    ('p', 'role:viewer', '*', 'playbooks', 'read')
ON CONFLICT DO NOTHING;
