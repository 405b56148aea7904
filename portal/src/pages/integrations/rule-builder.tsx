// The rule builder (/rules/new and /rules/:id): name, trigger, CEL
// condition and ordered actions; the API's errors shown at the field they
// name. An existing rule also shows Run now, Delete and its run history.
import { useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react'
import { Link, useLocation, useParams, useSearch } from 'wouter'
import { ApiError } from '../../api/client'
import { useConnections, useConnectors } from '../../api/connectors'
import {
  useAgentOptions,
  useDeleteRule,
  usePlaybookOptions,
  useRule,
  useRunRuleNow,
  useSaveRule,
  useWebhooks,
  type Named,
  type Rule,
  type RuleActionType,
  type WebhookEndpoint,
} from '../../api/integrations'
import type { Action, Connection, Connector } from '../../api/types'
import { titleCase } from '../../lib/format'
import { endpointLabel } from '../../lib/integrations'
import {
  actionTypes,
  apiErrorsToForm,
  browserTimeZone,
  commonEventTypes,
  delayLabel,
  describeCron,
  emptyRuleForm,
  errorCount,
  formToRequest,
  inputSkeleton,
  MAX_DELAY_SECONDS,
  moveErrors,
  moveItem,
  newAction,
  noErrors,
  parseJsonInput,
  removeAt,
  ruleToForm,
  schemaFields,
  timeZoneOptions,
  triggerSummary,
  type ActionField,
  type ActionForm,
  type FormErrors,
  type RuleForm,
} from '../../lib/rules'
import { useSession } from '../../session'
import { Button, Card, ErrorState, InlineError, Loading, PageHeader, SelectField, StatusBadge, TextArea, TextField } from '../../ui'
import { RunHistory } from './rule-runs'
import { CodeArea, ConfirmDialog, When } from './shared'

/** NewRulePage is /rules/new. */
export function NewRulePage() {
  const { canWrite } = useSession()
  const [, navigate] = useLocation()
  const initial = useMemo(() => emptyRuleForm(), [])
  return (
    <>
      <PageHeader title="New rule" back={{ href: '/rules', label: 'Rules' }} description="Choose what starts the rule, when it applies, and what it does, step by step." />
      {canWrite ? (
        <RuleEditor initial={initial} onSaved={(r) => navigate(`/rules/${r.id}?saved=created`, { replace: true })} />
      ) : (
        <ErrorState title="Your role cannot create rules" error={new ApiError(403, 'forbidden', 'Viewers can see rules but not create or change them.')} />
      )}
    </>
  )
}

/** RulePage is /rules/:id: the builder, Run now, Delete and the run history. */
export function RulePage() {
  const { id = '' } = useParams<{ id: string }>()
  const search = new URLSearchParams(useSearch())
  const [, navigate] = useLocation()
  const { canWrite } = useSession()
  const q = useRule(id)
  const runNow = useRunRuleNow()
  const del = useDeleteRule()
  const [notice, setNotice] = useState<string | undefined>(search.get('saved') === 'created' ? 'Rule created.' : undefined)
  const [confirmDelete, setConfirmDelete] = useState(false)
  const [boostUntil, setBoostUntil] = useState(0)

  if (q.isPending) return <Loading label="Loading rule…" />
  if (q.isError)
    return (
      <>
        <PageHeader title="Rule" back={{ href: '/rules', label: 'Rules' }} />
        <ErrorState title="The rule could not be loaded" error={q.error} retry={() => void q.refetch()} />
      </>
    )
  const r = q.data
  const scheduled = !!r.trigger.schedule
  return (
    <>
      <PageHeader
        back={{ href: '/rules', label: 'Rules' }}
        title={r.name}
        description={
          <span className="intg-cell-row">
            <StatusBadge status={r.enabled ? 'enabled' : 'disabled'} /> {triggerSummary(r.trigger)} · updated <When iso={r.updated_at} />
          </span>
        }
        actions={
          canWrite && (
            <>
              {scheduled && (
                <Button
                  variant="primary"
                  busy={runNow.isPending}
                  disabled={!r.enabled}
                  title={r.enabled ? 'Fire the schedule now' : 'Enable the rule to run it now'}
                  onClick={() =>
                    runNow.mutate(r.id, {
                      onSuccess: () => {
                        setNotice('The schedule fired: the run appears in the history below in a moment.')
                        setBoostUntil(Date.now() + 30_000)
                      },
                    })
                  }
                >
                  Run now
                </Button>
              )}
              <Button variant="danger" onClick={() => setConfirmDelete(true)}>
                Delete rule
              </Button>
            </>
          )
        }
      />
      {notice && (
        <div className="notice notice-ok row row-between" role="status">
          <span>{notice}</span>
          <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => setNotice(undefined)}>
            ×
          </button>
        </div>
      )}
      {scheduled && !r.enabled && canWrite && <p className="muted small">The rule is disabled, so its schedule is paused; enable it and save to run it.</p>}
      <InlineError error={runNow.error} />
      <RuleEditor key={`${r.id}:${r.version}`} rule={r} initial={ruleToForm(r)} onSaved={() => setNotice('Rule saved. The next run uses the new version.')} />
      <RunHistory rule={r} boostUntil={boostUntil} />
      {confirmDelete && (
        <ConfirmDialog
          title={`Delete ${r.name}?`}
          confirmLabel="Delete rule"
          cancelLabel="Keep it"
          busy={del.isPending}
          error={del.error}
          onClose={() => setConfirmDelete(false)}
          onConfirm={() => del.mutate(r.id, { onSuccess: () => navigate('/rules', { replace: true }) })}
        >
          <p>The rule stops at once{scheduled ? ', its schedule is removed,' : ''} and its run history is deleted. Runs in progress finish.</p>
        </ConfirmDialog>
      )}
    </>
  )
}

