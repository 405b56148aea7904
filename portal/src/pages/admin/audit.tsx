import { useAudit } from '../../api/admin'
import { dateTime, titleCase } from '../../lib/format'
import { Button, Card, EmptyState, ErrorState, Loading, PageHeader } from '../../ui'
import { TenantPicker, useTenantParam } from './tenant-picker'

/** AuditPage shows a tenant's audit log, newest first. */
export default function AuditPage() {
  const [tenantId, setTenantId] = useTenantParam()
  const audit = useAudit(tenantId)
  const entries = audit.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <>
      <PageHeader title="Audit log" description="Every change to tenants, users, keys, connections and automations, with who made it and from where." />
      <div className="toolbar">
        <TenantPicker value={tenantId} onChange={setTenantId} />
      </div>
      <Card>
        {audit.isPending && tenantId && <Loading />}
        {audit.isError && <ErrorState error={audit.error} retry={() => void audit.refetch()} />}
        {audit.isSuccess && entries.length === 0 && <EmptyState title="Nothing recorded yet">Changes made in this tenant appear here.</EmptyState>}
        {entries.length > 0 && (
          <div className="table-wrap">
            <table aria-label="Audit entries">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Action</th>
                  <th>Actor</th>
                  <th>Target</th>
                  <th>IP</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id}>
                    <td>{dateTime(e.created_at)}</td>
                    <td className="mono">{e.action}</td>
                    <td>
                      {titleCase(e.actor_type)} <span className="mono small muted">{e.actor_id.slice(0, 8)}</span>
                    </td>
                    <td>
                      {e.target_type && titleCase(e.target_type)} <span className="mono small muted">{e.target_id.slice(0, 12)}</span>
                    </td>
                    <td className="mono small">{e.ip}</td>
                    <td>
                      {e.details && Object.keys(e.details).length > 0 && (
                        <details>
                          <summary>Show</summary>
                          <pre>{JSON.stringify(e.details, null, 2)}</pre>
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {audit.hasNextPage && (
          <div className="form-actions">
            <Button onClick={() => void audit.fetchNextPage()} busy={audit.isFetchingNextPage}>
              Load older entries
            </Button>
          </div>
        )}
      </Card>
    </>
  )
}
