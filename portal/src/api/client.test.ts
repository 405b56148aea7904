import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError, qs, setAccessToken } from './client'

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
}

afterEach(() => {
  vi.unstubAllGlobals()
  setAccessToken(null)
})

describe('api', () => {
  it('sends the access token and decodes JSON', async () => {
    const fetch = vi.fn().mockResolvedValue(json(200, { ok: true }))
    vi.stubGlobal('fetch', fetch)
    setAccessToken('tok-1')
    expect(await api('/api/v1/me')).toEqual({ ok: true })
    expect(fetch.mock.calls[0][1].headers.Authorization).toBe('Bearer tok-1')
  })

  it('turns a problem into an ApiError naming the fields', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(json(400, { detail: 'Fix the rule.', code: 'invalid', errors: { condition: 'undeclared reference to x (1:1)' }, request_id: 'r1' })))
    const err = (await api('/api/v1/rules', { method: 'POST', body: {} }).catch((e) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect([err.status, err.code, err.detail, err.fields.condition, err.requestId]).toEqual([400, 'invalid', 'Fix the rule.', 'undeclared reference to x (1:1)', 'r1'])
  })

  it('renews the session once on a 401 and retries', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json(401, { code: 'unauthorized', detail: 'expired' }))
      .mockResolvedValueOnce(json(200, { access_token: 'tok-2', expires_in: 900 }))
      .mockResolvedValueOnce(json(200, { items: [] }))
    vi.stubGlobal('fetch', fetch)
    setAccessToken('tok-1')
    expect(await api('/api/v1/agents')).toEqual({ items: [] })
    expect(fetch.mock.calls[1][0]).toBe('/session/refresh')
    expect(fetch.mock.calls[2][1].headers.Authorization).toBe('Bearer tok-2')
  })

  it('reports an unreachable hub as a network error', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')))
    const err = (await api('/api/v1/me').catch((e) => e)) as ApiError
    expect([err.status, err.code]).toEqual([0, 'network'])
  })
})

describe('qs', () => {
  it('keeps the defined values', () => {
    expect(qs({ a: 1, b: '', c: undefined, d: 'x y' })).toBe('?a=1&d=x+y')
    expect(qs({})).toBe('')
  })
})
