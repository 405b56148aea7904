// The delivery log of one outbound endpoint: every delivery with its
// attempts, replay, and a 5-second refresh while something is pending.
import { Fragment, useState } from 'react'
import { useLocation, useParams } from 'wouter'
import { useDeliveries, useReplayDelivery, useWebhook, type WebhookDelivery, type WebhookEndpoint } from '../../api/integrations'
import { duration, relativeTime } from '../../lib/format'
import { anyDeliveryActive, attemptOutcome, deliveryStatus, endpointLabel, lastAttempt } from '../../lib/integrations'
import { useSession } from '../../session'
import { Badge, Button, Card, EmptyState, ErrorState, InlineError, Loading, PageHeader, StatusBadge } from '../../ui'
import { EndpointDialogs, type EndpointDialogState } from './endpoint-dialogs'
import { CopyButton, ExpandButton, useExpanded, When } from './shared'

/** DeliveryLogPage is /webhooks/:id. */
export function DeliveryLogPage() {
  const { id = '' } = useParams<{ id: string }>()
  const [, navigate] = useLocation()
  const { canWrite } = useSession()
  const ep = useWebhook(id)
  const [dialog, setDialog] = useState<EndpointDialogState>(null)

  if (ep.isPending) return <Loading label="Loading endpoint…" />
  if (ep.isError)
    return (
      <>
        <PageHeader title="Delivery log" back={{ href: '/', label: 'Webhooks' }} />
        <ErrorState title="The endpoint could not be loaded" error={ep.error} retry={() => void ep.refetch()} />
      </>
    )
  const e = ep.data
  const label = endpointLabel(e)
  return (
    <>
      <PageHeader
        back={{ href: '/', label: 'Webhooks' }}
        title={`Deliveries to ${label}`}
        description={
          <span className="intg-cell-row">
            <span className="intg-url">{e.url}</span>
            <CopyButton value={e.url} label="Copy endpoint URL" />
          </span>
        }
        actions={
          canWrite && (
            <>
              <Button onClick={() => setDialog({ kind: 'edit', endpoint: e })}>Edit endpoint</Button>
              <Button onClick={() => setDialog({ kind: 'rotate', endpoint: e })}>Rotate secret</Button>
              <Button variant="danger" onClick={() => setDialog({ kind: 'delete', endpoint: e })}>
                Delete endpoint
              </Button>
            </>
          )
        }
      />
      <EndpointSummary endpoint={e} />
      <Deliveries endpoint={e} canWrite={canWrite} />
      <EndpointDialogs state={dialog} onClose={() => setDialog(null)} onDeleted={() => navigate('/', { replace: true })} />
    </>
  )
}

function EndpointSummary({ endpoint: e }: { endpoint: WebhookEndpoint }) {
  return (
    <Card>
      {!e.enabled && (
        <div className="notice notice-warn" role="status">
          <strong>This endpoint is disabled{e.disabled_reason ? `: ${e.disabled_reason}` : '.'}</strong> It receives nothing until it is enabled again (Edit endpoint → Enabled), and deliveries cannot be replayed meanwhile.
        </div>
      )}
      <dl className="grid grid-stats small intg-dl">
        <div>
          <dt className="muted">Status</dt>
          <dd>
            <StatusBadge status={e.enabled ? 'enabled' : 'disabled'} />
          </dd>
        </div>
        <div>
          <dt className="muted">Event types</dt>
          <dd className="intg-badges">
            {(e.event_types ?? []).map((t) => (
              <Badge key={t}>{t === '*' ? 'all events' : t}</Badge>
            ))}
          </dd>
        </div>
        <div>
          <dt className="muted">Failed attempts in a row</dt>
          <dd className={e.consecutive_failures > 0 ? 'intg-warn-text' : undefined}>{e.consecutive_failures}</dd>
        </div>
        <div>
          <dt className="muted">Created</dt>
          <dd>
            <When iso={e.created_at} />
          </dd>
        </div>
      </dl>
    </Card>
  )
}

