import { useState } from 'react'
import { Link } from 'wouter'
import { usePlaybooks } from '../../api/playbooks'
import { dateTime, relativeTime } from '../../lib/format'
import { describeSchedule, filterPlaybooks } from '../../lib/playbooks'
import { useSession } from '../../session'
import { EmptyState, ErrorState, Loading, StatusBadge, TextField } from '../../ui'
import { SectionHeader } from './shared'

/** PlaybooksListPage lists the tenant's playbooks. */
export function PlaybooksListPage() {
  const { canWrite } = useSession()
  const q = usePlaybooks()
  const [search, setSearch] = useState('')
  const list = q.data ?? []
  const shown = filterPlaybooks(list, search)

  return (
    <>
      <SectionHeader
        current="playbooks"
        description="Multi-step workflows: connector actions, agent runs, waits and approvals, run on demand, on a schedule or from a rule."
        actions={
          canWrite && (
            <>
              <Link href="/templates" className="btn btn-primary">
                New from template
              </Link>
              <Link href="/new" className="btn btn-secondary">
                Write in JSON
              </Link>
            </>
          )
        }
      />
      {q.isPending && <Loading label="Loading playbooks…" />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && list.length === 0 && (
        <EmptyState
          title="No playbooks yet"
          action={
            <Link href="/templates" className="btn btn-primary">
              Browse the templates
            </Link>
          }
        >
          {canWrite
            ? 'Start from a ready-made template (weekly ads report, Shopify order to CRM, hot lead to Zoho): pick your connections and agents, and the hub builds the steps.'
            : 'Nobody in this workspace has made a playbook yet. The templates show what they can do; a member or admin can create one.'}
        </EmptyState>
      )}
      {q.isSuccess && list.length > 0 && (
        <>
          <div className="toolbar" role="search">
            <TextField label="Search playbooks" type="search" placeholder="Name or description" value={search} onChange={(e) => setSearch(e.target.value)} />
          </div>
          {shown.length === 0 ? (
            <EmptyState title="No playbook matches">Clear the search to see all {list.length} playbooks.</EmptyState>
          ) : (
            <div className="card table-wrap">
              <table aria-label="Playbooks">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th className="num">Steps</th>
                    <th>Schedule</th>
                    <th>State</th>
                    <th>Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((p) => (
                    <tr key={p.id}>
                      <td>
                        <Link href={`/${p.id}`}>
                          <strong>{p.name}</strong>
                        </Link>
                        {p.description && <div className="small muted">{p.description}</div>}
                      </td>
                      <td className="num">{p.steps?.length ?? 0}</td>
                      <td>
                        {p.schedule ? (
                          <>
                            {describeSchedule(p.schedule)}
                            <div className="small muted mono">{p.schedule.cron}</div>
                          </>
                        ) : (
                          <span className="muted">On demand</span>
                        )}
                      </td>
                      <td>
                        <StatusBadge status={p.enabled ? 'enabled' : 'disabled'} />
                      </td>
                      <td title={dateTime(p.updated_at)}>{relativeTime(p.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  )
}
