// Queries and mutations of playbooks, their runs and their templates.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, qs, type Page } from './client'

/** StepType is what a playbook step does. */
export type StepType = 'action' | 'agent' | 'wait' | 'approval'

/** PlaybookStep is one step of a playbook; which fields apply depends on type. */
export interface PlaybookStep {
  id: string
  type: StepType | string
  /** when is a CEL condition; the step is skipped when it is false. */
  when?: string
  connection_id?: string
  action?: string
  /** input is an action's input (an object) or an agent's task (a string). */
  input?: unknown
  agent_id?: string
  seconds?: number
  message?: string
}

/** PlaybookSchedule starts a playbook on a cron schedule in a time zone. */
export interface PlaybookSchedule {
  cron: string
  timezone?: string
  input?: unknown
}

/** Playbook is a tenant's multi-step workflow. */
export interface Playbook {
  id: string
  tenant_id: string
  name: string
  description: string
  steps: PlaybookStep[]
  schedule?: PlaybookSchedule
  enabled: boolean
  template?: string
  version: number
  created_by: string
  created_at: string
  updated_at: string
}

/** RunStatus is the state of a run or of one of its steps. */
export type RunStatus = 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'cancelled' | 'skipped'

/** PlaybookStepRun records one step of a run. */
export interface PlaybookStepRun {
  index: number
  step_id: string
  type: string
  status: RunStatus | string
  input?: unknown
  output?: unknown
  error?: string
  agent_run_id?: string
  decided_by?: string
  started_at: string
  finished_at?: string
}

/** PlaybookRun is one run of a playbook, with the steps it executes. */
export interface PlaybookRun {
  id: string
  tenant_id: string
  playbook_id: string
  workflow_id: string
  status: RunStatus | string
  input: unknown
  error?: string
  steps: PlaybookStep[]
  /** trigger says what started it: "api", "schedule", "rule:<run>". */
  trigger: string
  created_by: string
  started_at: string
  finished_at?: string
  step_runs: PlaybookStepRun[] | null
}

/** TemplateParam is a value a template needs: a connection, an agent or text. */
export interface TemplateParam {
  name: string
  kind: 'connection' | 'agent' | 'text' | string
  provider?: string
  help: string
}

/** TemplatePlaybook is a template's definition with ${param} placeholders. */
export interface TemplatePlaybook {
  name?: string
  description?: string
  schedule?: PlaybookSchedule
  steps?: PlaybookStep[]
}

/** PlaybookTemplate is a ready-made playbook with parameters. */
export interface PlaybookTemplate {
  id: string
  name: string
  description: string
  params: TemplateParam[] | null
  playbook: TemplatePlaybook
}

/** Definition is a playbook as submitted (the body of PUT /api/v1/playbooks/{id}). */
export interface Definition {
  name: string
  description?: string
  steps: PlaybookStep[]
  schedule?: PlaybookSchedule | null
  enabled?: boolean
}

/** TemplateRequest creates a playbook from a template (POST /api/v1/playbooks). */
export interface TemplateRequest {
  template: string
  params: Record<string, string>
  /** name, when set, replaces the template's name. */
  name?: string
}

/** CreateRequest is the body of POST /api/v1/playbooks. */
export type CreateRequest = Definition | TemplateRequest

/** DecisionRequest is the body of POST /api/v1/playbook-runs/{id}/approvals. */
export interface DecisionRequest {
  step_id?: string
  decision: 'approve' | 'reject'
  comment?: string
}

/** AgentOption is the part of an agent the playbook screens show. */
export interface AgentOption {
  id: string
  name: string
  role: string
}

export const playbookKeys = {
  all: ['playbooks'] as const,
  list: ['playbooks', 'list'] as const,
  detail: (id: string) => ['playbooks', 'detail', id] as const,
  runs: (id: string) => ['playbooks', 'runs', id] as const,
  run: (runId: string) => ['playbook-runs', runId] as const,
  templates: ['playbook-templates'] as const,
  agentOptions: ['playbook-agent-options'] as const,
}

