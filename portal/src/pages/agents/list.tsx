// The agents start page: the tenant's agents, knowledge bases and model providers.
import { useState } from 'react'
import { Link, useLocation } from 'wouter'
import { useAgents } from '../../api/agents'
import { useConnections } from '../../api/connectors'
import { useKnowledgeBases } from '../../api/knowledge'
import { modelLabel } from '../../lib/agent-form'
import { compact, dateTime, relativeTime } from '../../lib/format'
import { useSession } from '../../session'
import { Badge, Button, Card, EmptyState, ErrorState, Loading, PageHeader } from '../../ui'
import { NewKnowledgeBaseForm } from './knowledge-base-form'
import { ModelProvidersCard } from './providers'

/** AgentsListPage lists the agents, then knowledge bases and model providers. */
export function AgentsListPage() {
  const { canWrite } = useSession()
  const agents = useAgents()
  const connections = useConnections()
  const connected = (connections.data ?? []).filter((c) => c.status === 'connected').length
  const list = agents.data ?? []

  return (
    <>
      <PageHeader
        title="Agents"
        description="AI agents do tasks with your connected platforms: they read, draft and, with your approval, write."
        actions={
          canWrite && (
            <Link href="/new" className="btn btn-primary">
              New agent
            </Link>
          )
        }
      />
      <Card title="Your agents">
        {agents.isPending && <Loading label="Loading agents…" />}
        {agents.isError && <ErrorState error={agents.error} retry={() => void agents.refetch()} />}
        {agents.isSuccess && list.length === 0 && (
          <EmptyState
            title="No agents yet"
            action={
              connections.isSuccess && connected === 0 ? (
                <Link href="~/dashboard/connectors" className="btn btn-primary">
                  Connect a platform first
                </Link>
              ) : (
                canWrite && (
                  <Link href="/new" className="btn btn-primary">
                    Create your first agent
                  </Link>
                )
              )
            }
          >
            An agent is a role, a goal and instructions for a language model, plus the tools it may use: actions on your connected
            platforms (CRM, shop, ads, email…) and knowledge bases it can search. You start a run with a task; it works step by step
            and asks before it changes anything, unless you let a tool run automatically.
            {connections.isSuccess && connected === 0 && ' Agents act through connected accounts, so connect a platform before you create one.'}
            {!canWrite && ' Your role can view agents but not create them.'}
          </EmptyState>
        )}
        {list.length > 0 && (
          <div className="table-wrap">
            <table aria-label="Agents">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Role</th>
                  <th>Model</th>
                  <th className="num">Tools</th>
                  <th>Last updated</th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <Link href={`/${a.id}`}>{a.name}</Link>
                    </td>
                    <td>{a.role || <span className="muted">—</span>}</td>
                    <td>{a.llm.provider || a.llm.model ? modelLabel(a.llm) : <span className="muted">No model set</span>}</td>
                    <td className="num">
                      {(a.tools ?? []).length}
                      {(a.knowledge_base_ids ?? []).length > 0 && <span className="muted small"> + knowledge</span>}
                    </td>
                    <td title={dateTime(a.updated_at)}>{relativeTime(a.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <div className="grid grid-2">
        <KnowledgeBasesCard />
        <ModelProvidersCard />
      </div>
    </>
  )
}

/** KnowledgeBasesCard lists the tenant's knowledge bases with a create form. */
function KnowledgeBasesCard() {
  const { canWrite } = useSession()
  const kbs = useKnowledgeBases()
  const [creating, setCreating] = useState(false)
  const [, navigate] = useLocation()
  const list = kbs.data ?? []
  return (
    <Card
      title="Knowledge bases"
      actions={
        canWrite &&
        !creating && (
          <Button onClick={() => setCreating(true)} aria-expanded={creating}>
            New knowledge base
          </Button>
        )
      }
    >
      <p className="muted small">Documents your agents search with their search_knowledge tool and cite in their answers.</p>
      {creating && <NewKnowledgeBaseForm onCreated={(kb) => navigate(`/knowledge/${kb.id}`)} onCancel={() => setCreating(false)} />}
      {kbs.isPending && <Loading label="Loading knowledge bases…" />}
      {kbs.isError && <ErrorState error={kbs.error} retry={() => void kbs.refetch()} />}
      {kbs.isSuccess && list.length === 0 && !creating && (
        <EmptyState title="No knowledge bases yet">
          Create one, upload PDF, Markdown, HTML or text files to it, and choose it in an agent’s settings.
        </EmptyState>
      )}
      {list.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Knowledge bases">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Documents</th>
                <th className="num">Chunks</th>
                <th>Search</th>
              </tr>
            </thead>
            <tbody>
              {list.map((kb) => (
                <tr key={kb.id}>
                  <td style={{ minWidth: '9rem' }}>
                    <Link href={`/knowledge/${kb.id}`}>{kb.name}</Link>
                    {kb.description && <div className="muted small">{kb.description}</div>}
                  </td>
                  <td className="num">{compact(kb.document_count)}</td>
                  <td className="num">{compact(kb.chunk_count)}</td>
                  <td title={kb.embedding ? `Full text and meaning, with ${kb.embedding.model}` : 'Full-text search only'}>{kb.embedding ? <Badge>Hybrid</Badge> : <Badge>Full text</Badge>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  )
}
