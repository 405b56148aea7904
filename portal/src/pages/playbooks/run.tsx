import { useState } from 'react'
import { Link, useParams } from 'wouter'
import { ApiError } from '../../api/client'
import { useCancelRun, useDecide, usePlaybook, usePlaybookRun, type PlaybookRun } from '../../api/playbooks'
import { dateTime, relativeTime } from '../../lib/format'
import {
  agentRunHref,
  approvalMessage,
  foldRun,
  isRunFinished,
  prettyJSON,
  runDuration,
  runLength,
  runProgress,
  triggerLabel,
  waitingApproval,
  type Names,
  type StepRow,
} from '../../lib/playbooks'
import { useSession } from '../../session'
import { Badge, Button, Card, ErrorState, InlineError, Loading, PageHeader, ProgressBar, TextArea } from '../../ui'
import { RunStatus, StepHead, useNames, useNow } from './shared'

/** RunPage follows one playbook run: its steps, approvals and outcome; it refreshes every 2 s until the run ends. */
export function RunPage() {
  const { runId = '' } = useParams<{ runId: string }>()
  const { canWrite } = useSession()
  const q = usePlaybookRun(runId, (r) => !isRunFinished(r))
  const run = q.data
  const pb = usePlaybook(run?.playbook_id)
  const names = useNames()
  const cancel = useCancelRun(runId)
  const finished = isRunFinished(run)
  const now = useNow(!!run && !finished)

  if (q.isPending) return <Loading label="Loading the run…" />
  if (q.isError)
    return (
      <>
        <PageHeader title="Playbook run" back={{ href: '/', label: 'Playbooks' }} />
        <ErrorState
          error={q.error}
          retry={() => void q.refetch()}
          title={q.error instanceof ApiError && q.error.status === 404 ? 'This run does not exist' : undefined}
        />
      </>
    )
  const r = q.data
  const name = pb.data?.name
  const progress = runProgress(r)
  const rows = foldRun(r)
  return (
    <>
      <PageHeader
        back={{ href: `/${r.playbook_id}`, label: name ?? 'Playbook' }}
        title={name ? `Run of ${name}` : 'Playbook run'}
        description={
          <>
            Started {relativeTime(r.started_at, now)} · {triggerLabel(r.trigger)} · <span className="mono">{r.id}</span>
          </>
        }
        actions={
          canWrite &&
          !finished && (
            <Button variant="danger" onClick={() => cancel.mutate()} busy={cancel.isPending}>
              Cancel run
            </Button>
          )
        }
      />
      <InlineError error={cancel.error} />
      {cancel.isSuccess && !finished && (
        <div className="notice" role="status">
          Cancelling: the run stops at its next step boundary, and its agent run with it.
        </div>
      )}

      <Card>
        <div className="row row-between">
          <div className="row" role="status" aria-live="polite">
            <span className="muted">Status</span> <RunStatus status={r.status} />
            {!finished && (
              <span className="muted small">
                {progress.done} of {progress.total} steps done · refreshing every 2 s
              </span>
            )}
          </div>
          {q.isFetching && !finished && <span className="spinner spinner-sm" aria-hidden="true" />}
        </div>
        {!finished && progress.total > 0 && (
          <div style={{ marginTop: '.5rem' }}>
            <ProgressBar value={progress.done / progress.total} label="Steps done" />
          </div>
        )}
        {r.error && (
          <div className="inline-error" role="alert">
            <strong>The run failed:</strong> {r.error}
          </div>
        )}
        <dl className="grid grid-stats small" style={{ margin: '.75rem 0 0' }}>
          <div>
            <dt className="muted">Trigger</dt>
            <dd style={{ margin: 0 }}>{triggerLabel(r.trigger)}</dd>
          </div>
          <div>
            <dt className="muted">Started</dt>
            <dd style={{ margin: 0 }}>{dateTime(r.started_at)}</dd>
          </div>
          <div>
            <dt className="muted">Finished</dt>
            <dd style={{ margin: 0 }}>{r.finished_at ? dateTime(r.finished_at) : '—'}</dd>
          </div>
          <div>
            <dt className="muted">Duration</dt>
            <dd style={{ margin: 0 }}>{runLength(runDuration(r, now))}</dd>
          </div>
          <div>
            <dt className="muted">Started by</dt>
            <dd style={{ margin: 0, overflowWrap: 'anywhere' }}>{r.created_by}</dd>
          </div>
        </dl>
        {r.input !== undefined && r.input !== null && (
          <details style={{ marginTop: '.5rem' }}>
            <summary>Run input</summary>
            <pre>{prettyJSON(r.input)}</pre>
          </details>
        )}
      </Card>

      <ApprovalPanel run={r} />

      <Card title="Steps">
        {rows.length === 0 ? (
          <p className="muted">This run has no steps.</p>
        ) : (
          <ol className="stack" aria-label="Steps of the run" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {rows.map((row) => (
              <StepRunItem key={row.index} row={row} names={names} now={now} />
            ))}
          </ol>
        )}
      </Card>
    </>
  )
}

