// Browser test: an outbound endpoint, a scheduled rule saved after a bad CEL
// condition is refused inline, fired now, its delivery seen in the log; an
// API key created (shown once) and revoked.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { env, launch, login, newPage, poll, shot, shotName } from './lib.mjs'

describe('portal: integrations', () => {
  let browser
  let page
  let errors
  before(async () => {
    browser = await launch()
    ;({ page, errors } = await newPage(browser))
    await login(page, env('ADMIN_EMAIL'), env('ADMIN_PASSWORD'))
  })
  afterEach(async (t) => {
    await shot(page, `integrations-${shotName(t.name)}`)
  })
  after(async () => {
    await browser?.close()
  })

  it('lists the inbound webhook of a connection and adds an outbound endpoint (secret shown once)', async () => {
    await page.goto('/dashboard/integrations')
    const table = page.getByRole('table', { name: 'Webhooks' })
    await table.getByText('Payments').first().waitFor()
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    const form = page.getByRole('form', { name: 'Add webhook endpoint' })
    await form.getByRole('textbox', { name: 'Endpoint URL' }).fill(env('RECEIVER_URL') + '/hooks/bizos')
    await form.getByRole('textbox', { name: 'Description' }).fill('CRM sync')
    await form.getByRole('textbox', { name: 'Event types' }).fill('rule.schedule.fired')
    await page.getByRole('button', { name: 'Create endpoint' }).click()
    const secret = page.getByRole('textbox', { name: 'Signing secret' })
    assert.match(await secret.inputValue(), /^whsec_/)
    await page.getByRole('button', { name: 'Done' }).click()
    await table.getByRole('link', { name: 'Delivery log of CRM sync' }).waitFor()
  })

  it('refuses a bad CEL condition inline, then saves the rule', async () => {
    await page.getByRole('link', { name: 'Rules' }).click()
    await page.getByRole('link', { name: 'New rule' }).click()
    const form = page.getByRole('form', { name: 'New rule' })
    await form.getByRole('textbox', { name: 'Rule name', exact: true }).fill('Weekly sync')
    await form.getByRole('radio', { name: 'On a schedule' }).check()
    await form.getByRole('textbox', { name: 'Cron schedule' }).fill('0 9 * * 1')
    await form.getByRole('combobox', { name: 'Time zone' }).selectOption('Europe/Berlin')
    const condition = form.getByRole('textbox', { name: 'Condition (CEL)' })
    await condition.fill('event.payload.count >')
    if ((await form.getByRole('group', { name: 'Action 1' }).count()) === 0) await form.getByRole('button', { name: 'Add action' }).click()
    const action = form.getByRole('group', { name: 'Action 1' })
    await action.getByRole('combobox', { name: 'Type' }).selectOption('webhook')
    await action.getByRole('combobox', { name: 'Endpoint' }).selectOption({ index: 1 })
    await form.getByRole('button', { name: 'Create rule' }).click()
    await poll(async () => (await condition.getAttribute('aria-invalid')) === 'true', { what: 'the condition marked invalid' })
    const message = await page.locator(`#${await condition.getAttribute('aria-describedby').then((v) => v.split(' ')[0])}`).innerText()
    assert.match(message, /\d+:\d+|column|Syntax|syntax|mismatched/, `the error says where: ${message}`)
    assert.equal(await condition.inputValue(), 'event.payload.count >', 'the form keeps what was typed')
    await shot(page, 'rule-bad-cel')
    await condition.fill('event.type == "rule.schedule.fired"')
    await form.getByRole('button', { name: 'Create rule' }).click()
    await page.getByRole('button', { name: 'Run now' }).waitFor()
  })

  it('fires the rule now, sees the run and the delivery in the log', async () => {
    await page.getByRole('button', { name: 'Run now' }).click()
    await page.getByRole('table', { name: 'Runs' }).getByText('Succeeded').first().waitFor({ timeout: 60_000 })
    await page.goto('/dashboard/integrations')
    await page.getByRole('link', { name: 'Delivery log of CRM sync' }).click()
    const log = page.getByRole('table', { name: 'Deliveries' })
    await log.getByText('rule.schedule.fired').first().waitFor({ timeout: 60_000 })
    await log.getByText('Succeeded').first().waitFor({ timeout: 60_000 })
    await log.getByRole('button', { name: 'Show attempts' }).first().click()
    await log.getByText('204').first().waitFor()
    await log.getByRole('button', { name: 'Replay' }).first().click()
    await shot(page, 'delivery-log')
  })

  it('creates an API key shown once, then revokes it', async () => {
    await page.goto('/dashboard/integrations/keys')
    await page.getByRole('button', { name: 'Create API key' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create API key' })
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Reporting')
    await dialog.getByRole('checkbox', { name: 'Read everything' }).check()
    await dialog.getByRole('combobox', { name: 'Expires' }).selectOption({ label: 'After 90 days' })
    await dialog.getByRole('button', { name: 'Create key' }).click()
    const key = page.getByRole('textbox', { name: 'API key' })
    assert.match(await key.inputValue(), /^bzk_/)
    await page.keyboard.press('Escape')
    const keys = page.getByRole('table', { name: 'API keys' })
    await keys.getByText('Reporting').waitFor()
    assert.equal(await page.getByText(/bzk_[A-Za-z0-9]+_[A-Za-z0-9]{10,}/).count(), 0, 'the secret is not shown again')
    await page.getByRole('button', { name: 'Revoke Reporting' }).click()
    await page.getByRole('button', { name: 'Revoke key' }).click()
    await keys.getByText('Revoked').first().waitFor()
    assert.deepEqual(errors.map(String), [])
  })
})
