// Routes of the agents section, relative to /dashboard/agents.
import { Link, Route, Switch } from 'wouter'
import { AgentsListPage } from './list'
import { AgentPage, NewAgentPage } from './agent-page'
import { KnowledgeBasePage } from './knowledge-page'
import { RunPage } from './run-page'
import './agents.css'

export default function AgentsRoutes() {
  return (
    <Switch>
      <Route path="/" component={AgentsListPage} />
      <Route path="/new" component={NewAgentPage} />
      <Route path="/knowledge/:id" component={KnowledgeBasePage} />
      <Route path="/:id/runs/:runId" component={RunPage} />
      <Route path="/:id" component={AgentPage} />
      <Route>
        <div className="empty">
          <h3>This page does not exist</h3>
          <p>The address may be mistyped, or the agent was deleted.</p>
          <Link href="/">Go to the agents</Link>
        </div>
      </Route>
    </Switch>
  )
}
