// The agent settings form: identity, model, tools by connector, knowledge bases.
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react'
import { Link, useLocation } from 'wouter'
import { ApiError } from '../../api/client'
import { useCreateAgent, useLLMProviders, useUpdateAgent, type Agent, type Approval, type LLMProviderSettings } from '../../api/agents'
import { useConnections, useConnectors } from '../../api/connectors'
import { useKnowledgeBases } from '../../api/knowledge'
import type { Action } from '../../api/types'
import {
  buildAgentRequest,
  clampTemperature,
  creativityWord,
  formFromAgent,
  groupTools,
  knowledgeErrors,
  limits,
  providerOptions,
  sectionErrors,
  showConnectionSelect,
  temperatureRange,
  toggleTool,
  toolErrors,
  updateTool,
  validateAgentForm,
  type AgentForm,
  type ToolEntry,
  type ToolFieldErrors,
  type ToolGroup,
} from '../../lib/agent-form'
import { useSession } from '../../session'
import { Badge, Button, Card, ErrorState, FieldFrame, InlineError, Loading, SelectField, TextArea, TextField } from '../../ui'
import { NewKnowledgeBaseForm } from './knowledge-base-form'

function defaultProvider(settings: LLMProviderSettings[] | undefined): string {
  const has = (p: string) => settings?.some((s) => s.provider === p)
  return has('ollama') && !has('openai') ? 'ollama' : 'openai'
}

function providerHelp(provider: string, settings: LLMProviderSettings[] | undefined): string {
  const s = settings?.find((x) => x.provider === provider)
  switch (provider) {
    case '':
      return 'Runs need a model: choose a provider to set one.'
    case 'ollama':
      return s?.base_url
        ? `Uses the tenant’s Ollama server (${s.base_url}) unless you give this agent its own base URL.`
        : 'Uses the hub’s Ollama server (OLLAMA_HOST) unless the tenant’s model providers or this agent set a base URL.'
    case 'openai':
      if (!s) return 'The tenant has no OpenAI-compatible settings: give this agent its own API key, or ask a tenant admin to set one under Model providers.'
      return `Uses the tenant’s ${s.has_api_key ? 'API key' : 'settings'}${s.base_url ? ` at ${s.base_url}` : ''} unless you give this agent its own.`
    default:
      return ''
  }
}

