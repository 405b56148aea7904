// Queries and mutations of the integrations section: the event log,
// outbound webhook endpoints and their deliveries, automation rules and
// their runs, and the tenant's API keys (served by authsvc at /tenants).
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query'
import { api, qs, type Page } from './client'

/** HubEvent is a stored event (hub.Event). */
export interface HubEvent {
  id: string
  tenant_id: string
  type: string
  /** source is the connection id, or "hub" for the hub's own events. */
  source: string
  external_id: string
  occurred_at: string
  received_at: string
  payload: unknown
}

/** WebhookEndpoint is an outbound endpoint; secret is only in create/rotate answers. */
export interface WebhookEndpoint {
  id: string
  tenant_id: string
  url: string
  description: string
  event_types: string[]
  enabled: boolean
  disabled_reason?: string
  consecutive_failures: number
  created_by: string
  created_at: string
  updated_at: string
  secret?: string
}

/** WebhookAttempt is one HTTP call of a delivery. */
export interface WebhookAttempt {
  delivery_id: string
  number: number
  status_code?: number
  latency_ms: number
  response?: string
  error?: string
  succeeded: boolean
  at: string
}

/** DeliveryStatus is the stored status of a delivery. */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'dead'

/** WebhookDelivery is one event on its way to one endpoint. */
export interface WebhookDelivery {
  id: string
  tenant_id: string
  endpoint_id: string
  event_id: string
  event_type: string
  status: DeliveryStatus | string
  attempt_count: number
  replays: number
  next_attempt_at?: string
  last_error?: string
  created_at: string
  updated_at: string
  attempts?: WebhookAttempt[]
}

/** EndpointRequest is the body of POST /api/v1/webhooks. */
export interface EndpointRequest {
  url: string
  description: string
  event_types: string[]
}

/** EndpointPatch is the body of PATCH /api/v1/webhooks/{id}. */
export interface EndpointPatch {
  url?: string
  description?: string
  event_types?: string[]
  enabled?: boolean
}

/** RuleTrigger is an event type, or a cron schedule read in a time zone. */
export interface RuleTrigger {
  event_type?: string
  schedule?: string
  timezone?: string
}

/** RuleActionType names what a rule step does. */
export type RuleActionType = 'connector_action' | 'agent_run' | 'playbook' | 'webhook' | 'delay'

/** RuleAction is one step of a rule (hub.RuleAction). */
export interface RuleAction {
  type: RuleActionType | string
  connection_id?: string
  action?: string
  input?: unknown
  webhook_id?: string
  seconds?: number
  agent_id?: string
  playbook_id?: string
}

/** Rule is an automation rule. */
export interface Rule {
  id: string
  tenant_id: string
  name: string
  trigger: RuleTrigger
  condition: string
  actions: RuleAction[]
  enabled: boolean
  version: number
  created_by: string
  created_at: string
  updated_at: string
}

/** RuleRequest is the body of POST /api/v1/rules and PUT /api/v1/rules/{id}. */
export interface RuleRequest {
  name: string
  trigger: RuleTrigger
  condition: string
  actions: RuleAction[]
  enabled: boolean
}

/** RuleStep records one action of a run. */
export interface RuleStep {
  run_id: string
  index: number
  type: string
  status: string
  input?: unknown
  output?: unknown
  error?: string
  started_at: string
  finished_at?: string
}

/** RuleRun is one run of a rule for one event. */
export interface RuleRun {
  id: string
  tenant_id: string
  rule_id: string
  event_id: string
  workflow_id: string
  status: 'running' | 'succeeded' | 'failed' | string
  error?: string
  retries: number
  actions: RuleAction[]
  started_at: string
  finished_at?: string
  steps: RuleStep[] | null
}

/** ApiKey is a tenant's API key (never its secret). */
export interface ApiKey {
  id: string
  tenant_id: string
  name: string
  prefix: string
  scopes: string[]
  created_by: string
  created_at: string
  expires_at: string | null
  revoked_at: string | null
  last_used_at: string | null
}

/** CreatedApiKey is the answer to a key creation: the only time key is shown. */
export interface CreatedApiKey extends ApiKey {
  key: string
}

/** CreateApiKeyRequest is the body of POST /tenants/{id}/api-keys. */
export interface CreateApiKeyRequest {
  name: string
  scopes: string[]
  expires_in_days?: number
}

/** Named is the part of an agent or playbook a select needs. */
export interface Named {
  id: string
  name: string
  description?: string
}

