// Logic of the run view: the event stream's state, the transcript folded
// into messages, the calls waiting for approval, and the run's figures.
// Pure functions over the API's JSON, unit-tested.
import type { AgentRun, RunEvent, ToolCallRecord } from '../api/agents'

/** StreamState is what a run's event stream has delivered so far. */
export interface StreamState {
  /** events are the stored events (seq > 0), in order, each once. */
  events: RunEvent[]
  /** lastSeq is the highest stored seq, sent back as Last-Event-ID. */
  lastSeq: number
  /** draft is the answer text streamed since the last stored answer. */
  draft: string
  /** ended says the server sent "end": the run is over and fully replayed. */
  ended: boolean
}

export const emptyStream: StreamState = { events: [], lastSeq: 0, draft: '', ended: false }

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

/**
 * applyStreamEvent adds one event of the stream. Tokens grow the draft; a
 * stored event already seen (by seq) is ignored; a stored assistant message
 * replaces the draft it was streamed as; "end" closes the stream. It answers
 * the same object when nothing changed.
 */
export function applyStreamEvent(s: StreamState, e: RunEvent): StreamState {
  if (e.type === 'end') return s.ended && !s.draft ? s : { ...s, ended: true, draft: '' }
  if (e.type === 'token') {
    const text = str(obj(e.data).text)
    return text ? { ...s, draft: s.draft + text } : s
  }
  if (!(e.seq > s.lastSeq)) return s
  let draft = s.draft
  if (e.type === 'llm' || (e.type === 'message' && obj(e.data).role === 'assistant')) draft = ''
  if (e.type === 'status' && isFinalStatus(str(obj(e.data).status))) draft = ''
  return { ...s, events: [...s.events, e], lastSeq: e.seq, draft }
}

/** mergeStored adds a page of stored events (the JSON transcript), in seq order. */
export function mergeStored(s: StreamState, events: RunEvent[]): StreamState {
  let out = s
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) out = applyStreamEvent(out, e)
  return out
}

/** isFinalStatus says whether a run status is an end. */
export function isFinalStatus(status: string | undefined): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled'
}

/** Usage is a model call's figures. */
export interface Usage {
  model: string
  prompt_tokens: number
  completion_tokens: number
  latency_ms: number
  cost_usd: number
}

/** TranscriptCall is a tool call an assistant message asks for. */
export interface TranscriptCall {
  id: string
  name: string
  arguments: unknown
}

/** TranscriptItem is one entry of the rendered transcript. */
export type TranscriptItem =
  | { kind: 'system'; key: string; text: string }
  | { kind: 'user'; key: string; text: string; at: string }
  | { kind: 'assistant'; key: string; text: string; step: number; calls: TranscriptCall[]; usage?: Usage; at: string }
  | { kind: 'tool'; key: string; name: string; callId: string; text: string; at: string }
  | { kind: 'note'; key: string; text: string; tone: 'info' | 'ok' | 'warn' | 'bad'; at: string }
  | { kind: 'draft'; key: string; text: string }

const statusNotes: Record<string, { text: string; tone: 'info' | 'ok' | 'warn' | 'bad' }> = {
  waiting_approval: { text: 'Paused: waiting for a person to approve a tool call', tone: 'warn' },
  succeeded: { text: 'Run succeeded', tone: 'ok' },
  failed: { text: 'Run failed', tone: 'bad' },
  cancelled: { text: 'Run cancelled', tone: 'warn' },
}

/**
 * foldTranscript turns stored events (and the streaming draft) into the
 * messages to show: the system prompt, the task, the answers with the
 * model's figures and the tools they call, the tools' results, and notes
 * for status changes and approvals. Tool call records are left to the
 * tool-calls panel.
 */
