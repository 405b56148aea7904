// A rule's run history: each run expands to its steps (input, output,
// error); failed runs can be retried; refreshes every 5 s while one runs.
import { Fragment, useRef } from 'react'
import { useRetryRun, useRuleRuns, type Rule, type RuleRun } from '../../api/integrations'
import { duration } from '../../lib/format'
import { actionTypes, anyRunActive, runDurationMs } from '../../lib/rules'
import { useSession } from '../../session'
import { Button, Card, EmptyState, ErrorState, InlineError, Loading, StatusBadge } from '../../ui'
import { ExpandButton, Json, useExpanded, When } from './shared'

const typeLabels = Object.fromEntries(actionTypes.map((t) => [t.value, t.label])) as Record<string, string>

/** RunHistory lists a rule's runs, newest first; boostUntil keeps refreshing for a while after Run now. */
export function RunHistory({ rule, boostUntil = 0 }: { rule: Rule; boostUntil?: number }) {
  const { canWrite } = useSession()
  const boost = useRef(boostUntil)
  boost.current = boostUntil
  const q = useRuleRuns(rule.id, (items) => anyRunActive(items) || Date.now() < boost.current)
  const retry = useRetryRun(rule.id)
  const expanded = useExpanded()
  const runs = q.data?.pages.flatMap((p) => p.items) ?? []
  const polling = anyRunActive(runs)

  return (
    <Card
      title="Run history"
      actions={
        <div className="row">
          {polling && (
            <span className="muted small" role="status">
              Refreshing every 5 s while a run is running…
            </span>
          )}
          <Button variant="ghost" onClick={() => void q.refetch()} busy={q.isFetching && !q.isPending}>
            Refresh
          </Button>
        </div>
      }
    >
      {retry.isError && <InlineError error={retry.error} />}
      {q.isPending && <Loading label="Loading runs…" />}
      {q.isError && <ErrorState title="The runs could not be loaded" error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && runs.length === 0 && (
        <EmptyState title="No runs yet">
          {rule.trigger.schedule
            ? 'The rule runs on its schedule; press Run now to try it at once.'
            : `The rule runs when a ${rule.trigger.event_type} event arrives and its condition holds.`}
          {!rule.enabled && ' It is disabled now, so it does not run.'}
        </EmptyState>
      )}
      {runs.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Runs">
            <thead>
              <tr>
                <th>Status</th>
                <th>Started</th>
                <th className="num">Duration</th>
                <th>Steps</th>
                <th>Error</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <RunRow
                  key={run.id}
                  run={run}
                  open={expanded.isOpen(run.id)}
                  toggle={() => expanded.toggle(run.id)}
                  canRetry={canWrite && run.status === 'failed'}
                  retrying={retry.isPending && retry.variables === run.id}
                  onRetry={() => retry.mutate(run.id)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {q.hasNextPage && (
        <div className="form-actions">
          <Button onClick={() => void q.fetchNextPage()} busy={q.isFetchingNextPage}>
            Load older runs
          </Button>
        </div>
      )}
    </Card>
  )
}

function RunRow({ run, open, toggle, canRetry, retrying, onRetry }: { run: RuleRun; open: boolean; toggle: () => void; canRetry: boolean; retrying: boolean; onRetry: () => void }) {
  const steps = run.steps ?? []
  const total = (run.actions ?? []).length || steps.length
  const done = steps.filter((s) => s.status === 'succeeded').length
  const detailId = `run-${run.id}`
  return (
    <Fragment>
      <tr data-testid={`run-${run.id}`}>
        <td>
          <StatusBadge status={run.status} />
          {run.retries > 0 && <div className="muted small">retried {run.retries}×</div>}
        </td>
        <td>
          <When iso={run.started_at} />
        </td>
        <td className="num">{duration(runDurationMs(run.status === 'running' ? { started_at: run.started_at } : run))}</td>
        <td>
          {done} of {total} done
        </td>
        <td>{run.error && run.status !== 'running' ? <span className="small intg-bad-text">{run.error}</span> : <span className="muted">—</span>}</td>
        <td>
          <div className="intg-cell-row" style={{ justifyContent: 'flex-end' }}>
            <ExpandButton open={open} onToggle={toggle} controls={detailId} show="Show steps" hide="Hide steps" />
            {canRetry && (
              <Button className="intg-btn-sm" busy={retrying} onClick={onRetry} title="Run again from the first failed step">
                Retry
              </Button>
            )}
          </div>
        </td>
      </tr>
      {open && (
        <tr className="intg-detail" id={detailId}>
          <td colSpan={6}>
            <div className="muted small" style={{ marginBottom: '.4rem' }}>
              Run <span className="mono">{run.id}</span> for event <span className="mono">{run.event_id}</span>
              {run.finished_at && run.status !== 'running' && (
                <>
                  , finished <When iso={run.finished_at} />
                </>
              )}
            </div>
            {steps.length === 0 ? (
              <p className="muted small">No step has started yet.</p>
            ) : (
              <table aria-label={`Steps of run ${run.id}`}>
                <thead>
                  <tr>
                    <th className="num">#</th>
                    <th>Type</th>
                    <th>Status</th>
                    <th className="num">Duration</th>
                    <th>Input and output</th>
                    <th>Error</th>
                  </tr>
                </thead>
                <tbody>
                  {steps.map((s) => (
                    <tr key={s.index}>
                      <td className="num">{s.index + 1}</td>
                      <td>{typeLabels[s.type] ?? s.type}</td>
                      <td>
                        <StatusBadge status={s.status} />
                      </td>
                      <td className="num">{duration(runDurationMs(s))}</td>
                      <td style={{ minWidth: '14rem' }}>
                        {s.input !== undefined && s.input !== null && (
                          <details>
                            <summary>Input</summary>
                            <Json value={s.input} label={`Input of step ${s.index + 1}`} />
                          </details>
                        )}
                        {s.output !== undefined && s.output !== null && (
                          <details>
                            <summary>Output</summary>
                            <Json value={s.output} label={`Output of step ${s.index + 1}`} />
                          </details>
                        )}
                        {(s.input === undefined || s.input === null) && (s.output === undefined || s.output === null) && <span className="muted">—</span>}
                      </td>
                      <td>{s.error ? <span className="small intg-bad-text">{s.error}</span> : <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </td>
        </tr>
      )}
    </Fragment>
  )
}
