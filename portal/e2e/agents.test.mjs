// Browser test: an agent with Stripe tools and a knowledge base, a document
// uploaded and ingested, a run that stops for approval and is approved.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { env, launch, login, newPage, shot, shotName } from './lib.mjs'

describe('portal: agents', () => {
  let browser
  let page
  let errors
  before(async () => {
    browser = await launch()
    ;({ page, errors } = await newPage(browser))
    await login(page, env('ADMIN_EMAIL'), env('ADMIN_PASSWORD'))
  })
  afterEach(async (t) => {
    await shot(page, `agents-${shotName(t.name)}`)
  })
  after(async () => {
    await browser?.close()
  })

  it('creates an agent with tools and a new knowledge base', async () => {
    await page.goto('/dashboard/agents')
    await page.getByRole('link', { name: /New agent|Create your first agent/ }).first().click()
    const form = page.getByRole('form', { name: 'New agent' })
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Billing Agent')
    await form.getByRole('textbox', { name: 'Role', exact: true }).fill('billing assistant')
    await form.getByRole('textbox', { name: 'Goal', exact: true }).fill('keep Stripe customers complete')
    await form.getByRole('textbox', { name: 'Backstory', exact: true }).fill('Ten years in accounts receivable.')
    await form.getByRole('combobox', { name: 'Provider', exact: true }).selectOption('ollama')
    await form.getByRole('textbox', { name: 'Model', exact: true }).fill('llama3.2')
    const stripe = form.getByRole('group', { name: 'Stripe' })
    await stripe.getByRole('checkbox', { name: 'List Stripe customers' }).check()
    await stripe.getByRole('checkbox', { name: 'Create a Stripe customer' }).check()
    assert.equal(await stripe.getByLabel('Approval for Create a Stripe customer').inputValue(), 'required', 'writes ask for approval by default')
    assert.equal(await form.getByRole('group', { name: 'HubSpot' }).getByRole('checkbox').first().isDisabled(), true, 'unconnected platforms are disabled')
    await page.getByRole('button', { name: 'New knowledge base' }).click()
    const kb = page.getByRole('form', { name: 'New knowledge base' })
    await kb.getByRole('textbox', { name: 'Knowledge base name', exact: true }).fill('Billing policies')
    await kb.getByRole('button', { name: 'Create knowledge base' }).click()
    await page.getByRole('checkbox', { name: /Billing policies/ }).check()
    await page.getByRole('button', { name: 'Create agent' }).click()
    await page.getByRole('form', { name: 'Start a run' }).waitFor()
  })

  it('uploads a document and searches it once ingested', async () => {
    const agentURL = page.url()
    await page.getByRole('link', { name: 'Open knowledge base Billing policies' }).click()
    await page.getByTestId('kb-file-input').setInputFiles({
      name: 'refunds.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Refund policy\n\nCustomers may ask for a refund within 30 days of an invoice. Refunds go back to the original card.\n\n# Invoices\n\nInvoices are sent on the first day of the month.\n'),
    })
    const docs = page.getByRole('table', { name: 'Documents' })
    await docs.getByText('refunds.md').waitFor()
    await docs.getByText('Ready', { exact: true }).first().waitFor({ timeout: 60_000 })
    await page.getByRole('searchbox', { name: 'Search this knowledge base' }).fill('refund within 30 days')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.getByRole('region', { name: 'Search results' }).getByText(/30 days/).first().waitFor()
    await page.goto(agentURL)
  })

  it('runs the agent to an approval and approves the write', async () => {
    const run = page.getByRole('form', { name: 'Start a run' })
    await run.getByLabel('Task for the agent').fill('Make sure new@acme.test is a Stripe customer.')
    await run.getByRole('button', { name: 'Start run' }).click()
    await page.waitForURL(/\/runs\//)
    const pending = page.getByRole('region', { name: 'stripe_create_customer' })
    await pending.waitFor({ timeout: 60_000 })
    await pending.getByText('new@acme.test').first().waitFor()
    await shot(page, 'agent-run-waiting-approval')
    await pending.getByRole('button', { name: 'Approve' }).click()
    await page.getByRole('region', { name: 'Answer' }).getByText('Created the customer new@acme.test.').waitFor({ timeout: 60_000 })
    await page.getByRole('region', { name: 'Tool calls' }).getByText('stripe_list_customers').first().waitFor()
    assert.deepEqual(errors.map(String), [])
  })
})
