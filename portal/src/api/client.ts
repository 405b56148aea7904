// The portal's HTTP client: JSON in and out, the access token in memory,
// one shared refresh when it expires, and RFC 9457 problems as ApiError.

/** A problem+json answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: string
  readonly fields: Record<string, string>
  readonly requestId?: string

  constructor(status: number, code: string, detail: string, fields: Record<string, string> = {}, requestId?: string) {
    super(detail)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.detail = detail
    this.fields = fields
    this.requestId = requestId
  }
}

/** Problem is the body of an error answer (RFC 9457 plus the hub's fields). */
interface Problem {
  title?: string
  detail?: string
  code?: string
  status?: number
  request_id?: string
  errors?: Record<string, string>
}

let accessToken: string | null = null
let refreshing: Promise<boolean> | null = null
let onSessionLost: () => void = () => {}

/** setAccessToken replaces the token sent with every call. */
export function setAccessToken(token: string | null) {
  accessToken = token
}

/** hasAccessToken says whether a session is open in this tab. */
export function hasAccessToken() {
  return accessToken !== null
}

/** onSessionEnd registers what to do when the session cannot be renewed. */
export function onSessionEnd(fn: () => void) {
  onSessionLost = fn
}

/** toApiError turns a failed answer into an ApiError. */
export async function toApiError(res: Response): Promise<ApiError> {
  let p: Problem = {}
  try {
    p = (await res.json()) as Problem
  } catch {
    // not JSON: keep the status line
  }
  const detail = p.detail || p.title || res.statusText || `Request failed (${res.status})`
  return new ApiError(res.status, p.code ?? 'error', detail, p.errors ?? {}, p.request_id)
}

/** TokenAnswer is what the portal's session endpoints answer. */
export interface TokenAnswer {
  access_token: string
  expires_in: number
}

/**
 * refreshSession renews the access token from the session cookie, optionally
 * moving the session to another tenant. Concurrent callers share one request.
 */
export function refreshSession(tenantId?: string): Promise<boolean> {
  if (refreshing && !tenantId) return refreshing
  const p = (async () => {
    try {
      const res = await fetch('/session/refresh', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(tenantId ? { tenant_id: tenantId } : {}),
      })
      if (!res.ok) {
        if (tenantId) throw await toApiError(res)
        setAccessToken(null)
        return false
      }
      const t = (await res.json()) as TokenAnswer
      setAccessToken(t.access_token)
      return true
    } finally {
      refreshing = null
    }
  })()
  refreshing = p
  return p
}

/** RequestOptions are the options of api(). */
export interface RequestOptions {
  method?: string
  body?: unknown
  /** form sends a multipart body instead of JSON. */
  form?: FormData
  headers?: Record<string, string>
  signal?: AbortSignal
}

/** api calls the hub and decodes its JSON answer; errors are ApiError. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts)
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/** send makes the request, renewing the session once on a 401. */
export async function send(path: string, opts: RequestOptions = {}, retried = false): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers }
  let body: BodyInit | undefined
  if (opts.form) {
    body = opts.form
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`
  let res: Response
  try {
    res = await fetch(path, { method: opts.method ?? 'GET', headers, body, signal: opts.signal, credentials: 'same-origin' })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError(0, 'network', 'The hub cannot be reached. Check your connection and try again.')
  }
  if (res.status === 401 && !retried && accessToken) {
    if (await refreshSession()) return send(path, opts, true)
    onSessionLost()
  }
  if (!res.ok) throw await toApiError(res)
  return res
}

/** Page is a list answer of the API. */
export interface Page<T> {
  items: T[]
  next_cursor?: string
}

/** qs builds a query string from the defined values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v))
  }
  const s = u.toString()
  return s ? `?${s}` : ''
}
