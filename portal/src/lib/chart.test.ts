import { describe, expect, it } from 'vitest'
import { chartPaths, niceCeil } from './chart'

describe('niceCeil', () => {
  it.each([
    [0, 0],
    [0.03, 0.05],
    [1, 1],
    [37, 50],
    [120, 200],
    [999, 1000],
  ])('%s → %s', (v, want) => expect(niceCeil(v)).toBeCloseTo(want))
})

describe('chartPaths', () => {
  it('draws nothing without points', () => {
    expect(chartPaths([], 100, 50)).toEqual({ line: '', area: '', max: 0 })
  })
  it('scales time to x and value to y with zero at the bottom', () => {
    const p = chartPaths([{ t: 0, v: 0 }, { t: 10, v: 5 }], 100, 50, 0)
    expect(p.max).toBe(5)
    expect(p.line).toBe('M0.0,50.0L100.0,0.0')
    expect(p.area).toBe('M0.0,50.0L100.0,0.0L100.0,50L0.0,50Z')
  })
  it('draws one point as a flat line', () => {
    expect(chartPaths([{ t: 5, v: 2 }], 100, 50, 0).line).toBe('M0.0,0.0L100.0,0.0')
  })
})
