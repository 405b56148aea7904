// Queries and mutations of AI agents, their runs and the tenant's model providers.
import { useEffect, useRef, useState } from 'react'
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ApiError, qs, send, type Page } from './client'
import { applyStreamEvent, emptyStream, mergeStored, type StreamState } from '../lib/agent-transcript'
import { readEventStream, reconnectDelay, SSEParser } from '../lib/sse'

/** LLMProvider is a model provider kind. */
export type LLMProvider = 'ollama' | 'openai'

/** AgentLLM is an agent's model; the key is never returned. */
export interface AgentLLM {
  provider: string
  model: string
  base_url?: string
  has_api_key: boolean
  input_price_per_mtok?: number
  output_price_per_mtok?: number
}

/** Approval is a tool's approval policy. */
export type Approval = 'required' | 'auto'

/** AgentTool is a connector action an agent may call on one connection. */
export interface AgentTool {
  action: string
  connection_id: string
  approval: Approval
  /** name is the tool's name as the model sees it. */
  name: string
  write: boolean
  description: string
  parameters?: unknown
}

/** Agent is a tenant's configured AI agent. */
export interface Agent {
  id: string
  tenant_id: string
  name: string
  role: string
  goal: string
  backstory: string
  instructions: string
  llm: AgentLLM
  temperature: number
  max_steps: number
  token_budget: number
  tools: AgentTool[]
  knowledge_base_ids: string[]
  version: number
  created_by: string
  created_at: string
  updated_at: string
}

/** AgentRequest is the body of POST /api/v1/agents and PUT /api/v1/agents/{id}. */
export interface AgentRequest {
  name: string
  role: string
  goal: string
  backstory: string
  instructions: string
  llm: {
    provider: string
    model: string
    base_url: string
    /** absent keeps the stored key (PUT), "" removes it. */
    api_key?: string
    input_price_per_mtok: number
    output_price_per_mtok: number
  }
  temperature: number
  max_steps: number
  token_budget: number
  tools: { action: string; connection_id: string; approval: Approval }[]
  knowledge_base_ids: string[]
}

/** RunStatus is the state of an agent run. */
export type RunStatus = 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'cancelled'

/** ToolCallStatus is the state of one tool call. */
export type ToolCallStatus = 'pending' | 'waiting_approval' | 'rejected' | 'succeeded' | 'failed' | 'skipped'

/** ToolCallRecord is one tool call of a run. */
export interface ToolCallRecord {
  run_id: string
  call_id: string
  tool: string
  action?: string
  connection_id?: string
  input: unknown
  status: ToolCallStatus
  output?: unknown
  error?: string
  needs_approval: boolean
  decided_by?: string
  comment?: string
  latency_ms: number
  created_at: string
}

/** Citation is a knowledge chunk an answer used. */
export interface Citation {
  chunk_id: string
  document_id: string
  document_name: string
  text: string
}

/** AgentRun is one run of an agent. */
export interface AgentRun {
  id: string
  tenant_id: string
  agent_id: string
  workflow_id: string
  status: RunStatus
  input: string
  output?: string
  error?: string
  agent: Agent
  steps: number
  prompt_tokens: number
  completion_tokens: number
  cost_usd: number
  citations: Citation[] | null
  pending_calls?: ToolCallRecord[]
  trigger: string
  created_by: string
  started_at: string
  finished_at?: string
}

/** RunEvent is one entry of a run's transcript (seq 0 for streamed tokens). */
export interface RunEvent {
  run_id: string
  seq: number
  type: string
  data: unknown
  at: string
}

/** LLMProviderSettings are the tenant's settings of one provider (never the key). */
export interface LLMProviderSettings {
  tenant_id: string
  provider: LLMProvider | string
  base_url?: string
  has_api_key: boolean
  updated_at: string
}

export const agentKeys = {
  all: ['agents'] as const,
  one: (id: string) => ['agents', 'one', id] as const,
  runs: (agentId: string) => ['agent-runs', agentId] as const,
  run: (runId: string) => ['run', runId] as const,
  toolCalls: (runId: string) => ['run-tool-calls', runId] as const,
  providers: ['llm-providers'] as const,
}

/** useAgents lists the tenant's agents (all pages). */
export function useAgents() {
  return useQuery({
    queryKey: agentKeys.all,
    queryFn: async ({ signal }) => {
      const out: Agent[] = []
      let cursor: string | undefined
      do {
        const page = await api<Page<Agent>>(`/api/v1/agents${qs({ limit: 200, cursor })}`, { signal })
        out.push(...page.items)
        cursor = page.next_cursor || undefined
      } while (cursor)
      return out
    },
  })
}

