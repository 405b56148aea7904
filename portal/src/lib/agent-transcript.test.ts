import { describe, expect, it } from 'vitest'
import type { AgentRun, RunEvent } from '../api/agents'
import {
  applyStreamEvent,
  costLabel,
  emptyStream,
  failureAdvice,
  foldTranscript,
  liveStatus,
  mergeStored,
  pendingApprovals,
  prettyJSON,
  runStats,
  runStatusLabel,
  callStatusLabel,
  truncate,
  elapsed,
} from './agent-transcript'

let seq = 0
function ev(type: string, data: unknown, s?: number): RunEvent {
  return { run_id: 'r1', seq: s ?? ++seq, type, data, at: '2026-01-01T00:00:00Z' }
}
const tok = (text: string): RunEvent => ({ run_id: 'r1', seq: 0, type: 'token', data: { text }, at: '' })

describe('applyStreamEvent', () => {
  it('grows the draft with tokens and drops it when the answer is stored', () => {
    let s = applyStreamEvent(emptyStream, tok('Hel'))
    s = applyStreamEvent(s, tok('lo'))
    expect(s.draft).toBe('Hello')
    expect(s.events).toHaveLength(0)
    s = applyStreamEvent(s, ev('llm', { step: 1 }, 7))
    s = applyStreamEvent(s, ev('message', { role: 'assistant', content: 'Hello', step: 1 }, 8))
    expect(s.draft).toBe('')
    expect(s.lastSeq).toBe(8)
    expect(s.events.map((e) => e.seq)).toEqual([7, 8])
  })

  it('ignores stored events seen before and answers the same state', () => {
    const s = applyStreamEvent(emptyStream, ev('status', { status: 'running' }, 3))
    expect(applyStreamEvent(s, ev('status', { status: 'running' }, 3))).toBe(s)
    expect(applyStreamEvent(s, ev('message', { role: 'user' }, 2))).toBe(s)
    expect(applyStreamEvent(s, tok(''))).toBe(s)
  })

  it('ends on "end" and clears the draft', () => {
    const s = applyStreamEvent(applyStreamEvent(emptyStream, tok('x')), { run_id: 'r1', seq: 0, type: 'end', data: {}, at: '' })
    expect(s.ended).toBe(true)
    expect(s.draft).toBe('')
  })

  it('merges a transcript page out of order', () => {
    const s = mergeStored(emptyStream, [ev('a', {}, 3), ev('b', {}, 1), ev('c', {}, 2)])
    expect(s.events.map((e) => e.seq)).toEqual([1, 2, 3])
    expect(s.lastSeq).toBe(3)
  })
})

describe('foldTranscript', () => {
  it('folds messages, usage, approvals and statuses', () => {
    const events = [
      ev('status', { status: 'running' }),
      ev('message', { role: 'system', content: 'You are…' }),
      ev('message', { role: 'user', content: 'Add Ann' }),
      ev('llm', { step: 1, model: 'm', prompt_tokens: 10, completion_tokens: 5, latency_ms: 300, cost_usd: 0.001 }),
      ev('message', { role: 'assistant', step: 1, tool_calls: [{ id: 's1_0', name: 'hubspot_create_contact', arguments: { email: 'a@x' } }] }),
      ev('tool_call', { call_id: 's1_0' }),
      ev('approval_required', { call_id: 's1_0', tool: 'hubspot_create_contact', input: {} }),
      ev('status', { status: 'waiting_approval' }),
      ev('approval', { call_id: 's1_0', approved: true, by: 'user:1', comment: 'ok' }),
      ev('status', { status: 'running' }),
      ev('tool_result', { call_id: 's1_0' }),
      ev('message', { role: 'tool', name: 'hubspot_create_contact', tool_call_id: 's1_0', content: '{"id":1}' }),
      ev('message', { role: 'assistant', step: 2, content: 'Done.' }),
      ev('status', { status: 'succeeded' }),
    ]
    const items = foldTranscript(events, '')
    expect(items.map((i) => i.kind)).toEqual(['note', 'system', 'user', 'assistant', 'note', 'note', 'note', 'note', 'tool', 'assistant', 'note'])
    const first = items[3]
    expect(first.kind === 'assistant' && first.usage?.prompt_tokens).toBe(10)
    expect(first.kind === 'assistant' && first.calls[0].name).toBe('hubspot_create_contact')
    expect(items.filter((i) => i.kind === 'note').map((i) => (i as { text: string }).text)).toEqual([
      'Run started',
      'hubspot_create_contact waits for approval',
      'Paused: waiting for a person to approve a tool call',
      'Approved by user:1: “ok”',
      'Resumed',
      'Run succeeded',
    ])
  })

  it('appends the draft and names a failure', () => {
    const items = foldTranscript([ev('status', { status: 'failed', error: 'step 1 (model): refused' })], 'partial')
    expect(items[0]).toMatchObject({ kind: 'note', tone: 'bad', text: 'Run failed: step 1 (model): refused' })
    expect(items[1]).toEqual({ kind: 'draft', key: 'draft', text: 'partial' })
  })

  it('survives odd data', () => {
    expect(foldTranscript([ev('message', null), ev('approval', 'x'), ev('status', [])])).toEqual([{ kind: 'note', key: expect.any(String), text: 'Rejected', tone: 'bad', at: expect.any(String) }])
  })
})

