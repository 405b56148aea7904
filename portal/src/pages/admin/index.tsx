import { Redirect, Route, Switch } from 'wouter'
import { useSession } from '../../session'
import { EmptyState } from '../../ui'
import TenantsPage from './tenants'
import UsersPage from './users'
import HealthPage from './health'
import AuditPage from './audit'

/** AdminRoutes are the super admin's screens. */
export default function AdminRoutes() {
  const { me } = useSession()
  if (!me?.user.super_admin) {
    return (
      <EmptyState title="Super admins only">
        These pages manage the whole hub. Sign in with a super admin account to use them.
      </EmptyState>
    )
  }
  return (
    <Switch>
      <Route path="/tenants" component={TenantsPage} />
      <Route path="/users" component={UsersPage} />
      <Route path="/health" component={HealthPage} />
      <Route path="/audit" component={AuditPage} />
      <Route>
        <Redirect to="/health" replace />
      </Route>
    </Switch>
  )
}