/** useAgent is one agent. */
export function useAgent(id: string) {
  return useQuery({ queryKey: agentKeys.one(id), queryFn: ({ signal }) => api<Agent>(`/api/v1/agents/${encodeURIComponent(id)}`, { signal }) })
}

/** useCreateAgent creates an agent. */
export function useCreateAgent() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (req: AgentRequest) => api<Agent>('/api/v1/agents', { method: 'POST', body: req }),
    onSuccess: (a) => {
      qc.setQueryData(agentKeys.one(a.id), a)
      void qc.invalidateQueries({ queryKey: agentKeys.all, exact: true })
    },
  })
}

/** useUpdateAgent replaces an agent's settings. */
export function useUpdateAgent(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (req: AgentRequest) => api<Agent>(`/api/v1/agents/${encodeURIComponent(id)}`, { method: 'PUT', body: req }),
    onSuccess: (a) => {
      qc.setQueryData(agentKeys.one(a.id), a)
      qc.setQueryData<Agent[]>(agentKeys.all, (list) => list?.map((x) => (x.id === a.id ? a : x)))
      void qc.invalidateQueries({ queryKey: agentKeys.all, exact: true })
    },
  })
}

/** useDeleteAgent deletes an agent and its runs, removing it from the list at once. */
export function useDeleteAgent() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/agents/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onMutate: async (id) => {
      await qc.cancelQueries({ queryKey: agentKeys.all, exact: true })
      const before = qc.getQueryData<Agent[]>(agentKeys.all)
      qc.setQueryData<Agent[]>(agentKeys.all, (list) => list?.filter((a) => a.id !== id))
      return { before }
    },
    onError: (_err, _id, ctx) => {
      if (ctx) qc.setQueryData(agentKeys.all, ctx.before)
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: agentKeys.all, exact: true }),
  })
}

/** runActive says whether a run may still change. */
export function runActive(status: string | undefined): boolean {
  return status === 'running' || status === 'waiting_approval'
}

/** useAgentRuns pages through an agent's runs, newest first; it refreshes while one is active. */
export function useAgentRuns(agentId: string, pageSize = 10) {
  return useInfiniteQuery({
    queryKey: agentKeys.runs(agentId),
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) =>
      api<Page<AgentRun>>(`/api/v1/agents/${encodeURIComponent(agentId)}/runs${qs({ limit: pageSize, cursor: pageParam })}`, { signal }),
    getNextPageParam: (last) => last.next_cursor || undefined,
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some((r) => runActive(r.status))) ? 3000 : false),
  })
}

/** useStartRun starts a run of an agent. */
export function useStartRun(agentId: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (input: string) => api<AgentRun>(`/api/v1/agents/${encodeURIComponent(agentId)}/runs`, { method: 'POST', body: { input } }),
    onSuccess: (run) => {
      qc.setQueryData(agentKeys.run(run.id), run)
      void qc.invalidateQueries({ queryKey: agentKeys.runs(agentId) })
    },
  })
}

/** useRun is one run with the calls waiting for approval. */
export function useRun(runId: string, opts: { poll?: boolean } = {}) {
  return useQuery({
    queryKey: agentKeys.run(runId),
    queryFn: ({ signal }) => api<AgentRun>(`/api/v1/runs/${encodeURIComponent(runId)}`, { signal }),
    refetchInterval: (q) => (opts.poll && runActive(q.state.data?.status) ? 2000 : false),
  })
}

/** useToolCalls is a run's tool calls in the order they were made. */
export function useToolCalls(runId: string) {
  return useQuery({
    queryKey: agentKeys.toolCalls(runId),
    queryFn: ({ signal }) => api<Page<ToolCallRecord>>(`/api/v1/runs/${encodeURIComponent(runId)}/tool-calls`, { signal }),
  })
}

/** Decision is the body of POST /api/v1/runs/{id}/approvals. */
export interface Decision {
  call_id: string
  decision: 'approve' | 'reject'
  comment: string
}

/** useDecide sends a person's decision on a waiting tool call. */
export function useDecide(runId: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (d: Decision) => api<ToolCallRecord>(`/api/v1/runs/${encodeURIComponent(runId)}/approvals`, { method: 'POST', body: d }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: agentKeys.run(runId) })
      void qc.invalidateQueries({ queryKey: agentKeys.toolCalls(runId) })
    },
  })
}