interface Options {
  connections: Connection[]
  connectionsError?: unknown
  byProvider: Map<string, Connector>
  webhooks: WebhookEndpoint[]
  webhooksError?: unknown
  agents: Named[]
  agentsError?: unknown
  agentsLoading: boolean
  playbooks: Named[]
  playbooksError?: unknown
  playbooksLoading: boolean
}

/** RuleEditor is the builder form; it keeps what was typed when saving fails. */
function RuleEditor({ rule, initial, onSaved }: { rule?: Rule; initial: RuleForm; onSaved?: (r: Rule) => void }) {
  const { canWrite } = useSession()
  const [form, setForm] = useState<RuleForm>(initial)
  const [errors, setErrors] = useState<FormErrors>(() => noErrors(initial.actions.length))
  const [failure, setFailure] = useState<unknown>()
  const save = useSaveRule()
  const formRef = useRef<HTMLFormElement>(null)
  const listId = useId()
  const kindName = useId()

  const connections = useConnections()
  const connectors = useConnectors()
  const webhooks = useWebhooks()
  const agents = useAgentOptions(form.actions.some((a) => a.type === 'agent_run'))
  const playbooks = usePlaybookOptions(form.actions.some((a) => a.type === 'playbook'))
  const byProvider = useMemo(() => new Map((connectors.data?.items ?? []).map((c) => [c.id, c])), [connectors.data])
  const options: Options = {
    connections: connections.data ?? [],
    connectionsError: connections.error ?? undefined,
    byProvider,
    webhooks: webhooks.data ?? [],
    webhooksError: webhooks.error ?? undefined,
    agents: agents.data ?? [],
    agentsError: agents.error ?? undefined,
    agentsLoading: agents.isLoading,
    playbooks: playbooks.data ?? [],
    playbooksError: playbooks.error ?? undefined,
    playbooksLoading: playbooks.isLoading,
  }
  const zones = useMemo(() => timeZoneOptions(form.timezone), [form.timezone])
  const readOnly = !canWrite

  function clearField(...keys: string[]) {
    setErrors((e) => {
      if (!keys.some((k) => k in e.fields)) return e
      const fields = { ...e.fields }
      for (const k of keys) delete fields[k]
      return { ...e, fields }
    })
  }

  function set<K extends keyof RuleForm>(k: K, v: RuleForm[K], ...alsoClear: string[]) {
    setForm((f) => ({ ...f, [k]: v }))
    clearField(k as string, ...alsoClear)
  }

  function setAction(i: number, patch: Partial<ActionForm>) {
    setForm((f) => ({ ...f, actions: f.actions.map((a, j) => (j === i ? { ...a, ...patch } : a)) }))
    setErrors((e) => {
      const cur = e.actions[i]
      if (!cur || Object.keys(cur).length === 0) return e
      const next = patch.type ? {} : { ...cur }
      for (const k of Object.keys(patch)) delete next[k as ActionField]
      return { ...e, actions: e.actions.map((a, j) => (j === i ? next : a)) }
    })
  }

  function checkJson(i: number, field: 'input' | 'playbookInput') {
    const text = form.actions[i]?.[field] ?? ''
    const { error } = parseJsonInput(text, { object: true })
    if (error) setErrors((e) => ({ ...e, actions: e.actions.map((a, j) => (j === i ? { ...a, [field]: error } : a)) }))
  }

  function move(i: number, delta: number) {
    setForm((f) => ({ ...f, actions: moveItem(f.actions, i, delta) }))
    setErrors((e) => moveErrors(e, i, delta))
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>(`[data-move="${i + delta}-${delta < 0 ? 'up' : 'down'}"]`)?.focus())
  }

  function remove(i: number) {
    setForm((f) => ({ ...f, actions: removeAt(f.actions, i) }))
    setErrors((e) => ({ ...e, actions: removeAt(e.actions, i) }))
  }

  function add() {
    setForm((f) => ({ ...f, actions: [...f.actions, newAction()] }))
    setErrors((e) => {
      const fields = { ...e.fields }
      delete fields.actions
      return { ...e, fields, actions: [...e.actions, {}] }
    })
  }

  function focusFirstInvalid() {
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus())
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setFailure(undefined)
    const { request, errors: errs } = formToRequest(form)
    if (!request) {
      setErrors(errs)
      const n = errorCount(errs)
      setFailure(new ApiError(400, 'invalid', `${n} ${n === 1 ? 'field needs' : 'fields need'} attention before the rule can be saved.`))
      focusFirstInvalid()
      return
    }
    try {
      const saved = await save.mutateAsync({ id: rule?.id, req: request })
      setErrors(noErrors(form.actions.length))
      onSaved?.(saved)
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        const mapped = apiErrorsToForm(err.fields, form.actions)
        setErrors(mapped)
        const placed = errorCount(mapped) - mapped.other.length
        // The messages stand at their fields; the summary only points there.
        setFailure(placed > 0 ? new ApiError(err.status, err.code, `The hub refused the rule: ${placed === 1 ? 'one field is' : `${placed} fields are`} marked above.`, err.fields, err.requestId) : err)
      } else {
        setFailure(err)
      }
      focusFirstInvalid()
    }
  }

  const scheduleWords = form.schedule.trim() ? describeCron(form.schedule) : ''

  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-label={rule ? 'Edit rule' : 'New rule'}>
      {readOnly && (
        <div className="notice" role="status">
          Your role can view this rule but not change it.
        </div>
      )}
      <fieldset className="intg-plain" disabled={readOnly}>
        <Card title="Trigger">
          <TextField
            label="Rule name"
            required
            autoComplete="off"
            placeholder="Failed payment → follow-up"
            value={form.name}
            error={errors.fields.name}
            maxLength={200}
            onChange={(e) => set('name', e.target.value)}
          />
          <fieldset>
            <legend>Runs</legend>
            <div className="row">
              <label className="check">
                <input type="radio" name={kindName} checked={form.triggerKind === 'event'} onChange={() => set('triggerKind', 'event', 'trigger')} /> When an event arrives
              </label>
              <label className="check">
                <input
                  type="radio"
                  name={kindName}
                  checked={form.triggerKind === 'schedule'}
                  onChange={() => {
                    setForm((f) => ({ ...f, triggerKind: 'schedule', timezone: !rule && !f.schedule && !f.timezone ? browserTimeZone() : f.timezone }))
                    clearField('triggerKind', 'trigger')
                  }}
                />{' '}
                On a schedule
              </label>
            </div>
          </fieldset>
          {errors.fields.trigger && (
            <p className="field-error" role="alert">
              {errors.fields.trigger}
            </p>
          )}
          {form.triggerKind === 'event' ? (
            <>
              <TextField
                label="Event type"
                required
                autoComplete="off"
                spellCheck={false}
                list={listId}
                placeholder="stripe.invoice.payment_failed"
                help="An exact type such as shopify.orders.create, or a prefix ending in * such as stripe.invoice.*. The Webhooks tab shows the events the hub has received."
                value={form.eventType}
                error={errors.fields.eventType}
                onChange={(e) => set('eventType', e.target.value, 'trigger')}
              />
              <datalist id={listId}>
                {commonEventTypes.map((t) => (
                  <option key={t} value={t} />
                ))}
              </datalist>
            </>
          ) : (
            <div className="grid grid-2">
              <TextField
                label="Cron schedule"
                required
                autoComplete="off"
                spellCheck={false}
                className="mono"
                placeholder="0 9 * * 1"
                help={
                  scheduleWords && scheduleWords !== form.schedule.trim().split(/\s+/).join(' ')
                    ? `${scheduleWords} (${form.timezone || 'UTC'}).`
                    : 'Five fields: minute hour day-of-month month day-of-week, e.g. 0 9 * * 1 for Mondays at 09:00; or @hourly, @daily, @weekly, @monthly.'
                }
                value={form.schedule}
                error={errors.fields.schedule}
                onChange={(e) => set('schedule', e.target.value, 'trigger')}
              />
              <SelectField label="Time zone" value={form.timezone} error={errors.fields.timezone} onChange={(e) => set('timezone', e.target.value, 'trigger')} help="The zone the schedule is read in; daylight saving is handled.">
                <option value="">UTC</option>
                {zones.map((z) => (
                  <option key={z} value={z}>
                    {z}
                  </option>
                ))}
              </SelectField>
            </div>
          )}
        </Card>

        <Card title="Condition">
          <CodeArea
            label="Condition (CEL)"
            rows={3}
            placeholder="event.payload.amount > 1000"
            value={form.condition}
            error={errors.fields.condition}
            onChange={(e) => set('condition', e.target.value)}
            help={
              <>
                Optional: the actions run only when this is true. CEL over <code>event</code> (<code>id</code>, <code>type</code>, <code>source</code>, <code>occurred_at</code>,{' '}
                <code>received_at</code>, <code>payload</code>), e.g. <code>event.payload.amount &gt; 1000 &amp;&amp; event.payload.currency == "usd"</code>. JSON numbers are doubles:
                write <code>2.0</code> in arithmetic. The hub checks it when you save. Empty: every matching event.
              </>
            }
          />
        </Card>

        <Card title="Actions">
          <p className="muted small">
            Steps run in order; a failed step stops the run, and you can retry it from the run history. Inputs may template event fields as <code>{'{{ event.payload.email }}'}</code>.
          </p>
          {errors.fields.actions && (
            <p className="field-error" role="alert">
              {errors.fields.actions}
            </p>
          )}
          <ol className="intg-actions-list" aria-label="Actions">
            {form.actions.map((a, i) => (
              <li key={a.key}>
                <ActionEditor
                  index={i}
                  count={form.actions.length}
                  value={a}
                  errors={errors.actions[i] ?? {}}
                  options={options}
                  readOnly={readOnly}
                  onChange={(patch) => setAction(i, patch)}
                  onBlurJson={(field) => checkJson(i, field)}
                  onMove={(d) => move(i, d)}
                  onRemove={() => remove(i)}
                />
              </li>
            ))}
          </ol>
          {!readOnly && (
            <div className="row" style={{ marginTop: '.75rem' }}>
              <Button onClick={add} disabled={form.actions.length >= 20}>
                Add action
              </Button>
              {form.actions.length >= 20 && <span className="muted small">A rule has at most 20 actions.</span>}
            </div>
          )}
        </Card>

        {!readOnly && (
          <Card>
            <label className="check">
              <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled
            </label>
            <p className="field-help">A disabled rule keeps its settings and history but does not run{form.triggerKind === 'schedule' ? '; its schedule is paused' : ''}.</p>
            {errors.fields.enabled && (
              <p className="field-error" role="alert">
                {errors.fields.enabled}
              </p>
            )}
            {errors.other.length > 0 && (
              <ul className="inline-error" role="alert" style={{ paddingLeft: '1.5rem' }}>
                {errors.other.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            )}
            <InlineError error={failure} />
            <div className="form-actions">
              {rule ? null : (
                <Link href="/rules" className="btn btn-secondary">
                  Cancel
                </Link>
              )}
              <Button type="submit" variant="primary" busy={save.isPending}>
                {rule ? 'Save rule' : 'Create rule'}
              </Button>
            </div>
          </Card>
        )}
      </fieldset>
    </form>
  )
}

