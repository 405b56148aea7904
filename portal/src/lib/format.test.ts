import { describe, expect, it } from 'vitest'
import { bytes, compact, duration, percent, relativeTime, titleCase } from './format'

describe('relativeTime', () => {
  const now = Date.parse('2026-12-02T10:00:00Z')
  it.each([
    [undefined, 'never'],
    ['not a date', 'unknown'],
    ['2026-12-02T09:59:58Z', 'just now'],
    ['2026-12-02T09:57:00Z', '3 minutes ago'],
    ['2026-12-02T07:00:00Z', '3 hours ago'],
    ['2026-12-01T10:00:00Z', 'yesterday'],
    ['2026-12-02T10:10:00Z', 'in 10 minutes'],
  ])('%s → %s', (iso, want) => {
    expect(relativeTime(iso, now)).toBe(want)
  })
})

describe('duration', () => {
  it.each([
    [null, '—'],
    [0, '< 1 ms'],
    [0.42, '0.42 ms'],
    [12.4, '12 ms'],
    [2400, '2.4 s'],
    [185_000, '3 min 5 s'],
    [120_000, '2 min'],
  ])('%s → %s', (ms, want) => expect(duration(ms)).toBe(want))
})

describe('numbers', () => {
  it('formats ratios, counts and sizes', () => {
    expect(percent(0)).toBe('0%')
    expect(percent(0.025)).toBe('2.5%')
    expect(percent(undefined)).toBe('—')
    expect(compact(1234)).toBe('1.2K')
    expect(bytes(512)).toBe('512 B')
    expect(bytes(1536)).toBe('1.5 KB')
    expect(bytes(5 * 1024 * 1024)).toBe('5.0 MB')
  })
  it('turns identifiers into words', () => {
    expect(titleCase('tenant_admin')).toBe('Tenant admin')
    expect(titleCase('not-connected')).toBe('Not connected')
  })
})