function Deliveries({ endpoint, canWrite }: { endpoint: WebhookEndpoint; canWrite: boolean }) {
  const q = useDeliveries(endpoint.id, anyDeliveryActive)
  const replay = useReplayDelivery(endpoint.id)
  const expanded = useExpanded()
  const items = q.data?.pages.flatMap((p) => p.items) ?? []
  const polling = anyDeliveryActive(items)

  return (
    <Card
      title="Delivery log"
      actions={
        <div className="row">
          {polling && (
            <span className="muted small" role="status">
              Refreshing every 5 s while deliveries are pending…
            </span>
          )}
          <Button variant="ghost" onClick={() => void q.refetch()} busy={q.isFetching && !q.isPending}>
            Refresh
          </Button>
        </div>
      }
    >
      {replay.isError && <InlineError error={replay.error} />}
      {q.isPending && <Loading label="Loading deliveries…" />}
      {q.isError && <ErrorState title="The deliveries could not be loaded" error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && items.length === 0 && (
        <EmptyState title="Nothing delivered yet">
          Deliveries appear here when an event of a subscribed type ({(endpoint.event_types ?? []).join(', ')}) arrives, or a rule sends one to this endpoint.
        </EmptyState>
      )}
      {items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Deliveries">
            <thead>
              <tr>
                <th>Status</th>
                <th>Event type</th>
                <th className="num">Attempts</th>
                <th className="num">Last latency</th>
                <th>Last answer</th>
                <th>Updated</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <DeliveryRow
                  key={d.id}
                  delivery={d}
                  open={expanded.isOpen(d.id)}
                  toggle={() => expanded.toggle(d.id)}
                  canReplay={canWrite}
                  replayDisabled={!endpoint.enabled}
                  replaying={replay.isPending && replay.variables === d.id}
                  onReplay={() => replay.mutate(d.id)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {q.hasNextPage && (
        <div className="form-actions">
          <Button onClick={() => void q.fetchNextPage()} busy={q.isFetchingNextPage}>
            Load older deliveries
          </Button>
        </div>
      )}
    </Card>
  )
}

function DeliveryRow({
  delivery: d,
  open,
  toggle,
  canReplay,
  replayDisabled,
  replaying,
  onReplay,
}: {
  delivery: WebhookDelivery
  open: boolean
  toggle: () => void
  canReplay: boolean
  replayDisabled: boolean
  replaying: boolean
  onReplay: () => void
}) {
  const last = lastAttempt(d)
  const status = deliveryStatus(d)
  const detailId = `delivery-${d.id}`
  const attempts = d.attempts ?? []
  return (
    <Fragment>
      <tr data-testid={`delivery-${d.id}`}>
        <td>
          <StatusBadge status={status} />
          {status === 'retrying' && d.next_attempt_at && <div className="muted small">next attempt {relativeTime(d.next_attempt_at)}</div>}
          {d.last_error && d.status !== 'succeeded' && <div className="small intg-bad-text">{d.last_error}</div>}
        </td>
        <td className="mono">{d.event_type}</td>
        <td className="num">
          {d.attempt_count}
          {d.replays > 0 && <div className="muted small">replayed {d.replays}×</div>}
        </td>
        <td className="num">{last ? duration(last.latency_ms) : '—'}</td>
        <td>{last ? attemptOutcome(last) : <span className="muted">—</span>}</td>
        <td>
          <When iso={d.updated_at} />
        </td>
        <td>
          <div className="intg-cell-row" style={{ justifyContent: 'flex-end' }}>
            <ExpandButton open={open} onToggle={toggle} controls={detailId} show="Show attempts" hide="Hide attempts" />
            {canReplay && (
              <Button
                className="intg-btn-sm"
                onClick={onReplay}
                busy={replaying}
                disabled={replayDisabled}
                title={replayDisabled ? 'Enable the endpoint to replay deliveries' : 'Deliver this event again'}
              >
                Replay
              </Button>
            )}
          </div>
        </td>
      </tr>
      {open && (
        <tr className="intg-detail" id={detailId}>
          <td colSpan={7}>
            <div className="muted small" style={{ marginBottom: '.4rem' }}>
              Delivery <span className="mono">{d.id}</span> of event <span className="mono">{d.event_id}</span>, created <When iso={d.created_at} />
            </div>
            {attempts.length === 0 ? (
              <p className="muted small">No attempt yet: the first one is on its way.</p>
            ) : (
              <table aria-label={`Attempts of delivery ${d.id}`}>
                <thead>
                  <tr>
                    <th className="num">#</th>
                    <th>Result</th>
                    <th className="num">Latency</th>
                    <th>Error or answer</th>
                    <th>At</th>
                  </tr>
                </thead>
                <tbody>
                  {attempts.map((a) => (
                    <tr key={a.number}>
                      <td className="num">{a.number}</td>
                      <td>
                        <StatusBadge status={a.succeeded ? 'succeeded' : 'failed'} label={a.status_code ? `${a.status_code}` : 'No answer'} />
                      </td>
                      <td className="num">{duration(a.latency_ms)}</td>
                      <td>
                        {a.error && <div className="small intg-bad-text">{a.error}</div>}
                        {a.response && <div className="small mono" style={{ overflowWrap: 'anywhere' }}>{a.response}</div>}
                        {!a.error && !a.response && <span className="muted">—</span>}
                      </td>
                      <td>
                        <When iso={a.at} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </td>
        </tr>
      )}
    </Fragment>
  )
}