/** AgentSettings creates (without agent) or edits an agent. */
export function AgentSettings({ agent }: { agent?: Agent }) {
  const { canWrite } = useSession()
  const editing = !!agent
  const providers = useLLMProviders()
  const [form, setForm] = useState<AgentForm>(() => formFromAgent(agent, defaultProvider(providers.data?.items)))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<unknown>()
  const [saved, setSaved] = useState(false)
  const [focusTick, setFocusTick] = useState(0)
  const create = useCreateAgent()
  const update = useUpdateAgent(agent?.id ?? '')
  const [, navigate] = useLocation()
  const formId = useId()
  const wrapRef = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (!focusTick) return
    wrapRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
  }, [focusTick])

  const set = <K extends keyof AgentForm>(k: K, v: AgentForm[K]) => {
    setSaved(false)
    setForm((old) => ({ ...old, [k]: v }))
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setSaved(false)
    setFormError(undefined)
    const errs = validateAgentForm(form)
    setErrors(errs)
    if (Object.keys(errs).length) {
      setFocusTick((n) => n + 1)
      return
    }
    const body = buildAgentRequest(form, editing)
    try {
      if (editing) {
        await update.mutateAsync(body)
        setForm((f) => ({ ...f, api_key: '', remove_api_key: false }))
        setSaved(true)
      } else {
        const a = await create.mutateAsync(body)
        navigate(`/${a.id}`, { replace: true })
      }
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.fields)
        setFocusTick((n) => n + 1)
      }
      setFormError(err)
    }
  }

  const sections = sectionErrors(errors, form.tools, form.knowledge_base_ids)
  const range = temperatureRange(form.provider)
  const hasOwnKey = !!agent?.llm.has_api_key
  const showKey = form.provider === 'openai' || hasOwnKey || !!form.api_key

  return (
    <div ref={wrapRef}>
      <form id={formId} onSubmit={submit} noValidate aria-label={editing ? 'Agent settings' : 'New agent'}>
        <fieldset className="agents-plain" disabled={!canWrite}>
          <Card title="Identity">
            <TextField label="Name" required value={form.name} onChange={(e) => set('name', e.target.value)} error={errors.name} help="Shown in lists, runs and approval requests." placeholder="Marketing Agent" />
            <TextField label="Role" value={form.role} onChange={(e) => set('role', e.target.value)} error={errors.role} help="Who the agent is, in a few words, e.g. “marketing analyst”." />
            <TextArea label="Goal" rows={2} value={form.goal} onChange={(e) => set('goal', e.target.value)} error={errors.goal} help="What it works towards; the model reads this at the start of every run." />
            <TextArea label="Backstory" rows={3} value={form.backstory} onChange={(e) => set('backstory', e.target.value)} error={errors.backstory} help="Experience and context that shape how it works, e.g. “Ran paid search for ten years.”" />
            <TextArea
              label="Instructions"
              rows={5}
              value={form.instructions}
              onChange={(e) => set('instructions', e.target.value)}
              error={errors.instructions}
              help="Rules to follow: tone, limits, what never to do (“Be brief; draft, never publish.”). Up to 8,000 characters."
            />
          </Card>

          <Card title="Model">
            <div className="grid grid-2" style={{ gap: '0 1rem' }}>
              <SelectField
                label="Provider"
                value={form.provider}
                onChange={(e) => {
                  const p = e.target.value
                  setSaved(false)
                  setForm((old) => ({ ...old, provider: p, temperature: clampTemperature(old.temperature, p) }))
                }}
                error={errors['llm.provider']}
                help={providerHelp(form.provider, providers.data?.items)}
              >
                <option value="">No model yet</option>
                {providerOptions.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.label}
                  </option>
                ))}
              </SelectField>
              <TextField
                label="Model"
                required={!!form.provider}
                value={form.model}
                onChange={(e) => set('model', e.target.value)}
                error={errors['llm.model']}
                placeholder={form.provider === 'ollama' ? 'llama3.1' : 'gpt-4o-mini'}
                help="The model’s name at the provider. It must support tool calling."
              />
              <TextField
                label="Base URL"
                type="url"
                autoComplete="off"
                value={form.base_url}
                onChange={(e) => set('base_url', e.target.value)}
                error={errors['llm.base_url']}
                help="Optional: this agent’s own endpoint, instead of the tenant’s."
              />
              {showKey && (
                <div>
                  <TextField
                    label="API key"
                    type="password"
                    autoComplete="new-password"
                    value={form.api_key}
                    onChange={(e) => set('api_key', e.target.value)}
                    error={errors['llm.api_key']}
                    disabled={form.remove_api_key}
                    help={
                      hasOwnKey
                        ? 'This agent has its own key. Leave empty to keep it; type a new one to replace it.'
                        : 'Optional: this agent’s own key, used instead of the tenant’s. Stored sealed, never shown again.'
                    }
                  />
                  {editing && hasOwnKey && (
                    <label className="check" style={{ marginTop: '-.4rem', marginBottom: '.9rem' }}>
                      <input type="checkbox" checked={form.remove_api_key} onChange={(e) => set('remove_api_key', e.target.checked)} /> Remove this agent’s own key
                    </label>
                  )}
                </div>
              )}
            </div>
            <CreativityField value={form.temperature} provider={form.provider} onChange={(v) => set('temperature', v)} error={errors.temperature} range={range} />
            <div className="grid grid-2" style={{ gap: '0 1rem' }}>
              <TextField
                label="Max steps"
                type="number"
                inputMode="numeric"
                min={limits.maxSteps.min}
                max={limits.maxSteps.max}
                value={form.max_steps}
                onChange={(e) => set('max_steps', e.target.value)}
                error={errors.max_steps}
                help={`Model calls per run before it stops (${limits.maxSteps.min}–${limits.maxSteps.max}, default ${limits.maxSteps.default}).`}
              />
              <TextField
                label="Token budget"
                type="number"
                inputMode="numeric"
                min={limits.tokenBudget.min}
                step={1000}
                value={form.token_budget}
                onChange={(e) => set('token_budget', e.target.value)}
                error={errors.token_budget}
                help={`Tokens a run may use before it stops (default ${limits.tokenBudget.default.toLocaleString('en')}).`}
              />
            </div>
            <details>
              <summary>Pricing, for the runs’ cost figures</summary>
              <div className="grid grid-2" style={{ gap: '0 1rem', marginTop: '.75rem' }}>
                <TextField
                  label="Input price (USD per million tokens)"
                  type="number"
                  min={0}
                  step="any"
                  value={form.input_price}
                  onChange={(e) => set('input_price', e.target.value)}
                  error={errors['llm.input_price_per_mtok']}
                />
                <TextField
                  label="Output price (USD per million tokens)"
                  type="number"
                  min={0}
                  step="any"
                  value={form.output_price}
                  onChange={(e) => set('output_price', e.target.value)}
                  error={errors['llm.output_price_per_mtok']}
                />
              </div>
            </details>
            {sections.llm && (
              <p className="field-error" role="alert">
                {sections.llm}
              </p>
            )}
          </Card>

          <Card title="Tools">
            <ToolPicker
              tools={form.tools}
              onChange={(tools) => set('tools', tools)}
              errors={toolErrors(errors, form.tools)}
              sectionError={sections.tools}
            />
          </Card>
        </fieldset>
      </form>

      <Card title="Knowledge">
        <KnowledgePicker
          ids={form.knowledge_base_ids}
          onChange={(ids) => set('knowledge_base_ids', ids)}
          errors={knowledgeErrors(errors, form.knowledge_base_ids)}
          sectionError={sections.knowledge}
        />
      </Card>

      {sections.other && <InlineError error={new Error(sections.other)} />}
      {canWrite && (
        <div className="form-actions" style={{ alignItems: 'center' }}>
          {saved && (
            <span className="notice notice-ok" role="status" style={{ margin: 0 }}>
              Saved. New runs use these settings.
            </span>
          )}
          <Button type="submit" form={formId} variant="primary" busy={create.isPending || update.isPending}>
            {editing ? 'Save changes' : 'Create agent'}
          </Button>
        </div>
      )}
      <InlineError error={formError} />
    </div>
  )
}

