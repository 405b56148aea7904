// Pure logic of the webhooks screens: event-type lists, the inbound rows,
// delivery states and payload formatting.
import type { Connection } from '../api/types'
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../api/integrations'

/** eventTypePattern is the hub's rule for an event type or a prefix ending in "*". */
export const eventTypePattern = /^(\*|[a-z0-9][a-z0-9_.-]{0,199}\*?)$/

/** parseEventTypes reads a comma- or line-separated list, as the hub will check it. */
export function parseEventTypes(text: string): { types: string[]; error?: string } {
  const types: string[] = []
  for (const raw of text.split(/[\s,]+/)) {
    const t = raw.trim()
    if (!t) continue
    if (!eventTypePattern.test(t)) {
      return { types, error: `“${t}” is not an event type: use lowercase letters, digits, “.”, “_” or “-”, optionally ending in “*”.` }
    }
    if (!types.includes(t)) types.push(t)
  }
  if (types.length === 0) return { types, error: 'List at least one event type, a prefix such as stripe.*, or * for every event.' }
  if (types.length > 100) return { types, error: 'List at most 100 event types.' }
  return { types }
}

/** formatEventTypes is the editable text of a subscription list. */
export function formatEventTypes(types: string[] | null | undefined): string {
  return (types ?? []).join(', ')
}

/** inboundWebhooks keeps the connections that receive webhooks, by platform then name. */
export function inboundWebhooks(connections: Connection[]): Connection[] {
  return connections
    .filter((c) => !!c.inbound_webhook_url)
    .sort((a, b) => a.provider.localeCompare(b.provider) || a.name.localeCompare(b.name))
}

/** sourceLabel names an event's source: its connection, or the hub itself. */
export function sourceLabel(source: string, connections: Map<string, Connection>): string {
  if (source === 'hub') return 'Hub'
  const c = connections.get(source)
  return c ? c.name : 'Deleted connection'
}

/** endpointLabel names an endpoint: its description, or its host and path. */
export function endpointLabel(e: Pick<WebhookEndpoint, 'url' | 'description'>): string {
  if (e.description.trim()) return e.description.trim()
  try {
    const u = new URL(e.url)
    return u.host + (u.pathname === '/' ? '' : u.pathname)
  } catch {
    return e.url
  }
}

/** endpointPatch keeps the fields of a form that differ from the endpoint. */
export function endpointPatch(
  e: WebhookEndpoint,
  form: { url: string; description: string; event_types: string[]; enabled: boolean },
): Partial<Pick<WebhookEndpoint, 'url' | 'description' | 'event_types' | 'enabled'>> {
  const out: Partial<Pick<WebhookEndpoint, 'url' | 'description' | 'event_types' | 'enabled'>> = {}
  if (form.url.trim() !== e.url) out.url = form.url.trim()
  if (form.description.trim() !== e.description) out.description = form.description.trim()
  if (form.event_types.join('\n') !== (e.event_types ?? []).join('\n')) out.event_types = form.event_types
  if (form.enabled !== e.enabled) out.enabled = form.enabled
  return out
}

/**
 * deliveryStatus is the status to show: a pending delivery whose last
 * attempt failed and whose next attempt waits (next_attempt_at after the
 * last update) is retrying; a new or replayed one is pending.
 */
export function deliveryStatus(d: Pick<WebhookDelivery, 'status' | 'attempt_count' | 'next_attempt_at' | 'updated_at'>): string {
  if (d.status !== 'pending' || d.attempt_count === 0 || !d.next_attempt_at) return d.status
  const next = Date.parse(d.next_attempt_at)
  const updated = Date.parse(d.updated_at)
  return Number.isNaN(next) || Number.isNaN(updated) || next - updated > 1000 ? 'retrying' : 'pending'
}

/** deliveryActive says whether a delivery may still change on its own. */
export function deliveryActive(d: Pick<WebhookDelivery, 'status'>): boolean {
  return d.status === 'pending'
}

/** anyDeliveryActive says whether the log should keep refreshing. */
export function anyDeliveryActive(list: Pick<WebhookDelivery, 'status'>[]): boolean {
  return list.some(deliveryActive)
}

/** lastAttempt is a delivery's latest attempt (attempts come oldest first). */
export function lastAttempt(d: Pick<WebhookDelivery, 'attempts'>): WebhookAttempt | undefined {
  const a = d.attempts ?? []
  return a.reduce<WebhookAttempt | undefined>((best, x) => (!best || x.number >= best.number ? x : best), undefined)
}

/** attemptOutcome describes one attempt's answer: "200", "500", or "no answer". */
export function attemptOutcome(a: Pick<WebhookAttempt, 'status_code' | 'succeeded'>): string {
  return a.status_code ? String(a.status_code) : 'no answer'
}

/** prettyJson formats a JSON value (or JSON text) for a <pre>. */
export function prettyJson(v: unknown): string {
  if (v === undefined || v === null) return 'null'
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2)
    } catch {
      return v
    }
  }
  return JSON.stringify(v, null, 2)
}

/** payloadSummary is a one-line glimpse of a payload for a table cell. */
export function payloadSummary(v: unknown, max = 80): string {
  let s: string
  try {
    s = typeof v === 'string' ? v : JSON.stringify(v)
  } catch {
    s = String(v)
  }
  if (s === undefined) return ''
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}