/** ApprovalPanel asks for a decision on the approval step the run waits on. */
function ApprovalPanel({ run }: { run: PlaybookRun }) {
  const { canWrite } = useSession()
  const decide = useDecide(run.id)
  const [comment, setComment] = useState('')
  const [sentFor, setSentFor] = useState<string>()
  const waiting = waitingApproval(run)
  if (!waiting) return null
  const step = run.steps?.[waiting.index]
  const message = approvalMessage(waiting, step)
  const sent = sentFor === waiting.step_id
  const send = (decision: 'approve' | 'reject') => {
    decide.mutate(
      { step_id: waiting.step_id, decision, comment: comment.trim() || undefined },
      { onSuccess: () => setSentFor(waiting.step_id) },
    )
  }
  return (
    <Card title={`Waiting for approval: ${waiting.step_id}`} className="notice-warn">
      <p style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{message || 'This step asks a person to approve before the playbook goes on.'}</p>
      {canWrite ? (
        <>
          <TextArea
            label="Comment (optional)"
            help="Kept with the decision in the step's output."
            value={comment}
            rows={2}
            disabled={decide.isPending || sent}
            onChange={(e) => setComment(e.target.value)}
          />
          <InlineError error={decide.error} />
          {sent && (
            <div className="notice" role="status">
              Decision sent; the playbook goes on in a moment.
            </div>
          )}
          <div className="form-actions">
            <Button variant="danger" onClick={() => send('reject')} busy={decide.isPending && decide.variables?.decision === 'reject'} disabled={decide.isPending || sent}>
              Reject
            </Button>
            <Button variant="primary" onClick={() => send('approve')} busy={decide.isPending && decide.variables?.decision === 'approve'} disabled={decide.isPending || sent}>
              Approve
            </Button>
          </div>
        </>
      ) : (
        <p className="muted">A tenant admin or member decides; your role can only watch.</p>
      )}
    </Card>
  )
}

/** StepRunItem is one step of the run: what it is, what happened, its input and output. */
function StepRunItem({ row, names, now }: { row: StepRow; names: Names; now: number }) {
  const sr = row.stepRun
  const href = agentRunHref(row)
  const step = row.step ?? { id: row.stepId, type: row.type }
  const decision = sr?.output && typeof sr.output === 'object' ? (sr.output as { approved?: boolean; comment?: string }) : undefined
  return (
    <li className="card" style={{ margin: 0, padding: '.75rem 1rem' }} aria-label={`Step ${row.index + 1}: ${row.stepId}`}>
      <StepHead index={row.index} step={step} names={names} status={<RunStatus status={row.status} />} />
      {row.status === 'skipped' && <p className="small muted">Skipped: its condition was false.</p>}
      {sr && row.status !== 'skipped' && (
        <p className="small muted" style={{ margin: '.25rem 0' }}>
          Started {relativeTime(sr.started_at, now)}
          {sr.finished_at ? ` · took ${runLength(runDuration(sr))}` : ''}
        </p>
      )}
      {sr?.error && (
        <div className="inline-error">
          <strong>Error:</strong> {sr.error}
        </div>
      )}
      {sr?.agent_run_id && (
        <p className="small" style={{ margin: '.25rem 0' }}>
          Agent run:{' '}
          {href ? (
            <Link href={href}>Open the agent run (transcript and approvals)</Link>
          ) : (
            <span className="mono">{sr.agent_run_id}</span>
          )}
        </p>
      )}
      {sr?.decided_by && (
        <p className="small" style={{ margin: '.25rem 0' }}>
          <Badge>{decision?.approved === false ? 'Rejected' : 'Approved'}</Badge> by <span className="mono">{sr.decided_by}</span>
          {decision?.comment ? ` — “${decision.comment}”` : ''}
        </p>
      )}
      {sr?.input !== undefined && sr.input !== null && (
        <details>
          <summary className="small">Input of {row.stepId}</summary>
          <pre>{prettyJSON(sr.input)}</pre>
        </details>
      )}
      {sr?.output !== undefined && sr.output !== null && (
        <details>
          <summary className="small">Output of {row.stepId}</summary>
          <pre>{prettyJSON(sr.output)}</pre>
        </details>
      )}
    </li>
  )
}
