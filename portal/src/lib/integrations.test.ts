import { describe, expect, it } from 'vitest'
import type { Connection } from '../api/types'
import type { WebhookEndpoint } from '../api/integrations'
import {
  anyDeliveryActive,
  attemptOutcome,
  deliveryStatus,
  endpointLabel,
  endpointPatch,
  formatEventTypes,
  inboundWebhooks,
  lastAttempt,
  parseEventTypes,
  payloadSummary,
  prettyJson,
  sourceLabel,
} from './integrations'

function conn(id: string, provider: string, name: string, url?: string): Connection {
  return {
    id,
    tenant_id: 't',
    provider,
    name,
    auth_mode: 'api_key',
    config: {},
    status: 'connected',
    created_at: '',
    updated_at: '',
    inbound_webhook_url: url,
  }
}

describe('parseEventTypes', () => {
  it('splits on commas and whitespace and drops duplicates', () => {
    expect(parseEventTypes('stripe.*, shopify.orders.create\nstripe.*  *')).toEqual({ types: ['stripe.*', 'shopify.orders.create', '*'] })
  })
  it('refuses what the hub refuses', () => {
    expect(parseEventTypes('Stripe.Invoice').error).toMatch(/Stripe\.Invoice/)
    expect(parseEventTypes('stri*pe').error).toMatch(/not an event type/)
    expect(parseEventTypes(' , ').error).toMatch(/at least one/)
  })
  it('formats a list back', () => {
    expect(formatEventTypes(['a.b', 'c.*'])).toBe('a.b, c.*')
    expect(formatEventTypes(null)).toBe('')
  })
})

describe('inbound rows', () => {
  it('keeps connections with an inbound URL, by platform then name', () => {
    const rows = inboundWebhooks([conn('1', 'stripe', 'B', 'u1'), conn('2', 'hubspot', 'Z', 'u2'), conn('3', 'stripe', 'A', 'u3'), conn('4', 'slack', 'none')])
    expect(rows.map((c) => c.id)).toEqual(['2', '3', '1'])
  })
  it('names event sources', () => {
    const m = new Map([['c1', conn('c1', 'stripe', 'Main Stripe')]])
    expect(sourceLabel('c1', m)).toBe('Main Stripe')
    expect(sourceLabel('hub', m)).toBe('Hub')
    expect(sourceLabel('gone', m)).toBe('Deleted connection')
  })
})

const endpoint: WebhookEndpoint = {
  id: 'w1',
  tenant_id: 't',
  url: 'https://example.com/hooks/bizos',
  description: '',
  event_types: ['stripe.*'],
  enabled: true,
  consecutive_failures: 0,
  created_by: '',
  created_at: '',
  updated_at: '',
}

describe('endpoints', () => {
  it('labels an endpoint by description, else host and path', () => {
    expect(endpointLabel(endpoint)).toBe('example.com/hooks/bizos')
    expect(endpointLabel({ url: 'https://example.com/', description: '' })).toBe('example.com')
    expect(endpointLabel({ url: 'x', description: ' CRM sync ' })).toBe('CRM sync')
  })
  it('patches only what changed', () => {
    expect(endpointPatch(endpoint, { url: endpoint.url, description: '', event_types: ['stripe.*'], enabled: true })).toEqual({})
    expect(endpointPatch(endpoint, { url: ' https://example.org ', description: 'd', event_types: ['*'], enabled: false })).toEqual({
      url: 'https://example.org',
      description: 'd',
      event_types: ['*'],
      enabled: false,
    })
  })
})

describe('deliveries', () => {
  it('shows a pending delivery waiting for its next automatic attempt as retrying', () => {
    const at = '2026-01-01T00:00:00Z'
    expect(deliveryStatus({ status: 'pending', attempt_count: 0, next_attempt_at: at, updated_at: at })).toBe('pending')
    expect(deliveryStatus({ status: 'pending', attempt_count: 2, next_attempt_at: '2026-01-01T00:01:30Z', updated_at: at })).toBe('retrying')
    // a replay sets next_attempt_at to now: pending again
    expect(deliveryStatus({ status: 'pending', attempt_count: 2, next_attempt_at: '2026-01-01T00:00:00.2Z', updated_at: at })).toBe('pending')
    expect(deliveryStatus({ status: 'pending', attempt_count: 2, updated_at: at })).toBe('pending')
    expect(deliveryStatus({ status: 'dead', attempt_count: 8, updated_at: at })).toBe('dead')
  })
  it('refreshes while something is pending', () => {
    expect(anyDeliveryActive([{ status: 'succeeded' }, { status: 'pending' }])).toBe(true)
    expect(anyDeliveryActive([{ status: 'dead' }])).toBe(false)
  })
  it('finds the last attempt', () => {
    const a = (number: number) => ({ delivery_id: 'd', number, latency_ms: number * 10, succeeded: false, at: '' })
    expect(lastAttempt({ attempts: [a(1), a(3), a(2)] })?.number).toBe(3)
    expect(lastAttempt({})).toBeUndefined()
    expect(attemptOutcome({ status_code: 503, succeeded: false })).toBe('503')
    expect(attemptOutcome({ succeeded: false })).toBe('no answer')
  })
})

describe('payloads', () => {
  it('pretty-prints JSON values and JSON text', () => {
    expect(prettyJson({ a: 1 })).toBe('{\n  "a": 1\n}')
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}')
    expect(prettyJson('not json')).toBe('not json')
    expect(prettyJson(undefined)).toBe('null')
  })
  it('summarises long payloads', () => {
    expect(payloadSummary({ a: 'x'.repeat(100) }, 10)).toBe('{"a":"xxx…')
    expect(payloadSummary({ a: 1 })).toBe('{"a":1}')
  })
})
