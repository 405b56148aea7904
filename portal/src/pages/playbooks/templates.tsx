import { useEffect, useState, type FormEvent } from 'react'
import { Link, useLocation, useParams } from 'wouter'
import { ApiError } from '../../api/client'
import { useConnections, useConnectors } from '../../api/connectors'
import { useAgentOptions, useCreatePlaybook, usePlaybookTemplates, type PlaybookTemplate, type TemplateParam } from '../../api/playbooks'
import { titleCase } from '../../lib/format'
import {
  describeSchedule,
  fieldErrorList,
  paramLabel,
  templateFormErrors,
  templateNames,
  templateParams,
  templateRequest,
  validateTemplateParams,
  type TemplateFormErrors,
} from '../../lib/playbooks'
import { useSession } from '../../session'
import { Button, Card, EmptyState, ErrorState, FieldFrame, InlineError, Loading, PageHeader, SelectField, TextField } from '../../ui'
import { SectionHeader, StepHead } from './shared'

/** TemplatesPage shows the ready-made playbooks with the steps each creates. */
export function TemplatesPage() {
  const { canWrite } = useSession()
  const q = usePlaybookTemplates()
  const list = q.data?.items ?? []
  return (
    <>
      <SectionHeader
        current="templates"
        description="Ready-made playbooks. Pick the connections and agents they need and the hub creates the playbook; you can edit it afterwards."
      />
      {q.isPending && <Loading label="Loading templates…" />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && list.length === 0 && (
        <EmptyState title="No templates">This hub ships no templates. Write a playbook in JSON instead.</EmptyState>
      )}
      <ul className="grid grid-2" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Templates">
        {list.map((t) => (
          <li key={t.id}>
            <Card
              title={t.name}
              actions={
                canWrite && (
                  <Link href={`/templates/${t.id}`} className="btn btn-primary" aria-label={`Use template ${t.name}`}>
                    Use template
                  </Link>
                )
              }
            >
              <TemplateBody template={t} />
            </Card>
          </li>
        ))}
      </ul>
    </>
  )
}

/** TemplateBody describes a template: what it does, when it runs, its steps and what it needs. */
function TemplateBody({ template: t }: { template: PlaybookTemplate }) {
  const connectors = useConnectors()
  const platform = (provider: string) => connectors.data?.items.find((c) => c.id === provider)?.name
  const names = templateNames(t, platform)
  const steps = t.playbook.steps ?? []
  const params = templateParams(t)
  return (
    <>
      <p>{t.description}</p>
      <p className="small">
        <strong>Runs:</strong> {t.playbook.schedule ? describeSchedule(t.playbook.schedule) : 'On demand or from a rule'}
      </p>
      <h3>Steps it creates</h3>
      <ol className="stack small" style={{ paddingLeft: 0, listStyle: 'none', gap: '.5rem' }} aria-label={`Steps of ${t.name}`}>
        {steps.map((s, i) => (
          <li key={s.id} style={{ borderLeft: '3px solid var(--line)', paddingLeft: '.6rem' }}>
            <StepHead index={i} step={s} names={names} />
          </li>
        ))}
      </ol>
      {params.length > 0 && (
        <p className="small muted" style={{ marginTop: '.75rem' }}>
          Needs: {params.map((p) => (p.kind === 'connection' && p.provider ? `a ${platform(p.provider) ?? titleCase(p.provider)} connection` : p.kind === 'agent' ? 'an agent' : paramLabel(p).toLowerCase())).join(', ')}.
        </p>
      )}
    </>
  )
}

/** UseTemplatePage is the form generated from a template's parameters. */
export function UseTemplatePage() {
  const { templateId = '' } = useParams<{ templateId: string }>()
  const { canWrite } = useSession()
  const q = usePlaybookTemplates()
  const back = { href: '/templates', label: 'Templates' }
  if (q.isPending) return <Loading label="Loading the template…" />
  if (q.isError)
    return (
      <>
        <PageHeader title="Use a template" back={back} />
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      </>
    )
  const t = q.data.items.find((x) => x.id === templateId)
  if (!t)
    return (
      <>
        <PageHeader title="Use a template" back={back} />
        <EmptyState title="No such template" action={<Link href="/templates">See the templates</Link>}>
          The template “{templateId}” does not exist on this hub.
        </EmptyState>
      </>
    )
  return (
    <>
      <PageHeader title={t.name} description={t.description} back={back} />
      <div className="grid grid-2">
        <Card title="Create the playbook">
          {canWrite ? (
            <TemplateForm template={t} />
          ) : (
            <p className="muted">Your role can view templates but not create playbooks. Ask a tenant admin or member.</p>
          )}
        </Card>
        <Card title="What it does">
          <TemplateBody template={t} />
        </Card>
      </div>
    </>
  )
}

