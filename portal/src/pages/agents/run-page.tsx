// The run view: status, figures, approvals, the live transcript and tool calls.
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { Link, useParams } from 'wouter'
import { ApiError } from '../../api/client'
import {
  agentKeys,
  runActive,
  useCancelRun,
  useDecide,
  useRun,
  useRunStream,
  useToolCalls,
  type AgentRun,
  type RunEvent,
  type StreamConnection,
  type ToolCallRecord,
} from '../../api/agents'
import { useConnections } from '../../api/connectors'
import {
  callStatusLabel,
  costLabel,
  elapsed,
  failureAdvice,
  foldTranscript,
  isFinalStatus,
  liveStatus,
  pendingApprovals,
  prettyJSON,
  runStats,
  runStatusLabel,
  truncate,
  type PendingCall,
  type TranscriptItem,
} from '../../lib/agent-transcript'
import { compact, dateTime, duration, relativeTime } from '../../lib/format'
import { useSession } from '../../session'
import { Badge, Button, ErrorState, InlineError, Loading, PageHeader, StatusBadge, TextField } from '../../ui'

const runEventsForRun = new Set(['status', 'approval_required', 'approval', 'llm'])
const runEventsForCalls = new Set(['tool_call', 'tool_result', 'approval_required', 'approval'])

/** RunPage follows one run live. */
export function RunPage() {
  const { id: agentId = '', runId = '' } = useParams<{ id: string; runId: string }>()
  const qc = useQueryClient()
  const pendingRefresh = useRef<{ run: boolean; calls: boolean; timer?: ReturnType<typeof setTimeout> }>({ run: false, calls: false })

  // Stored events refresh the run and its tool calls, a few at a time.
  const refresh = (run: boolean, calls: boolean) => {
    const p = pendingRefresh.current
    p.run ||= run
    p.calls ||= calls
    if (p.timer) return
    p.timer = setTimeout(() => {
      if (p.run) void qc.invalidateQueries({ queryKey: agentKeys.run(runId) })
      if (p.calls) void qc.invalidateQueries({ queryKey: agentKeys.toolCalls(runId) })
      p.run = p.calls = false
      p.timer = undefined
    }, 300)
  }
  useEffect(() => () => clearTimeout(pendingRefresh.current.timer), [])

  const stream = useRunStream(runId, {
    onStored: (e: RunEvent) => refresh(runEventsForRun.has(e.type), runEventsForCalls.has(e.type)),
    onEnd: () => {
      void qc.invalidateQueries({ queryKey: agentKeys.run(runId) })
      void qc.invalidateQueries({ queryKey: agentKeys.toolCalls(runId) })
      void qc.invalidateQueries({ queryKey: agentKeys.runs(agentId) })
    },
  })
  const runQ = useRun(runId, { poll: stream.connection === 'failed' })
  const callsQ = useToolCalls(runId)

  if (runQ.isPending) return <Loading label="Loading run…" />
  if (runQ.isError)
    return (
      <>
        <PageHeader title="Run" back={{ href: `/${agentId}`, label: 'Agent' }} />
        <ErrorState error={runQ.error} retry={() => void runQ.refetch()} title="This run could not be loaded" />
      </>
    )
  return <RunView agentId={agentId} run={runQ.data} calls={callsQ.data?.items ?? []} callsError={callsQ.error} stream={stream} />
}

interface StreamView {
  events: RunEvent[]
  draft: string
  connection: StreamConnection
  error: unknown
}

