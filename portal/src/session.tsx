import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, ApiError, onSessionEnd, refreshSession, setAccessToken, toApiError, type TokenAnswer } from './api/client'
import type { Me, Role } from './api/types'

/** Session is the signed-in user as the portal sees it. */
export interface Session {
  state: 'loading' | 'signed_out' | 'signed_in'
  me?: Me
  /** canWrite says whether the user may change the tenant's settings. */
  canWrite: boolean
  isAdmin: boolean
  login(email: string, password: string): Promise<void>
  logout(): Promise<void>
  switchTenant(tenantId: string): Promise<void>
}

const SessionContext = createContext<Session | null>(null)

/** useSession returns the current session. */
export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside SessionProvider')
  return s
}

/** roleCanWrite says whether a role may change things. */
export function roleCanWrite(role: Role | undefined, superAdmin: boolean): boolean {
  return superAdmin || role === 'tenant_admin' || role === 'member'
}

/** SessionProvider restores the session from its cookie and keeps it. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient()
  const [state, setState] = useState<Session['state']>('loading')
  const [me, setMe] = useState<Me>()

  const loadMe = useCallback(async () => {
    const m = await api<Me>('/auth/me')
    setMe(m)
    setState('signed_in')
  }, [])

  useEffect(() => {
    onSessionEnd(() => {
      setAccessToken(null)
      queryClient.clear()
      setMe(undefined)
      setState('signed_out')
    })
    refreshSession()
      .then((ok) => (ok ? loadMe() : setState('signed_out')))
      .catch(() => setState('signed_out'))
  }, [loadMe, queryClient])

  const login = useCallback(
    async (email: string, password: string) => {
      const res = await fetch('/session/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password }),
      })
      if (!res.ok) throw await toApiError(res)
      const t = (await res.json()) as TokenAnswer
      setAccessToken(t.access_token)
      queryClient.clear()
      await loadMe()
    },
    [loadMe, queryClient],
  )

  const logout = useCallback(async () => {
    try {
      await api('/session/logout', { method: 'POST', body: {} })
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
    }
    setAccessToken(null)
    queryClient.clear()
    setMe(undefined)
    setState('signed_out')
  }, [queryClient])

  const switchTenant = useCallback(
    async (tenantId: string) => {
      await refreshSession(tenantId)
      queryClient.clear()
      await loadMe()
    },
    [loadMe, queryClient],
  )

  const value = useMemo<Session>(() => {
    const superAdmin = me?.user.super_admin ?? false
    return {
      state,
      me,
      canWrite: roleCanWrite(me?.role, superAdmin),
      isAdmin: superAdmin || me?.role === 'tenant_admin',
      login,
      logout,
      switchTenant,
    }
  }, [state, me, login, logout, switchTenant])

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}