/** useCancelRun asks a run to stop. */
export function useCancelRun(runId: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => api<AgentRun>(`/api/v1/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST' }),
    onSettled: () => void qc.invalidateQueries({ queryKey: agentKeys.run(runId) }),
  })
}

/** StreamConnection is the state of a run's event stream. */
export type StreamConnection = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed'

function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    })
  })
}

/**
 * useRunStream loads a run's stored transcript, then follows
 * GET /api/v1/runs/{id}/events (server-sent events, read with fetch so the
 * bearer token is sent), resuming with Last-Event-ID after a drop, until
 * the server's "end" event. onStored sees each new stored event; onEnd runs
 * once the stream has ended.
 */
export function useRunStream(runId: string, handlers: { onStored?: (e: RunEvent) => void; onEnd?: () => void } = {}) {
  const [state, setState] = useState<StreamState>(emptyStream)
  const [connection, setConnection] = useState<StreamConnection>('connecting')
  const [error, setError] = useState<unknown>()
  const cb = useRef(handlers)
  useEffect(() => {
    cb.current = handlers
  })

  useEffect(() => {
    const ac = new AbortController()
    const { signal } = ac
    let stream = emptyStream
    setState(stream)
    setConnection('connecting')
    setError(undefined)
    const path = `/api/v1/runs/${encodeURIComponent(runId)}`

    void (async () => {
      try {
        const t = await api<Page<RunEvent>>(`${path}/transcript`, { signal })
        stream = mergeStored(stream, t.items)
        setState(stream)
      } catch (err) {
        if (signal.aborted) return
        if (err instanceof ApiError && err.status === 404) {
          setError(err)
          setConnection('failed')
          return
        }
        // the stream replays the transcript from the start instead
      }
      let attempt = 0
      let retry: number | undefined
      while (!signal.aborted) {
        try {
          const headers: Record<string, string> = { Accept: 'text/event-stream' }
          if (stream.lastSeq > 0) headers['Last-Event-ID'] = String(stream.lastSeq)
          const res = await send(`${path}/events`, { headers, signal })
          if (!res.body) throw new ApiError(0, 'network', 'The browser cannot read the live stream.')
          setConnection('live')
          attempt = 0
          const parser = new SSEParser((m) => {
            let ev: RunEvent
            try {
              ev = JSON.parse(m.data) as RunEvent
            } catch {
              return
            }
            if (m.type === 'end') ev = { ...ev, type: 'end' }
            const next = applyStreamEvent(stream, ev)
            if (next === stream) return
            const stored = next.lastSeq > stream.lastSeq
            stream = next
            setState(next)
            if (stored) cb.current.onStored?.(ev)
          })
          await readEventStream(res.body, parser)
          retry = parser.retry
          if (stream.ended) {
            setConnection('ended')
            cb.current.onEnd?.()
            return
          }
        } catch (err) {
          if (signal.aborted) return
          if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) {
            setError(err)
            setConnection('failed')
            return
          }
        }
        setConnection('reconnecting')
        await sleep(reconnectDelay(attempt++, retry), signal)
      }
    })()
    return () => ac.abort()
  }, [runId])

  return { ...state, connection, error }
}

/** useLLMProviders lists the tenant's model provider settings. */
export function useLLMProviders() {
  return useQuery({ queryKey: agentKeys.providers, queryFn: ({ signal }) => api<Page<LLMProviderSettings>>('/api/v1/llm-providers', { signal }) })
}

/** usePutLLMProvider sets a provider's base URL and key (both replaced). */
export function usePutLLMProvider() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ provider, base_url, api_key }: { provider: string; base_url: string; api_key: string }) =>
      api<LLMProviderSettings>(`/api/v1/llm-providers/${encodeURIComponent(provider)}`, { method: 'PUT', body: { base_url, api_key } }),
    onSettled: () => void qc.invalidateQueries({ queryKey: agentKeys.providers }),
  })
}

/** useDeleteLLMProvider removes the tenant's settings of a provider, at once in the list. */
export function useDeleteLLMProvider() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (provider: string) => api<void>(`/api/v1/llm-providers/${encodeURIComponent(provider)}`, { method: 'DELETE' }),
    onMutate: async (provider) => {
      await qc.cancelQueries({ queryKey: agentKeys.providers })
      const before = qc.getQueryData<Page<LLMProviderSettings>>(agentKeys.providers)
      qc.setQueryData<Page<LLMProviderSettings>>(agentKeys.providers, (p) => p && { ...p, items: p.items.filter((x) => x.provider !== provider) })
      return { before }
    },
    onError: (_err, _p, ctx) => {
      if (ctx) qc.setQueryData(agentKeys.providers, ctx.before)
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: agentKeys.providers }),
  })
}
