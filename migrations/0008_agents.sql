-- AI agents, the tenants' LLM provider settings, agent runs with their
-- transcripts and tool calls.

CREATE TABLE agents (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    config           jsonb NOT NULL, -- role, goal, backstory, instructions, llm, temperature, limits, tools, knowledge bases
    api_key_sealed   bytea,          -- the agent's own LLM key, AES-256-GCM under the master key
    version          integer NOT NULL DEFAULT 1,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_tenant_idx ON agents (tenant_id, created_at DESC, id DESC);

CREATE TABLE llm_providers (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider       text NOT NULL,
    base_url       text NOT NULL DEFAULT '',
    api_key_sealed bytea,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, provider)
);

CREATE TABLE agent_runs (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    agent_id          uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    workflow_id       text NOT NULL UNIQUE,
    status            text NOT NULL CHECK (status IN ('running', 'waiting_approval', 'succeeded', 'failed', 'cancelled')),
    input             text NOT NULL,
    output            text NOT NULL DEFAULT '',
    error             text NOT NULL DEFAULT '',
    agent             jsonb NOT NULL, -- the configuration snapshot the run uses
    steps             integer NOT NULL DEFAULT 0,
    prompt_tokens     integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    cost_usd          double precision NOT NULL DEFAULT 0,
    citations         jsonb NOT NULL DEFAULT '[]',
    trigger           text NOT NULL DEFAULT 'api',
    created_by        text NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);
CREATE INDEX agent_runs_agent_idx ON agent_runs (tenant_id, agent_id, started_at DESC, id DESC);

-- The transcript: messages (the conversation the model sees, rebuilt from
-- here on every step, so prompts never travel through Temporal), tool
-- calls, approvals, usage and status changes.
CREATE TABLE agent_run_events (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    run_id    uuid NOT NULL REFERENCES agent_runs (id) ON DELETE CASCADE,
    seq       bigint NOT NULL,
    type      text NOT NULL,
    data      jsonb NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE agent_tool_calls (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    run_id        uuid NOT NULL REFERENCES agent_runs (id) ON DELETE CASCADE,
    call_id       text NOT NULL,
    position      bigserial,
    tool          text NOT NULL,
    action        text NOT NULL DEFAULT '',
    connection_id text NOT NULL DEFAULT '',
    input         jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'waiting_approval', 'rejected', 'succeeded', 'failed', 'skipped')),
    output        jsonb,
    error         text NOT NULL DEFAULT '',
    needs_approval boolean NOT NULL DEFAULT false,
    decided_by    text NOT NULL DEFAULT '',
    comment       text NOT NULL DEFAULT '',
    latency_ms    bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, call_id)
);

ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE agents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agents USING (bizos_row_visible(tenant_id));
ALTER TABLE llm_providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_providers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_providers USING (bizos_row_visible(tenant_id));
ALTER TABLE agent_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_runs USING (bizos_row_visible(tenant_id));
ALTER TABLE agent_run_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_run_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_run_events USING (bizos_row_visible(tenant_id));
ALTER TABLE agent_tool_calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_tool_calls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_tool_calls USING (bizos_row_visible(tenant_id));

-- Members run and configure agents; viewers read them. Approving a tool
-- call is a write on agents.
INSERT INTO casbin_rules (ptype, v0, v1, v2, v3) VALUES
    ('p', 'role:member', '*', 'agents', '(read|write)'),
    ('p', 'role:viewer', '*', 'agents', 'read')
ON CONFLICT DO NOTHING;
