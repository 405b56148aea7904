// Routes of the playbooks section, mounted at /dashboard/playbooks (paths here are relative).
import { Link, Route, Switch } from 'wouter'
import { EmptyState } from '../../ui'
import { PlaybooksListPage } from './list'
import { NewPlaybookPage } from './new'
import { PlaybookPage } from './playbook'
import { RunPage } from './run'
import { SchedulesPage } from './schedules'
import { TemplatesPage, UseTemplatePage } from './templates'

/** PlaybooksRoutes are the section's screens. */
export default function PlaybooksRoutes() {
  return (
    <Switch>
      <Route path="/" component={PlaybooksListPage} />
      <Route path="/templates" component={TemplatesPage} />
      <Route path="/templates/:templateId" component={UseTemplatePage} />
      <Route path="/schedules" component={SchedulesPage} />
      <Route path="/new" component={NewPlaybookPage} />
      <Route path="/runs/:runId" component={RunPage} />
      <Route path="/:id" component={PlaybookPage} />
      <Route>
        <EmptyState title="This page does not exist" action={<Link href="/">Go to the playbooks</Link>}>
          The address may be mistyped, or the playbook was deleted.
        </EmptyState>
      </Route>
    </Switch>
  )
}