function RunView({ agentId, run, calls, callsError, stream }: { agentId: string; run: AgentRun; calls: ToolCallRecord[]; callsError: unknown; stream: StreamView }) {
  const { canWrite } = useSession()
  const status = liveStatus(run, stream.events) ?? run.status
  const active = runActive(status) && !isFinalStatus(run.status)
  const items = useMemo(() => foldTranscript(stream.events, stream.draft), [stream.events, stream.draft])
  const pending = pendingApprovals(run, stream.events)
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    const t = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(t)
  }, [active])
  const stats = runStats(run, stream.events, calls, now)
  const cancel = useCancelRun(run.id)
  const lastAnswer = [...items].reverse().find((i) => i.kind === 'assistant' && i.text)
  const answer = run.output || (status === 'succeeded' && lastAnswer?.kind === 'assistant' ? lastAnswer.text : '')

  return (
    <>
      <PageHeader
        back={{ href: `/${agentId}`, label: run.agent?.name || 'Agent' }}
        title={
          <span className="row">
            Run <StatusBadge status={status} label={runStatusLabel(status)} />
          </span>
        }
        description={
          <>
            Started <span title={dateTime(run.started_at)}>{relativeTime(run.started_at)}</span>
            {run.trigger && run.trigger !== 'api' ? ` by ${run.trigger.split(':')[0]}` : ''} · {run.agent?.llm?.model || 'no model'}
          </>
        }
        actions={
          canWrite &&
          active && (
            <Button variant="danger" onClick={() => cancel.mutate()} busy={cancel.isPending} disabled={cancel.isSuccess}>
              {cancel.isSuccess ? 'Cancelling…' : 'Cancel run'}
            </Button>
          )
        }
      />
      <LiveLine connection={stream.connection} error={stream.error} active={active} />
      <div className="sr-only" role="status" aria-live="polite">
        Run status: {runStatusLabel(status)}
      </div>
      <InlineError error={cancel.error} />

      <FinalState run={run} status={status} agentId={agentId} />

      <dl className="grid grid-stats" style={{ margin: '0 0 1rem' }} aria-label="Run figures">
        <Stat label="Steps" value={`${stats.steps} of ${run.agent?.max_steps ?? '—'}`} />
        <Stat label="Tokens" value={compact(stats.totalTokens)} title={`${stats.promptTokens} prompt, ${stats.completionTokens} completion; budget ${run.agent?.token_budget ?? '—'}`} />
        <Stat label="Cost" value={costLabel(stats.costUSD)} />
        <Stat label="Model time" value={stats.modelLatencyMs ? elapsed(stats.modelLatencyMs) : '—'} />
        <Stat label="Tool time" value={stats.toolLatencyMs ? elapsed(stats.toolLatencyMs) : '—'} />
        <Stat label={active ? 'Running for' : 'Took'} value={elapsed(stats.durationMs)} />
      </dl>

      {pending.length > 0 && (
        <section className="card" aria-labelledby="run-approvals-h">
          <div className="card-head">
            <h2 id="run-approvals-h">Waiting for your approval</h2>
          </div>
          {!canWrite && <p className="muted">Your role cannot approve tool calls. Ask a tenant admin or member.</p>}
          {pending.map((c) => (
            <ApprovalRequest key={c.call_id} runId={run.id} call={c} canDecide={canWrite} />
          ))}
        </section>
      )}

      {status === 'succeeded' && answer && (
        <section className="card" aria-labelledby="run-answer-h">
          <div className="card-head">
            <h2 id="run-answer-h">Answer</h2>
          </div>
          <div className="agents-answer">{answer}</div>
          {run.citations && run.citations.length > 0 && (
            <>
              <h3 style={{ marginTop: '1rem' }}>Sources</h3>
              <ul className="agents-results">
                {run.citations.map((c) => (
                  <li key={c.chunk_id}>
                    <strong>{c.document_name}</strong>
                    <blockquote className="small muted">{truncate(c.text, 400)}</blockquote>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}

      <section className="card" aria-labelledby="run-transcript-h">
        <div className="card-head">
          <h2 id="run-transcript-h">Transcript</h2>
        </div>
        <Transcript items={items} connection={stream.connection} />
      </section>

      <section className="card" aria-labelledby="run-calls-h">
        <div className="card-head">
          <h2 id="run-calls-h">Tool calls</h2>
          <span className="muted small">{calls.length}</span>
        </div>
        {callsError ? <ErrorState error={callsError} /> : <ToolCalls calls={calls} />}
      </section>
    </>
  )
}

function Stat({ label, value, title }: { label: string; value: string; title?: string }) {
  return (
    <div className="stat" title={title}>
      <dt className="stat-label">{label}</dt>
      <dd className="stat-value" style={{ margin: 0 }}>
        {value}
      </dd>
    </div>
  )
}

function LiveLine({ connection, error, active }: { connection: StreamConnection; error: unknown; active: boolean }) {
  let text: string
  let tone = 'muted'
  switch (connection) {
    case 'connecting':
      text = 'Connecting to live updates…'
      break
    case 'live':
      text = active ? 'Live: new steps appear as they happen.' : 'Live'
      tone = 'info'
      break
    case 'reconnecting':
      text = 'The live connection dropped; reconnecting and catching up…'
      tone = 'warn'
      break
    case 'ended':
      text = 'The run is over; the transcript is complete.'
      break
    case 'failed':
      text = `Live updates stopped${error instanceof Error ? `: ${error.message}` : ''}. The page refreshes the run every few seconds instead.`
      tone = 'bad'
      break
  }
  return (
    <p className="small" role="status" aria-live="polite" style={{ marginTop: '-.75rem' }}>
      <span className={`badge badge-${tone}`}>{connection === 'live' ? 'Live' : connection === 'reconnecting' ? 'Reconnecting' : connection === 'failed' ? 'Offline' : connection === 'ended' ? 'Finished' : 'Connecting'}</span>{' '}
      <span className="muted">{text}</span>
    </p>
  )
}

function FinalState({ run, status, agentId }: { run: AgentRun; status: string; agentId: string }) {
  if (status === 'succeeded')
    return (
      <div className="notice notice-ok" role="status">
        <strong>The run succeeded.</strong> {run.output ? 'The answer is below.' : 'Loading the answer…'}
      </div>
    )
  if (status === 'failed')
    return (
      <div className="inline-error" role="alert">
        <strong>The run failed{run.error ? `: ${run.error}` : '.'}</strong>
        <p style={{ margin: '.25rem 0 0' }}>
          {failureAdvice(run.error)} <Link href={`/${agentId}`}>Open the agent</Link>
        </p>
      </div>
    )
  if (status === 'cancelled')
    return (
      <div className="notice notice-warn" role="status">
        <strong>The run was cancelled.</strong> Tool calls that finished before stay done. Start a new run from the <Link href={`/${agentId}`}>agent’s page</Link>.
      </div>
    )
  if (status === 'waiting_approval')
    return (
      <div className="notice notice-warn" role="status">
        <strong>The run is paused</strong> until someone approves or rejects the tool call below. Undecided calls are rejected after 7 days.
      </div>
    )
  return null
}

/** ApprovalRequest shows a waiting call with its input and sends the decision. */
function ApprovalRequest({ runId, call, canDecide }: { runId: string; call: PendingCall; canDecide: boolean }) {
  const decide = useDecide(runId)
  const connections = useConnections()
  const [comment, setComment] = useState('')
  const [choice, setChoice] = useState<'approve' | 'reject'>()
  const headingId = useId()
  const conn = connections.data?.find((c) => c.id === call.connection_id)
  const sent = decide.isSuccess
  const err = decide.error instanceof ApiError ? decide.error : undefined

  const send = (decision: 'approve' | 'reject') => {
    setChoice(decision)
    decide.mutate({ call_id: call.call_id, decision, comment: comment.trim() })
  }

  return (
    <section className="agents-approval" aria-labelledby={headingId}>
      <h3 id={headingId} className="mono" style={{ fontSize: '1rem' }}>
        {call.tool}
      </h3>
      <p className="small muted" style={{ margin: 0 }}>
        {call.action ? `Action ${call.action}` : 'Knowledge search'}
        {call.connection_id ? ` on ${conn ? conn.name : 'connection'} (${conn?.provider ?? call.connection_id})` : ''}
      </p>
      <p className="small" style={{ margin: '.5rem 0 .25rem', fontWeight: 600 }}>
        Input
      </p>
      <pre aria-label={`Input of ${call.tool}`}>{prettyJSON(call.input)}</pre>
      {canDecide && (
        <>
          <TextField
            label="Reason (optional)"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            disabled={decide.isPending || sent}
            error={err?.fields.comment}
            help="The agent reads it with a rejection; it is kept with the decision."
          />
          <div className="row">
            <Button variant="primary" onClick={() => send('approve')} busy={decide.isPending && choice === 'approve'} disabled={decide.isPending || sent}>
              Approve
            </Button>
            <Button variant="danger" onClick={() => send('reject')} busy={decide.isPending && choice === 'reject'} disabled={decide.isPending || sent}>
              Reject
            </Button>
            {sent && (
              <span className="muted small" role="status">
                {choice === 'approve' ? 'Approved' : 'Rejected'}; waiting for the run to record it…
              </span>
            )}
          </div>
          <InlineError error={decide.error && !err?.fields.comment ? decide.error : undefined} />
        </>
      )}
    </section>
  )
}

function Transcript({ items, connection }: { items: TranscriptItem[]; connection: StreamConnection }) {
  if (items.length === 0) {
    return connection === 'failed' ? (
      <p className="muted">The transcript could not be loaded.</p>
    ) : (
      <Loading label="Waiting for the first steps…" />
    )
  }
  return (
    <div className="transcript">
      {items.map((it) => (
        <TranscriptEntry key={it.key} item={it} />
      ))}
    </div>
  )
}

function TranscriptEntry({ item: it }: { item: TranscriptItem }) {
  switch (it.kind) {
    case 'system':
      return (
        <details className="msg msg-tool">
          <summary className="msg-meta" style={{ margin: 0 }}>
            Instructions the model was given
          </summary>
          <div className="small">{it.text}</div>
        </details>
      )
    case 'user':
      return (
        <div className="msg msg-user">
          <div className="msg-meta">Task · {dateTime(it.at)}</div>
          {it.text}
        </div>
      )
    case 'assistant': {
      const u = it.usage
      return (
        <div className="msg msg-assistant">
          <div className="msg-meta">
            Agent{it.step ? ` · step ${it.step}` : ''}
            {u ? ` · ${u.model} · ${u.prompt_tokens + u.completion_tokens} tokens · ${duration(u.latency_ms)}` : ''}
          </div>
          {it.text}
          {it.calls.length > 0 && (
            <div className="small muted" style={{ marginTop: it.text ? '.4rem' : 0 }}>
              Calls {it.calls.map((c) => c.name).join(', ')}
            </div>
          )}
        </div>
      )
    }
    case 'tool':
      return (
        <div className="msg msg-tool">
          <div className="msg-meta">
            Result of <span className="mono">{it.name}</span>
          </div>
          {it.text.length > 160 ? (
            <details>
              <summary>{truncate(it.text, 120)}</summary>
              <pre>{prettyJSON(it.text)}</pre>
            </details>
          ) : (
            <span className="mono">{it.text}</span>
          )}
        </div>
      )
    case 'note':
      return (
        <div className="msg-meta" role="note">
          <span className={`badge badge-${it.tone}`}>{it.text}</span> <span>{relativeTime(it.at)}</span>
        </div>
      )
    case 'draft':
      return (
        <div className="msg msg-assistant" aria-busy="true" data-testid="streaming-answer">
          <div className="msg-meta">Agent · writing…</div>
          <span className="agents-draft">{it.text}</span>
        </div>
      )
  }
}

function ToolCalls({ calls }: { calls: ToolCallRecord[] }) {
  if (calls.length === 0) return <p className="muted">No tool calls yet.</p>
  return (
    <div>
      {calls.map((c) => (
        <details key={c.call_id} className="agents-call" open={c.status === 'waiting_approval' || undefined}>
          <summary>
            <span className="mono">{c.tool}</span>
            <StatusBadge status={c.status} label={callStatusLabel(c.status)} />
            {c.needs_approval && <Badge>needs approval</Badge>}
            {c.latency_ms > 0 && <span className="muted small">{duration(c.latency_ms)}</span>}
          </summary>
          <div className="stack" style={{ marginTop: '.5rem' }}>
            {c.action && (
              <p className="small muted" style={{ margin: 0 }}>
                Action {c.action}
                {c.connection_id ? ` on connection ${c.connection_id}` : ''} · {dateTime(c.created_at)}
              </p>
            )}
            <div>
              <div className="small" style={{ fontWeight: 600 }}>
                Input
              </div>
              <pre>{prettyJSON(c.input)}</pre>
            </div>
            {c.output !== undefined && c.output !== null && (
              <div>
                <div className="small" style={{ fontWeight: 600 }}>
                  Output
                </div>
                <pre>{prettyJSON(c.output)}</pre>
              </div>
            )}
            {c.error && (
              <p className="card-error" style={{ margin: 0 }}>
                Error: {c.error}
              </p>
            )}
            {c.decided_by && (
              <p className="small muted" style={{ margin: 0 }}>
                Decided by {c.decided_by}
                {c.comment ? `: “${c.comment}”` : ''}
              </p>
            )}
          </div>
        </details>
      ))}
    </div>
  )
}
