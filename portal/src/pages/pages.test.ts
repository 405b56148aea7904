import { describe, expect, it } from 'vitest'
import type { Connector } from '../api/types'
import { roleCanWrite } from '../session'
import { filterConnectors } from './connectors'
import { safeNext } from './login'

const card = (id: string, category: string, name = id): Connector =>
  ({ id, name, category, description: `${name} platform`, status: 'not_connected', connections: 0, actions: [], auth_modes: [], config_fields: [], logo: '', docs_url: '' }) as Connector

describe('filterConnectors', () => {
  const list = [card('hubspot', 'crm', 'HubSpot'), card('zoho-crm', 'crm', 'Zoho CRM'), card('stripe', 'payments', 'Stripe')]
  it('filters by category and search text', () => {
    expect(filterConnectors(list, '', 'crm').map((c) => c.id)).toEqual(['hubspot', 'zoho-crm'])
    expect(filterConnectors(list, 'STRI', '').map((c) => c.id)).toEqual(['stripe'])
    expect(filterConnectors(list, 'zoho', 'payments')).toEqual([])
  })
})

describe('safeNext', () => {
  it.each([
    [null, '/'],
    ['/dashboard/agents', '/dashboard/agents'],
    ['//evil.example', '/'],
    ['https://evil.example', '/'],
    ['/login?next=/x', '/'],
  ])('%s → %s', (next, want) => expect(safeNext(next)).toBe(want))
})

describe('roleCanWrite', () => {
  it('lets admins and members change things, not viewers', () => {
    expect(roleCanWrite('tenant_admin', false)).toBe(true)
    expect(roleCanWrite('member', false)).toBe(true)
    expect(roleCanWrite('viewer', false)).toBe(false)
    expect(roleCanWrite(undefined, true)).toBe(true)
  })
})