/** CreativityField is the temperature slider, in the provider's range. */
function CreativityField({ value, provider, onChange, error, range }: { value: number; provider: string; onChange: (v: number) => void; error?: string; range: { min: number; max: number; step: number } }) {
  const word = creativityWord(value, provider)
  return (
    <FieldFrame
      label="Creativity"
      error={error}
      help={`The model’s temperature, ${range.min} to ${range.max} for this provider. Lower answers the same way each time; higher varies more. For tools and facts keep it low.`}
    >
      {({ id, describedBy, invalid }) => (
        <div className="agents-creativity">
          <span className="small muted" aria-hidden="true">
            precise
          </span>
          <input
            id={id}
            type="range"
            min={range.min}
            max={range.max}
            step={range.step}
            value={value}
            onChange={(e) => onChange(Number(e.target.value))}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            aria-valuetext={`${value.toFixed(1)}, ${word}`}
          />
          <span className="small muted" aria-hidden="true">
            creative
          </span>
          <output htmlFor={id} aria-live="polite">
            {value.toFixed(1)} · {word}
          </output>
        </div>
      )}
    </FieldFrame>
  )
}

/** ToolPicker lists every connector's actions as checkboxes, usable where the tenant has a connected account. */
function ToolPicker({ tools, onChange, errors, sectionError }: { tools: ToolEntry[]; onChange: (t: ToolEntry[]) => void; errors: Record<string, ToolFieldErrors>; sectionError?: string }) {
  const connectors = useConnectors()
  const connections = useConnections()
  const groups = useMemo(() => groupTools(connectors.data?.items ?? [], connections.data ?? []), [connectors.data, connections.data])
  const known = new Set(groups.flatMap((g) => g.actions.map((a) => a.name)))
  const orphans = tools.filter((t) => !known.has(t.action))

  if (connectors.isPending || connections.isPending) return <Loading label="Loading connectors and accounts…" />
  if (connectors.isError) return <ErrorState error={connectors.error} retry={() => void connectors.refetch()} />
  if (connections.isError) return <ErrorState error={connections.error} retry={() => void connections.refetch()} />
  const anyEnabled = groups.some((g) => g.enabled)
  return (
    <>
      <p className="muted small">
        Actions the agent may take, each on one of your connected accounts. Writes ask a person for approval by default; reads run at once.
      </p>
      {!anyEnabled && (
        <div className="notice notice-warn">
          No platform is connected yet, so there are no tools to choose. <Link href="~/dashboard/connectors">Connect a platform</Link>, then come back.
        </div>
      )}
      {sectionError && (
        <p className="field-error" role="alert">
          {sectionError}
        </p>
      )}
      {groups.map((g) => (
        <ToolGroupFieldset key={g.connector.id} group={g} tools={tools} onChange={onChange} errors={errors} />
      ))}
      {orphans.length > 0 && (
        <fieldset>
          <legend>Other tools</legend>
          <p className="muted small">These actions are no longer in the catalogue; remove them to save.</p>
          <ul className="agents-actions">
            {orphans.map((t) => (
              <li key={t.key} className="row">
                <span className="mono">{t.action}</span>
                <Button variant="ghost" onClick={() => onChange(tools.filter((x) => x.key !== t.key))} aria-label={`Remove ${t.action}`}>
                  Remove
                </Button>
                {errors[t.key] && <span className="field-error">{Object.values(errors[t.key]).join(' ')}</span>}
              </li>
            ))}
          </ul>
        </fieldset>
      )}
    </>
  )
}

