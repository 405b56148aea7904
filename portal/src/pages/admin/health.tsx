import { Link } from 'wouter'
import { useSystemHealth, type SeriesPoint, type SystemHealth } from '../../api/admin'
import { chartPaths } from '../../lib/chart'
import { compact, dateTime, duration, percent, relativeTime, titleCase } from '../../lib/format'
import { Card, EmptyState, ErrorState, Loading, PageHeader, StatusBadge } from '../../ui'

/** HealthPage is the super admin's view of the whole system, refreshed every 10 s. */
export default function HealthPage() {
  const q = useSystemHealth()
  return (
    <>
      <PageHeader
        title="System health"
        description={q.data ? `Updated ${relativeTime(q.data.generated_at)}; refreshes every 10 seconds.` : 'Status of every service and dependency.'}
        actions={q.data && <StatusBadge status={q.data.status} label={`Overall: ${titleCase(q.data.status)}`} />}
      />
      {q.isPending && <Loading label="Measuring the system…" />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} title="The health report could not be read" />}
      {q.data && <HealthReport h={q.data} />}
    </>
  )
}

function HealthReport({ h }: { h: SystemHealth }) {
  return (
    <>
      <section aria-label="Components" className="grid grid-stats" style={{ marginBottom: '1rem' }}>
        {h.components.map((c) => (
          <div key={c.name} className="stat" data-testid={`component-${c.name}`}>
            <div className="row row-between">
              <span className="stat-label">{componentLabel(c.name)}</span>
              <StatusBadge status={c.status} />
            </div>
            <div className="stat-value">{c.latency_ms !== undefined ? duration(c.latency_ms) : '—'}</div>
            {c.detail && <div className="small muted">{c.detail}</div>}
          </div>
        ))}
      </section>

      <Card title="Requests">
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Service</th>
                <th>Window</th>
                <th className="num">Requests/s</th>
                <th className="num">p95 latency</th>
                <th className="num">Error rate</th>
              </tr>
            </thead>
            <tbody>
              {h.services.map((s) => (
                <tr key={`${s.service}-${s.window_minutes}`}>
                  <td>{componentLabel(s.service)}</td>
                  <td>last {s.window_minutes} min</td>
                  <td className="num">{s.request_rate.toFixed(2)}</td>
                  <td className="num">{duration(s.p95_ms)}</td>
                  <td className="num">{percent(s.error_rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="grid grid-2" style={{ marginTop: '1rem' }}>
          {Object.entries(h.series ?? {}).map(([service, points]) => (
            <ServiceCharts key={service} service={service} points={points} />
          ))}
        </div>
      </Card>

      <div className="grid grid-2">
        <Card title="Workflows (Temporal)">
          {h.temporal ? (
            <dl className="grid grid-stats" style={{ margin: 0 }}>
              <Stat label="Task queue" value={h.temporal.task_queue} />
              <Stat label="Worker pollers" value={String(h.temporal.pollers)} />
              <Stat label="Queue backlog" value={compact(h.temporal.backlog)} />
              <Stat label="Failed workflows, 1 h" value={compact(h.temporal.failed_workflows_1h)} bad={h.temporal.failed_workflows_1h > 0} />
            </dl>
          ) : (
            <p className="muted">Temporal did not answer.</p>
          )}
        </Card>
        <Card title="Outbound webhooks">
          {h.webhooks ? (
            <dl className="grid grid-stats" style={{ margin: 0 }}>
              <Stat label="Delivery backlog" value={compact(h.webhooks.delivery_backlog)} />
              <Stat label="Deliveries, 1 h" value={compact(h.webhooks.deliveries_1h)} />
              <Stat label="Failed, 1 h" value={compact(h.webhooks.failed_1h)} bad={h.webhooks.failed_1h > 0} />
              <Stat label="Failure rate" value={percent(h.webhooks.failure_rate_1h)} />
            </dl>
          ) : (
            <p className="muted">No delivery figures.</p>
          )}
        </Card>
      </div>

      <Card title="Platforms">
        {h.providers.length === 0 ? (
          <EmptyState title="No platform calls or connections yet">Figures appear once tenants connect platforms.</EmptyState>
        ) : (
          <div className="table-wrap">
            <table aria-label="Platform health">
              <thead>
                <tr>
                  <th>Platform</th>
                  <th className="num">Calls/s (5 min)</th>
                  <th className="num">Error rate</th>
                  <th className="num">429s (1 h)</th>
                  <th className="num">p95</th>
                  <th className="num">Connections</th>
                  <th className="num">Expired</th>
                  <th className="num">In error</th>
                </tr>
              </thead>
              <tbody>
                {h.providers.map((p) => (
                  <tr key={p.provider}>
                    <td>{p.provider}</td>
                    <td className="num">{p.call_rate.toFixed(2)}</td>
                    <td className="num">{percent(p.error_rate)}</td>
                    <td className="num">{p.rate_limited}</td>
                    <td className="num">{duration(p.p95_ms)}</td>
                    <td className="num">{p.connections}</td>
                    <td className="num">{p.expired_connections > 0 ? <StatusBadge status="expired" label={String(p.expired_connections)} /> : 0}</td>
                    <td className="num">{p.error_connections > 0 ? <StatusBadge status="error" label={String(p.error_connections)} /> : 0}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <p className="muted small">
        Report of {dateTime(h.generated_at)}. Who changed what: the <Link href="/audit">audit log</Link>.
      </p>
    </>
  )
}

function Stat({ label, value, bad }: { label: string; value: string; bad?: boolean }) {
  return (
    <div>
      <dt className="stat-label">{label}</dt>
      <dd className="stat-value" style={{ margin: 0, color: bad ? 'var(--bad)' : undefined }}>
        {value}
      </dd>
    </div>
  )
}

function componentLabel(name: string): string {
  const labels: Record<string, string> = { brain: 'Brain', authsvc: 'Auth service', worker: 'Worker', postgres: 'PostgreSQL', redis: 'Redis', temporal: 'Temporal' }
  return labels[name] ?? titleCase(name)
}

function ServiceCharts({ service, points }: { service: string; points: SeriesPoint[] }) {
  return (
    <section aria-label={`${componentLabel(service)} charts`} className="stack">
      <h3>{componentLabel(service)}, last 60 minutes</h3>
      <LineChart title="Requests per second" points={points} pick={(p) => p.request_rate} format={(v) => v.toFixed(1)} />
      <LineChart title="p95 latency" points={points} pick={(p) => p.p95_ms} format={(v) => duration(v)} />
      <LineChart title="Error rate" points={points} pick={(p) => p.error_rate} format={(v) => percent(v)} />
    </section>
  )
}

function LineChart({ title, points, pick, format }: { title: string; points: SeriesPoint[]; pick: (p: SeriesPoint) => number; format: (v: number) => string }) {
  const W = 320
  const H = 90
  const data = points.map((p) => ({ t: Date.parse(p.at), v: pick(p) }))
  const { line, area, max } = chartPaths(data, W, H)
  const last = data.length ? data[data.length - 1].v : undefined
  return (
    <figure style={{ margin: 0 }}>
      <figcaption className="row row-between small">
        <span>{title}</span>
        <span className="muted">now {last !== undefined ? format(last) : '—'}</span>
      </figcaption>
      {data.length === 0 ? (
        <p className="muted small">No samples yet; the first appears within a minute of start.</p>
      ) : (
        <svg className="chart" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${title}: latest ${last !== undefined ? format(last) : 'none'}, peak scale ${format(max)}`}>
          <line className="grid" x1="0" x2={W} y1={4} y2={4} />
          <line className="grid" x1="0" x2={W} y1={H - 4} y2={H - 4} />
          <path className="area" d={area} />
          <path className="line" d={line} />
          <text x={W - 4} y={14} textAnchor="end">
            {format(max)}
          </text>
        </svg>
      )}
    </figure>
  )
}
