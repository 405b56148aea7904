import { useState, type FormEvent } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useParams, useSearch } from 'wouter'
import { ApiError, send } from '../api/client'
import { startOAuth, useConnect, useConnections, useConnectionChecks, useConnector, useDisconnect, useTestConnection } from '../api/connectors'
import type { AuthMode, Connection, Connector, Field } from '../api/types'
import { fieldErrorsFromApi, initialValues, pickValues, validateAll, validateField, type Values } from '../lib/connect-form'
import { dateTime, duration, relativeTime, titleCase } from '../lib/format'
import { cell, previewPath, previews } from '../lib/preview'
import { useSession } from '../session'
import { Button, Card, CopyField, Dialog, EmptyState, ErrorState, InlineError, Loading, PageHeader, SelectField, StatusBadge, TextField } from '../ui'
import { categoryLabels } from './connectors'

/** ConnectorDetailPage connects, tests, previews and disconnects one platform. */
export default function ConnectorDetailPage() {
  const { id = '' } = useParams<{ id: string }>()
  const connector = useConnector(id)
  const connections = useConnections(id)
  const search = new URLSearchParams(useSearch())
  const returned = search.get('connection_id')
  const oauthError = search.get('error')

  if (connector.isPending) return <Loading label="Loading connector…" />
  if (connector.isError)
    return (
      <>
        <PageHeader title="Connector" back={{ href: '/dashboard/connectors', label: 'Connectors' }} />
        <ErrorState error={connector.error} retry={() => void connector.refetch()} />
      </>
    )
  const c = connector.data
  const list = connections.data ?? []
  return (
    <>
      <PageHeader
        back={{ href: '/dashboard/connectors', label: 'Connectors' }}
        title={
          <span className="row">
            <img src={c.logo} alt="" width={36} height={36} style={{ borderRadius: 8 }} /> {c.name}
          </span>
        }
        description={
          <>
            {categoryLabels[c.category] ?? titleCase(c.category)} · {c.description}{' '}
            {c.docs_url && (
              <a href={c.docs_url} target="_blank" rel="noreferrer">
                Platform docs
              </a>
            )}
          </>
        }
      />
      {returned && <div className="notice notice-ok" role="status">Account connected. The hub checked it with a live call.</div>}
      {oauthError && (
        <div className="inline-error" role="alert">
          <strong>The platform did not complete the connection:</strong> {oauthError} <span className="muted">Try connecting again; check the app's redirect URI if it keeps failing.</span>
        </div>
      )}
      {connections.isPending && <Loading label="Loading connections…" />}
      {connections.isError && <ErrorState error={connections.error} retry={() => void connections.refetch()} />}
      {list.map((conn) => (
        <ConnectionPanel key={conn.id} connector={c} connection={conn} />
      ))}
      <Card title={list.length ? 'Connect another account' : `Connect ${c.name}`}>
        <ConnectForm connector={c} />
      </Card>
    </>
  )
}

function modeLabel(m: AuthMode) {
  return m.label || (m.kind === 'oauth2' ? 'OAuth' : 'API key')
}

