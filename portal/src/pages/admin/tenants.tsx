import { useState, type FormEvent } from 'react'
import { Link } from 'wouter'
import { ApiError } from '../../api/client'
import { useCreateTenant, useSetTenantStatus, useTenants } from '../../api/admin'
import { dateTime } from '../../lib/format'
import { slugify } from '../../lib/slug'
import { Button, Card, EmptyState, ErrorState, InlineError, Loading, PageHeader, StatusBadge, TextField } from '../../ui'

/** TenantsPage lists, creates, suspends and reactivates tenants. */
export default function TenantsPage() {
  const tenants = useTenants()
  const setStatus = useSetTenantStatus()
  return (
    <>
      <PageHeader title="Tenants" description="Each tenant is a customer account with its own connections, agents and users." />
      <Card title="Create a tenant">
        <CreateTenantForm />
      </Card>
      <Card title="All tenants">
        {tenants.isPending && <Loading />}
        {tenants.isError && <ErrorState error={tenants.error} retry={() => void tenants.refetch()} />}
        {tenants.isSuccess && tenants.data.length === 0 && <EmptyState title="No tenants yet">Create the first one above, then add its admin on the users page.</EmptyState>}
        <InlineError error={setStatus.error} />
        {tenants.isSuccess && tenants.data.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Slug</th>
                  <th>Status</th>
                  <th>Created</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tenants.data.map((t) => (
                  <tr key={t.id}>
                    <td>{t.name}</td>
                    <td className="mono">{t.slug}</td>
                    <td>
                      <StatusBadge status={t.status} />
                    </td>
                    <td>{dateTime(t.created_at)}</td>
                    <td className="row" style={{ justifyContent: 'flex-end' }}>
                      <Link href={`/users?tenant=${t.id}`}>Users</Link>
                      {t.status === 'active' ? (
                        <Button variant="danger" aria-label={`Suspend ${t.name}`} onClick={() => setStatus.mutate({ id: t.id, status: 'suspended' })}>
                          Suspend
                        </Button>
                      ) : (
                        <Button aria-label={`Reactivate ${t.name}`} onClick={() => setStatus.mutate({ id: t.id, status: 'active' })}>
                          Reactivate
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  )
}

function CreateTenantForm() {
  const create = useCreateTenant()
  const [name, setName] = useState('')
  const [slug, setSlug] = useState('')
  const [slugEdited, setSlugEdited] = useState(false)
  const fields = create.error instanceof ApiError ? create.error.fields : {}

  async function submit(e: FormEvent) {
    e.preventDefault()
    await create.mutateAsync({ name: name.trim(), slug: slug.trim() }).then(
      () => {
        setName('')
        setSlug('')
        setSlugEdited(false)
      },
      () => undefined,
    )
  }

  return (
    <form onSubmit={submit} className="grid grid-2" aria-label="Create a tenant">
      <TextField
        label="Name"
        required
        value={name}
        error={fields.name}
        onChange={(e) => {
          setName(e.target.value)
          if (!slugEdited) setSlug(slugify(e.target.value))
        }}
      />
      <TextField
        label="Slug"
        required
        help="Lowercase letters, digits and dashes; used in addresses."
        value={slug}
        error={fields.slug}
        onChange={(e) => {
          setSlug(e.target.value)
          setSlugEdited(true)
        }}
      />
      <div style={{ gridColumn: '1 / -1' }}>
        {!Object.keys(fields).length && <InlineError error={create.error} />}
        {create.isSuccess && <div className="notice notice-ok" role="status">Tenant “{create.data.name}” created. Add its first admin on the users page.</div>}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={create.isPending}>
            Create tenant
          </Button>
        </div>
      </div>
    </form>
  )
}
