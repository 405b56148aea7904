// Queries of the super admin's screens: tenants, users, audit, system health.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, qs, type Page } from './client'
import type { Membership, Role, Tenant } from './types'

/** AuditEntry is one recorded change. */
export interface AuditEntry {
  id: number
  tenant_id?: string
  actor_type: string
  actor_id: string
  action: string
  target_type: string
  target_id: string
  request_id: string
  ip: string
  details?: Record<string, unknown>
  created_at: string
}

/** ComponentHealth is the state of one part of the system. */
export interface ComponentHealth {
  name: string
  status: 'ok' | 'degraded' | 'down'
  latency_ms?: number
  detail?: string
}

/** ServiceWindow is a service's request figures over a window. */
export interface ServiceWindow {
  service: string
  window_minutes: number
  request_rate: number
  p95_ms: number
  error_rate: number
}

/** SeriesPoint is one minute of a service's requests. */
export interface SeriesPoint {
  at: string
  request_rate: number
  p95_ms: number
  error_rate: number
}

/** ProviderHealth is one platform's upstream calls and connections. */
export interface ProviderHealth {
  provider: string
  call_rate: number
  error_rate: number
  rate_limited: number
  p95_ms: number
  expired_connections: number
  error_connections: number
  connections: number
}

/** SystemHealth is GET /api/v1/admin/health. */
export interface SystemHealth {
  generated_at: string
  status: 'ok' | 'degraded' | 'down'
  components: ComponentHealth[]
  services: ServiceWindow[]
  series: Record<string, SeriesPoint[]>
  temporal?: { task_queue: string; pollers: number; backlog: number; failed_workflows_1h: number; detail?: string }
  webhooks?: { delivery_backlog: number; deliveries_1h: number; failed_1h: number; failure_rate_1h: number }
  providers: ProviderHealth[]
}

/** allPages follows next_cursor to the end (lists of tenants are short). */
async function allPages<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = []
  let cursor: string | undefined
  do {
    const sep = path.includes('?') ? '&' : '?'
    const page = await api<Page<T>>(`${path}${sep}${qs({ limit: 200, cursor }).slice(1)}`, { signal })
    out.push(...page.items)
    cursor = page.next_cursor || undefined
  } while (cursor)
  return out
}

/** useTenants lists every tenant (super admin). */
export function useTenants() {
  return useQuery({ queryKey: ['tenants'], queryFn: ({ signal }) => allPages<Tenant>('/tenants', signal) })
}

/** useCreateTenant creates a tenant. */
export function useCreateTenant() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (req: { name: string; slug: string }) => api<Tenant>('/tenants', { method: 'POST', body: req }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['tenants'] }),
  })
}

/** useSetTenantStatus suspends or reactivates a tenant, showing the change at once. */
export function useSetTenantStatus() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, status }: { id: string; status: Tenant['status'] }) => api<Tenant>(`/tenants/${id}`, { method: 'PATCH', body: { status } }),
    onMutate: async ({ id, status }) => {
      await qc.cancelQueries({ queryKey: ['tenants'] })
      const before = qc.getQueryData<Tenant[]>(['tenants'])
      qc.setQueryData<Tenant[]>(['tenants'], (list) => list?.map((t) => (t.id === id ? { ...t, status } : t)))
      return { before }
    },
    onError: (_e, _v, ctx) => qc.setQueryData(['tenants'], ctx?.before),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['tenants'] }),
  })
}

/** useMembers lists a tenant's users. */
export function useMembers(tenantId: string) {
  return useQuery({
    queryKey: ['members', tenantId],
    enabled: !!tenantId,
    queryFn: ({ signal }) => allPages<Membership>(`/tenants/${tenantId}/users`, signal),
  })
}

/** useAddMember adds a new or existing account to a tenant with a role. */
export function useAddMember(tenantId: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (req: { email: string; password?: string; role: Role }) => api<Membership>(`/tenants/${tenantId}/users`, { method: 'POST', body: req }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['members', tenantId] }),
  })
}

/** useAudit pages through a tenant's audit log, newest first. */
export function useAudit(tenantId: string) {
  return useInfiniteQuery({
    queryKey: ['audit', tenantId],
    enabled: !!tenantId,
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) => api<Page<AuditEntry>>(`/tenants/${tenantId}/audit${qs({ limit: 50, cursor: pageParam })}`, { signal }),
    getNextPageParam: (last) => last.next_cursor || undefined,
  })
}

/** useSystemHealth polls the health report every 10 seconds. */
export function useSystemHealth() {
  return useQuery({
    queryKey: ['system-health'],
    queryFn: ({ signal }) => api<SystemHealth>('/api/v1/admin/health', { signal }),
    refetchInterval: 10_000,
    staleTime: 5_000,
  })
}
