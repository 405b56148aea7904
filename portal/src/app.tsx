import { lazy, Suspense, useEffect, type ReactNode } from 'react'
import { Link, Redirect, Route, Switch, useLocation, useRoute } from 'wouter'
import { useSession } from './session'
import { Loading, SelectField } from './ui'
import { LoginPage } from './pages/login'
import { ConnectorsPage } from './pages/connectors'
import { titleCase } from './lib/format'

// The first screen (connectors) ships in the entry bundle; every other
// section loads on first visit.
const ConnectorDetailPage = lazy(() => import('./pages/connector-detail'))
const IntegrationsRoutes = lazy(() => import('./pages/integrations'))
const AgentsRoutes = lazy(() => import('./pages/agents'))
const PlaybooksRoutes = lazy(() => import('./pages/playbooks'))
const AdminRoutes = lazy(() => import('./pages/admin'))

/** App routes between the signed-out and the signed-in portal. */
export function App() {
  const session = useSession()
  const [location, navigate] = useLocation()
  useEffect(() => {
    if (session.state === 'signed_out' && location !== '/login') {
      const next = location === '/' ? '' : `?next=${encodeURIComponent(location + window.location.search)}`
      navigate(`/login${next}`, { replace: true })
    }
  }, [session.state, location, navigate])

  if (session.state === 'loading') return <Loading label="Opening your session…" />
  if (session.state === 'signed_out') return location === '/login' ? <LoginPage /> : null
  return (
    <Shell>
      <Suspense fallback={<Loading />}>
        <Switch>
          <Route path="/login">
            <Redirect to="/dashboard/connectors" replace />
          </Route>
          <Route path="/">
            <Redirect to={session.me?.tenant_id ? '/dashboard/connectors' : '/admin/tenants'} replace />
          </Route>
          <Route path="/dashboard/connectors" component={ConnectorsPage} />
          <Route path="/dashboard/connectors/:id" component={ConnectorDetailPage} />
          <Route path="/dashboard/integrations" nest>
            <IntegrationsRoutes />
          </Route>
          <Route path="/dashboard/agents" nest>
            <AgentsRoutes />
          </Route>
          <Route path="/dashboard/playbooks" nest>
            <PlaybooksRoutes />
          </Route>
          <Route path="/admin" nest>
            <AdminRoutes />
          </Route>
          <Route>
            <NotFound />
          </Route>
        </Switch>
      </Suspense>
    </Shell>
  )
}

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [active] = useRoute(`${href}/*?`)
  return (
    <Link href={href} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  )
}

/** Shell is the signed-in frame: navigation, tenant switcher, sign-out. */
function Shell({ children }: { children: ReactNode }) {
  const { me, logout, switchTenant } = useSession()
  const [, navigate] = useLocation()
  const superAdmin = me?.user.super_admin ?? false
  const memberships = me?.memberships ?? []
  const hasTenant = !!me?.tenant_id
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <aside className="sidebar">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden="true">B</span> BizOS Hub
        </Link>
        <nav className="nav" aria-label="Main">
          {hasTenant && (
            <>
              <span className="nav-title">Workspace</span>
              <NavLink href="/dashboard/connectors">Connectors</NavLink>
              <NavLink href="/dashboard/integrations">Integrations</NavLink>
              <NavLink href="/dashboard/agents">Agents</NavLink>
              <NavLink href="/dashboard/playbooks">Playbooks</NavLink>
            </>
          )}
          {superAdmin && (
            <>
              <span className="nav-title">Administration</span>
              <NavLink href="/admin/tenants">Tenants</NavLink>
              <NavLink href="/admin/users">Users &amp; roles</NavLink>
              <NavLink href="/admin/health">System health</NavLink>
              <NavLink href="/admin/audit">Audit log</NavLink>
            </>
          )}
        </nav>
        <div className="sidebar-foot">
          {(memberships.length > 1 || (superAdmin && memberships.length > 0)) && (
            <SelectField
              label={<span className="sr-only">Tenant</span>}
              value={me?.tenant_id ?? ''}
              onChange={(e) => void switchTenant(e.target.value)}
            >
              {!me?.tenant_id && <option value="">No tenant</option>}
              {memberships.map((m) => (
                <option key={m.tenant_id} value={m.tenant_id}>
                  {m.tenant_name || m.tenant_id}
                </option>
              ))}
            </SelectField>
          )}
          <span title={me?.user.email}>
            {me?.user.email}
            <br />
            <span className="muted small">{superAdmin ? 'Super admin' : titleCase(me?.role ?? '')}</span>
          </span>
          <button type="button" className="btn btn-secondary" onClick={() => void logout().then(() => navigate('/login', { replace: true }))}>
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  )
}

function NotFound() {
  return (
    <div className="empty">
      <h3>This page does not exist</h3>
      <p>The address may be mistyped, or the item was deleted.</p>
      <Link href="/">Go to the start page</Link>
    </div>
  )
}
