// An agent's page: start a run, its recent runs, and its settings; and the new-agent page.
import { useState, type FormEvent } from 'react'
import { Link, useLocation, useParams } from 'wouter'
import { ApiError } from '../../api/client'
import { useAgent, useAgentRuns, useDeleteAgent, useLLMProviders, useStartRun, type Agent } from '../../api/agents'
import { modelLabel } from '../../lib/agent-form'
import { elapsed, runStatusLabel, truncate } from '../../lib/agent-transcript'
import { compact, dateTime, relativeTime } from '../../lib/format'
import { useSession } from '../../session'
import { Button, Card, Dialog, EmptyState, ErrorState, InlineError, Loading, PageHeader, StatusBadge, TextArea } from '../../ui'
import { AgentSettings } from './agent-settings'

/** NewAgentPage creates an agent. */
export function NewAgentPage() {
  const { canWrite } = useSession()
  const providers = useLLMProviders()
  return (
    <>
      <PageHeader
        back={{ href: '/', label: 'Agents' }}
        title="New agent"
        description="Describe who the agent is and what it is for, pick its model, and choose the tools and knowledge it may use."
      />
      {!canWrite && <div className="notice notice-warn">Your role can view agents but not create them. Ask a tenant admin or member.</div>}
      {/* wait for the tenant's providers so the form starts on a configured one */}
      {providers.isPending ? <Loading label="Loading model providers…" /> : <AgentSettings />}
    </>
  )
}

/** AgentPage is one agent: run it, see its runs, change its settings. */
export function AgentPage() {
  const { id = '' } = useParams<{ id: string }>()
  const q = useAgent(id)
  const { canWrite } = useSession()
  const del = useDeleteAgent()
  const [confirming, setConfirming] = useState(false)
  const [, navigate] = useLocation()

  if (q.isPending) return <Loading label="Loading agent…" />
  if (q.isError)
    return (
      <>
        <PageHeader title="Agent" back={{ href: '/', label: 'Agents' }} />
        <ErrorState error={q.error} retry={() => void q.refetch()} title="This agent could not be loaded" />
      </>
    )
  const a = q.data
  return (
    <>
      <PageHeader
        back={{ href: '/', label: 'Agents' }}
        title={a.name}
        description={[a.role, modelLabel(a.llm), `${(a.tools ?? []).length} ${(a.tools ?? []).length === 1 ? 'tool' : 'tools'}`].filter(Boolean).join(' · ')}
        actions={
          canWrite && (
            <Button variant="danger" onClick={() => setConfirming(true)}>
              Delete agent
            </Button>
          )
        }
      />
      <div className="grid grid-2">
        <RunPanel agent={a} />
        <RecentRuns agentId={a.id} />
      </div>
      <h2 style={{ margin: '1rem 0 .75rem' }}>Settings</h2>
      <AgentSettings key={a.id} agent={a} />
      <Dialog
        open={confirming}
        title={`Delete ${a.name}?`}
        onClose={() => setConfirming(false)}
        footer={
          <>
            <Button onClick={() => setConfirming(false)}>Keep it</Button>
            <Button
              variant="danger"
              busy={del.isPending}
              onClick={() =>
                del.mutate(a.id, {
                  onSuccess: () => navigate('/', { replace: true }),
                  onSettled: () => setConfirming(false),
                })
              }
            >
              Delete agent
            </Button>
          </>
        }
      >
        <p>The agent and all its runs and transcripts are deleted. Rules and playbooks that start it will fail until they name another agent.</p>
      </Dialog>
      <InlineError error={del.error} />
    </>
  )
}

/** RunPanel starts a run with a task and opens it. */
function RunPanel({ agent }: { agent: Agent }) {
  const { canWrite } = useSession()
  const [input, setInput] = useState('')
  const [error, setError] = useState<string>()
  const start = useStartRun(agent.id)
  const [, navigate] = useLocation()
  const noModel = !agent.llm.provider || !agent.llm.model

  async function submit(e: FormEvent) {
    e.preventDefault()
    setError(undefined)
    start.reset()
    if (!input.trim()) {
      setError('Say what the agent should do.')
      return
    }
    try {
      const run = await start.mutateAsync(input.trim())
      navigate(`/${agent.id}/runs/${run.id}`)
    } catch (err) {
      if (err instanceof ApiError && err.fields.input) setError(err.fields.input)
    }
  }

  const modelProblem = start.error instanceof ApiError && Object.keys(start.error.fields).some((k) => k.startsWith('llm'))
  return (
    <Card title="Run">
      {!canWrite ? (
        <p className="muted">Your role can view runs but not start them.</p>
      ) : (
        <form onSubmit={submit} noValidate aria-label="Start a run">
          {noModel && (
            <div className="notice notice-warn">
              This agent has no model yet. Choose a provider and model in the settings below before you run it.
            </div>
          )}
          <TextArea
            label="Task for the agent"
            rows={4}
            required
            value={input}
            onChange={(e) => setInput(e.target.value)}
            error={error}
            placeholder="Report on last week’s campaigns and draft a blog post about the best one."
            help="The agent works on it step by step; calls that need approval pause the run until you decide."
          />
          <InlineError error={start.error && !(start.error instanceof ApiError && start.error.fields.input) ? start.error : undefined} />
          {modelProblem && (
            <p className="muted small">
              Fix the model in the settings below, or ask a tenant admin to set up the provider under <Link href="/">Model providers</Link>.
            </p>
          )}
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={start.isPending}>
              Start run
            </Button>
          </div>
        </form>
      )}
    </Card>
  )
}

/** RecentRuns lists the agent's runs, newest first. */
function RecentRuns({ agentId }: { agentId: string }) {
  const q = useAgentRuns(agentId)
  const runs = q.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <Card title="Recent runs">
      {q.isPending && <Loading label="Loading runs…" />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && runs.length === 0 && <EmptyState title="No runs yet">Give the agent a task and press Start run; its runs appear here.</EmptyState>}
      {runs.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Recent runs">
            <thead>
              <tr>
                <th>Task</th>
                <th>Status</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link href={`/${agentId}/runs/${r.id}`}>{truncate(r.input, 80) || 'Run'}</Link>
                    <div className="muted small">
                      {compact(r.prompt_tokens + r.completion_tokens)} tokens
                      {r.finished_at ? ` · ${elapsed(Date.parse(r.finished_at) - Date.parse(r.started_at))}` : ''}
                      {r.trigger && r.trigger !== 'api' ? ` · started by ${r.trigger.split(':')[0]}` : ''}
                    </div>
                  </td>
                  <td>
                    <StatusBadge status={r.status} label={runStatusLabel(r.status)} />
                  </td>
                  <td title={dateTime(r.started_at)}>{relativeTime(r.started_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {q.hasNextPage && (
        <div className="form-actions">
          <Button onClick={() => void q.fetchNextPage()} busy={q.isFetchingNextPage}>
            Show older runs
          </Button>
        </div>
      )}
    </Card>
  )
}
