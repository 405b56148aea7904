import { useState, type FormEvent } from 'react'
import { ApiError } from '../../api/client'
import { useAddMember, useMembers } from '../../api/admin'
import type { Role } from '../../api/types'
import { dateTime, titleCase } from '../../lib/format'
import { Button, Card, EmptyState, ErrorState, InlineError, Loading, PageHeader, SelectField, TextField } from '../../ui'
import { TenantPicker, useTenantParam } from './tenant-picker'

const roles: { id: Role; help: string }[] = [
  { id: 'tenant_admin', help: 'everything, including users, API keys and model keys' },
  { id: 'member', help: 'connects platforms, builds agents, rules and playbooks' },
  { id: 'viewer', help: 'reads everything, changes nothing' },
]

/** UsersPage lists a tenant's users and roles and adds accounts. */
export default function UsersPage() {
  const [tenantId, setTenantId] = useTenantParam()
  const members = useMembers(tenantId)
  return (
    <>
      <PageHeader title="Users & roles" description="Who can sign in to a tenant, and what they may do there." />
      <div className="toolbar">
        <TenantPicker value={tenantId} onChange={setTenantId} />
      </div>
      {tenantId && (
        <>
          <Card title="Add a user">
            <AddUserForm tenantId={tenantId} />
          </Card>
          <Card title="Users">
            {members.isPending && <Loading />}
            {members.isError && <ErrorState error={members.error} retry={() => void members.refetch()} />}
            {members.isSuccess && members.data.length === 0 && <EmptyState title="No users in this tenant">Add its first tenant admin above.</EmptyState>}
            {members.isSuccess && members.data.length > 0 && (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Email</th>
                      <th>Role</th>
                      <th>Added</th>
                    </tr>
                  </thead>
                  <tbody>
                    {members.data.map((m) => (
                      <tr key={m.user_id}>
                        <td>{m.email}</td>
                        <td>{titleCase(m.role)}</td>
                        <td>{dateTime(m.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        </>
      )}
    </>
  )
}

function AddUserForm({ tenantId }: { tenantId: string }) {
  const add = useAddMember(tenantId)
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<Role>('member')
  const fields = add.error instanceof ApiError ? add.error.fields : {}

  async function submit(e: FormEvent) {
    e.preventDefault()
    await add.mutateAsync({ email: email.trim(), password: password || undefined, role }).then(
      () => {
        setEmail('')
        setPassword('')
      },
      () => undefined,
    )
  }

  return (
    <form onSubmit={submit} className="grid grid-2" aria-label="Add a user">
      <TextField label="Email" type="email" required value={email} error={fields.email} onChange={(e) => setEmail(e.target.value)} />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        value={password}
        error={fields.password}
        help="For a new account (at least 12 characters). Leave empty to add an account that already exists."
        onChange={(e) => setPassword(e.target.value)}
      />
      <SelectField label="Role" value={role} error={fields.role} onChange={(e) => setRole(e.target.value as Role)} help={roles.find((r) => r.id === role)?.help}>
        {roles.map((r) => (
          <option key={r.id} value={r.id}>
            {titleCase(r.id)}
          </option>
        ))}
      </SelectField>
      <div style={{ gridColumn: '1 / -1' }}>
        {!Object.keys(fields).length && <InlineError error={add.error} />}
        {add.isSuccess && <div className="notice notice-ok" role="status">{add.data.email} can now sign in to this tenant.</div>}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={add.isPending}>
            Add user
          </Button>
        </div>
      </div>
    </form>
  )
}