/** ConnectForm is generated from the catalogue: config fields, then the chosen auth mode's fields. */
function ConnectForm({ connector }: { connector: Connector }) {
  const { canWrite } = useSession()
  const [modeIndex, setModeIndex] = useState(0)
  const mode = connector.auth_modes[modeIndex]
  const credentialFields = mode?.kind === 'api_key' ? (mode.credential_fields ?? []) : []
  const [name, setName] = useState('')
  const [values, setValues] = useState<Values>(() => initialValues([...connector.config_fields, ...connector.auth_modes.flatMap((m) => m.credential_fields ?? [])]))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [touched, setTouched] = useState<Record<string, boolean>>({})
  const [formError, setFormError] = useState<unknown>()
  const [redirecting, setRedirecting] = useState(false)
  const connect = useConnect()

  if (!canWrite) return <p className="muted">Your role can view connections but not add them. Ask a tenant admin or member.</p>
  if (!mode) return <p className="muted">This platform offers no way to connect.</p>

  const fields = [...connector.config_fields, ...credentialFields]
  const set = (f: Field, v: string) => {
    setValues((old) => ({ ...old, [f.name]: v }))
    if (touched[f.name]) setErrors((old) => ({ ...old, [f.name]: validateField(f, v) ?? '' }))
  }
  const blur = (f: Field) => {
    setTouched((t) => ({ ...t, [f.name]: true }))
    setErrors((old) => ({ ...old, [f.name]: validateField(f, values[f.name]) ?? '' }))
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setFormError(undefined)
    const errs = validateAll(fields, values)
    setErrors(errs)
    setTouched(Object.fromEntries(fields.map((f) => [f.name, true])))
    if (Object.keys(errs).length) return
    const config = pickValues(connector.config_fields, values)
    try {
      if (mode.kind === 'oauth2') {
        setRedirecting(true)
        const auth = await startOAuth(connector.id, { name: name.trim() || undefined, returnTo: `/dashboard/connectors/${connector.id}`, config })
        window.location.assign(auth.authorize_url)
        return
      }
      await connect.mutateAsync({ provider: connector.id, name: name.trim() || connector.name, config, credentials: pickValues(credentialFields, values) })
      setValues(initialValues(fields))
      setName('')
      setTouched({})
    } catch (err) {
      setRedirecting(false)
      if (err instanceof ApiError) setErrors(fieldErrorsFromApi(err.fields))
      setFormError(err)
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label={`Connect ${connector.name}`}>
      {connector.auth_modes.length > 1 && (
        <fieldset>
          <legend>How to connect</legend>
          <div className="row">
            {connector.auth_modes.map((m, i) => (
              <label key={m.kind + m.label} className="check">
                <input type="radio" name="auth-mode" checked={i === modeIndex} onChange={() => setModeIndex(i)} /> {modeLabel(m)}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <TextField label="Connection name" help="How this account is shown in the hub, e.g. “Main store”." value={name} placeholder={connector.name} onChange={(e) => setName(e.target.value)} />
      {fields.map((f) => (
        <ConnectField key={f.name} field={f} value={values[f.name] ?? ''} error={errors[f.name] || undefined} onChange={(v) => set(f, v)} onBlur={() => blur(f)} />
      ))}
      {mode.kind === 'oauth2' && (
        <p className="muted small">You will sign in at {connector.name} and approve access; you then come back here.</p>
      )}
      <InlineError error={formError} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={connect.isPending || redirecting}>
          {mode.kind === 'oauth2' ? 'Connect account' : connect.isPending ? 'Checking…' : 'Connect'}
        </Button>
      </div>
    </form>
  )
}

function ConnectField({ field: f, value, error, onChange, onBlur }: { field: Field; value: string; error?: string; onChange: (v: string) => void; onBlur: () => void }) {
  if (f.type === 'select') {
    return (
      <SelectField label={f.label} help={f.help} error={error} required={f.required} value={value} onChange={(e) => onChange(e.target.value)} onBlur={onBlur} name={f.name}>
        <option value="">Choose…</option>
        {f.options?.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </SelectField>
    )
  }
  return (
    <TextField
      label={f.label}
      help={f.help}
      error={error}
      required={f.required}
      name={f.name}
      type={f.type === 'password' ? 'password' : f.type === 'url' ? 'url' : 'text'}
      autoComplete={f.type === 'password' ? 'new-password' : 'off'}
      placeholder={f.placeholder}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      onBlur={onBlur}
    />
  )
}

/** ConnectionPanel is one connected account: state, checks, preview, actions. */
function ConnectionPanel({ connector, connection: conn }: { connector: Connector; connection: Connection }) {
  const { canWrite } = useSession()
  const test = useTestConnection()
  const disconnect = useDisconnect(connector.id)
  const [confirming, setConfirming] = useState(false)
  const [reconnectError, setReconnectError] = useState<unknown>()
  const oauth = conn.auth_mode === 'oauth2'

  async function reconnect() {
    setReconnectError(undefined)
    try {
      const auth = await startOAuth(connector.id, { connectionId: conn.id, returnTo: `/dashboard/connectors/${connector.id}`, config: conn.config })
      window.location.assign(auth.authorize_url)
    } catch (err) {
      setReconnectError(err)
    }
  }

  return (
    <Card
      label={`Connection ${conn.name}`}
      title={
        <span className="row">
          {conn.name} <StatusBadge status={conn.status} />
        </span>
      }
      actions={
        canWrite && (
          <div className="row">
            <Button onClick={() => test.mutate(conn.id)} busy={test.isPending}>
              Test
            </Button>
            {oauth && <Button onClick={() => void reconnect()}>Reconnect</Button>}
            <Button variant="danger" onClick={() => setConfirming(true)}>
              Disconnect
            </Button>
          </div>
        )
      }
    >
      <dl className="grid grid-stats small" style={{ margin: 0 }}>
        <div>
          <dt className="muted">Last checked</dt>
          <dd style={{ margin: 0 }} title={dateTime(conn.last_checked_at)}>{relativeTime(conn.last_checked_at)}</dd>
        </div>
        <div>
          <dt className="muted">Connected</dt>
          <dd style={{ margin: 0 }}>{dateTime(conn.created_at)}</dd>
        </div>
        <div>
          <dt className="muted">Sign-in</dt>
          <dd style={{ margin: 0 }}>{oauth ? 'OAuth' : 'API key'}</dd>
        </div>
        {conn.token_expires_at && (
          <div>
            <dt className="muted">Token renews</dt>
            <dd style={{ margin: 0 }}>{relativeTime(conn.token_expires_at)}</dd>
          </div>
        )}
        {Object.entries(conn.config).map(([k, v]) => (
          <div key={k}>
            <dt className="muted">{connector.config_fields.find((f) => f.name === k)?.label ?? titleCase(k)}</dt>
            <dd style={{ margin: 0, overflowWrap: 'anywhere' }}>{v}</dd>
          </div>
        ))}
      </dl>
      {conn.last_error && (
        <div className="inline-error" role="status">
          <strong>Last error:</strong> {conn.last_error}{' '}
          <span className="muted">{conn.status === 'expired' ? 'Reconnect to grant access again.' : 'Test again once the platform is reachable.'}</span>
        </div>
      )}
      {test.isSuccess && test.data.status === 'connected' && <div className="notice notice-ok" role="status">The platform answered: the connection works.</div>}
      <InlineError error={test.error ?? reconnectError ?? disconnect.error} />
      {conn.inbound_webhook_url && <CopyField label="Inbound webhook URL" value={conn.inbound_webhook_url} />}
      <div className="grid grid-2" style={{ marginTop: '.75rem' }}>
        <HealthHistory connectionId={conn.id} />
        <Preview connector={connector} connection={conn} />
      </div>
      <Dialog
        open={confirming}
        title={`Disconnect ${conn.name}?`}
        onClose={() => setConfirming(false)}
        footer={
          <>
            <Button onClick={() => setConfirming(false)}>Keep it</Button>
            <Button
              variant="danger"
              busy={disconnect.isPending}
              onClick={() => disconnect.mutate(conn.id, { onSettled: () => setConfirming(false) })}
            >
              Disconnect
            </Button>
          </>
        }
      >
        <p>Agents, rules and playbooks that use this account stop working with it. {oauth ? 'The hub also revokes its access at the platform where it can.' : ''}</p>
      </Dialog>
    </Card>
  )
}

/** HealthHistory lists the connection's recent live checks. */
function HealthHistory({ connectionId }: { connectionId: string }) {
  const q = useConnectionChecks(connectionId)
  return (
    <section aria-label="Health history">
      <h3>Health history</h3>
      {q.isPending && <Loading />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && q.data.items.length === 0 && <p className="muted small">No checks yet. Press Test, or wait for the 15-minute health sweep.</p>}
      {q.isSuccess && q.data.items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Result</th>
                <th className="num">Latency</th>
                <th>Source</th>
              </tr>
            </thead>
            <tbody>
              {q.data.items.map((ch) => (
                <tr key={ch.id}>
                  <td title={dateTime(ch.checked_at)}>{relativeTime(ch.checked_at)}</td>
                  <td>
                    <StatusBadge status={ch.status} />
                    {ch.error && <div className="small muted">{ch.error}</div>}
                  </td>
                  <td className="num">{duration(ch.latency_ms)}</td>
                  <td>{titleCase(ch.source)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

/** Preview reads the latest records live through the proxy; nothing is copied. */
function Preview({ connector, connection }: { connector: Connector; connection: Connection }) {
  const spec = previews[connector.id]
  const { canWrite } = useSession()
  const needsWrite = spec?.method === 'POST'
  const q = useQuery({
    queryKey: ['preview', connection.id],
    enabled: !!spec && connection.status !== 'expired' && (!needsWrite || canWrite),
    staleTime: 60_000,
    queryFn: async ({ signal }) => {
      const path = previewPath(spec!, connection.config)
      const res = await send(`/api/v1/connections/${connection.id}/proxy/${path}`, { method: spec!.method, body: spec!.body, signal })
      return spec!.rows(await res.json())
    },
  })
  if (!spec) return null
  return (
    <section aria-label="Live data preview">
      <div className="row row-between">
        <h3>{spec.title}</h3>
        <Button variant="ghost" onClick={() => void q.refetch()} disabled={!q.isEnabled} busy={q.isFetching}>
          Refresh
        </Button>
      </div>
      <p className="muted small">Read live from {connector.name} through the hub's proxy; nothing is stored.</p>
      {connection.status === 'expired' && <p className="muted">Reconnect to read data again.</p>}
      {needsWrite && !canWrite && <p className="muted">Viewers cannot run this preview.</p>}
      {q.isPending && q.isEnabled && <Loading label="Reading from the platform…" />}
      {q.isError && <ErrorState title="The platform refused the preview" error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && q.data.length === 0 && <EmptyState title="Nothing there yet">The account has no records of this kind.</EmptyState>}
      {q.isSuccess && q.data.length > 0 && (
        <div className="table-wrap">
          <table data-testid="preview-table">
            <thead>
              <tr>
                {spec.columns.map((col) => (
                  <th key={col.key}>{col.label}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {q.data.map((row, i) => (
                <tr key={i}>
                  {spec.columns.map((col) => (
                    <td key={col.key}>{cell(row[col.key])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

