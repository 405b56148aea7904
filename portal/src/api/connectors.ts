// Queries and mutations of connectors and connections.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, qs, type Page } from './client'
import type { Connection, Connector } from './types'

/** ConnectionCheck is one recorded live check of a connection. */
export interface ConnectionCheck {
  id: string
  connection_id: string
  checked_at: string
  status: Connection['status']
  ok: boolean
  error?: string
  latency_ms: number
  source: 'test' | 'scheduled' | 'connect' | string
}

export const connectorKeys = {
  all: ['connectors'] as const,
  connections: (provider?: string) => ['connections', provider ?? 'all'] as const,
  checks: (id: string) => ['connection-checks', id] as const,
}

/** useConnectors lists the 13 platforms with the tenant's state. */
export function useConnectors() {
  return useQuery({ queryKey: connectorKeys.all, queryFn: ({ signal }) => api<Page<Connector>>('/api/v1/connectors', { signal }) })
}

/** useConnector is one platform. */
export function useConnector(id: string) {
  return useQuery({ queryKey: [...connectorKeys.all, id], queryFn: ({ signal }) => api<Connector>(`/api/v1/connectors/${encodeURIComponent(id)}`, { signal }) })
}

/** useConnections lists connections, optionally of one provider (all pages). */
export function useConnections(provider?: string) {
  return useQuery({
    queryKey: connectorKeys.connections(provider),
    queryFn: async ({ signal }) => {
      const out: Connection[] = []
      let cursor: string | undefined
      do {
        const page = await api<Page<Connection>>(`/api/v1/connections${qs({ provider, limit: 200, cursor })}`, { signal })
        out.push(...page.items)
        cursor = page.next_cursor || undefined
      } while (cursor)
      return out
    },
  })
}

/** useConnectionChecks is a connection's health history, newest first. */
export function useConnectionChecks(id: string) {
  return useQuery({
    queryKey: connectorKeys.checks(id),
    queryFn: ({ signal }) => api<Page<ConnectionCheck>>(`/api/v1/connections/${id}/checks?limit=20`, { signal }),
  })
}

/** ConnectRequest is the body of POST /api/v1/connections. */
export interface ConnectRequest {
  provider: string
  name: string
  config: Record<string, string>
  credentials: Record<string, string>
}

function useInvalidateConnections() {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: connectorKeys.all })
    void qc.invalidateQueries({ queryKey: ['connections'] })
    void qc.invalidateQueries({ queryKey: ['connection-checks'] })
  }
}

/** useConnect connects with an API key; the hub checks it live first. */
export function useConnect() {
  const invalidate = useInvalidateConnections()
  return useMutation({
    mutationFn: (req: ConnectRequest) => api<Connection>('/api/v1/connections', { method: 'POST', body: req }),
    onSuccess: invalidate,
  })
}

/** useTestConnection checks a connection live and records the outcome. */
export function useTestConnection() {
  const invalidate = useInvalidateConnections()
  return useMutation({
    mutationFn: (id: string) => api<Connection>(`/api/v1/connections/${id}/test`, { method: 'POST' }),
    onSettled: invalidate,
  })
}

/** useDisconnect deletes a connection, removing it from the lists at once. */
export function useDisconnect(provider: string) {
  const qc = useQueryClient()
  const invalidate = useInvalidateConnections()
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/connections/${id}`, { method: 'DELETE' }),
    onMutate: async (id) => {
      const key = connectorKeys.connections(provider)
      await qc.cancelQueries({ queryKey: key })
      const before = qc.getQueryData<Connection[]>(key)
      qc.setQueryData<Connection[]>(key, (list) => list?.filter((c) => c.id !== id))
      return { before, key }
    },
    onError: (_err, _id, ctx) => {
      if (ctx) qc.setQueryData(ctx.key, ctx.before)
    },
    onSettled: invalidate,
  })
}

/** AuthorizeAnswer is GET /api/v1/oauth/{provider}/authorize. */
export interface AuthorizeAnswer {
  authorize_url: string
  state?: string
}

/** startOAuth asks the hub for the platform's authorization URL. */
export function startOAuth(provider: string, params: { name?: string; connectionId?: string; returnTo: string; config: Record<string, string> }) {
  const q: Record<string, string> = { return_to: params.returnTo }
  if (params.name) q.name = params.name
  if (params.connectionId) q.connection_id = params.connectionId
  for (const [k, v] of Object.entries(params.config)) q[`config.${k}`] = v
  return api<AuthorizeAnswer>(`/api/v1/oauth/${encodeURIComponent(provider)}/authorize${qs(q)}`)
}
