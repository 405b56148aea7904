// The API keys tab: the tenant's keys (authsvc), created with scopes and a
// lifetime (the key shown once) and revoked by tenant admins.
import { useId, useState, type FormEvent } from 'react'
import { ApiError } from '../../api/client'
import { useApiKeys, useCreateApiKey, useRevokeApiKey, type ApiKey, type CreatedApiKey } from '../../api/integrations'
import { ALL_READ, expiryOptions, keyRequest, keyState, scopeLabel, scopeResources, toggleScope } from '../../lib/integrations-keys'
import { useSession } from '../../session'
import { Badge, Button, Card, Dialog, EmptyState, ErrorState, InlineError, Loading, PageHeader, SelectField, StatusBadge, TextField } from '../../ui'
import { ConfirmDialog, OneTimeSecret, useRestoreFocus, When } from './shared'

/** ApiKeysPage is /keys. */
export function ApiKeysPage() {
  const { me, isAdmin } = useSession()
  const tenantId = me?.tenant_id ?? ''
  const q = useApiKeys(tenantId)
  const [creating, setCreating] = useState(false)
  const [revoking, setRevoking] = useState<ApiKey>()
  const forbidden = q.error instanceof ApiError && q.error.status === 403

  if (!tenantId) {
    return (
      <>
        <PageHeader title="API keys" />
        <EmptyState title="No tenant selected">API keys belong to a tenant. Choose one in the tenant switcher first.</EmptyState>
      </>
    )
  }
  const keys = q.data ?? []
  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            Scripts, CI jobs and MCP clients call the hub with a key in the <code>X-API-Key</code> header. A key can do only what its scopes allow, in this tenant only.
          </>
        }
        actions={
          isAdmin && (
            <Button variant="primary" onClick={() => setCreating(true)}>
              Create API key
            </Button>
          )
        }
      />
      {!isAdmin && !forbidden && (
        <div className="notice" role="status">
          Only tenant admins can create or revoke API keys.
        </div>
      )}
      <Card>
        {q.isPending && <Loading label="Loading API keys…" />}
        {q.isError &&
          (forbidden ? (
            <ErrorState title="Only tenant admins can see API keys" error={q.error} />
          ) : (
            <ErrorState title="The API keys could not be loaded" error={q.error} retry={() => void q.refetch()} />
          ))}
        {q.isSuccess && keys.length === 0 && (
          <EmptyState
            title="No API keys yet"
            action={
              isAdmin && (
                <Button variant="primary" onClick={() => setCreating(true)}>
                  Create API key
                </Button>
              )
            }
          >
            Make one key per script or integration, with only the scopes it needs, so you can revoke it alone when it is no longer used.
          </EmptyState>
        )}
        {keys.length > 0 && (
          <div className="table-wrap">
            <table aria-label="API keys">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Prefix</th>
                  <th>Scopes</th>
                  <th>Created</th>
                  <th>Expires</th>
                  <th>Last used</th>
                  <th>Status</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => {
                  const state = keyState(k)
                  return (
                    <tr key={k.id} data-testid={`api-key-${k.id}`}>
                      <td>{k.name}</td>
                      <td className="mono">{k.prefix}…</td>
                      <td>
                        <div className="intg-badges">
                          {(k.scopes ?? []).map((s) => (
                            <Badge key={s}>{scopeLabel(s)}</Badge>
                          ))}
                        </div>
                      </td>
                      <td>
                        <When iso={k.created_at} />
                      </td>
                      <td>
                        <When iso={k.expires_at} fallback="Never" />
                      </td>
                      <td>
                        <When iso={k.last_used_at} fallback="Never used" />
                      </td>
                      <td>
                        <StatusBadge status={state} />
                        {k.revoked_at && (
                          <div className="muted small">
                            <When iso={k.revoked_at} />
                          </div>
                        )}
                      </td>
                      <td>
                        {isAdmin && state !== 'revoked' && (
                          <Button variant="danger" className="intg-btn-sm" aria-label={`Revoke ${k.name}`} onClick={() => setRevoking(k)}>
                            Revoke
                          </Button>
                        )}
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <p className="muted small">
        Keys are stored as hashes and shown only when created. The MCP endpoint (<code>/mcp</code>) accepts API keys only.
      </p>
      {creating && <CreateKeyDialog tenantId={tenantId} onClose={() => setCreating(false)} />}
      {revoking && <RevokeKeyDialog tenantId={tenantId} apiKey={revoking} onClose={() => setRevoking(undefined)} />}
    </>
  )
}

function CreateKeyDialog({ tenantId, onClose }: { tenantId: string; onClose: () => void }) {
  useRestoreFocus()
  const formId = useId()
  const scopesHelpId = useId()
  const create = useCreateApiKey(tenantId)
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<string[]>([ALL_READ])
  const [expiry, setExpiry] = useState('90')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [created, setCreated] = useState<CreatedApiKey>()
  const allRead = scopes.includes(ALL_READ)

  const toggle = (scope: string, on: boolean) => {
    setScopes((s) => toggleScope(s, scope, on))
    if (errors.scopes) setErrors(({ scopes: _gone, ...rest }) => rest)
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    const { body, errors: errs } = keyRequest(name, scopes, expiry)
    setErrors(errs)
    if (!body) return
    try {
      setCreated(await create.mutateAsync(body))
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fields)
    }
  }

  if (created) {
    return (
      <Dialog open title="Copy your new API key" onClose={onClose} footer={<Button variant="primary" onClick={onClose}>Done</Button>}>
        <p>
          Key <strong>{created.name}</strong> works now{created.expires_at ? ', until ' : ''}
          {created.expires_at && <When iso={created.expires_at} />}. Send it as <code>X-API-Key: {created.prefix}_…</code>.
        </p>
        <OneTimeSecret label="API key" value={created.key} />
      </Dialog>
    )
  }
  return (
    <Dialog
      open
      title="Create API key"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={create.isPending}>
            Create key
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate aria-label="Create API key">
        <TextField
          label="Name"
          required
          autoComplete="off"
          placeholder="CI deploys"
          help="Name it after what uses it, so you know what breaks when you revoke it."
          value={name}
          error={errors.name}
          onChange={(e) => {
            setName(e.target.value)
            if (errors.name) setErrors(({ name: _gone, ...rest }) => rest)
          }}
        />
        <fieldset aria-describedby={scopesHelpId} aria-invalid={errors.scopes ? true : undefined}>
          <legend>Scopes</legend>
          <p className="field-help" id={scopesHelpId}>
            Write does not include read, so ticking write ticks read too. Give a key the least it needs.
          </p>
          <label className="check" style={{ margin: '.5rem 0' }}>
            <input type="checkbox" checked={allRead} onChange={(e) => toggle(ALL_READ, e.target.checked)} /> Read everything (<code>*:read</code>)
          </label>
          <div className="intg-scopes" role="group" aria-label="Scopes by resource">
            <span className="intg-scopes-head">Resource</span>
            <span className="intg-scopes-head">Read</span>
            <span className="intg-scopes-head">Write</span>
            {scopeResources.map((r) => (
              <ScopeRow key={r.id} id={r.id} label={r.label} scopes={scopes} allRead={allRead} toggle={toggle} />
            ))}
          </div>
          {errors.scopes && (
            <p className="field-error" role="alert" style={{ marginTop: '.5rem' }}>
              {errors.scopes}
            </p>
          )}
        </fieldset>
        <SelectField label="Expires" value={expiry} error={errors.expires_in_days} onChange={(e) => setExpiry(e.target.value)} help="A key that never expires works until it is revoked.">
          {expiryOptions.map((o) => (
            <option key={o.value} value={o.value}>
              {o.value ? `After ${o.label}` : o.label}
            </option>
          ))}
        </SelectField>
        <InlineError error={create.error} />
      </form>
    </Dialog>
  )
}

function ScopeRow({ id, label, scopes, allRead, toggle }: { id: string; label: string; scopes: string[]; allRead: boolean; toggle: (s: string, on: boolean) => void }) {
  const read = `${id}:read`
  const write = `${id}:write`
  return (
    <>
      <span>
        {label} <span className="muted small mono">{id}</span>
      </span>
      <input
        type="checkbox"
        aria-label={`Read ${id}`}
        checked={allRead || scopes.includes(read)}
        disabled={allRead}
        title={allRead ? 'Included in Read everything' : undefined}
        onChange={(e) => toggle(read, e.target.checked)}
      />
      <input type="checkbox" aria-label={`Write ${id}`} checked={scopes.includes(write)} onChange={(e) => toggle(write, e.target.checked)} />
    </>
  )
}

function RevokeKeyDialog({ tenantId, apiKey, onClose }: { tenantId: string; apiKey: ApiKey; onClose: () => void }) {
  const revoke = useRevokeApiKey(tenantId)
  return (
    <ConfirmDialog
      title={`Revoke ${apiKey.name}?`}
      confirmLabel="Revoke key"
      cancelLabel="Keep it"
      busy={revoke.isPending}
      error={revoke.error}
      onConfirm={() => revoke.mutate(apiKey.id, { onSuccess: onClose })}
      onClose={onClose}
    >
      <p>
        Anything that uses <span className="mono">{apiKey.prefix}…</span> stops working at once. This cannot be undone; make a new key if you need one again.
      </p>
    </ConfirmDialog>
  )
}
