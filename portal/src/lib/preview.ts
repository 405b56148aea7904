// The live data preview of a connection: which platform call shows the
// latest records, read through the hub's proxy, and how to tabulate them.

/** PreviewSpec says how to preview a provider's data. */
export interface PreviewSpec {
  title: string
  method: 'GET' | 'POST'
  /** path is relative to the platform's API base; config values fill {name}. */
  path: string
  body?: unknown
  columns: { key: string; label: string }[]
  /** rows picks the records out of the platform's answer. */
  rows: (body: any) => Record<string, unknown>[]
}

const arr = (v: unknown): any[] => (Array.isArray(v) ? v : [])

/** previews holds one spec per provider id. */
export const previews: Record<string, PreviewSpec> = {
  wordpress: {
    title: 'Latest 10 posts',
    method: 'GET',
    path: 'wp/v2/posts?per_page=10&context=view',
    columns: [
      { key: 'id', label: 'ID' },
      { key: 'title', label: 'Title' },
      { key: 'status', label: 'Status' },
      { key: 'date', label: 'Date' },
    ],
    rows: (b) => arr(b).map((p) => ({ id: p.id, title: p.title?.rendered ?? '', status: p.status, date: p.date })),
  },
  fluentcrm: {
    title: 'Latest 10 contacts',
    method: 'GET',
    path: 'subscribers?per_page=10',
    columns: [
      { key: 'email', label: 'Email' },
      { key: 'name', label: 'Name' },
      { key: 'status', label: 'Status' },
    ],
    rows: (b) =>
      arr(b?.subscribers?.data ?? b?.data).map((c) => ({ email: c.email, name: [c.first_name, c.last_name].filter(Boolean).join(' '), status: c.status })),
  },
  woocommerce: {
    title: 'Latest 10 orders',
    method: 'GET',
    path: 'orders?per_page=10',
    columns: [
      { key: 'number', label: 'Order' },
      { key: 'status', label: 'Status' },
      { key: 'total', label: 'Total' },
      { key: 'date', label: 'Date' },
    ],
    rows: (b) => arr(b).map((o) => ({ number: `#${o.number ?? o.id}`, status: o.status, total: `${o.total} ${o.currency ?? ''}`.trim(), date: o.date_created })),
  },
  hubspot: {
    title: 'Latest 10 contacts',
    method: 'GET',
    path: 'crm/v3/objects/contacts?limit=10&properties=email,firstname,lastname',
    columns: [
      { key: 'email', label: 'Email' },
      { key: 'name', label: 'Name' },
      { key: 'id', label: 'ID' },
    ],
    rows: (b) =>
      arr(b?.results).map((c) => ({
        id: c.id,
        email: c.properties?.email ?? '',
        name: [c.properties?.firstname, c.properties?.lastname].filter(Boolean).join(' '),
      })),
  },
  'zoho-crm': {
    title: 'Latest 10 contacts',
    method: 'GET',
    path: 'Contacts?fields=Email,First_Name,Last_Name&per_page=10&sort_by=Created_Time&sort_order=desc',
    columns: [
      { key: 'email', label: 'Email' },
      { key: 'name', label: 'Name' },
    ],
    rows: (b) => arr(b?.data).map((c) => ({ email: c.Email ?? '', name: [c.First_Name, c.Last_Name].filter(Boolean).join(' ') })),
  },
  shopify: {
    title: 'Latest 10 orders',
    method: 'POST',
    path: 'graphql.json',
    body: { query: '{ orders(first: 10, reverse: true) { edges { node { id name displayFinancialStatus createdAt totalPriceSet { shopMoney { amount currencyCode } } } } } }' },
    columns: [
      { key: 'name', label: 'Order' },
      { key: 'status', label: 'Payment' },
      { key: 'total', label: 'Total' },
      { key: 'date', label: 'Created' },
    ],
    rows: (b) =>
      arr(b?.data?.orders?.edges).map(({ node: o }) => ({
        name: o.name,
        status: o.displayFinancialStatus,
        total: `${o.totalPriceSet?.shopMoney?.amount ?? ''} ${o.totalPriceSet?.shopMoney?.currencyCode ?? ''}`.trim(),
        date: o.createdAt,
      })),
  },
  'google-ads': {
    title: 'Accessible customer accounts',
    method: 'GET',
    path: 'customers:listAccessibleCustomers',
    columns: [{ key: 'resource', label: 'Customer' }],
    rows: (b) => arr(b?.resourceNames).slice(0, 10).map((r) => ({ resource: r })),
  },
  'google-analytics': {
    title: 'Sessions by day, last 7 days',
    method: 'POST',
    path: 'properties/{property_id}:runReport',
    body: { dateRanges: [{ startDate: '7daysAgo', endDate: 'today' }], dimensions: [{ name: 'date' }], metrics: [{ name: 'sessions' }], limit: 10 },
    columns: [
      { key: 'date', label: 'Date' },
      { key: 'sessions', label: 'Sessions' },
    ],
    rows: (b) => arr(b?.rows).map((r) => ({ date: r.dimensionValues?.[0]?.value, sessions: r.metricValues?.[0]?.value })),
  },
  'google-search-console': {
    title: 'Verified sites',
    method: 'GET',
    path: 'sites',
    columns: [
      { key: 'site', label: 'Site' },
      { key: 'permission', label: 'Permission' },
    ],
    rows: (b) => arr(b?.siteEntry).slice(0, 10).map((s) => ({ site: s.siteUrl, permission: s.permissionLevel })),
  },
  'meta-ads': {
    title: 'Latest 10 campaigns',
    method: 'GET',
    path: 'act_{ad_account_id}/campaigns?fields=name,status,objective&limit=10',
    columns: [
      { key: 'name', label: 'Campaign' },
      { key: 'status', label: 'Status' },
      { key: 'objective', label: 'Objective' },
    ],
    rows: (b) => arr(b?.data).map((c) => ({ name: c.name, status: c.status, objective: c.objective })),
  },
  mailchimp: {
    title: 'Audiences',
    method: 'GET',
    path: 'lists?count=10&fields=lists.id,lists.name,lists.stats.member_count',
    columns: [
      { key: 'name', label: 'Audience' },
      { key: 'members', label: 'Members' },
    ],
    rows: (b) => arr(b?.lists).map((l) => ({ name: l.name, members: l.stats?.member_count })),
  },
  slack: {
    title: 'Channels',
    method: 'GET',
    path: 'conversations.list?limit=10&exclude_archived=true',
    columns: [
      { key: 'name', label: 'Channel' },
      { key: 'members', label: 'Members' },
    ],
    rows: (b) => arr(b?.channels).map((c) => ({ name: `#${c.name}`, members: c.num_members })),
  },
  stripe: {
    title: 'Latest 10 customers',
    method: 'GET',
    path: 'v1/customers?limit=10',
    columns: [
      { key: 'id', label: 'ID' },
      { key: 'email', label: 'Email' },
      { key: 'name', label: 'Name' },
      { key: 'created', label: 'Created' },
    ],
    rows: (b) =>
      arr(b?.data).map((c) => ({ id: c.id, email: c.email ?? '', name: c.name ?? '', created: c.created ? new Date(c.created * 1000).toISOString() : '' })),
  },
}

/** previewPath fills a spec's path with a connection's config values. */
export function previewPath(spec: PreviewSpec, config: Record<string, string>): string {
  return spec.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent((config[name] ?? '').replace(/^act_/, '')))
}

/** cell renders a preview value as text. */
export function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