async function allPages<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = []
  let cursor: string | undefined
  do {
    const page = await api<Page<T>>(`${path}${qs({ limit: 200, cursor })}`, { signal })
    out.push(...page.items)
    cursor = page.next_cursor || undefined
  } while (cursor)
  return out
}

/** usePlaybooks lists the tenant's playbooks (all pages), newest first. */
export function usePlaybooks() {
  return useQuery({ queryKey: playbookKeys.list, queryFn: ({ signal }) => allPages<Playbook>('/api/v1/playbooks', signal) })
}

/** usePlaybook is one playbook. */
export function usePlaybook(id: string | undefined) {
  return useQuery({
    queryKey: playbookKeys.detail(id ?? ''),
    enabled: !!id,
    queryFn: ({ signal }) => api<Playbook>(`/api/v1/playbooks/${encodeURIComponent(id!)}`, { signal }),
  })
}

/** usePlaybookTemplates lists the ready-made templates. */
export function usePlaybookTemplates() {
  return useQuery({
    queryKey: playbookKeys.templates,
    staleTime: 5 * 60_000,
    queryFn: ({ signal }) => api<Page<PlaybookTemplate>>('/api/v1/playbook-templates', { signal }),
  })
}

/** useAgentOptions lists the tenant's agents for pickers (all pages). */
export function useAgentOptions() {
  return useQuery({
    queryKey: playbookKeys.agentOptions,
    queryFn: async ({ signal }) => (await allPages<AgentOption>('/api/v1/agents', signal)).map(({ id, name, role }) => ({ id, name, role })),
  })
}

const runsPageSize = 20

/**
 * usePlaybookRuns pages through a playbook's runs, newest first. poll, when
 * it answers true for the loaded runs, refetches every 2 s.
 */
export function usePlaybookRuns(id: string, poll: (runs: PlaybookRun[]) => boolean) {
  return useInfiniteQuery({
    queryKey: playbookKeys.runs(id),
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) =>
      api<Page<PlaybookRun>>(`/api/v1/playbooks/${encodeURIComponent(id)}/runs${qs({ limit: runsPageSize, cursor: pageParam })}`, { signal }),
    getNextPageParam: (last) => last.next_cursor || undefined,
    refetchInterval: (q) => (poll(q.state.data?.pages.flatMap((p) => p.items) ?? []) ? 2000 : false),
  })
}

/** usePlaybookRun is one run; it refetches every 2 s while poll says so. */
export function usePlaybookRun(runId: string, poll: (run: PlaybookRun | undefined) => boolean) {
  return useQuery({
    queryKey: playbookKeys.run(runId),
    queryFn: ({ signal }) => api<PlaybookRun>(`/api/v1/playbook-runs/${encodeURIComponent(runId)}`, { signal }),
    refetchInterval: (q) => (q.state.status !== 'error' && poll(q.state.data) ? 2000 : false),
  })
}

/** useCreatePlaybook creates a playbook from a definition or a template. */
export function useCreatePlaybook() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (req: CreateRequest) => api<Playbook>('/api/v1/playbooks', { method: 'POST', body: req }),
    onSuccess: (pb) => {
      qc.setQueryData(playbookKeys.detail(pb.id), pb)
      void qc.invalidateQueries({ queryKey: playbookKeys.list })
    },
  })
}

/** useSavePlaybook replaces a playbook's definition. */
export function useSavePlaybook(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (def: Definition) => api<Playbook>(`/api/v1/playbooks/${encodeURIComponent(id)}`, { method: 'PUT', body: def }),
    onSuccess: (pb) => {
      qc.setQueryData(playbookKeys.detail(pb.id), pb)
      void qc.invalidateQueries({ queryKey: playbookKeys.list })
    },
  })
}

/**
 * useSetPlaybookEnabled pauses or resumes a playbook (and its schedule) by
 * saving its definition with enabled changed; the lists show it at once and
 * roll back if the hub refuses.
 */
