import { useState } from 'react'
import { Link } from 'wouter'
import { useFireSchedule, usePlaybooks, useSetPlaybookEnabled, type Playbook } from '../../api/playbooks'
import { describeCron, scheduleZone, scheduledPlaybooks } from '../../lib/playbooks'
import { useSession } from '../../session'
import { Button, EmptyState, ErrorState, InlineError, Loading, StatusBadge } from '../../ui'
import { SectionHeader } from './shared'

/** SchedulesPage lists the playbooks that run on a schedule. */
export function SchedulesPage() {
  const q = usePlaybooks()
  const list = scheduledPlaybooks(q.data ?? [])
  return (
    <>
      <SectionHeader
        current="schedules"
        description="Playbooks that start on a cron schedule in a time zone. Disabling a playbook pauses its schedule."
      />
      {q.isPending && <Loading label="Loading schedules…" />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && list.length === 0 && (
        <EmptyState
          title="No scheduled playbooks"
          action={
            <Link href="/templates/weekly-ads-report" className="btn btn-primary">
              See the weekly report template
            </Link>
          }
        >
          A playbook runs on a schedule when its definition has one, e.g.{' '}
          <code>{'"schedule": {"cron": "0 8 * * 6", "timezone": "Europe/Berlin"}'}</code>. The weekly Google Ads report template comes with one.
        </EmptyState>
      )}
      {list.length > 0 && (
        <div className="card table-wrap">
          <table aria-label="Schedules">
            <thead>
              <tr>
                <th>Playbook</th>
                <th>When</th>
                <th>Cron</th>
                <th>Time zone</th>
                <th>State</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <ScheduleRow key={p.id} playbook={p} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  )
}

function ScheduleRow({ playbook: p }: { playbook: Playbook }) {
  const { canWrite } = useSession()
  const fire = useFireSchedule()
  const toggle = useSetPlaybookEnabled()
  const [fired, setFired] = useState(false)
  const s = p.schedule!
  return (
    <tr>
      <td>
        <Link href={`/${p.id}`}>
          <strong>{p.name}</strong>
        </Link>
        {fired && (
          <div className="small" role="status" style={{ color: 'var(--ok)' }}>
            Fired. <Link href={`/${p.id}`}>See the run</Link> in a few seconds.
          </div>
        )}
        <InlineError error={fire.error ?? toggle.error} />
      </td>
      <td>{describeCron(s.cron)}</td>
      <td className="mono">{s.cron}</td>
      <td>{scheduleZone(s)}</td>
      <td>
        <StatusBadge status={p.enabled ? 'enabled' : 'disabled'} label={p.enabled ? 'Enabled' : 'Paused'} />
      </td>
      <td>
        {canWrite && (
          <div className="row" style={{ flexWrap: 'nowrap' }}>
            <Button
              onClick={() => {
                setFired(false)
                fire.mutate(p.id, { onSuccess: () => setFired(true) })
              }}
              busy={fire.isPending}
              aria-label={`Fire ${p.name} now`}
            >
              Fire now
            </Button>
            <Button
              variant="ghost"
              onClick={() => toggle.mutate({ playbook: p, enabled: !p.enabled })}
              busy={toggle.isPending}
              aria-label={`${p.enabled ? 'Pause' : 'Resume'} ${p.name}`}
            >
              {p.enabled ? 'Pause' : 'Resume'}
            </Button>
          </div>
        )}
      </td>
    </tr>
  )
}