export function foldTranscript(events: RunEvent[], draft = ''): TranscriptItem[] {
  const out: TranscriptItem[] = []
  const usage = new Map<number, Usage>()
  let lastStatus = ''
  for (const e of events) {
    const d = obj(e.data)
    const key = `e${e.seq}`
    switch (e.type) {
      case 'llm':
        usage.set(num(d.step), {
          model: str(d.model),
          prompt_tokens: num(d.prompt_tokens),
          completion_tokens: num(d.completion_tokens),
          latency_ms: num(d.latency_ms),
          cost_usd: num(d.cost_usd),
        })
        break
      case 'message': {
        const role = str(d.role)
        const text = str(d.content)
        if (role === 'system') out.push({ kind: 'system', key, text })
        else if (role === 'user') out.push({ kind: 'user', key, text, at: e.at })
        else if (role === 'assistant') {
          const step = num(d.step)
          const calls = Array.isArray(d.tool_calls)
            ? d.tool_calls.map((c) => {
                const o = obj(c)
                return { id: str(o.id), name: str(o.name), arguments: o.arguments ?? {} }
              })
            : []
          out.push({ kind: 'assistant', key, text, step, calls, usage: usage.get(step), at: e.at })
        } else if (role === 'tool') out.push({ kind: 'tool', key, name: str(d.name), callId: str(d.tool_call_id), text, at: e.at })
        break
      }
      case 'status': {
        const status = str(d.status)
        if (status === lastStatus) break
        const resumed = status === 'running' && lastStatus === 'waiting_approval'
        lastStatus = status
        if (status === 'running') {
          out.push({ kind: 'note', key, text: resumed ? 'Resumed' : 'Run started', tone: 'info', at: e.at })
          break
        }
        const n = statusNotes[status]
        if (n) {
          const err = str(d.error)
          out.push({ kind: 'note', key, text: err && status === 'failed' ? `${n.text}: ${err}` : n.text, tone: n.tone, at: e.at })
        }
        break
      }
      case 'approval_required':
        out.push({ kind: 'note', key, text: `${str(d.tool)} waits for approval`, tone: 'warn', at: e.at })
        break
      case 'approval': {
        const who = str(d.by)
        const comment = str(d.comment)
        const verb = d.approved === true ? 'Approved' : 'Rejected'
        out.push({
          kind: 'note',
          key,
          text: `${verb}${who ? ` by ${who}` : ''}${comment ? `: “${comment}”` : ''}`,
          tone: d.approved === true ? 'ok' : 'bad',
          at: e.at,
        })
        break
      }
      default:
      // tool_call and tool_result show in the tool-calls panel
    }
  }
  if (draft) out.push({ kind: 'draft', key: 'draft', text: draft })
  return out
}

/** PendingCall is a tool call waiting for a person's decision. */
export interface PendingCall {
  call_id: string
  tool: string
  action?: string
  connection_id?: string
  input: unknown
}

/**
 * pendingApprovals lists the calls waiting for a decision: those the run
 * reports and those the stream announced, less those the stream says were
 * decided. Nothing waits once the run has ended.
 */
export function pendingApprovals(run: Pick<AgentRun, 'status' | 'pending_calls'> | undefined, events: RunEvent[]): PendingCall[] {
  const decided = new Set<string>()
  const announced = new Map<string, PendingCall>()
  let final = isFinalStatus(run?.status)
  for (const e of events) {
    const d = obj(e.data)
    if (e.type === 'approval_required') {
      const id = str(d.call_id)
      announced.set(id, { call_id: id, tool: str(d.tool), action: str(d.action) || undefined, connection_id: str(d.connection_id) || undefined, input: d.input ?? {} })
      decided.delete(id)
    } else if (e.type === 'approval') decided.add(str(d.call_id))
    else if (e.type === 'status' && isFinalStatus(str(d.status))) final = true
  }
  if (final) return []
  const out = new Map<string, PendingCall>()
  for (const c of run?.pending_calls ?? []) {
    out.set(c.call_id, { call_id: c.call_id, tool: c.tool, action: c.action, connection_id: c.connection_id, input: c.input })
  }
  for (const [id, c] of announced) if (!out.has(id)) out.set(id, c)
  return [...out.values()].filter((c) => !decided.has(c.call_id))
}

/** liveStatus is the run's status as the stream last said, else the run's. */
export function liveStatus(run: Pick<AgentRun, 'status'> | undefined, events: RunEvent[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    if (events[i].type === 'status') {
      const s = str(obj(events[i].data).status)
      if (s) {
        // a refetched run that has ended is newer than any stream news
        return isFinalStatus(run?.status) ? run?.status : s
      }
    }
  }
  return run?.status
}

