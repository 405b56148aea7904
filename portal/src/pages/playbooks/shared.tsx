// Parts the playbook screens share: the section header with its tabs, the
// step list, the runs table and name lookups.
import { useEffect, useMemo, useState, type ReactNode } from 'react'
import { Link } from 'wouter'
import { useConnections } from '../../api/connectors'
import { useAgentOptions, type PlaybookRun, type PlaybookStep } from '../../api/playbooks'
import { dateTime, relativeTime } from '../../lib/format'
import { runDuration, runLength, statusLabels, stepSummary, stepTypeLabels, triggerLabel, type FieldError, type Names } from '../../lib/playbooks'
import { Badge, PageHeader, StatusBadge, Tabs } from '../../ui'

const tabs = [
  { id: 'playbooks', label: 'Playbooks', href: '/' },
  { id: 'templates', label: 'Templates', href: '/templates' },
  { id: 'schedules', label: 'Schedules', href: '/schedules' },
]

/** SectionHeader is the title of the section's list screens, with the tabs between them. */
export function SectionHeader({ current, description, actions }: { current: 'playbooks' | 'templates' | 'schedules'; description: ReactNode; actions?: ReactNode }) {
  return (
    <>
      <PageHeader title="Playbooks" description={description} actions={actions} />
      <Tabs tabs={tabs} current={current} />
    </>
  )
}

/** useNames resolves the tenant's connection and agent ids to their names. */
export function useNames(): Names {
  const connections = useConnections()
  const agents = useAgentOptions()
  return useMemo(() => {
    const conn = new Map((connections.data ?? []).map((c) => [c.id, `${c.name} (${c.provider})`]))
    const agent = new Map((agents.data ?? []).map((a) => [a.id, a.name]))
    return { connection: (id) => conn.get(id), agent: (id) => agent.get(id) }
  }, [connections.data, agents.data])
}

/** RunStatus is a run or step status badge with the section's wording. */
export function RunStatus({ status }: { status: string }) {
  return <StatusBadge status={status} label={statusLabels[status]} />
}

/** StepHead is a step's number, type, id and summary. */
export function StepHead({ index, step, names, status }: { index: number; step: PlaybookStep; names: Names; status?: ReactNode }) {
  return (
    <>
      <div className="row">
        <span className="muted small">Step {index + 1}</span>
        <Badge>{stepTypeLabels[step.type] ?? step.type}</Badge>
        <code>{step.id}</code>
        {status}
      </div>
      <div>{stepSummary(step, names)}</div>
      {step.when && (
        <div className="small">
          <span className="muted">Only when </span>
          <code>{step.when}</code>
        </div>
      )}
    </>
  )
}

/** StepList shows a playbook's steps in order. */
export function StepList({ steps, names }: { steps: PlaybookStep[]; names: Names }) {
  if (steps.length === 0) return <p className="muted">This playbook has no steps.</p>
  return (
    <ol className="stack" aria-label="Steps" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
      {steps.map((s, i) => (
        <li key={`${i}-${s.id}`} className="card" style={{ margin: 0, padding: '.75rem 1rem' }}>
          <StepHead index={i} step={s} names={names} />
          {s.type === 'action' && s.input !== undefined && (
            <details>
              <summary className="small">Input of {s.id}</summary>
              <pre>{JSON.stringify(s.input, null, 2)}</pre>
            </details>
          )}
        </li>
      ))}
    </ol>
  )
}

/** RunsTable lists runs with status, trigger, start and duration. */
export function RunsTable({ runs, now }: { runs: PlaybookRun[]; now: number }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Status</th>
            <th>Trigger</th>
            <th>Started</th>
            <th className="num">Duration</th>
            <th>
              <span className="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <RunStatus status={r.status} />
                {r.error && <div className="small muted">{r.error}</div>}
              </td>
              <td>{triggerLabel(r.trigger)}</td>
              <td title={dateTime(r.started_at)}>{relativeTime(r.started_at, now)}</td>
              <td className="num">{runLength(runDuration(r, now))}</td>
              <td>
                <Link href={`/runs/${r.id}`} aria-label={`Open the run started ${dateTime(r.started_at)}`}>
                  Open
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** DefinitionErrors lists the fields the hub refused in a definition. */
export function DefinitionErrors({ errors, id }: { errors: FieldError[]; id?: string }) {
  if (errors.length === 0) return null
  return (
    <div className="inline-error" role="alert" id={id}>
      <strong>The hub refused {errors.length === 1 ? 'this field' : 'these fields'}:</strong>
      <ul style={{ margin: '.25rem 0 0', paddingLeft: '1.25rem' }}>
        {errors.map((e) => (
          <li key={e.field}>
            <code>{e.field}</code>: {e.message}
          </li>
        ))}
      </ul>
      <span className="muted small">Correct them in the definition and save again; your text is kept.</span>
    </div>
  )
}

/** useNow is the current time, refreshed every second while active (for running durations). */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    const t = window.setInterval(() => setNow(Date.now()), 1000)
    return () => window.clearInterval(t)
  }, [active])
  return active ? now : Date.now()
}