function ActionEditor({
  index,
  count,
  value: a,
  errors,
  options,
  readOnly,
  onChange,
  onBlurJson,
  onMove,
  onRemove,
}: {
  index: number
  count: number
  value: ActionForm
  errors: Partial<Record<ActionField, string>>
  options: Options
  readOnly: boolean
  onChange: (patch: Partial<ActionForm>) => void
  onBlurJson: (field: 'input' | 'playbookInput') => void
  onMove: (delta: number) => void
  onRemove: () => void
}) {
  const n = index + 1
  return (
    <fieldset className="intg-action" data-testid={`action-${n}`}>
      <legend>Action {n}</legend>
      {!readOnly && (
        <div className="intg-action-tools">
          <Button variant="ghost" className="intg-btn-sm" aria-label={`Move action ${n} up`} data-move={`${index}-up`} disabled={index === 0} onClick={() => onMove(-1)}>
            ↑ Up
          </Button>
          <Button variant="ghost" className="intg-btn-sm" aria-label={`Move action ${n} down`} data-move={`${index}-down`} disabled={index === count - 1} onClick={() => onMove(1)}>
            ↓ Down
          </Button>
          <Button variant="danger" className="intg-btn-sm" aria-label={`Remove action ${n}`} onClick={onRemove}>
            Remove
          </Button>
        </div>
      )}
      <SelectField label="Type" value={a.type} error={errors.type} onChange={(e) => onChange({ type: e.target.value as RuleActionType })}>
        {actionTypes.map((t) => (
          <option key={t.value} value={t.value}>
            {t.label}
          </option>
        ))}
      </SelectField>
      {a.type === 'connector_action' && <ConnectorActionFields a={a} errors={errors} options={options} readOnly={readOnly} onChange={onChange} onBlurJson={onBlurJson} />}
      {a.type === 'agent_run' && (
        <>
          <NamedSelect
            label="Agent"
            value={a.agentId}
            error={errors.agentId}
            items={options.agents}
            loading={options.agentsLoading}
            loadError={options.agentsError}
            emptyHint={
              <>
                No agents yet. <Link href="~/dashboard/agents">Create an agent</Link> first.
              </>
            }
            onChange={(v) => onChange({ agentId: v })}
          />
          <TextArea
            label="Task for the agent"
            rows={3}
            placeholder="A payment of {{ event.payload.data.object.customer_email }} failed. Draft a friendly reminder."
            help="Plain text; it may template event fields such as {{ event.payload.email }}."
            value={a.task}
            error={errors.task}
            onChange={(e) => onChange({ task: e.target.value })}
          />
        </>
      )}
      {a.type === 'playbook' && (
        <>
          <NamedSelect
            label="Playbook"
            value={a.playbookId}
            error={errors.playbookId}
            items={options.playbooks}
            loading={options.playbooksLoading}
            loadError={options.playbooksError}
            emptyHint={
              <>
                No playbooks yet. <Link href="~/dashboard/playbooks">Create a playbook</Link> first.
              </>
            }
            onChange={(v) => onChange({ playbookId: v })}
          />
          <CodeArea
            label="Extra input (JSON)"
            rows={4}
            placeholder={'{"segment": "{{ event.payload.plan }}"}'}
            help="Optional: a JSON object added to the run's input beside event."
            value={a.playbookInput}
            error={errors.playbookInput}
            onChange={(e) => onChange({ playbookInput: e.target.value })}
            onBlur={() => onBlurJson('playbookInput')}
          />
        </>
      )}
      {a.type === 'webhook' && <WebhookFields a={a} errors={errors} options={options} onChange={onChange} />}
      {a.type === 'delay' && (
        <TextField
          label="Wait (seconds)"
          type="number"
          inputMode="numeric"
          min={1}
          max={MAX_DELAY_SECONDS}
          step={1}
          value={a.seconds}
          error={errors.seconds}
          help={Number(a.seconds) > 0 ? `Waits ${delayLabel(Number(a.seconds))} before the next action (at most 7 days).` : 'Whole seconds, 1 to 604800 (7 days).'}
          onChange={(e) => onChange({ seconds: e.target.value })}
        />
      )}
    </fieldset>
  )
}

