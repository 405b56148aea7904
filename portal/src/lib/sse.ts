// A text/event-stream parser, after the WHATWG "server-sent events"
// algorithm. EventSource cannot send the Authorization header, so the portal
// fetches the stream and feeds its text here. Pure and unit-tested.

/** SSEMessage is one dispatched event of a stream. */
export interface SSEMessage {
  /** type is the event field, "message" when the event named none. */
  type: string
  /** data is the data lines joined by "\n". */
  data: string
  /** id is the last event id seen so far ("" when none). */
  id: string
}

/**
 * SSEParser turns chunks of a text/event-stream into messages. Lines may end
 * in CRLF, LF or CR, even split across chunks; comments (":…") are ignored;
 * an event without data is not dispatched; an unfinished event at the end of
 * the stream is dropped.
 */
export class SSEParser {
  /** lastEventId is the id a reconnect sends as Last-Event-ID. */
  lastEventId = ''
  /** retry is the reconnection time the server asked for, in ms. */
  retry: number | undefined
  private line = ''
  private data = ''
  private hasData = false
  private type = ''
  private started = false
  private afterCR = false
  private readonly onMessage: (m: SSEMessage) => void

  constructor(onMessage: (m: SSEMessage) => void) {
    this.onMessage = onMessage
  }

  /** push feeds the next decoded chunk of the stream. */
  push(chunk: string) {
    let text = chunk
    if (!this.started && text.length > 0) {
      this.started = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10 /* \n */ && this.afterCR) {
        // the LF of a CRLF whose CR ended the previous line
        this.afterCR = false
        start = i + 1
        continue
      }
      this.afterCR = false
      if (c === 10 || c === 13) {
        this.line += text.slice(start, i)
        this.processLine(this.line)
        this.line = ''
        start = i + 1
        if (c === 13) this.afterCR = true
      }
    }
    this.line += text.slice(start)
  }

  /** end drops what is left of an unfinished event. */
  end() {
    this.line = ''
    this.data = ''
    this.hasData = false
    this.type = ''
    this.afterCR = false
  }

  private processLine(line: string) {
    if (line === '') {
      this.dispatch()
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    let field = line
    let value = ''
    if (colon >= 0) {
      field = line.slice(0, colon)
      value = line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
    }
    switch (field) {
      case 'event':
        this.type = value
        break
      case 'data':
        this.data += (this.hasData ? '\n' : '') + value
        this.hasData = true
        break
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value)
        break
      default:
      // unknown fields are ignored
    }
  }

  private dispatch() {
    if (!this.hasData) {
      this.type = ''
      return
    }
    const m: SSEMessage = { type: this.type || 'message', data: this.data, id: this.lastEventId }
    this.data = ''
    this.hasData = false
    this.type = ''
    this.onMessage(m)
  }
}

/**
 * readEventStream reads a fetch body to its end through a parser. It
 * resolves when the server closes the stream and rejects when the read
 * fails (a dropped connection, or an abort).
 */
export async function readEventStream(body: ReadableStream<Uint8Array>, parser: SSEParser): Promise<void> {
  const reader = body.getReader()
  const decoder = new TextDecoder('utf-8')
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      parser.push(decoder.decode(value, { stream: true }))
    }
    parser.push(decoder.decode())
  } finally {
    parser.end()
    reader.releaseLock()
  }
}

/**
 * reconnectDelay is how long to wait before reconnecting after the given
 * number of failed attempts in a row: the server's retry (or 1 s), doubled
 * each time, at most 15 s.
 */
export function reconnectDelay(attempt: number, retry?: number): number {
  const base = retry !== undefined && retry > 0 ? retry : 1000
  return Math.min(base * 2 ** Math.max(0, attempt), 15_000)
}