export const integrationKeys = {
  events: (filter: EventFilter) => ['integrations', 'events', filter] as const,
  webhooks: ['integrations', 'webhooks'] as const,
  webhook: (id: string) => ['integrations', 'webhook', id] as const,
  deliveries: (id: string) => ['integrations', 'deliveries', id] as const,
  rules: ['integrations', 'rules'] as const,
  rule: (id: string) => ['integrations', 'rule', id] as const,
  runs: (ruleId: string) => ['integrations', 'rule-runs', ruleId] as const,
  apiKeys: (tenantId: string) => ['integrations', 'api-keys', tenantId] as const,
  agents: ['integrations', 'agent-options'] as const,
  playbooks: ['integrations', 'playbook-options'] as const,
}

/** allPages follows next_cursor until the list ends. */
async function allPages<T>(path: string, params: Record<string, string | undefined>, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = []
  let cursor: string | undefined
  do {
    const page = await api<Page<T>>(`${path}${qs({ ...params, limit: 200, cursor })}`, { signal })
    out.push(...page.items)
    cursor = page.next_cursor || undefined
  } while (cursor)
  return out
}

// ---- events ----

/** EventFilter narrows the event log. */
export interface EventFilter {
  type?: string
  source?: string
}

/** useEvents pages through the tenant's events, newest first. */
export function useEvents(filter: EventFilter, limit = 20) {
  return useInfiniteQuery({
    queryKey: [...integrationKeys.events(filter), limit],
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) =>
      api<Page<HubEvent>>(`/api/v1/events${qs({ limit, type: filter.type, source: filter.source, cursor: pageParam })}`, { signal }),
    getNextPageParam: (last) => last.next_cursor || undefined,
  })
}

// ---- outbound webhooks ----

/** useWebhooks lists every outbound endpoint, newest first. */
export function useWebhooks() {
  return useQuery({ queryKey: integrationKeys.webhooks, queryFn: ({ signal }) => allPages<WebhookEndpoint>('/api/v1/webhooks', {}, signal) })
}

/** useWebhook is one endpoint. */
export function useWebhook(id: string) {
  return useQuery({ queryKey: integrationKeys.webhook(id), queryFn: ({ signal }) => api<WebhookEndpoint>(`/api/v1/webhooks/${encodeURIComponent(id)}`, { signal }) })
}

function putEndpoint(qc: QueryClient, e: WebhookEndpoint) {
  const clean = { ...e, secret: undefined }
  qc.setQueryData<WebhookEndpoint[]>(integrationKeys.webhooks, (list) => (list ? list.map((x) => (x.id === e.id ? clean : x)) : list))
  qc.setQueryData(integrationKeys.webhook(e.id), clean)
}

/** useCreateWebhook registers an endpoint; the answer carries its secret once. */
export function useCreateWebhook() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (req: EndpointRequest) => api<WebhookEndpoint>('/api/v1/webhooks', { method: 'POST', body: req }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: integrationKeys.webhooks }),
  })
}