function ConnectorActionFields({
  a,
  errors,
  options,
  readOnly,
  onChange,
  onBlurJson,
}: {
  a: ActionForm
  errors: Partial<Record<ActionField, string>>
  options: Options
  readOnly: boolean
  onChange: (patch: Partial<ActionForm>) => void
  onBlurJson: (field: 'input' | 'playbookInput') => void
}) {
  const conn = options.connections.find((c) => c.id === a.connectionId)
  const actions: Action[] = conn ? (options.byProvider.get(conn.provider)?.actions ?? []) : []
  const chosen = actions.find((x) => x.name === a.action)
  const fields = chosen ? schemaFields(chosen.input_schema) : []
  const providers = [...new Set(options.connections.map((c) => c.provider))].sort()
  return (
    <>
      {options.connectionsError ? <InlineError error={options.connectionsError} /> : null}
      <SelectField
        label="Connection"
        value={a.connectionId}
        error={errors.connectionId}
        onChange={(e) => {
          const next = options.connections.find((c) => c.id === e.target.value)
          const keep = next && a.action.startsWith(`${next.provider}.`)
          onChange({ connectionId: e.target.value, ...(keep ? {} : { action: '' }) })
        }}
        help={
          options.connections.length === 0 ? (
            <>
              No connections yet. <Link href="~/dashboard/connectors">Connect a platform</Link> first.
            </>
          ) : undefined
        }
      >
        <option value="">Choose a connection…</option>
        {a.connectionId && !conn && <option value={a.connectionId}>Unknown connection ({a.connectionId})</option>}
        {providers.map((p) => (
          <optgroup key={p} label={options.byProvider.get(p)?.name ?? titleCase(p)}>
            {options.connections
              .filter((c) => c.provider === p)
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                  {c.status !== 'connected' ? ` (${c.status})` : ''}
                </option>
              ))}
          </optgroup>
        ))}
      </SelectField>
      <SelectField
        label="Action"
        value={a.action}
        error={errors.action}
        disabled={!a.connectionId}
        onChange={(e) => onChange({ action: e.target.value })}
        help={chosen ? chosen.description : !a.connectionId ? 'Choose a connection first; its platform’s actions are listed here.' : undefined}
      >
        <option value="">{a.connectionId ? 'Choose an action…' : '—'}</option>
        {a.action && !chosen && <option value={a.action}>{a.action}</option>}
        {actions.map((x) => (
          <option key={x.name} value={x.name}>
            {x.title}
            {x.write ? ' (changes data)' : ''}
          </option>
        ))}
      </SelectField>
      {fields.length > 0 && (
        <p className="small muted" style={{ marginTop: '-.5rem' }}>
          Input fields:{' '}
          {fields.map((f, i) => (
            <span key={f.name}>
              {i > 0 && ', '}
              <code>{f.name}</code>
              {f.required ? ' (required)' : ''}
            </span>
          ))}
          {!readOnly && !a.input.trim() && fields.some((f) => f.required) && (
            <>
              {' '}
              <Button variant="ghost" className="intg-btn-sm" onClick={() => onChange({ input: inputSkeleton(chosen?.input_schema) })}>
                Insert required fields
              </Button>
            </>
          )}
        </p>
      )}
      <CodeArea
        label="Input (JSON)"
        rows={5}
        placeholder={'{"email": "{{ event.payload.email }}"}'}
        value={a.input}
        error={errors.input}
        onChange={(e) => onChange({ input: e.target.value })}
        onBlur={() => onBlurJson('input')}
        help={
          <>
            A JSON object; empty sends <code>{'{}'}</code>. Template event fields inside strings: <code>{'{"email": "{{ event.payload.email }}"}'}</code>. A value that is one
            placeholder keeps its JSON type; <code>{'{{ event.payload.name | default: "there" }}'}</code> gives a fallback.
          </>
        }
      />
    </>
  )
}