function TemplateForm({ template: t }: { template: PlaybookTemplate }) {
  const [, navigate] = useLocation()
  const create = useCreatePlaybook()
  const params = templateParams(t)
  const [values, setValues] = useState<Record<string, string>>({})
  const [name, setName] = useState('')
  const [errors, setErrors] = useState<TemplateFormErrors>({ params: {}, other: {} })
  const [formError, setFormError] = useState<unknown>()

  const set = (p: string, v: string) => {
    setValues((old) => ({ ...old, [p]: v }))
    if (errors.params[p]) setErrors((old) => ({ ...old, params: { ...old.params, [p]: '' } }))
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setFormError(undefined)
    const missing = validateTemplateParams(t, values)
    setErrors({ params: missing, other: {} })
    if (Object.keys(missing).length) return
    try {
      const pb = await create.mutateAsync(templateRequest(t, values, name))
      navigate(`/${pb.id}`)
    } catch (err) {
      if (err instanceof ApiError) setErrors(templateFormErrors(t, err.fields))
      setFormError(err)
    }
  }

  const other = fieldErrorList(errors.other)
  return (
    <form onSubmit={submit} noValidate aria-label={`Create a playbook from ${t.name}`}>
      <TextField
        label="Playbook name"
        help="How the playbook is listed; leave empty to keep the template's name."
        placeholder={t.playbook.name}
        value={name}
        error={errors.name || undefined}
        onChange={(e) => setName(e.target.value)}
      />
      {params.map((p) => (
        <ParamField key={p.name} param={p} value={values[p.name] ?? ''} error={errors.params[p.name] || undefined} onChange={(v) => set(p.name, v)} />
      ))}
      {other.length > 0 && (
        <ul className="small" aria-label="Other problems">
          {other.map((o) => (
            <li key={o.field}>
              <code>{o.field}</code>: {o.message}
            </li>
          ))}
        </ul>
      )}
      <InlineError error={formError} />
      <div className="form-actions">
        <Link href="/templates" className="btn btn-secondary">
          Cancel
        </Link>
        <Button type="submit" variant="primary" busy={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create playbook'}
        </Button>
      </div>
    </form>
  )
}

interface ParamFieldProps {
  param: TemplateParam
  value: string
  error?: string
  onChange: (v: string) => void
}

function ParamField(props: ParamFieldProps) {
  if (props.param.kind === 'connection') return <ConnectionParam {...props} />
  if (props.param.kind === 'agent') return <AgentParam {...props} />
  const { param: p, value, error, onChange } = props
  return <TextField label={paramLabel(p)} help={p.help} required error={error} name={p.name} value={value} onChange={(e) => onChange(e.target.value)} />
}

/** useOnlyChoice picks the one option when there is exactly one and nothing is chosen. */
function useOnlyChoice(ids: string[] | undefined, value: string, onChange: (v: string) => void) {
  const only = ids && ids.length === 1 ? ids[0] : undefined
  useEffect(() => {
    if (only && !value) onChange(only)
  }, [only])
}

function ConnectionParam({ param: p, value, error, onChange }: ParamFieldProps) {
  const provider = p.provider ?? ''
  const q = useConnections(provider || undefined)
  const connectors = useConnectors()
  const platform = connectors.data?.items.find((c) => c.id === provider)?.name ?? titleCase(provider || 'platform')
  useOnlyChoice(q.data?.map((c) => c.id), value, onChange)
  const label = `${paramLabel(p)} (${platform})`

  if (q.isPending)
    return (
      <FieldFrame label={label} help={p.help}>
        {({ id }) => (
          <div id={id}>
            <Loading label={`Loading ${platform} connections…`} />
          </div>
        )}
      </FieldFrame>
    )
  if (q.isError)
    return (
      <FieldFrame label={label} help={p.help} error={error}>
        {({ id }) => (
          <div id={id}>
            <ErrorState title={`The ${platform} connections could not be loaded`} error={q.error} retry={() => void q.refetch()} />
          </div>
        )}
      </FieldFrame>
    )
  if (q.data.length === 0)
    return (
      <FieldFrame label={label} help={p.help} error={error}>
        {({ id, describedBy }) => (
          <div id={id} className="notice notice-warn" aria-describedby={describedBy}>
            No {platform} account is connected yet.{' '}
            <Link href={`~/dashboard/connectors/${encodeURIComponent(provider)}`}>Connect {platform}</Link>, then come back to this form.
          </div>
        )}
      </FieldFrame>
    )
  return (
    <SelectField label={label} help={p.help} required error={error} name={p.name} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Choose a connection…</option>
      {q.data.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
          {c.status !== 'connected' ? ` (${titleCase(c.status)})` : ''}
        </option>
      ))}
    </SelectField>
  )
}

function AgentParam({ param: p, value, error, onChange }: ParamFieldProps) {
  const q = useAgentOptions()
  useOnlyChoice(q.data?.map((a) => a.id), value, onChange)
  const label = paramLabel(p)
  if (q.isPending)
    return (
      <FieldFrame label={label} help={p.help}>
        {({ id }) => (
          <div id={id}>
            <Loading label="Loading agents…" />
          </div>
        )}
      </FieldFrame>
    )
  if (q.isError)
    return (
      <FieldFrame label={label} help={p.help} error={error}>
        {({ id }) => (
          <div id={id}>
            <ErrorState title="The agents could not be loaded" error={q.error} retry={() => void q.refetch()} />
          </div>
        )}
      </FieldFrame>
    )
  if (q.data.length === 0)
    return (
      <FieldFrame label={label} help={p.help} error={error}>
        {({ id, describedBy }) => (
          <div id={id} className="notice notice-warn" aria-describedby={describedBy}>
            This workspace has no agents yet. <Link href="~/dashboard/agents">Create an agent</Link>, then come back to this form.
          </div>
        )}
      </FieldFrame>
    )
  return (
    <SelectField label={label} help={p.help} required error={error} name={p.name} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Choose an agent…</option>
      {q.data.map((a) => (
        <option key={a.id} value={a.id}>
          {a.name}
          {a.role ? ` — ${a.role}` : ''}
        </option>
      ))}
    </SelectField>
  )
}