/** RunStats are the figures shown above a run. */
export interface RunStats {
  steps: number
  promptTokens: number
  completionTokens: number
  totalTokens: number
  costUSD: number
  /** modelLatencyMs is the time spent in model calls. */
  modelLatencyMs: number
  /** toolLatencyMs is the time spent in tool calls. */
  toolLatencyMs: number
  /** durationMs is from start to end (or to now while running). */
  durationMs: number | undefined
}

/**
 * runStats adds up a run's figures. The stream's llm events are newer than
 * the run's counters while it runs, so the larger of the two wins.
 */
export function runStats(run: AgentRun | undefined, events: RunEvent[], calls: ToolCallRecord[] = [], now = Date.now()): RunStats {
  let steps = 0
  let prompt = 0
  let completion = 0
  let cost = 0
  let latency = 0
  for (const e of events) {
    if (e.type !== 'llm') continue
    const d = obj(e.data)
    steps++
    prompt += num(d.prompt_tokens)
    completion += num(d.completion_tokens)
    cost += num(d.cost_usd)
    latency += num(d.latency_ms)
  }
  if (run) {
    steps = Math.max(steps, run.steps)
    prompt = Math.max(prompt, run.prompt_tokens)
    completion = Math.max(completion, run.completion_tokens)
    cost = Math.max(cost, run.cost_usd)
  }
  let durationMs: number | undefined
  if (run?.started_at) {
    const start = Date.parse(run.started_at)
    const end = run.finished_at ? Date.parse(run.finished_at) : now
    if (!Number.isNaN(start) && !Number.isNaN(end)) durationMs = Math.max(0, end - start)
  }
  return {
    steps,
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: prompt + completion,
    costUSD: cost,
    modelLatencyMs: latency,
    toolLatencyMs: calls.reduce((n, c) => n + (c.latency_ms || 0), 0),
    durationMs,
  }
}

/** costLabel formats a cost in USD: "$0.0123", "not priced" for 0. */
export function costLabel(usd: number): string {
  if (!usd) return 'not priced'
  if (usd < 0.01) return `$${usd.toFixed(4)}`
  return `$${usd.toFixed(2)}`
}

/** failureAdvice says what to do about a failed run's error. */
export function failureAdvice(error: string | undefined): string {
  const e = (error ?? '').toLowerCase()
  if (e.includes('maximum of') && e.includes('steps')) return 'Raise “Max steps” in the agent’s settings, or give it a narrower task.'
  if (e.includes('budget')) return 'Raise the token budget in the agent’s settings, or give it a narrower task.'
  if (e.includes('same input')) return 'The agent repeated a tool call. Make its instructions say what to do with the result, then start a new run.'
  if (e.includes('(model)') || e.includes('model ')) {
    return 'The model could not be reached or refused the request. Check the model name, base URL and API key in the agent’s settings or the tenant’s model providers, then start a new run.'
  }
  return 'Read the transcript and tool calls below, adjust the agent’s settings, and start a new run.'
}

/** prettyJSON renders a JSON value for a <pre>, strings that hold JSON included. */
export function prettyJSON(v: unknown): string {
  if (v === undefined || v === null) return '—'
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2)
    } catch {
      return v
    }
  }
  return JSON.stringify(v, null, 2)
}

const runStatusLabels: Record<string, string> = {
  running: 'Running',
  waiting_approval: 'Waiting for approval',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

/** runStatusLabel names a run status for people. */
export function runStatusLabel(status: string | undefined): string {
  if (!status) return 'Unknown'
  return runStatusLabels[status] ?? status.replace(/_/g, ' ')
}

const callStatusLabels: Record<string, string> = {
  pending: 'Pending',
  waiting_approval: 'Waiting for approval',
  rejected: 'Rejected',
  succeeded: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped (repeat)',
}

/** callStatusLabel names a tool call status for people. */
export function callStatusLabel(status: string): string {
  return callStatusLabels[status] ?? status.replace(/_/g, ' ')
}

/** truncate shortens text to n characters on one line. */
export function truncate(text: string, n: number): string {
  const one = text.replace(/\s+/g, ' ').trim()
  return one.length > n ? `${one.slice(0, n - 1)}…` : one
}

/** elapsed formats a run's duration, also when it lasts hours or days: "850 ms", "4.2 s", "3 min 5 s", "2 h 5 min", "3 d 4 h". */
export function elapsed(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.floor(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
  if (s < 86_400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`
  return `${Math.floor(s / 86_400)} d${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)} h` : ''}`
}
