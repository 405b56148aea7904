// Browser tests: sign-in, the connectors screens (API-key and OAuth connect,
// test, health history, live preview, disconnect), the tenant switcher and
// the super admin's pages.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { env, launch, login, newPage, poll, shot, shotName } from './lib.mjs'

describe('portal: sign-in and connectors', () => {
  let browser
  let page
  let errors
  before(async () => {
    browser = await launch()
    ;({ page, errors } = await newPage(browser))
  })
  afterEach(async (t) => {
    await shot(page, shotName(t.name))
  })
  after(async () => {
    await browser?.close()
  })

  it('refuses a wrong password with a clear message, then signs in', async () => {
    await page.goto('/dashboard/connectors')
    await page.waitForURL(/\/login\?next=/)
    await page.getByLabel('Email').fill(env('ADMIN_EMAIL'))
    await page.getByLabel('Password').fill('not-the-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').filter({ hasText: 'incorrect' }).waitFor()
    await page.getByLabel('Password').fill(env('ADMIN_PASSWORD'))
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL('**/dashboard/connectors')
    await shot(page, 'login-done')
  })

  it('shows the 13 platforms with search and category filter', async () => {
    await page.getByRole('heading', { name: 'Connectors' }).waitFor()
    await poll(async () => (await page.locator('.connector-card').count()) === 13, { what: '13 connector cards' })
    await page.getByLabel('Category').selectOption('crm')
    assert.equal(await page.locator('.connector-card').count(), 3)
    await page.getByLabel('Category').selectOption('')
    await page.getByLabel('Search').fill('strip')
    assert.equal(await page.locator('.connector-card').count(), 1)
    await page.getByLabel('Search').fill('')
    await shot(page, 'connectors')
  })

  it('keeps the session across a reload (refresh cookie, no token in storage)', async () => {
    await page.reload()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)
    assert.doesNotMatch(stored, /bzr_|eyJ/, 'no token is readable by page scripts')
  })

  it('connects Stripe with an API key: a bad key is refused inline, a good one is checked live', async () => {
    await page.getByTestId('connector-stripe').click()
    await page.getByRole('heading', { level: 1, name: 'Stripe' }).waitFor()
    await page.getByRole('button', { name: 'Connect', exact: true }).click()
    await page.getByText(/is required/).first().waitFor()
    await page.getByLabel('Connection name').fill('Billing')
    await page.getByLabel(/Secret key|API key|Restricted key/i).first().fill('sk_test_portalE2E')
    await page.getByRole('button', { name: 'Connect', exact: true }).click()
    const panel = page.getByRole('region', { name: 'Connection Billing' })
    await panel.waitFor()
    await panel.getByTestId('preview-table').waitFor()
    assert.ok((await panel.getByTestId('preview-table').locator('tbody tr').count()) >= 1, 'the preview lists customers read live')
    await panel.getByRole('button', { name: 'Test' }).click()
    await panel.getByText('The platform answered: the connection works.').waitFor()
    // The connect and the test are both in the health history.
    await poll(async () => (await panel.getByRole('region', { name: 'Health history' }).locator('tbody tr').count()) >= 2, { what: 'two health-history rows' })
    await shot(page, 'connector-stripe')
  })

  it('connects HubSpot through OAuth and comes back to the connector page', async () => {
    await page.goto('/dashboard/connectors/hubspot')
    await page.getByRole('radio', { name: 'Sign in with HubSpot' }).check()
    await page.getByLabel('Connection name').fill('Sales HubSpot')
    await page.getByRole('button', { name: 'Connect account' }).click()
    await page.waitForURL(/\/dashboard\/connectors\/hubspot\?connection_id=/)
    await page.getByText('Account connected.').waitFor()
    await page.getByRole('region', { name: 'Connection Sales HubSpot' }).getByRole('button', { name: 'Reconnect' }).waitFor()
    await shot(page, 'connector-hubspot-oauth')
  })

  it('shows the connected state on the cards', async () => {
    await page.goto('/dashboard/connectors')
    await page.getByTestId('connector-stripe').getByText('Connected', { exact: true }).waitFor()
    await page.getByTestId('connector-hubspot').getByText('Connected', { exact: true }).waitFor()
  })

  it('switches tenant and sees that tenant’s connectors', async () => {
    await page.getByLabel('Tenant').selectOption({ label: env('OTHER_TENANT_NAME') })
    await page.getByTestId('connector-stripe').getByText('Not connected', { exact: true }).waitFor()
    await page.getByLabel('Tenant').selectOption({ label: env('TENANT_NAME') })
    await page.getByTestId('connector-stripe').getByText('Connected', { exact: true }).waitFor()
  })

  it('disconnects after a confirmation', async () => {
    await page.goto('/dashboard/connectors/hubspot')
    await page.getByRole('region', { name: 'Connection Sales HubSpot' }).getByRole('button', { name: 'Disconnect' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click()
    await page.getByRole('heading', { name: 'Connect HubSpot' }).waitFor()
    assert.equal(await page.getByRole('region', { name: 'Connection Sales HubSpot' }).count(), 0)
  })

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/login$/)
    await page.goto('/dashboard/connectors')
    await page.waitForURL(/\/login/)
    assert.deepEqual(errors.map(String), [])
  })
})

