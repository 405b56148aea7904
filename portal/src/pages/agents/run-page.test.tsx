import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { Route, Router } from 'wouter'
import { memoryLocation } from 'wouter/memory-location'
import { SessionProvider } from '../../session'
import AgentsRoutes from './index'

const enc = new TextEncoder()
const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json' } })
const sse = (type: string, e: Record<string, unknown>) => `${e.seq ? `id: ${e.seq}\n` : ''}event: ${type}\ndata: ${JSON.stringify({ run_id: 'r1', at: '2026-01-01T00:00:00Z', ...e, type })}\n\n`

const call = { run_id: 'r1', call_id: 's1_0', tool: 'hubspot_create_contact', action: 'hubspot.create_contact', connection_id: 'c1', input: { email: 'ann@example.com' }, status: 'waiting_approval', needs_approval: true, latency_ms: 0, created_at: '2026-01-01T00:00:00Z' }
const run = {
  id: 'r1',
  agent_id: 'a1',
  status: 'running',
  input: 'Add Ann',
  agent: { name: 'Sales', max_steps: 10, token_budget: 1000, llm: { model: 'm' } },
  steps: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  cost_usd: 0,
  citations: null,
  trigger: 'api',
  started_at: '2026-01-01T00:00:00Z',
}

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

function mount(path: string) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  const { hook } = memoryLocation({ path })
  return render(
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
}

function session(url: string) {
  if (url === '/session/refresh') return json({ access_token: 't', expires_in: 900 })
  if (url === '/auth/me') return json({ user: { id: 'u1', email: 'u@x', super_admin: false }, tenant_id: 'ten', role: 'member', memberships: [] })
  return undefined
}

describe('run page', () => {
  it('streams tokens, resumes with Last-Event-ID, and sends an approval', async () => {
    const decisions: unknown[] = []
    let streams = 0
    let resumeFrom: string | null = null
    let secondStream: ReadableStreamDefaultController<Uint8Array> | undefined
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const url = String(input)
      const s = session(url)
      if (s) return s
      const headers = new Headers(init?.headers)
      if (url === '/api/v1/runs/r1') return json(streams > 1 ? { ...run, status: 'waiting_approval', pending_calls: [call] } : run)
      if (url === '/api/v1/runs/r1/tool-calls') return json({ items: streams > 1 ? [call] : [] })
      if (url.startsWith('/api/v1/connections')) return json({ items: [{ id: 'c1', provider: 'hubspot', name: 'Main CRM', status: 'connected' }] })
      if (url === '/api/v1/runs/r1/transcript')
        return json({
          items: [
            { run_id: 'r1', seq: 1, type: 'status', data: { status: 'running' }, at: run.started_at },
            { run_id: 'r1', seq: 2, type: 'message', data: { role: 'system', content: 'sys' }, at: run.started_at },
            { run_id: 'r1', seq: 3, type: 'message', data: { role: 'user', content: 'Add Ann' }, at: run.started_at },
          ],
        })
      if (url === '/api/v1/runs/r1/events') {
        streams++
        if (streams === 1) {
          expect(headers.get('Last-Event-ID')).toBe('3')
          const body = new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(enc.encode(sse('token', { seq: 0, data: { text: 'Let me ' } })))
              c.enqueue(enc.encode(sse('token', { seq: 0, data: { text: 'add her.' } })))
              c.close() // a dropped connection
            },
          })
          return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } })
        }
        resumeFrom = headers.get('Last-Event-ID')
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            secondStream = c
            c.enqueue(enc.encode(sse('llm', { seq: 4, data: { step: 1, model: 'm', prompt_tokens: 12, completion_tokens: 3, latency_ms: 250 } })))
            c.enqueue(enc.encode(sse('message', { seq: 5, data: { role: 'assistant', step: 1, content: 'Let me add her.', tool_calls: [{ id: 's1_0', name: call.tool }] } })))
            c.enqueue(enc.encode(sse('approval_required', { seq: 6, data: { call_id: 's1_0', tool: call.tool, action: call.action, connection_id: 'c1', input: call.input } })))
            c.enqueue(enc.encode(sse('status', { seq: 7, data: { status: 'waiting_approval' } })))
          },
        })
        return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } })
      }
      if (url === '/api/v1/runs/r1/approvals') {
        decisions.push(JSON.parse(String(init?.body)))
        return json({ ...call, decided_by: 'user:u1' }, 202)
      }
      return json({ title: 'not found' }, 404)
    })

    mount('/dashboard/agents/a1/runs/r1')
    expect(await screen.findByText('Add Ann')).toBeTruthy()
    expect((await screen.findByTestId('streaming-answer')).textContent).toContain('Let me add her.')

    await waitFor(() => expect(resumeFrom).toBe('3'), { timeout: 4000 })
    const approve = await screen.findByRole('button', { name: 'Approve' }, { timeout: 4000 })
    expect(screen.queryByTestId('streaming-answer')).toBeNull()
    expect(screen.getByRole('region', { name: call.tool })).toBeTruthy()
    // the connection's name comes from its own query, which may land later
    expect(await screen.findByText(/Main CRM/, undefined, { timeout: 4000 })).toBeTruthy()
    fireEvent.change(screen.getByLabelText('Reason (optional)'), { target: { value: 'looks right' } })
    await act(async () => {
      fireEvent.click(approve)
    })
    await waitFor(() => expect(decisions).toEqual([{ call_id: 's1_0', decision: 'approve', comment: 'looks right' }]))
    expect(await screen.findByText(/waiting for the run to record it/)).toBeTruthy()

    // the decision lands: the request leaves the page
    await act(async () => {
      secondStream?.enqueue(enc.encode(sse('approval', { seq: 8, data: { call_id: 's1_0', approved: true, by: 'user:u1' } })))
    })
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull())
    expect(screen.getByText('Approved by user:u1')).toBeTruthy()
  }, 10_000)
})
