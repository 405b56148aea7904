import { useEffect } from 'react'
import { useLocation, useSearch } from 'wouter'
import { useTenants } from '../../api/admin'
import { ErrorState, SelectField } from '../../ui'

/** useTenantParam keeps the chosen tenant in the address (?tenant=). */
export function useTenantParam(): [string, (id: string) => void] {
  const search = useSearch()
  const [location, navigate] = useLocation()
  const id = new URLSearchParams(search).get('tenant') ?? ''
  return [id, (next: string) => navigate(`${location}?tenant=${encodeURIComponent(next)}`, { replace: true })]
}

/** TenantPicker selects the tenant a page shows; the first one by default. */
export function TenantPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const tenants = useTenants()
  const first = tenants.data?.[0]?.id
  useEffect(() => {
    if (!value && first) onChange(first)
  }, [value, first, onChange])
  if (tenants.isError) return <ErrorState error={tenants.error} retry={() => void tenants.refetch()} />
  return (
    <SelectField label="Tenant" value={value} onChange={(e) => onChange(e.target.value)} disabled={!tenants.data?.length}>
      {!tenants.data?.length && <option value="">No tenants yet</option>}
      {tenants.data?.map((t) => (
        <option key={t.id} value={t.id}>
          {t.name} ({t.slug}){t.status === 'suspended' ? ' — suspended' : ''}
        </option>
      ))}
    </SelectField>
  )
}
