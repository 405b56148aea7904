// Geometry of the health page's line charts (pure, unit-tested).

/** Point is one sample of a series. */
export interface Point {
  t: number
  v: number
}

/** ChartPaths are the SVG path data of a line and the area under it. */
export interface ChartPaths {
  line: string
  area: string
  max: number
}

/**
 * chartPaths scales points into a width×height box (time on x, value on y,
 * zero at the bottom) and answers SVG path data. A single point is drawn as
 * a flat line; no points draw nothing.
 */
export function chartPaths(points: Point[], width: number, height: number, pad = 4): ChartPaths {
  const finite = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v))
  if (finite.length === 0) return { line: '', area: '', max: 0 }
  const pts = finite.length === 1 ? [finite[0], { t: finite[0].t + 1, v: finite[0].v }] : finite
  const t0 = pts[0].t
  const t1 = pts[pts.length - 1].t
  const max = Math.max(...pts.map((p) => p.v))
  const top = max > 0 ? niceCeil(max) : 1
  const x = (t: number) => pad + ((t - t0) / (t1 - t0 || 1)) * (width - 2 * pad)
  const y = (v: number) => height - pad - (v / top) * (height - 2 * pad)
  const coords = pts.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`)
  const line = `M${coords.join('L')}`
  const area = `${line}L${x(t1).toFixed(1)},${height - pad}L${x(t0).toFixed(1)},${height - pad}Z`
  return { line, area, max: top }
}

/** niceCeil rounds up to 1, 2 or 5 times a power of ten: 37 → 50. */
export function niceCeil(v: number): number {
  if (v <= 0) return 0
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 5, 10]) {
    if (v <= m * p) return m * p
  }
  return 10 * p
}
