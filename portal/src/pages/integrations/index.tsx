// Routes of the integrations section (/dashboard/integrations): webhooks
// in and out with the event log, API keys, and automation rules.
import { Link, Route, Switch, useLocation } from 'wouter'
import { Tabs } from '../../ui'
import { ApiKeysPage } from './api-keys'
import { DeliveryLogPage } from './deliveries'
import { NewRulePage, RulePage } from './rule-builder'
import { RulesPage } from './rules'
import { WebhooksPage } from './webhooks'
import './integrations.css'

const tabs = [
  { id: 'webhooks', href: '/', label: 'Webhooks' },
  { id: 'keys', href: '/keys', label: 'API keys' },
  { id: 'rules', href: '/rules', label: 'Rules' },
]

/** currentTab picks the tab of a location inside the section. */
function currentTab(location: string): string {
  if (location.startsWith('/keys')) return 'keys'
  if (location.startsWith('/rules')) return 'rules'
  return 'webhooks'
}

/** IntegrationsRoutes is the section's router; routes are relative to it. */
export default function IntegrationsRoutes() {
  const [location] = useLocation()
  return (
    <>
      <Tabs tabs={tabs} current={currentTab(location)} />
      <Switch>
        <Route path="/" component={WebhooksPage} />
        <Route path="/webhooks/:id" component={DeliveryLogPage} />
        <Route path="/keys" component={ApiKeysPage} />
        <Route path="/rules" component={RulesPage} />
        <Route path="/rules/new" component={NewRulePage} />
        <Route path="/rules/:id" component={RulePage} />
        <Route>
          <div className="empty">
            <h3>This page does not exist</h3>
            <p>The address may be mistyped, or the item was deleted.</p>
            <Link href="/">Go to Webhooks</Link>
          </div>
        </Route>
      </Switch>
    </>
  )
}