/** useUpdateWebhook patches an endpoint. */
export function useUpdateWebhook() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: EndpointPatch }) =>
      api<WebhookEndpoint>(`/api/v1/webhooks/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch }),
    onSuccess: (e) => {
      putEndpoint(qc, e)
      void qc.invalidateQueries({ queryKey: integrationKeys.webhooks })
    },
  })
}

/** useRotateSecret gives an endpoint a new secret, answered once. */
export function useRotateSecret() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<WebhookEndpoint>(`/api/v1/webhooks/${encodeURIComponent(id)}/rotate-secret`, { method: 'POST' }),
    onSuccess: (e) => putEndpoint(qc, e),
  })
}

/** useDeleteWebhook deletes an endpoint, removing it from the list at once. */
export function useDeleteWebhook() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onMutate: async (id) => {
      await qc.cancelQueries({ queryKey: integrationKeys.webhooks })
      const before = qc.getQueryData<WebhookEndpoint[]>(integrationKeys.webhooks)
      qc.setQueryData<WebhookEndpoint[]>(integrationKeys.webhooks, (list) => list?.filter((e) => e.id !== id))
      return { before }
    },
    onError: (_err, _id, ctx) => {
      if (ctx) qc.setQueryData(integrationKeys.webhooks, ctx.before)
    },
    onSettled: (_d, _e, id) => {
      qc.removeQueries({ queryKey: integrationKeys.webhook(id) })
      void qc.invalidateQueries({ queryKey: integrationKeys.webhooks })
    },
  })
}

type DeliveryPages = InfiniteData<Page<WebhookDelivery>, string>

/** useDeliveries pages through an endpoint's deliveries; pollWhile says when to refresh every 5 s. */
export function useDeliveries(endpointId: string, pollWhile: (items: WebhookDelivery[]) => boolean) {
  return useInfiniteQuery({
    queryKey: integrationKeys.deliveries(endpointId),
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) =>
      api<Page<WebhookDelivery>>(`/api/v1/webhooks/${encodeURIComponent(endpointId)}/deliveries${qs({ limit: 50, cursor: pageParam })}`, { signal }),
    getNextPageParam: (last) => last.next_cursor || undefined,
    refetchInterval: (q) => (pollWhile(q.state.data?.pages.flatMap((p) => p.items) ?? []) ? 5000 : false),
  })
}

function mapDeliveries(data: DeliveryPages | undefined, fn: (d: WebhookDelivery) => WebhookDelivery): DeliveryPages | undefined {
  if (!data) return data
  return { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map(fn) })) }
}

/** useReplayDelivery sends a delivery again, showing it pending at once. */
export function useReplayDelivery(endpointId: string) {
  const qc = useQueryClient()
  const key = integrationKeys.deliveries(endpointId)
  return useMutation({
    mutationFn: (deliveryId: string) =>
      api<WebhookDelivery>(`/api/v1/webhooks/${encodeURIComponent(endpointId)}/deliveries/${encodeURIComponent(deliveryId)}/replay`, { method: 'POST' }),
    onMutate: async (deliveryId) => {
      await qc.cancelQueries({ queryKey: key })
      const before = qc.getQueryData<DeliveryPages>(key)
      qc.setQueryData<DeliveryPages>(key, (data) => mapDeliveries(data, (d) => (d.id === deliveryId ? { ...d, status: 'pending', next_attempt_at: undefined } : d)))
      return { before }
    },
    onError: (_err, _id, ctx) => {
      if (ctx) qc.setQueryData(key, ctx.before)
    },
    onSuccess: (d) => {
      qc.setQueryData<DeliveryPages>(key, (data) => mapDeliveries(data, (x) => (x.id === d.id ? { ...x, ...d, attempts: d.attempts ?? x.attempts } : x)))
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: key }),
  })
}

// ---- rules ----

/** useRules lists every rule, newest first. */
export function useRules() {
  return useQuery({ queryKey: integrationKeys.rules, queryFn: ({ signal }) => allPages<Rule>('/api/v1/rules', {}, signal) })
}

/** useRule is one rule. */
export function useRule(id: string) {
  return useQuery({ queryKey: integrationKeys.rule(id), queryFn: ({ signal }) => api<Rule>(`/api/v1/rules/${encodeURIComponent(id)}`, { signal }) })
}

function putRule(qc: QueryClient, r: Rule) {
  qc.setQueryData(integrationKeys.rule(r.id), r)
  qc.setQueryData<Rule[]>(integrationKeys.rules, (list) => (list ? list.map((x) => (x.id === r.id ? r : x)) : list))
}

/** useSaveRule creates a rule (no id) or replaces one (PUT). */
export function useSaveRule() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, req }: { id?: string; req: RuleRequest }) =>
      id
        ? api<Rule>(`/api/v1/rules/${encodeURIComponent(id)}`, { method: 'PUT', body: req })
        : api<Rule>('/api/v1/rules', { method: 'POST', body: req }),
    onSuccess: (r) => {
      putRule(qc, r)
      void qc.invalidateQueries({ queryKey: integrationKeys.rules })
    },
  })
}

/** useToggleRule turns a rule on or off, at once in the lists, rolled back on failure. */
export function useToggleRule() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) =>
      api<Rule>(`/api/v1/rules/${encodeURIComponent(id)}`, { method: 'PATCH', body: { enabled } }),
    onMutate: async ({ id, enabled }) => {
      await qc.cancelQueries({ queryKey: integrationKeys.rules })
      await qc.cancelQueries({ queryKey: integrationKeys.rule(id) })
      const list = qc.getQueryData<Rule[]>(integrationKeys.rules)
      const one = qc.getQueryData<Rule>(integrationKeys.rule(id))
      qc.setQueryData<Rule[]>(integrationKeys.rules, (l) => l?.map((r) => (r.id === id ? { ...r, enabled } : r)))
      if (one) qc.setQueryData<Rule>(integrationKeys.rule(id), { ...one, enabled })
      return { list, one }
    },
    onError: (_err, { id }, ctx) => {
      if (!ctx) return
      qc.setQueryData(integrationKeys.rules, ctx.list)
      if (ctx.one) qc.setQueryData(integrationKeys.rule(id), ctx.one)
    },
    onSuccess: (r) => putRule(qc, r),
    onSettled: () => void qc.invalidateQueries({ queryKey: integrationKeys.rules }),
  })
}

/** useDeleteRule deletes a rule with its runs. */
export function useDeleteRule() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/rules/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: (_d, id) => {
      qc.setQueryData<Rule[]>(integrationKeys.rules, (l) => l?.filter((r) => r.id !== id))
      qc.removeQueries({ queryKey: integrationKeys.rule(id) })
      qc.removeQueries({ queryKey: integrationKeys.runs(id) })
      void qc.invalidateQueries({ queryKey: integrationKeys.rules })
    },
  })
}

/** useRunRuleNow fires a scheduled rule at once. */
export function useRunRuleNow() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<Rule>(`/api/v1/rules/${encodeURIComponent(id)}/run`, { method: 'POST' }),
    onSuccess: (_r, id) => void qc.invalidateQueries({ queryKey: integrationKeys.runs(id) }),
  })
}

type RunPages = InfiniteData<Page<RuleRun>, string>

/** useRuleRuns pages through a rule's runs; pollWhile says when to refresh every 5 s. */
export function useRuleRuns(ruleId: string, pollWhile: (items: RuleRun[]) => boolean) {
  return useInfiniteQuery({
    queryKey: integrationKeys.runs(ruleId),
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) =>
      api<Page<RuleRun>>(`/api/v1/rules/${encodeURIComponent(ruleId)}/runs${qs({ limit: 20, cursor: pageParam })}`, { signal }),
    getNextPageParam: (last) => last.next_cursor || undefined,
    refetchInterval: (q) => (pollWhile(q.state.data?.pages.flatMap((p) => p.items) ?? []) ? 5000 : false),
  })
}

/** useRetryRun runs a failed run again from its first failed step. */
export function useRetryRun(ruleId: string) {
  const qc = useQueryClient()
  const key = integrationKeys.runs(ruleId)
  return useMutation({
    mutationFn: (runId: string) => api<RuleRun>(`/api/v1/rule-runs/${encodeURIComponent(runId)}/retry`, { method: 'POST' }),
    onSuccess: (run) => {
      qc.setQueryData<RunPages>(key, (data) =>
        data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((r) => (r.id === run.id ? { ...r, ...run, steps: run.steps ?? r.steps } : r)) })) } : data,
      )
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: key }),
  })
}

// ---- what rule actions point at ----

/** useAgentOptions lists the tenant's agents for a select. */
export function useAgentOptions(enabled = true) {
  return useQuery({ queryKey: integrationKeys.agents, enabled, staleTime: 30_000, queryFn: ({ signal }) => allPages<Named>('/api/v1/agents', {}, signal) })
}

/** usePlaybookOptions lists the tenant's playbooks for a select. */
export function usePlaybookOptions(enabled = true) {
  return useQuery({ queryKey: integrationKeys.playbooks, enabled, staleTime: 30_000, queryFn: ({ signal }) => allPages<Named>('/api/v1/playbooks', {}, signal) })
}

// ---- API keys (authsvc) ----

/** useApiKeys lists the tenant's keys, newest first (revoked ones too). */
export function useApiKeys(tenantId: string) {
  return useQuery({
    queryKey: integrationKeys.apiKeys(tenantId),
    enabled: !!tenantId,
    retry: (n, err) => (err as { status?: number }).status !== 403 && n < 2,
    queryFn: ({ signal }) => allPages<ApiKey>(`/tenants/${encodeURIComponent(tenantId)}/api-keys`, {}, signal),
  })
}

/** useCreateApiKey issues a key; the answer carries it once. */
export function useCreateApiKey(tenantId: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (req: CreateApiKeyRequest) => api<CreatedApiKey>(`/tenants/${encodeURIComponent(tenantId)}/api-keys`, { method: 'POST', body: req }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: integrationKeys.apiKeys(tenantId) }),
  })
}

/** useRevokeApiKey revokes a key; it stops working at once. */
export function useRevokeApiKey(tenantId: string) {
  const qc = useQueryClient()
  const key = integrationKeys.apiKeys(tenantId)
  return useMutation({
    mutationFn: (keyId: string) => api<ApiKey>(`/tenants/${encodeURIComponent(tenantId)}/api-keys/${encodeURIComponent(keyId)}`, { method: 'DELETE' }),
    onSuccess: (k) => qc.setQueryData<ApiKey[]>(key, (list) => list?.map((x) => (x.id === k.id ? k : x))),
    onSettled: () => void qc.invalidateQueries({ queryKey: key }),
  })
}