function ToolGroupFieldset({ group: g, tools, onChange, errors }: { group: ToolGroup; tools: ToolEntry[]; onChange: (t: ToolEntry[]) => void; errors: Record<string, ToolFieldErrors> }) {
  const c = g.connector
  const chosen = tools.filter((t) => g.actions.some((a) => a.name === t.action)).length
  return (
    <fieldset>
      <legend>
        {c.name}
        {chosen > 0 && <span className="muted small"> · {chosen} chosen</span>}
      </legend>
      {!g.enabled && (
        <p className="small" style={{ marginTop: 0 }}>
          <Link href={`~/dashboard/connectors/${c.id}`}>Connect {c.name} first</Link>
          {g.connections.length > 0 && <span className="muted"> (its account is {g.connections[0].status}; reconnect it)</span>}
        </p>
      )}
      {g.enabled && g.connected.length > 1 && <p className="muted small" style={{ marginTop: 0 }}>{g.connected.length} connected accounts: choose one per tool.</p>}
      {g.actions.length === 0 ? (
        <p className="muted small">This platform has no actions agents can use.</p>
      ) : (
        <ul className="agents-actions">
          {g.actions.map((a) => (
            <ToolOption key={a.name} group={g} action={a} tools={tools} onChange={onChange} errors={errors} />
          ))}
        </ul>
      )}
    </fieldset>
  )
}

function ToolOption({ group: g, action: a, tools, onChange, errors }: { group: ToolGroup; action: Action; tools: ToolEntry[]; onChange: (t: ToolEntry[]) => void; errors: Record<string, ToolFieldErrors> }) {
  const id = useId()
  const entries = tools.filter((t) => t.action === a.name)
  const checked = entries.length > 0
  const disabled = !g.enabled && !checked
  const actionError = entries.map((t) => errors[t.key]?.action).find(Boolean)
  return (
    <li className="agents-tool">
      <div className="row" style={{ gap: '.5rem' }}>
        <label className={`check${disabled ? ' check-disabled' : ''}`} htmlFor={id}>
          <input
            id={id}
            type="checkbox"
            checked={checked}
            disabled={disabled}
            onChange={(e) => onChange(toggleTool(tools, g, a, e.target.checked))}
            aria-describedby={`${id}-desc${actionError ? ` ${id}-err` : ''}`}
            aria-invalid={actionError ? true : undefined}
          />
          {a.title}
        </label>
        {a.write ? <Badge>writes</Badge> : null}
      </div>
      <p id={`${id}-desc`} className="muted small" style={{ margin: '0 0 0 1.6rem' }}>
        {a.description || (a.write ? 'Changes data at the platform.' : 'Reads data.')}
      </p>
      {actionError && (
        <p id={`${id}-err`} className="field-error" role="alert" style={{ marginLeft: '1.6rem' }}>
          {actionError}
        </p>
      )}
      {entries.map((t) => (
        <ToolEntrySettings key={t.key} group={g} action={a} entry={t} errors={errors[t.key]} onChange={(patch) => onChange(updateTool(tools, t.key, patch))} />
      ))}
    </li>
  )
}