describe('portal: super admin', () => {
  let browser
  let page
  before(async () => {
    browser = await launch()
    ;({ page } = await newPage(browser, { width: 820, height: 1180 })) // a tablet
  })
  afterEach(async (t) => {
    await shot(page, shotName(t.name))
  })
  after(async () => {
    await browser?.close()
  })

  it('creates and suspends a tenant, adds a user', async () => {
    await login(page, env('ROOT_EMAIL'), env('ROOT_PASSWORD'))
    await page.goto('/admin/tenants')
    const form = page.getByRole('form', { name: 'Create a tenant' })
    await form.getByLabel('Name').fill('Globex Marketing')
    assert.equal(await form.getByLabel('Slug').inputValue(), 'globex-marketing')
    await form.getByRole('button', { name: 'Create tenant' }).click()
    await page.getByRole('cell', { name: 'Globex Marketing', exact: true }).waitFor()
    await page.getByRole('button', { name: 'Suspend Globex Marketing' }).click()
    await page.getByRole('button', { name: 'Reactivate Globex Marketing' }).waitFor()
    await shot(page, 'admin-tenants')

    await page.goto('/admin/users')
    await page.getByLabel('Tenant').selectOption({ label: `${env('TENANT_NAME')} (${env('TENANT_SLUG')})` })
    const add = page.getByRole('form', { name: 'Add a user' })
    await add.getByLabel('Email').fill('new.hire@acme.test')
    await add.getByLabel('Password').fill('short')
    await add.getByRole('button', { name: 'Add user' }).click()
    await page.getByRole('alert').first().waitFor()
    await add.getByLabel('Password').fill('a-long-enough-password')
    await add.getByLabel('Role').selectOption('viewer')
    await add.getByRole('button', { name: 'Add user' }).click()
    await page.getByRole('cell', { name: 'new.hire@acme.test', exact: true }).waitFor()
  })

  it('opens the system health page', async () => {
    await page.goto('/admin/health')
    for (const c of ['brain', 'authsvc', 'worker', 'postgres', 'redis', 'temporal']) {
      await page.getByTestId(`component-${c}`).getByText('Ok').waitFor()
    }
    await page.getByRole('table', { name: 'Platform health' }).getByRole('cell', { name: 'stripe', exact: true }).waitFor()
    await shot(page, 'admin-health')
  })

  it('reads the audit log', async () => {
    await page.goto('/admin/audit')
    await page.getByLabel('Tenant').selectOption({ label: `${env('TENANT_NAME')} (${env('TENANT_SLUG')})` })
    await page.getByRole('table', { name: 'Audit entries' }).getByText('connection.create').first().waitFor()
    await shot(page, 'admin-audit')
  })
})
