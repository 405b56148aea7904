// Browser test: a playbook written as JSON (a bad step refused with its
// field named), run now, waiting at its approval step, approved, finished.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { env, launch, login, newPage, shot, shotName } from './lib.mjs'

describe('portal: playbooks', () => {
  let browser
  let page
  let errors
  before(async () => {
    browser = await launch()
    ;({ page, errors } = await newPage(browser))
    await login(page, env('ADMIN_EMAIL'), env('ADMIN_PASSWORD'))
  })
  afterEach(async (t) => {
    await shot(page, `playbooks-${shotName(t.name)}`)
  })
  after(async () => {
    await browser?.close()
  })

  it('lists the templates', async () => {
    await page.goto('/dashboard/playbooks/templates')
    await page.getByRole('link', { name: /^Use template / }).first().waitFor()
    assert.ok((await page.getByRole('link', { name: /^Use template / }).count()) >= 3)
  })

  it('refuses a bad definition by field, then creates the playbook', async () => {
    await page.goto('/dashboard/playbooks')
    await page.getByRole('link', { name: 'Write in JSON' }).click()
    const form = page.getByRole('form', { name: 'New playbook definition' })
    const editor = form.getByRole('textbox', { name: 'Definition (JSON)' })
    const bad = { name: 'Launch check', steps: [{ id: 'ask', type: 'approval', message: 'Publish the launch post?' }, { id: 'later', type: 'wait', seconds: 1, when: 'steps.ask.output ==' }] }
    await editor.fill(JSON.stringify(bad, null, 2))
    await form.getByRole('button', { name: 'Create playbook' }).click()
    await page.getByText(/steps\[1\]\.when/).first().waitFor()
    bad.steps[1].when = 'true'
    await editor.fill(JSON.stringify(bad, null, 2))
    await form.getByRole('button', { name: 'Create playbook' }).click()
    await page.getByRole('list', { name: 'Steps' }).waitFor()
  })

  it('runs it to the approval step and approves', async () => {
    await page.getByRole('button', { name: 'Run now' }).click()
    await page.getByRole('button', { name: 'Start run' }).click()
    await page.waitForURL(/\/runs\//)
    await page.getByRole('button', { name: 'Approve' }).click({ timeout: 60_000 })
    await page.getByRole('list', { name: 'Steps of the run' }).getByText('Succeeded').first().waitFor({ timeout: 60_000 })
    await page.getByRole('heading', { level: 1 }).waitFor()
    await page.getByText(/Succeeded/).first().waitFor()
    assert.deepEqual(errors.map(String), [])
  })
})