function WebhookFields({ a, errors, options, onChange }: { a: ActionForm; errors: Partial<Record<ActionField, string>>; options: Options; onChange: (patch: Partial<ActionForm>) => void }) {
  const known = options.webhooks.some((w) => w.id === a.webhookId)
  return (
    <>
      {options.webhooksError ? <InlineError error={options.webhooksError} /> : null}
      <SelectField
        label="Endpoint"
        value={a.webhookId}
        error={errors.webhookId}
        onChange={(e) => onChange({ webhookId: e.target.value })}
        help={
          options.webhooks.length === 0 ? (
            <>
              No outbound endpoints yet. <Link href="/">Add one on the Webhooks tab</Link> first.
            </>
          ) : (
            'The event that triggered the rule is delivered to this endpoint, signed, with retries.'
          )
        }
      >
        <option value="">Choose an endpoint…</option>
        {a.webhookId && !known && <option value={a.webhookId}>Unknown endpoint ({a.webhookId})</option>}
        {options.webhooks.map((w) => (
          <option key={w.id} value={w.id}>
            {endpointLabel(w)}
            {w.description ? ` — ${w.url}` : ''}
            {w.enabled ? '' : ' (disabled)'}
          </option>
        ))}
      </SelectField>
    </>
  )
}

function NamedSelect({
  label,
  value,
  error,
  items,
  loading,
  loadError,
  emptyHint,
  onChange,
}: {
  label: string
  value: string
  error?: string
  items: Named[]
  loading: boolean
  loadError?: unknown
  emptyHint: ReactNode
  onChange: (v: string) => void
}) {
  const known = items.some((x) => x.id === value)
  return (
    <>
      {loadError ? <InlineError error={loadError} /> : null}
      <SelectField
        label={label}
        value={value}
        error={error}
        onChange={(e) => onChange(e.target.value)}
        help={loading ? 'Loading…' : !loadError && items.length === 0 ? emptyHint : items.find((x) => x.id === value)?.description || undefined}
      >
        <option value="">Choose…</option>
        {value && !known && <option value={value}>{loading ? 'Loading…' : `Unknown (${value})`}</option>}
        {items.map((x) => (
          <option key={x.id} value={x.id}>
            {x.name}
          </option>
        ))}
      </SelectField>
    </>
  )
}
