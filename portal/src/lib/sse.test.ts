import { describe, expect, it } from 'vitest'
import { readEventStream, reconnectDelay, SSEParser, type SSEMessage } from './sse'

function parse(...chunks: string[]) {
  const out: SSEMessage[] = []
  const p = new SSEParser((m) => out.push(m))
  for (const c of chunks) p.push(c)
  return { out, p }
}

describe('SSEParser', () => {
  it('dispatches events with type, data and id', () => {
    const { out, p } = parse('id: 3\nevent: message\ndata: {"a":1}\n\nevent: token\ndata: {"text":"Hi"}\n\n')
    expect(out).toEqual([
      { type: 'message', data: '{"a":1}', id: '3' },
      { type: 'token', data: '{"text":"Hi"}', id: '3' },
    ])
    expect(p.lastEventId).toBe('3')
  })

  it('names untyped events "message" and joins data lines', () => {
    const { out } = parse('data: one\ndata: two\ndata\n\n')
    expect(out).toEqual([{ type: 'message', data: 'one\ntwo\n', id: '' }])
  })

  it('handles CRLF and CR line ends, even split across chunks', () => {
    const { out } = parse('event: a\r', '\ndata: 1\r\n\r', '\nevent: b\rdata: 2\r\r')
    expect(out.map((m) => [m.type, m.data])).toEqual([
      ['a', '1'],
      ['b', '2'],
    ])
  })

  it('reassembles events split anywhere', () => {
    const text = 'id: 12\nevent: status\ndata: {"status":"running"}\n\n'
    for (let cut = 1; cut < text.length; cut++) {
      const { out } = parse(text.slice(0, cut), text.slice(cut))
      expect(out).toEqual([{ type: 'status', data: '{"status":"running"}', id: '12' }])
    }
  })

  it('ignores comments, unknown fields and events without data', () => {
    const { out } = parse(': keep-alive\n\nfoo: bar\nevent: x\n\ndata: y\n\n')
    expect(out).toEqual([{ type: 'message', data: 'y', id: '' }])
  })

  it('keeps only one leading space of a value and a field without colon', () => {
    const { out } = parse('data:  two spaces\ndata:none\n\n')
    expect(out[0].data).toBe(' two spaces\nnone')
  })

  it('reads retry and ignores ids with NUL', () => {
    const { p } = parse('retry: 2500\nid: 5\n\nid: a\u0000b\nretry: soon\n\n')
    expect(p.retry).toBe(2500)
    expect(p.lastEventId).toBe('5')
  })

  it('drops an unfinished event at the end and strips a BOM', () => {
    const out: SSEMessage[] = []
    const p = new SSEParser((m) => out.push(m))
    p.push('\ufeffdata: first\n\ndata: half')
    p.end()
    p.push('\n\n')
    expect(out).toEqual([{ type: 'message', data: 'first', id: '' }])
  })
})

describe('readEventStream', () => {
  it('decodes a byte stream, multi-byte characters split between chunks', async () => {
    const bytes = new TextEncoder().encode('event: token\ndata: {"text":"héllo ✓"}\n\n')
    const split = 22 // inside "é"
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, split))
        c.enqueue(bytes.slice(split))
        c.close()
      },
    })
    const out: SSEMessage[] = []
    await readEventStream(body, new SSEParser((m) => out.push(m)))
    expect(out).toEqual([{ type: 'token', data: '{"text":"héllo ✓"}', id: '' }])
  })
})

describe('reconnectDelay', () => {
  it('backs off from the server retry, capped at 15 s', () => {
    expect(reconnectDelay(0)).toBe(1000)
    expect(reconnectDelay(1)).toBe(2000)
    expect(reconnectDelay(3, 500)).toBe(4000)
    expect(reconnectDelay(10)).toBe(15_000)
  })
})
