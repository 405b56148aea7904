// The Rules tab: every automation rule with its trigger, an on/off switch
// (optimistic, rolled back on failure) and when it last changed.
import { useEffect, useState } from 'react'
import { Link } from 'wouter'
import { useRules, useToggleRule, type Rule } from '../../api/integrations'
import { triggerSummary } from '../../lib/rules'
import { useSession } from '../../session'
import { Card, EmptyState, ErrorState, InlineError, Loading, PageHeader, StatusBadge } from '../../ui'
import { When } from './shared'

/** RulesPage is /rules. */
export function RulesPage() {
  const { canWrite } = useSession()
  const q = useRules()
  const toggle = useToggleRule()
  const rules = q.data ?? []
  const failed = toggle.isError ? rules.find((r) => r.id === toggle.variables?.id) : undefined

  return (
    <>
      <PageHeader
        title="Automation rules"
        description="When an event arrives (or a schedule fires) and the condition holds, a rule runs its actions in order: connector actions, agents, playbooks, webhooks and waits."
        actions={
          canWrite && (
            <Link href="/rules/new" className="btn btn-primary">
              New rule
            </Link>
          )
        }
      />
      {toggle.isError && (
        <div>
          <p className="small" style={{ margin: 0 }}>
            {failed ? `“${failed.name}” could not be turned ${toggle.variables?.enabled ? 'on' : 'off'}; it is back as it was.` : 'The rule could not be changed.'}
          </p>
          <InlineError error={toggle.error} />
        </div>
      )}
      <Card>
        {q.isPending && <Loading label="Loading rules…" />}
        {q.isError && <ErrorState title="The rules could not be loaded" error={q.error} retry={() => void q.refetch()} />}
        {q.isSuccess && rules.length === 0 && (
          <EmptyState
            title="No rules yet"
            action={
              canWrite && (
                <Link href="/rules/new" className="btn btn-primary">
                  Create your first rule
                </Link>
              )
            }
          >
            A rule reacts to events such as stripe.invoice.payment_failed or shopify.orders.create, or runs on a schedule, and does the follow-up work for you.
          </EmptyState>
        )}
        {rules.length > 0 && (
          <div className="table-wrap">
            <table aria-label="Rules">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Trigger</th>
                  <th className="num">Actions</th>
                  <th>Enabled</th>
                  <th>Last updated</th>
                </tr>
              </thead>
              <tbody>
                {rules.map((r) => (
                  <RuleRow key={r.id} rule={r} canWrite={canWrite} busy={toggle.isPending && toggle.variables?.id === r.id} onToggle={(enabled) => toggle.mutate({ id: r.id, enabled })} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  )
}

function RuleRow({ rule: r, canWrite, busy, onToggle }: { rule: Rule; canWrite: boolean; busy: boolean; onToggle: (enabled: boolean) => void }) {
  // The switch moves at once; the cache follows (optimistically) and is
  // rolled back, with the switch, if the hub refuses.
  const [shown, setShown] = useState<boolean | null>(null)
  useEffect(() => {
    if (!busy) setShown(null)
  }, [busy, r.enabled])
  const checked = shown ?? r.enabled
  return (
    <tr data-testid={`rule-${r.id}`}>
      <td>
        <Link href={`/rules/${r.id}`}>{r.name}</Link>
        {r.condition && <div className="muted small mono" style={{ overflowWrap: 'anywhere' }}>if {r.condition.length > 80 ? `${r.condition.slice(0, 79)}…` : r.condition}</div>}
      </td>
      <td>{triggerSummary(r.trigger)}</td>
      <td className="num">{(r.actions ?? []).length}</td>
      <td>
        {canWrite ? (
          <label className="check">
            <input
              type="checkbox"
              role="switch"
              aria-label={`Enabled: ${r.name}`}
              checked={checked}
              aria-busy={busy || undefined}
              onChange={(e) => {
                if (busy) return
                setShown(e.target.checked)
                onToggle(e.target.checked)
              }}
            />
            <span className="small">{checked ? 'On' : 'Off'}</span>
          </label>
        ) : (
          <StatusBadge status={r.enabled ? 'enabled' : 'disabled'} />
        )}
      </td>
      <td>
        <When iso={r.updated_at} />
      </td>
    </tr>
  )
}
