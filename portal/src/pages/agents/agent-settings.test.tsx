import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { Route, Router } from 'wouter'
import { memoryLocation } from 'wouter/memory-location'
import { SessionProvider } from '../../session'
import AgentsRoutes from './index'

const json = (v: unknown, status = 200) =>
  new Response(JSON.stringify(v), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } })

const action = (name: string, title: string, write: boolean) => ({ name, provider: name.split('.')[0], title, description: '', write, input_schema: {}, output_schema: {} })
const connectors = [
  { id: 'stripe', name: 'Stripe', category: 'payments', actions: [action('stripe.list_invoices', 'List invoices', false)] },
  { id: 'hubspot', name: 'HubSpot', category: 'crm', actions: [action('hubspot.search_contacts', 'Search contacts', false), action('hubspot.create_contact', 'Create contact', true)] },
]
const connections = [
  { id: 'c1', provider: 'hubspot', name: 'Main CRM', status: 'connected' },
  { id: 'c2', provider: 'hubspot', name: 'EU CRM', status: 'connected' },
]

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

function mount(path: string, role = 'member') {
  const bodies: unknown[] = []
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = String(input)
    if (url === '/session/refresh') return json({ access_token: 't', expires_in: 900 })
    if (url === '/auth/me') return json({ user: { id: 'u1', email: 'u@x', super_admin: false }, tenant_id: 'ten', role, memberships: [] })
    if (url === '/api/v1/connectors') return json({ items: connectors })
    if (url.startsWith('/api/v1/connections')) return json({ items: connections })
    if (url.startsWith('/api/v1/knowledge-bases')) return json({ items: [{ id: 'kb1', name: 'Brand voice', document_count: 3, chunk_count: 9, embedding: null }] })
    if (url === '/api/v1/llm-providers') return json({ items: [{ provider: 'openai', has_api_key: true, updated_at: '2026-01-01T00:00:00Z' }] })
    if (url === '/api/v1/agents' && init?.method === 'POST') {
      bodies.push(JSON.parse(String(init.body)))
      return json({ title: 'Invalid', detail: 'tools[0].connection_id: connection "EU CRM" is expired; reconnect it first', code: 'invalid', errors: { 'tools[0].connection_id': 'connection "EU CRM" is expired; reconnect it first', 'knowledge_base_ids[0]': 'knowledge base "kb1" not found' } }, 400)
    }
    return json({ title: 'not found' }, 404)
  })
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  const { hook } = memoryLocation({ path })
  render(
    <QueryClientProvider client={qc}>
      <SessionProvider>
        <Router hook={hook}>
          <Route path="/dashboard/agents" nest>
            <AgentsRoutes />
          </Route>
        </Router>
      </SessionProvider>
    </QueryClientProvider>,
  )
  return bodies
}

describe('agent settings', () => {
  it('groups tools by connector and shows API errors next to their control', async () => {
    const bodies = mount('/dashboard/agents/new')
    const name = await screen.findByLabelText(/^Name/)
    fireEvent.change(name, { target: { value: 'Sales' } })
    fireEvent.change(screen.getByLabelText(/^Model/), { target: { value: 'gpt-4o-mini' } })

    const stripe = await screen.findByRole('group', { name: /Stripe/ })
    expect((within(stripe).getByRole('checkbox', { name: 'List invoices' }) as HTMLInputElement).disabled).toBe(true)
    expect(within(stripe).getByRole('link', { name: 'Connect Stripe first' }).getAttribute('href')).toBe('/dashboard/connectors/stripe')

    const hub = screen.getByRole('group', { name: /HubSpot/ })
    fireEvent.click(within(hub).getByRole('checkbox', { name: 'Create contact' }))
    fireEvent.click(within(hub).getByRole('checkbox', { name: 'Search contacts' }))
    expect((within(hub).getByLabelText('Approval for Create contact') as HTMLSelectElement).value).toBe('required')
    expect((within(hub).getByLabelText('Approval for Search contacts') as HTMLSelectElement).value).toBe('auto')
    fireEvent.change(within(hub).getByLabelText('Account for Create contact'), { target: { value: 'c2' } })

    fireEvent.click(screen.getByRole('checkbox', { name: 'Brand voice' }))
    expect(screen.getByText('search_knowledge')).toBeTruthy()

    const slider = screen.getByRole('slider', { name: 'Creativity' }) as HTMLInputElement
    expect(slider.max).toBe('2')
    fireEvent.change(slider, { target: { value: '0.2' } })
    expect(slider.getAttribute('aria-valuetext')).toBe('0.2, precise')

    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Create agent' }))
    })
    expect(bodies).toEqual([
      {
        name: 'Sales',
        role: '',
        goal: '',
        backstory: '',
        instructions: '',
        llm: { provider: 'openai', model: 'gpt-4o-mini', base_url: '', input_price_per_mtok: 0, output_price_per_mtok: 0 },
        temperature: 0.2,
        max_steps: 10,
        token_budget: 100000,
        tools: [
          { action: 'hubspot.create_contact', connection_id: 'c2', approval: 'required' },
          { action: 'hubspot.search_contacts', connection_id: 'c1', approval: 'auto' },
        ],
        knowledge_base_ids: ['kb1'],
      },
    ])
    const account = within(hub).getByLabelText('Account for Create contact')
    expect(account.getAttribute('aria-invalid')).toBe('true')
    const errId = account.getAttribute('aria-describedby')!.split(' ')[0]
    expect(document.getElementById(errId)?.textContent).toMatch(/EU CRM" is expired/)
    const kb = screen.getByRole('checkbox', { name: 'Brand voice' })
    expect(document.getElementById(kb.getAttribute('aria-describedby')!)?.textContent).toMatch(/not found/)
    expect((screen.getByLabelText(/^Name/) as HTMLInputElement).value).toBe('Sales')
  })

  it('shows viewers the form without write buttons', async () => {
    mount('/dashboard/agents/new', 'viewer')
    expect(await screen.findByText(/Your role can view agents but not create them/)).toBeTruthy()
    await screen.findByRole('group', { name: /HubSpot/ })
    expect(screen.queryByRole('button', { name: 'Create agent' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'New knowledge base' })).toBeNull()
  })
})