function ToolEntrySettings({ group: g, action: a, entry, errors, onChange }: { group: ToolGroup; action: Action; entry: ToolEntry; errors?: ToolFieldErrors; onChange: (p: Partial<Omit<ToolEntry, 'key'>>) => void }) {
  const select = showConnectionSelect(g, entry)
  const missing = entry.connection_id && !g.connections.some((c) => c.id === entry.connection_id)
  return (
    <div className="agents-tool-settings">
      {select && (
        <SelectField label={`Account for ${a.title}`} value={entry.connection_id} onChange={(e) => onChange({ connection_id: e.target.value })} error={errors?.connection_id}>
          {!entry.connection_id && <option value="">Choose an account…</option>}
          {missing && <option value={entry.connection_id}>A deleted account</option>}
          {g.connections.map((c) => (
            <option key={c.id} value={c.id} disabled={c.status !== 'connected' && c.id !== entry.connection_id}>
              {c.name}
              {c.status !== 'connected' ? ` (${c.status})` : ''}
            </option>
          ))}
        </SelectField>
      )}
      <SelectField label={`Approval for ${a.title}`} value={entry.approval} onChange={(e) => onChange({ approval: e.target.value as Approval })} error={errors?.approval}>
        <option value="required">Ask for approval</option>
        <option value="auto">Run automatically</option>
      </SelectField>
      {!select && errors?.connection_id && (
        <p className="field-error" role="alert">
          {errors.connection_id}
        </p>
      )}
      {errors?.entry && (
        <p className="field-error" role="alert">
          {errors.entry}
        </p>
      )}
    </div>
  )
}

/** KnowledgePicker chooses the bases the agent searches, and creates new ones inline. */
function KnowledgePicker({ ids, onChange, errors, sectionError }: { ids: string[]; onChange: (ids: string[]) => void; errors: Record<string, string>; sectionError?: string }) {
  const { canWrite } = useSession()
  const kbs = useKnowledgeBases()
  const [creating, setCreating] = useState(false)
  const list = kbs.data ?? []
  const unknown = kbs.isSuccess ? ids.filter((id) => !list.some((k) => k.id === id)) : []
  const toggle = (id: string, on: boolean) => onChange(on ? (ids.includes(id) ? ids : [...ids, id]) : ids.filter((x) => x !== id))

  return (
    <fieldset className="agents-plain" disabled={!canWrite}>
      <legend className="sr-only">Knowledge bases</legend>
      <p className="muted small">Documents the agent can search while it works. It cites the passages it uses.</p>
      {kbs.isPending && <Loading label="Loading knowledge bases…" />}
      {kbs.isError && <ErrorState error={kbs.error} retry={() => void kbs.refetch()} />}
      {kbs.isSuccess && list.length === 0 && <p className="muted">No knowledge bases yet.{canWrite ? ' Create one below, then upload documents to it.' : ''}</p>}
      {sectionError && (
        <p className="field-error" role="alert">
          {sectionError}
        </p>
      )}
      {(list.length > 0 || unknown.length > 0) && (
        <ul className="agents-kb-list">
          {list.map((kb) => (
            <KnowledgeOption key={kb.id} id={kb.id} name={kb.name} note={`${kb.document_count} ${kb.document_count === 1 ? 'document' : 'documents'}`} checked={ids.includes(kb.id)} error={errors[kb.id]} onToggle={toggle} />
          ))}
          {unknown.map((id) => (
            <KnowledgeOption key={id} id={id} name="A deleted knowledge base" checked onToggle={toggle} error={errors[id]} />
          ))}
        </ul>
      )}
      {ids.length > 0 && (
        <div className="notice" role="note">
          The agent gets a <code>search_knowledge</code> tool that searches {ids.length === 1 ? 'this base' : 'these bases'}. Searches run without approval, and the run’s answer lists the
          passages it cites.
        </div>
      )}
      {canWrite &&
        (creating ? (
          <NewKnowledgeBaseForm
            onCreated={(kb) => {
              onChange(ids.includes(kb.id) ? ids : [...ids, kb.id])
              setCreating(false)
            }}
            onCancel={() => setCreating(false)}
          />
        ) : (
          <Button onClick={() => setCreating(true)}>New knowledge base</Button>
        ))}
    </fieldset>
  )
}

function KnowledgeOption({ id, name, note, checked, error, onToggle }: { id: string; name: string; note?: string; checked: boolean; error?: string; onToggle: (id: string, on: boolean) => void }) {
  const inputId = useId()
  return (
    <li>
      <div className="row" style={{ gap: '.5rem' }}>
        <label className="check" htmlFor={inputId}>
          <input
            id={inputId}
            type="checkbox"
            checked={checked}
            onChange={(e) => onToggle(id, e.target.checked)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${inputId}-err` : undefined}
          />
          {name}
        </label>
        {note && <span className="muted small">{note}</span>}
        {note && (
          <Link href={`/knowledge/${id}`} aria-label={`Open knowledge base ${name}`} className="small">
            Open
          </Link>
        )}
      </div>
      {error && (
        <p id={`${inputId}-err`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </li>
  )
}
