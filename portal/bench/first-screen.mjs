// make bench: the portal's first screen. Prints the gzipped size of the
// JavaScript that /dashboard/connectors loads (the entry chunk and what it
// imports before rendering) and its time to interactive in headless Chromium
// with a cold cache, measured over several fresh browser contexts.
//
// Runs against a `bizos dev` stack started by cmd/bizos/bench_portal_test.go
// (E2E_* variables as for the browser tests).
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { env, launch } from '../e2e/lib.mjs'

const runs = Number(process.env.BENCH_RUNS ?? 7)
const base = env('PORTAL_URL')

// Bundle: what index.html loads before the first screen renders.
const dist = join(import.meta.dirname, '..', 'dist', 'app')
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const scripts = [...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="([^"]+)"/g)].map((m) => m[1])
let gz = 0
let raw = 0
for (const src of new Set(scripts)) {
  const body = readFileSync(join(dist, src.replace(/^\//, '')))
  raw += body.length
  gz += gzipSync(body, { level: 9 }).length
}

const browser = await launch()
const samples = []
let requests = 0
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 860 } })
  // Sign in through the session API: the cookie is set, the page cache is cold.
  const res = await context.request.post('/session/login', { data: { email: env('ADMIN_EMAIL'), password: env('ADMIN_PASSWORD') } })
  if (!res.ok()) throw new Error(`login: ${res.status()} ${await res.text()}`)
  const page = await context.newPage()
  let n = 0
  page.on('request', () => n++)
  await page.goto('/dashboard/connectors', { waitUntil: 'commit' })
  // Interactive: all 13 cards rendered with their status, and the search box
  // accepts input (the main thread is free to handle it).
  await page.waitForFunction(() => document.querySelectorAll('.connector-card .badge').length === 13, null, { timeout: 20_000 })
  await page.getByLabel('Search').fill('s')
  const tti = await page.evaluate(() => performance.now())
  samples.push(tti)
  requests = n
  await context.close()
}
await browser.close()

samples.sort((a, b) => a - b)
const median = samples[Math.floor(samples.length / 2)]
const fmt = (v) => `${v.toFixed(0)} ms`
console.log(`BENCH portal first-screen JS: ${(gz / 1024).toFixed(1)} KB gzipped (${(raw / 1024).toFixed(1)} KB raw, ${new Set(scripts).size} files); goal < 250 KB: ${gz < 250 * 1024 ? 'met' : 'MISSED'}`)
console.log(
  `BENCH portal /dashboard/connectors time to interactive (13 connectors, ${env('CONNECTIONS')} connections, cold cache, ${runs} runs): median ${fmt(median)}, min ${fmt(samples[0])}, max ${fmt(samples[samples.length - 1])}, ${requests} requests; goal < 1000 ms: ${median < 1000 ? 'met' : 'MISSED'}`,
)
