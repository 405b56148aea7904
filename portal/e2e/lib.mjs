// Shared helpers of the portal's browser tests: Debian's Chromium driven by
// playwright-core against a running `bizos dev` (started by the Go test
// cmd/bizos/portal_e2e_test.go, which passes its addresses in E2E_* variables).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

/** env reads a required E2E_* variable. */
export function env(name) {
  const v = process.env[`E2E_${name}`]
  if (!v) throw new Error(`E2E_${name} is not set: run the browser tests through "make test" (go test ./cmd/bizos -run TestPortal)`)
  return v
}

export const baseURL = () => env('PORTAL_URL')

/** launch starts headless Chromium the way this machine allows. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  })
}

/** newPage opens a fresh browser context (its own cookies) at a tablet-or-larger size. */
export async function newPage(browser, viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ baseURL: baseURL(), viewport })
  context.setDefaultTimeout(20_000)
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (err) => errors.push(err))
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) errors.push(new Error(msg.text()))
  })
  return { context, page, errors }
}

/** login signs in through the login form. */
export async function login(page, email, password) {
  await page.goto('/login')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}

/** shot saves a full-page screenshot under E2E_SHOTS. */
export async function shot(page, name) {
  const dir = env('SHOTS')
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true })
}

/** poll retries fn until it returns a truthy value or the time is up. */
export async function poll(fn, { timeout = 30_000, interval = 250, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout
  let last
  while (Date.now() < deadline) {
    try {
      last = await fn()
      if (last) return last
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, interval))
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`)
}

/** shotName turns a test name into a file name. */
export function shotName(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80)
}
