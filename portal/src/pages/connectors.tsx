import { useMemo, useState } from 'react'
import { Link } from 'wouter'
import { useConnectors } from '../api/connectors'
import type { Connector } from '../api/types'
import { titleCase } from '../lib/format'
import { EmptyState, ErrorState, Loading, PageHeader, SelectField, StatusBadge, TextField } from '../ui'

/** categoryLabels names the catalogue's categories. */
export const categoryLabels: Record<string, string> = {
  crm: 'CRM',
  cms: 'Website & CMS',
  ecommerce: 'E-commerce',
  ads: 'Advertising',
  analytics: 'Analytics & SEO',
  email: 'Email marketing',
  chat: 'Team chat',
  payments: 'Payments',
}

/** filterConnectors applies the search text and category filter. */
export function filterConnectors(list: Connector[], search: string, category: string): Connector[] {
  const q = search.trim().toLowerCase()
  return list.filter(
    (c) =>
      (!category || c.category === category) &&
      (!q || c.name.toLowerCase().includes(q) || c.id.includes(q) || c.description.toLowerCase().includes(q)),
  )
}

const statusLabels: Record<string, string> = { not_connected: 'Not connected', connected: 'Connected', expired: 'Expired', error: 'Error' }

/** ConnectorsPage shows the 13 platforms as cards. */
export function ConnectorsPage() {
  const q = useConnectors()
  const [search, setSearch] = useState('')
  const [category, setCategory] = useState('')
  const list = q.data?.items ?? []
  const categories = useMemo(() => [...new Set(list.map((c) => c.category))], [list])
  const shown = filterConnectors(list, search, category)
  const connected = list.filter((c) => c.status !== 'not_connected').length

  return (
    <>
      <PageHeader
        title="Connectors"
        description={q.data ? `${connected} of ${list.length} platforms connected. Connect an account once; agents, rules and playbooks use it.` : undefined}
      />
      <div className="toolbar" role="search">
        <TextField label="Search" type="search" placeholder="Name or capability" value={search} onChange={(e) => setSearch(e.target.value)} />
        <SelectField label="Category" value={category} onChange={(e) => setCategory(e.target.value)}>
          <option value="">All categories</option>
          {categories.map((c) => (
            <option key={c} value={c}>
              {categoryLabels[c] ?? titleCase(c)}
            </option>
          ))}
        </SelectField>
      </div>
      {q.isPending && <Loading label="Loading connectors…" />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && shown.length === 0 && (
        <EmptyState title="No connector matches">Clear the search or pick another category.</EmptyState>
      )}
      <ul className="grid grid-cards" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Platforms">
        {shown.map((c) => (
          <li key={c.id}>
            <Link href={`/dashboard/connectors/${c.id}`} className="connector-card" data-testid={`connector-${c.id}`}>
              <div className="row">
                <img src={c.logo} alt="" width={40} height={40} />
                <StatusBadge status={c.status} label={statusLabels[c.status]} />
              </div>
              <strong>{c.name}</strong>
              <span className="muted small">
                {categoryLabels[c.category] ?? titleCase(c.category)}
                {c.connections > 1 ? ` · ${c.connections} accounts` : ''}
              </span>
              <p>{c.description}</p>
              {c.last_error && <span className="card-error">Last error: {c.last_error}</span>}
            </Link>
          </li>
        ))}
      </ul>
    </>
  )
}