export function useSetPlaybookEnabled() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ playbook, enabled }: { playbook: Playbook; enabled: boolean }) =>
      api<Playbook>(`/api/v1/playbooks/${encodeURIComponent(playbook.id)}`, {
        method: 'PUT',
        body: {
          name: playbook.name,
          description: playbook.description,
          steps: playbook.steps,
          schedule: playbook.schedule ?? null,
          enabled,
        } satisfies Definition,
      }),
    onMutate: async ({ playbook, enabled }) => {
      await qc.cancelQueries({ queryKey: playbookKeys.list })
      await qc.cancelQueries({ queryKey: playbookKeys.detail(playbook.id) })
      const list = qc.getQueryData<Playbook[]>(playbookKeys.list)
      const detail = qc.getQueryData<Playbook>(playbookKeys.detail(playbook.id))
      qc.setQueryData<Playbook[]>(playbookKeys.list, (l) => l?.map((p) => (p.id === playbook.id ? { ...p, enabled } : p)))
      if (detail) qc.setQueryData<Playbook>(playbookKeys.detail(playbook.id), { ...detail, enabled })
      return { list, detail }
    },
    onError: (_err, { playbook }, ctx) => {
      if (!ctx) return
      qc.setQueryData(playbookKeys.list, ctx.list)
      if (ctx.detail) qc.setQueryData(playbookKeys.detail(playbook.id), ctx.detail)
    },
    onSuccess: (pb) => qc.setQueryData(playbookKeys.detail(pb.id), pb),
    onSettled: () => void qc.invalidateQueries({ queryKey: playbookKeys.list }),
  })
}

/** useDeletePlaybook deletes a playbook, its runs and its schedule; the list drops it at once. */
export function useDeletePlaybook() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/playbooks/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onMutate: async (id) => {
      await qc.cancelQueries({ queryKey: playbookKeys.list })
      const before = qc.getQueryData<Playbook[]>(playbookKeys.list)
      qc.setQueryData<Playbook[]>(playbookKeys.list, (l) => l?.filter((p) => p.id !== id))
      return { before }
    },
    onError: (_err, _id, ctx) => {
      if (ctx) qc.setQueryData(playbookKeys.list, ctx.before)
    },
    onSuccess: (_v, id) => {
      qc.removeQueries({ queryKey: playbookKeys.detail(id) })
      qc.removeQueries({ queryKey: playbookKeys.runs(id) })
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: playbookKeys.list }),
  })
}

/** useStartRun runs a playbook now with an optional input. */
export function useStartRun(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (input: unknown) =>
      api<PlaybookRun>(`/api/v1/playbooks/${encodeURIComponent(id)}/runs`, { method: 'POST', body: input === undefined ? {} : { input } }),
    onSuccess: (run) => {
      qc.setQueryData(playbookKeys.run(run.id), run)
      void qc.invalidateQueries({ queryKey: playbookKeys.runs(id) })
    },
  })
}

/** useFireSchedule fires a scheduled playbook's schedule at once. */
export function useFireSchedule() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/playbooks/${encodeURIComponent(id)}/schedule/trigger`, { method: 'POST' }),
    onSuccess: (_v, id) => void qc.invalidateQueries({ queryKey: playbookKeys.runs(id) }),
  })
}

function useRunMutationSettled(runId: string) {
  const qc = useQueryClient()
  return (run: PlaybookRun | undefined) => {
    void qc.invalidateQueries({ queryKey: playbookKeys.run(runId) })
    if (run) void qc.invalidateQueries({ queryKey: playbookKeys.runs(run.playbook_id) })
  }
}

/** useDecide approves or rejects a run's waiting approval step. */
export function useDecide(runId: string) {
  const settled = useRunMutationSettled(runId)
  return useMutation({
    mutationFn: (req: DecisionRequest) =>
      api<PlaybookRun>(`/api/v1/playbook-runs/${encodeURIComponent(runId)}/approvals`, { method: 'POST', body: req }),
    onSettled: (run) => settled(run),
  })
}

/** useCancelRun asks a run (and its agent run) to stop. */
export function useCancelRun(runId: string) {
  const settled = useRunMutationSettled(runId)
  return useMutation({
    mutationFn: () => api<PlaybookRun>(`/api/v1/playbook-runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST' }),
    onSettled: (run) => settled(run),
  })
}
