// The Webhooks tab: one table of inbound URLs (per connection) and
// outbound endpoints, and the latest events the hub received.
import { Fragment, useMemo, useState } from 'react'
import { Link } from 'wouter'
import { useConnections, useConnectors } from '../../api/connectors'
import { useEvents, useWebhooks, type WebhookEndpoint } from '../../api/integrations'
import type { Connection, Connector } from '../../api/types'
import { titleCase } from '../../lib/format'
import { endpointLabel, inboundWebhooks, payloadSummary, sourceLabel } from '../../lib/integrations'
import { useSession } from '../../session'
import { Badge, Button, Card, EmptyState, ErrorState, Loading, PageHeader, SelectField, StatusBadge, TextField } from '../../ui'
import { EndpointDialogs, type EndpointDialogState } from './endpoint-dialogs'
import { CopyButton, ExpandButton, Json, useDebounced, useExpanded, When } from './shared'

/** WebhooksPage lists inbound and outbound webhooks and the recent events. */
export function WebhooksPage() {
  const { canWrite } = useSession()
  const connections = useConnections()
  const connectors = useConnectors()
  const webhooks = useWebhooks()
  const [dialog, setDialog] = useState<EndpointDialogState>(null)

  const inbound = useMemo(() => inboundWebhooks(connections.data ?? []), [connections.data])
  const outbound = webhooks.data ?? []
  const byProvider = useMemo(() => new Map((connectors.data?.items ?? []).map((c) => [c.id, c])), [connectors.data])
  const loading = connections.isPending || webhooks.isPending
  const empty = connections.isSuccess && webhooks.isSuccess && inbound.length === 0 && outbound.length === 0

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Platforms send their events to the hub at each connection's inbound URL; the hub sends events on to your outbound endpoints, signed per Standard Webhooks."
        actions={
          canWrite && (
            <Button variant="primary" onClick={() => setDialog({ kind: 'create' })}>
              Add endpoint
            </Button>
          )
        }
      />
      <Card title="Active webhooks">
        {loading && <Loading label="Loading webhooks…" />}
        {connections.isError && <ErrorState title="The connections could not be loaded" error={connections.error} retry={() => void connections.refetch()} />}
        {webhooks.isError && <ErrorState title="The outbound endpoints could not be loaded" error={webhooks.error} retry={() => void webhooks.refetch()} />}
        {empty && (
          <EmptyState
            title="No webhooks yet"
            action={
              <div className="row" style={{ justifyContent: 'center' }}>
                <Link href="~/dashboard/connectors" className="btn btn-secondary">
                  Connect a platform
                </Link>
                {canWrite && (
                  <Button variant="primary" onClick={() => setDialog({ kind: 'create' })}>
                    Add endpoint
                  </Button>
                )}
              </div>
            }
          >
            Connect a platform to get its inbound URL, or add an endpoint to send the hub's events to your own systems.
          </EmptyState>
        )}
        {!loading && !empty && (inbound.length > 0 || outbound.length > 0) && (
          <div className="table-wrap">
            <table aria-label="Webhooks">
              <thead>
                <tr>
                  <th>Direction</th>
                  <th>Name</th>
                  <th>URL</th>
                  <th>Events</th>
                  <th>Status</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {inbound.map((c) => (
                  <InboundRow key={c.id} connection={c} connector={byProvider.get(c.provider)} />
                ))}
                {outbound.map((e) => (
                  <OutboundRow key={e.id} endpoint={e} canWrite={canWrite} open={setDialog} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {connections.isSuccess && webhooks.isSuccess && !empty && (
          <p className="muted small" style={{ marginBottom: 0 }}>
            {inbound.length === 0
              ? 'No connection receives webhooks yet: connect a platform to get an inbound URL.'
              : outbound.length === 0
                ? 'No outbound endpoint yet: add one to send the hub’s events to your own systems.'
                : `${inbound.length} inbound, ${outbound.length} outbound.`}
          </p>
        )}
      </Card>
      <RecentEvents connections={connections.data ?? []} />
      <EndpointDialogs state={dialog} onClose={() => setDialog(null)} />
    </>
  )
}

function InboundRow({ connection: c, connector }: { connection: Connection; connector?: Connector }) {
  const platform = connector?.name ?? titleCase(c.provider)
  return (
    <tr data-testid={`inbound-${c.id}`}>
      <td>
        <Badge>Inbound</Badge>
      </td>
      <td>
        <div className="intg-cell-row">
          {connector?.logo && <img src={connector.logo} alt="" width={20} height={20} style={{ borderRadius: 4 }} />}
          <span className="muted small">{platform}</span>
        </div>
        <Link href={`~/dashboard/connectors/${c.provider}`}>{c.name}</Link>
      </td>
      <td>
        <div className="intg-cell-row">
          <span className="intg-url">{c.inbound_webhook_url}</span>
          <CopyButton value={c.inbound_webhook_url ?? ''} label={`Copy inbound URL of ${c.name}`} />
        </div>
      </td>
      <td className="muted small">Every event {platform} sends</td>
      <td>
        <StatusBadge status={c.status} />
        {c.last_error && <div className="small intg-bad-text">{c.last_error}</div>}
      </td>
      <td />
    </tr>
  )
}

function OutboundRow({ endpoint: e, canWrite, open }: { endpoint: WebhookEndpoint; canWrite: boolean; open: (s: EndpointDialogState) => void }) {
  const label = endpointLabel(e)
  return (
    <tr data-testid={`endpoint-${e.id}`}>
      <td>
        <Badge>Outbound</Badge>
      </td>
      <td>
        <Link href={`/webhooks/${e.id}`}>{label}</Link>
        {e.description && <div className="muted small">Endpoint</div>}
      </td>
      <td>
        <div className="intg-cell-row">
          <span className="intg-url">{e.url}</span>
          <CopyButton value={e.url} label={`Copy URL of ${label}`} />
        </div>
      </td>
      <td>
        <div className="intg-badges">
          {(e.event_types ?? []).map((t) => (
            <Badge key={t}>{t === '*' ? 'all events' : t}</Badge>
          ))}
        </div>
      </td>
      <td>
        <StatusBadge status={e.enabled ? 'enabled' : 'disabled'} />
        {!e.enabled && e.disabled_reason && <div className="small intg-warn-text">{e.disabled_reason}</div>}
        {e.consecutive_failures > 0 && (e.enabled || !e.disabled_reason) && (
          <div className="small intg-warn-text">
            {e.consecutive_failures} failed attempt{e.consecutive_failures === 1 ? '' : 's'} in a row
          </div>
        )}
      </td>
      <td>
        <div className="intg-cell-row" style={{ justifyContent: 'flex-end' }}>
          <Link href={`/webhooks/${e.id}`} className="btn btn-ghost intg-btn-sm" aria-label={`Delivery log of ${label}`}>
            Deliveries
          </Link>
          {canWrite && (
            <>
              <Button className="intg-btn-sm" aria-label={`Edit ${label}`} onClick={() => open({ kind: 'edit', endpoint: e })}>
                Edit
              </Button>
              <Button className="intg-btn-sm" aria-label={`Rotate secret of ${label}`} onClick={() => open({ kind: 'rotate', endpoint: e })}>
                Rotate secret
              </Button>
              <Button variant="danger" className="intg-btn-sm" aria-label={`Delete ${label}`} onClick={() => open({ kind: 'delete', endpoint: e })}>
                Delete
              </Button>
            </>
          )}
        </div>
      </td>
    </tr>
  )
}

/** RecentEvents is the latest events, filterable by connection and type, each payload expandable. */
function RecentEvents({ connections }: { connections: Connection[] }) {
  const [source, setSource] = useState('')
  const [typeText, setTypeText] = useState('')
  const type = useDebounced(typeText.trim(), 350)
  const q = useEvents({ source: source || undefined, type: type || undefined })
  const byId = useMemo(() => new Map(connections.map((c) => [c.id, c])), [connections])
  const expanded = useExpanded()
  const items = q.data?.pages.flatMap((p) => p.items) ?? []
  const filtered = !!source || !!type

  return (
    <Card
      title="Recent events"
      actions={
        <Button variant="ghost" onClick={() => void q.refetch()} busy={q.isFetching && !q.isPending}>
          Refresh
        </Button>
      }
    >
      <div className="toolbar" role="search" aria-label="Filter events">
        <SelectField label="Connection" value={source} onChange={(e) => setSource(e.target.value)}>
          <option value="">All sources</option>
          <option value="hub">The hub’s own events</option>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({titleCase(c.provider)})
            </option>
          ))}
        </SelectField>
        <TextField
          label="Event type"
          type="search"
          placeholder="shopify.* or an exact type"
          spellCheck={false}
          value={typeText}
          onChange={(e) => setTypeText(e.target.value)}
        />
      </div>
      {q.isPending && <Loading label="Loading events…" />}
      {q.isError && <ErrorState title="The events could not be loaded" error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && items.length === 0 && (
        <EmptyState title={filtered ? 'No event matches' : 'No events yet'}>
          {filtered
            ? 'Clear the filters, or use a prefix ending in * such as stripe.*.'
            : 'Events appear here when a platform delivers a webhook to an inbound URL above, or when the hub records one of its own (rule.run.failed, webhook.endpoint.disabled).'}
        </EmptyState>
      )}
      {items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Recent events">
            <thead>
              <tr>
                <th>Type</th>
                <th>Connection</th>
                <th>Received</th>
                <th>Payload</th>
              </tr>
            </thead>
            <tbody>
              {items.map((ev) => {
                const open = expanded.isOpen(ev.id)
                const detailId = `event-${ev.id}`
                return (
                  <Fragment key={ev.id}>
                    <tr>
                      <td className="mono">{ev.type}</td>
                      <td>
                        {ev.source !== 'hub' && byId.has(ev.source) ? (
                          <Link href={`~/dashboard/connectors/${byId.get(ev.source)!.provider}`}>{sourceLabel(ev.source, byId)}</Link>
                        ) : (
                          sourceLabel(ev.source, byId)
                        )}
                      </td>
                      <td>
                        <When iso={ev.received_at} />
                      </td>
                      <td>
                        <div className="intg-cell-row">
                          <ExpandButton open={open} onToggle={() => expanded.toggle(ev.id)} controls={detailId} show="Show payload" hide="Hide payload" />
                          {!open && <span className="muted small mono">{payloadSummary(ev.payload, 60)}</span>}
                        </div>
                      </td>
                    </tr>
                    {open && (
                      <tr className="intg-detail" id={detailId}>
                        <td colSpan={4}>
                          <div className="muted small">
                            Event <span className="mono">{ev.id}</span>
                            {ev.external_id && (
                              <>
                                {' '}
                                · platform id <span className="mono">{ev.external_id}</span>
                              </>
                            )}
                            {ev.occurred_at && !ev.occurred_at.startsWith('0001') && (
                              <>
                                {' '}
                                · occurred <When iso={ev.occurred_at} />
                              </>
                            )}
                          </div>
                          <Json value={ev.payload} label={`Payload of ${ev.type}`} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
      {q.hasNextPage && (
        <div className="form-actions">
          <Button onClick={() => void q.fetchNextPage()} busy={q.isFetchingNextPage}>
            Load older events
          </Button>
        </div>
      )}
    </Card>
  )
}
