import { describe, expect, it } from 'vitest'
import { keyRequest, keyState, orderScopes, scopeLabel, scopeResources, toggleScope } from './integrations-keys'

describe('scopes', () => {
  it('lists the hub resources once each', () => {
    const ids = scopeResources.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(expect.arrayContaining(['connections', 'events', 'webhooks', 'rules', 'agents', 'knowledge', 'playbooks', 'users', 'api-keys']))
  })
  it('turns read on with write, and each off alone', () => {
    let s = toggleScope([], 'rules:write', true)
    expect(s).toEqual(['rules:read', 'rules:write'])
    s = toggleScope(s, 'rules:read', false)
    expect(s).toEqual(['rules:write'])
    s = toggleScope(s, '*:read', true)
    expect(s).toEqual(['*:read', 'rules:write'])
  })
  it('orders scopes like the form', () => {
    expect(orderScopes(['webhooks:write', 'connections:read', '*:read', 'webhooks:read'])).toEqual(['*:read', 'connections:read', 'webhooks:read', 'webhooks:write'])
  })
  it('names scopes for people', () => {
    expect(scopeLabel('*:read')).toBe('Read everything')
    expect(scopeLabel('rules:write')).toBe('rules:write')
  })
})

describe('keyRequest', () => {
  it('builds the body', () => {
    expect(keyRequest(' CI ', ['events:read', 'rules:write', '*:read'], '90')).toEqual({ body: { name: 'CI', scopes: ['*:read', 'rules:write'], expires_in_days: 90 }, errors: {} })
    expect(keyRequest('CI', ['events:read', 'events:read'], '30').body?.scopes).toEqual(['events:read'])
    expect(keyRequest('CI', ['*:read'], '').body).toEqual({ name: 'CI', scopes: ['*:read'] })
  })
  it('names what is missing', () => {
    const { body, errors } = keyRequest('', [], 'x')
    expect(body).toBeUndefined()
    expect(Object.keys(errors).sort()).toEqual(['expires_in_days', 'name', 'scopes'])
  })
})

describe('keyState', () => {
  const now = Date.parse('2026-06-01T00:00:00Z')
  it('tells active, expired and revoked keys apart', () => {
    expect(keyState({ revoked_at: null, expires_at: null }, now)).toBe('active')
    expect(keyState({ revoked_at: null, expires_at: '2026-07-01T00:00:00Z' }, now)).toBe('active')
    expect(keyState({ revoked_at: null, expires_at: '2026-05-01T00:00:00Z' }, now)).toBe('expired')
    expect(keyState({ revoked_at: '2026-05-01T00:00:00Z', expires_at: null }, now)).toBe('revoked')
  })
})