describe('pendingApprovals', () => {
  const run = (status: AgentRun['status'], pending: AgentRun['pending_calls'] = []) => ({ status, pending_calls: pending })

  it('unites the run and the stream, less decided calls', () => {
    const fromRun = { run_id: 'r1', call_id: 'a', tool: 't_a', input: { x: 1 }, status: 'waiting_approval' as const, needs_approval: true, latency_ms: 0, created_at: '' }
    const events = [ev('approval_required', { call_id: 'a', tool: 't_a', input: { x: 1 } }), ev('approval_required', { call_id: 'b', tool: 't_b', input: {} })]
    expect(pendingApprovals(run('waiting_approval', [fromRun]), events).map((c) => c.call_id)).toEqual(['a', 'b'])
    const decided = [...events, ev('approval', { call_id: 'a', approved: false })]
    expect(pendingApprovals(run('waiting_approval', [fromRun]), decided).map((c) => c.call_id)).toEqual(['b'])
  })

  it('is empty once the run has ended', () => {
    const events = [ev('approval_required', { call_id: 'a', tool: 't' })]
    expect(pendingApprovals(run('cancelled'), events)).toEqual([])
    expect(pendingApprovals(run('waiting_approval'), [...events, ev('status', { status: 'failed' })])).toEqual([])
  })
})

describe('liveStatus', () => {
  it('prefers the stream unless the run has ended', () => {
    expect(liveStatus({ status: 'running' }, [ev('status', { status: 'waiting_approval' })])).toBe('waiting_approval')
    expect(liveStatus({ status: 'succeeded' }, [ev('status', { status: 'running' })])).toBe('succeeded')
    expect(liveStatus({ status: 'running' }, [])).toBe('running')
  })
})

describe('runStats', () => {
  it('adds up model calls and tool latency and measures the duration', () => {
    const r = { steps: 1, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0, started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:00:04Z' } as AgentRun
    const s = runStats(r, [ev('llm', { prompt_tokens: 10, completion_tokens: 5, latency_ms: 200 }), ev('llm', { prompt_tokens: 20, completion_tokens: 2, latency_ms: 300, cost_usd: 0.5 })], [
      { latency_ms: 40 } as never,
    ])
    expect(s).toEqual({ steps: 2, promptTokens: 30, completionTokens: 7, totalTokens: 37, costUSD: 0.5, modelLatencyMs: 500, toolLatencyMs: 40, durationMs: 4000 })
  })

  it('runs to now while unfinished', () => {
    const r = { steps: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0, started_at: '2026-01-01T00:00:00Z' } as AgentRun
    expect(runStats(r, [], [], Date.parse('2026-01-01T00:01:00Z')).durationMs).toBe(60_000)
  })
})

describe('formatting', () => {
  it('labels costs', () => {
    expect(costLabel(0)).toBe('not priced')
    expect(costLabel(0.00123)).toBe('$0.0012')
    expect(costLabel(1.5)).toBe('$1.50')
  })

  it('advises on failures', () => {
    expect(failureAdvice('loop guard: the agent took its maximum of 10 steps without answering')).toMatch(/Max steps/)
    expect(failureAdvice('loop guard: the run used 5 tokens, over its budget of 4')).toMatch(/token budget/)
    expect(failureAdvice('step 2 (model): 401')).toMatch(/API key/)
    expect(failureAdvice(undefined)).toMatch(/transcript/)
  })

  it('pretty-prints JSON values and JSON strings', () => {
    expect(prettyJSON({ a: 1 })).toBe('{\n  "a": 1\n}')
    expect(prettyJSON('{"a":1}')).toBe('{\n  "a": 1\n}')
    expect(prettyJSON('plain')).toBe('plain')
    expect(prettyJSON(undefined)).toBe('—')
  })
})

describe('labels', () => {
  it('names statuses and shortens text', () => {
    expect(runStatusLabel('waiting_approval')).toBe('Waiting for approval')
    expect(runStatusLabel(undefined)).toBe('Unknown')
    expect(callStatusLabel('skipped')).toBe('Skipped (repeat)')
    expect(truncate('a  b\nc', 10)).toBe('a b c')
    expect(truncate('abcdefghijkl', 5)).toBe('abcd…')
  })
})

describe('elapsed', () => {
  it('formats short and long durations', () => {
    expect(elapsed(undefined)).toBe('—')
    expect(elapsed(0)).toBe('0 ms')
    expect(elapsed(4200)).toBe('4.2 s')
    expect(elapsed(185_000)).toBe('3 min 5 s')
    expect(elapsed(2 * 3600_000 + 5 * 60_000)).toBe('2 h 5 min')
    expect(elapsed(3 * 86_400_000 + 4 * 3600_000 + 1000)).toBe('3 d 4 h')
  })
})
