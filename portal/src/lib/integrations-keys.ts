// Pure logic of the API keys screen: the scopes a key may carry, the
// create form's request and a key's state.
import type { ApiKey, CreateApiKeyRequest } from '../api/integrations'

/** scopeResources are the hub's resources (hub.Resources) with what they cover. */
export const scopeResources: { id: string; label: string }[] = [
  { id: 'connections', label: 'Connections (accounts, proxy, actions)' },
  { id: 'connectors', label: 'Connector catalogue' },
  { id: 'events', label: 'Event log' },
  { id: 'webhooks', label: 'Outbound webhooks' },
  { id: 'rules', label: 'Automation rules' },
  { id: 'agents', label: 'AI agents and runs' },
  { id: 'knowledge', label: 'Knowledge bases' },
  { id: 'playbooks', label: 'Playbooks' },
  { id: 'users', label: 'Users' },
  { id: 'api-keys', label: 'API keys' },
  { id: 'audit', label: 'Audit log' },
  { id: 'profile', label: 'Profile' },
  { id: 'tenants', label: 'Tenant' },
]

/** ALL_READ is the scope that reads every resource. */
export const ALL_READ = '*:read'

/** expiryOptions are the lifetimes offered for a new key ("" never expires). */
export const expiryOptions: { value: string; label: string }[] = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: '', label: 'Never' },
]

/**
 * toggleScope turns one scope on or off. Write does not include read at
 * the hub, so turning write on turns the resource's read on too.
 */
export function toggleScope(scopes: string[], scope: string, on: boolean): string[] {
  const set = new Set(scopes)
  if (on) {
    set.add(scope)
    const [res, act] = scope.split(':')
    if (act === 'write' && res !== '*') set.add(`${res}:read`)
  } else {
    set.delete(scope)
  }
  return orderScopes([...set])
}

/** orderScopes sorts scopes as the form lists them: *:read first, then by resource, read before write. */
export function orderScopes(scopes: string[]): string[] {
  const rank = (s: string) => {
    const [res, act] = s.split(':')
    const i = res === '*' ? -1 : scopeResources.findIndex((r) => r.id === res)
    return (i === -1 && res !== '*' ? 1000 : i) * 2 + (act === 'write' ? 1 : 0)
  }
  return [...scopes].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

/** normalizeScopes orders scopes and drops the reads that *:read already grants. */
export function normalizeScopes(scopes: string[]): string[] {
  const all = scopes.includes(ALL_READ)
  return orderScopes([...new Set(scopes)].filter((s) => !all || s === ALL_READ || !s.endsWith(':read')))
}

/** keyRequest checks the create form and builds its body, or answers the errors by field. */
export function keyRequest(name: string, scopes: string[], expiry: string): { body?: CreateApiKeyRequest; errors: Record<string, string> } {
  const errors: Record<string, string> = {}
  const n = name.trim()
  if (!n) errors.name = 'Name the key after what uses it, e.g. “CI deploys”.'
  else if (n.length > 200) errors.name = 'Keep the name to 200 characters.'
  if (scopes.length === 0) errors.scopes = 'Choose at least one scope, such as “Read everything”.'
  let days: number | undefined
  if (expiry) {
    days = Number(expiry)
    if (!Number.isInteger(days) || days < 1 || days > 3650) errors.expires_in_days = 'Choose a lifetime from the list.'
  }
  if (Object.keys(errors).length) return { errors }
  const body: CreateApiKeyRequest = { name: n, scopes: normalizeScopes(scopes) }
  if (days) body.expires_in_days = days
  return { body, errors }
}

/** keyState says whether a key still works. */
export function keyState(k: Pick<ApiKey, 'revoked_at' | 'expires_at'>, now: number = Date.now()): 'active' | 'expired' | 'revoked' {
  if (k.revoked_at) return 'revoked'
  if (k.expires_at && Date.parse(k.expires_at) <= now) return 'expired'
  return 'active'
}

/** scopeLabel writes a scope for people: "*:read" → "Read everything". */
export function scopeLabel(scope: string): string {
  if (scope === ALL_READ) return 'Read everything'
  if (scope === '*:write') return 'Write everything'
  return scope
}
