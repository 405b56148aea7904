// The rule builder's logic: a rule as form state and back, checks made
// before saving, and the API's error keys ("actions[1].input") mapped onto
// the fields that caused them.
import type { Rule, RuleAction, RuleActionType, RuleRequest, RuleRun, RuleTrigger } from '../api/integrations'

/** actionTypes are the step kinds a rule can run, in menu order. */
export const actionTypes: { value: RuleActionType; label: string }[] = [
  { value: 'connector_action', label: 'Connector action' },
  { value: 'agent_run', label: 'Run an AI agent' },
  { value: 'playbook', label: 'Run a playbook' },
  { value: 'webhook', label: 'Send to a webhook endpoint' },
  { value: 'delay', label: 'Wait' },
]

/** commonEventTypes are suggestions for the event-type field (events the hub's connectors produce). */
export const commonEventTypes: string[] = [
  'stripe.invoice.payment_failed',
  'stripe.invoice.paid',
  'stripe.customer.created',
  'stripe.payment_intent.succeeded',
  'stripe.charge.refunded',
  'stripe.*',
  'shopify.orders.create',
  'shopify.orders.updated',
  'shopify.customers.create',
  'shopify.products.update',
  'shopify.*',
  'woocommerce.order.created',
  'woocommerce.order.updated',
  'woocommerce.customer.created',
  'woocommerce.product.updated',
  'hubspot.contact.creation',
  'hubspot.deal.creation',
  'hubspot.company.creation',
  'slack.event_callback.message',
  'slack.event_callback.app_mention',
  'mailchimp.subscribe',
  'mailchimp.unsubscribe',
  'rule.run.failed',
  'webhook.endpoint.disabled',
  'agent.run.completed',
]

/** MAX_DELAY_SECONDS is the longest wait a delay step may make (7 days). */
export const MAX_DELAY_SECONDS = 7 * 86400

/** ActionForm is one step as the builder edits it; every kind keeps its own fields so switching type loses nothing. */
export interface ActionForm {
  key: string
  type: RuleActionType
  connectionId: string
  action: string
  /** input is the connector action's input as JSON text. */
  input: string
  agentId: string
  /** task is the agent's task, plain text. */
  task: string
  playbookId: string
  /** playbookInput is the playbook's extra input as JSON text. */
  playbookInput: string
  webhookId: string
  seconds: string
}

/** RuleForm is the whole builder. */
export interface RuleForm {
  name: string
  triggerKind: 'event' | 'schedule'
  eventType: string
  schedule: string
  /** timezone "" means UTC. */
  timezone: string
  condition: string
  enabled: boolean
  actions: ActionForm[]
}

/** ActionField names the fields of an ActionForm an error can point at. */
export type ActionField = Exclude<keyof ActionForm, 'key'>

/** FormErrors are the messages to show, by field. */
export interface FormErrors {
  /** fields: name, eventType, schedule, timezone, trigger, condition, enabled, actions. */
  fields: Record<string, string>
  /** actions[i] holds the errors of step i by ActionField. */
  actions: Partial<Record<ActionField, string>>[]
  /** other are messages no field of the form matches. */
  other: string[]
}

let seq = 0
function nextKey() {
  seq += 1
  return `action-${seq}`
}

/** newAction is an empty step of a type. */
export function newAction(type: RuleActionType = 'connector_action'): ActionForm {
  return { key: nextKey(), type, connectionId: '', action: '', input: '', agentId: '', task: '', playbookId: '', playbookInput: '', webhookId: '', seconds: type === 'delay' ? '60' : '' }
}

/** emptyRuleForm is the builder of a new rule. */
export function emptyRuleForm(): RuleForm {
  return { name: '', triggerKind: 'event', eventType: '', schedule: '', timezone: '', condition: '', enabled: true, actions: [newAction()] }
}

function jsonText(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) return ''
  return JSON.stringify(v, null, 2)
}

/** actionToForm turns a stored step into builder state. */
export function actionToForm(a: RuleAction): ActionForm {
  const f = newAction(actionTypes.some((t) => t.value === a.type) ? (a.type as RuleActionType) : 'connector_action')
  switch (a.type) {
    case 'connector_action':
      return { ...f, connectionId: a.connection_id ?? '', action: a.action ?? '', input: jsonText(a.input) }
    case 'agent_run':
      return { ...f, agentId: a.agent_id ?? '', task: typeof a.input === 'string' ? a.input : jsonText(a.input) }
    case 'playbook':
      return { ...f, playbookId: a.playbook_id ?? '', playbookInput: jsonText(a.input) }
    case 'webhook':
      return { ...f, webhookId: a.webhook_id ?? '' }
    case 'delay':
      return { ...f, seconds: a.seconds ? String(a.seconds) : '' }
  }
  return f
}

/** ruleToForm turns a stored rule into builder state. */
export function ruleToForm(r: Rule): RuleForm {
  const scheduled = !!r.trigger.schedule
  return {
    name: r.name,
    triggerKind: scheduled ? 'schedule' : 'event',
    eventType: r.trigger.event_type ?? '',
    schedule: r.trigger.schedule ?? '',
    timezone: r.trigger.timezone ?? '',
    condition: r.condition ?? '',
    enabled: r.enabled,
    actions: (r.actions ?? []).map(actionToForm),
  }
}

/** jsonPosition turns an offset in text into a 1-based line and column. */
export function jsonPosition(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)))
  const lines = before.split('\n')
  return { line: lines.length, column: lines[lines.length - 1].length + 1 }
}

/**
 * parseJsonInput reads a JSON textarea. Empty text is allowed unless
 * required; object demands a JSON object. The error says what is wrong
 * and where, in words a person can act on.
 */
export function parseJsonInput(text: string, opts: { object?: boolean } = {}): { value?: unknown; error?: string } {
  if (!text.trim()) return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    let msg = err instanceof Error ? err.message : String(err)
    let where = ''
    const pos = /at position (\d+)/.exec(msg)
    const lc = /\(line (\d+) column (\d+)\)/.exec(msg)
    if (lc) where = ` (line ${lc[1]}, column ${lc[2]})`
    else if (pos) {
      const p = jsonPosition(text, Number(pos[1]))
      where = ` (line ${p.line}, column ${p.column})`
    }
    msg = msg
      .replace(/\s*in JSON at position \d+.*$/s, '')
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/^JSON\.parse: /, '')
    if (/Unexpected end of JSON input/i.test(msg)) msg = 'it ends too early (a closing } or " is missing)'
    const hint = /'/.test(text) && !/"/.test(text) ? ' JSON needs double quotes around names and strings.' : ''
    return { error: `Not valid JSON: ${msg}${where}.${hint}` }
  }
  if (opts.object && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    return { error: 'Must be a JSON object such as {"email": "{{ event.payload.email }}"}.' }
  }
  return { value }
}

const eventTypePattern = /^(\*|[a-z0-9][a-z0-9_.-]{0,199}\*?)$/

/** noErrors is the error state of a form with n steps. */
export function noErrors(n: number): FormErrors {
  return { fields: {}, actions: Array.from({ length: n }, () => ({})), other: [] }
}

/** hasErrors says whether any message is set. */
export function hasErrors(e: FormErrors): boolean {
  return Object.keys(e.fields).length > 0 || e.other.length > 0 || e.actions.some((a) => Object.keys(a).length > 0)
}

/** errorCount counts the messages, for the summary above the save button. */
export function errorCount(e: FormErrors): number {
  return Object.keys(e.fields).length + e.other.length + e.actions.reduce((n, a) => n + Object.keys(a).length, 0)
}

function actionToRequest(a: ActionForm, errs: Partial<Record<ActionField, string>>): RuleAction {
  switch (a.type) {
    case 'connector_action': {
      if (!a.connectionId) errs.connectionId = 'Choose the connection the action runs on.'
      if (!a.action) errs.action = 'Choose the action to run.'
      const p = parseJsonInput(a.input, { object: true })
      if (p.error) errs.input = p.error
      return { type: a.type, connection_id: a.connectionId, action: a.action, input: p.value ?? {} }
    }
    case 'agent_run':
      if (!a.agentId) errs.agentId = 'Choose the agent to run.'
      if (!a.task.trim()) errs.task = 'Tell the agent what to do, e.g. “Follow up with {{ event.payload.email }}”.'
      return { type: a.type, agent_id: a.agentId, input: a.task }
    case 'playbook': {
      if (!a.playbookId) errs.playbookId = 'Choose the playbook to run.'
      const p = parseJsonInput(a.playbookInput, { object: true })
      if (p.error) errs.playbookInput = p.error
      const out: RuleAction = { type: a.type, playbook_id: a.playbookId }
      if (p.value !== undefined) out.input = p.value
      return out
    }
    case 'webhook':
      if (!a.webhookId) errs.webhookId = 'Choose the endpoint that receives the event.'
      return { type: a.type, webhook_id: a.webhookId }
    case 'delay': {
      const n = Number(a.seconds)
      if (!a.seconds.trim() || !Number.isInteger(n) || n < 1 || n > MAX_DELAY_SECONDS) errs.seconds = `Give whole seconds from 1 to ${MAX_DELAY_SECONDS} (7 days).`
      return { type: a.type, seconds: n }
    }
  }
  return { type: a.type }
}

/** formToRequest checks the builder and builds the body of POST/PUT /api/v1/rules. */
export function formToRequest(f: RuleForm): { request?: RuleRequest; errors: FormErrors } {
  const errors = noErrors(f.actions.length)
  const name = f.name.trim()
  if (!name) errors.fields.name = 'Name the rule, e.g. “Failed payment → CRM task”.'
  else if (name.length > 200) errors.fields.name = 'Keep the name to 200 characters.'
  let trigger: RuleTrigger
  if (f.triggerKind === 'event') {
    const et = f.eventType.trim()
    if (!et) errors.fields.eventType = 'Give the event type, e.g. stripe.invoice.payment_failed, or a prefix such as stripe.*.'
    else if (!eventTypePattern.test(et)) errors.fields.eventType = 'Use lowercase letters, digits, “.”, “_” or “-”, optionally ending in “*”.'
    trigger = { event_type: et }
  } else {
    const s = f.schedule.trim().split(/\s+/).join(' ')
    if (!s) errors.fields.schedule = 'Give a cron schedule, e.g. 0 9 * * 1 for Mondays at 09:00.'
    else if (!s.startsWith('@') && s.split(' ').length !== 5) errors.fields.schedule = 'Use five fields: minute hour day-of-month month day-of-week (or @hourly, @daily, @weekly, @monthly).'
    trigger = { schedule: s }
    if (f.timezone) trigger.timezone = f.timezone
  }
  if (f.actions.length === 0) errors.fields.actions = 'Add at least one action.'
  const actions = f.actions.map((a, i) => actionToRequest(a, errors.actions[i]))
  if (hasErrors(errors)) return { errors }
  return { request: { name, trigger, condition: f.condition.trim(), actions, enabled: f.enabled }, errors }
}

const apiActionFields: Record<string, ActionField> = {
  type: 'type',
  connection_id: 'connectionId',
  action: 'action',
  agent_id: 'agentId',
  playbook_id: 'playbookId',
  webhook_id: 'webhookId',
  seconds: 'seconds',
}

const inputField: Record<string, ActionField> = { connector_action: 'input', agent_run: 'task', playbook: 'playbookInput' }

const apiRuleFields: Record<string, string> = {
  name: 'name',
  condition: 'condition',
  enabled: 'enabled',
  trigger: 'trigger',
  'trigger.event_type': 'eventType',
  'trigger.schedule': 'schedule',
  'trigger.timezone': 'timezone',
  actions: 'actions',
}

/**
 * apiErrorsToForm maps the API's errors map onto the builder. The hub
 * names step fields "actions[1].input"; "actions.1.input" is read too.
 * An input error lands on the field that holds that step's input.
 */
export function apiErrorsToForm(fields: Record<string, string>, actions: Pick<ActionForm, 'type'>[]): FormErrors {
  const out = noErrors(actions.length)
  for (const [key, msg] of Object.entries(fields)) {
    const m = /^actions(?:\[(\d+)\]|\.(\d+))(?:\.(\w+))?$/.exec(key)
    if (m) {
      const i = Number(m[1] ?? m[2])
      const sub = m[3] ?? 'type'
      const field = sub === 'input' ? inputField[actions[i]?.type ?? ''] : apiActionFields[sub]
      if (i < actions.length && field) {
        out.actions[i][field] = msg
        continue
      }
      out.other.push(`Action ${i + 1}: ${sub.replace(/_/g, ' ')} ${msg}`)
      continue
    }
    const f = apiRuleFields[key]
    if (f) out.fields[f] = msg
    else if (key.startsWith('actions.')) out.fields.actions = `${key.slice('actions.'.length).replace(/_/g, ' ')} ${msg}`
    else out.other.push(`${key.replace(/_/g, ' ')} ${msg}`)
  }
  return out
}

/** moveItem moves the item at index by delta (-1 up, +1 down), clamped. */
export function moveItem<T>(list: T[], index: number, delta: number): T[] {
  const to = index + delta
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return list
  const out = [...list]
  const [item] = out.splice(index, 1)
  out.splice(to, 0, item)
  return out
}

/** moveErrors keeps step errors with their step when steps move. */
export function moveErrors(e: FormErrors, index: number, delta: number): FormErrors {
  return { ...e, actions: moveItem(e.actions, index, delta) }
}

/** removeAt drops the item at index. */
export function removeAt<T>(list: T[], index: number): T[] {
  return list.filter((_, i) => i !== index)
}

const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

/** describeCron puts common cron shapes into words; others are answered as they are. */
export function describeCron(expr: string): string {
  const s = expr.trim().split(/\s+/).join(' ')
  const macros: Record<string, string> = {
    '@hourly': 'Every hour',
    '@daily': 'Every day at 00:00',
    '@midnight': 'Every day at 00:00',
    '@weekly': 'Every Sunday at 00:00',
    '@monthly': 'On the 1st of every month at 00:00',
    '@yearly': 'Every 1 January at 00:00',
    '@annually': 'Every 1 January at 00:00',
  }
  if (macros[s]) return macros[s]
  const f = s.split(' ')
  if (f.length !== 5) return s
  const [min, hour, dom, mon, dow] = f
  const num = (x: string) => /^\d{1,2}$/.test(x)
  if (num(min) && hour === '*' && dom === '*' && mon === '*' && dow === '*') return `Every hour at minute ${Number(min)}`
  if (!num(min) || !num(hour)) return s
  const at = `${hour.padStart(2, '0')}:${min.padStart(2, '0')}`
  if (mon !== '*') return s
  if (dom === '*' && dow === '*') return `Every day at ${at}`
  if (dom === '*' && dow === '1-5') return `Weekdays at ${at}`
  if (dom === '*' && /^[0-7]$/.test(dow)) return `Every ${days[Number(dow) % 7]} at ${at}`
  if (/^\d{1,2}$/.test(dom) && dow === '*') return `On day ${Number(dom)} of every month at ${at}`
  return s
}

/** triggerSummary is a rule's trigger in a table cell. */
export function triggerSummary(t: RuleTrigger): string {
  if (t.schedule) {
    const words = describeCron(t.schedule)
    const tz = t.timezone || 'UTC'
    return words === t.schedule ? `Schedule ${t.schedule} (${tz})` : `${words} (${tz}) · ${t.schedule}`
  }
  return t.event_type ? `On ${t.event_type}` : '—'
}

/** timeZoneOptions are the IANA zones to offer, with current kept even if unknown. */
export function timeZoneOptions(current = ''): string[] {
  let zones: string[] = []
  try {
    zones = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? []
  } catch {
    zones = []
  }
  if (zones.length === 0) zones = ['Europe/London', 'Europe/Berlin', 'Europe/Paris', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Singapore', 'Australia/Sydney']
  const out = zones.filter((z) => z !== 'UTC')
  if (current && current !== 'UTC' && !out.includes(current)) out.unshift(current)
  return out
}

/** browserTimeZone is the zone a new schedule starts in ("" for UTC). */
export function browserTimeZone(): string {
  try {
    const z = Intl.DateTimeFormat().resolvedOptions().timeZone
    return z && z !== 'UTC' && z !== 'Etc/UTC' ? z : ''
  } catch {
    return ''
  }
}

/** delayLabel puts a delay in words: 5400 → "1 h 30 min". */
export function delayLabel(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return ''
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = Math.floor(seconds % 60)
  return [d && `${d} d`, h && `${h} h`, m && `${m} min`, s && `${s} s`].filter(Boolean).join(' ')
}

/** SchemaField is one property of an action's input schema. */
export interface SchemaField {
  name: string
  type: string
  required: boolean
  description?: string
}

/** schemaFields lists the top-level properties of a JSON Schema, required first. */
export function schemaFields(schema: unknown): SchemaField[] {
  if (!schema || typeof schema !== 'object') return []
  const s = schema as { properties?: Record<string, { type?: string | string[]; description?: string }>; required?: string[] }
  const req = new Set(s.required ?? [])
  return Object.entries(s.properties ?? {})
    .map(([name, p]) => ({
      name,
      type: Array.isArray(p?.type) ? p.type.join(' | ') : (p?.type ?? 'any'),
      required: req.has(name),
      description: p?.description,
    }))
    .sort((a, b) => Number(b.required) - Number(a.required))
}

/** inputSkeleton is a starting input with the schema's required fields. */
export function inputSkeleton(schema: unknown): string {
  const fields = schemaFields(schema).filter((f) => f.required)
  if (fields.length === 0) return '{}'
  const obj: Record<string, unknown> = {}
  for (const f of fields) obj[f.name] = f.type === 'integer' || f.type === 'number' ? 0 : f.type === 'boolean' ? false : f.type === 'array' ? [] : f.type === 'object' ? {} : ''
  return JSON.stringify(obj, null, 2)
}

/** runActive says whether a run may still change on its own. */
export function runActive(r: Pick<RuleRun, 'status'>): boolean {
  return r.status === 'running'
}

/** anyRunActive says whether the run history should keep refreshing. */
export function anyRunActive(list: Pick<RuleRun, 'status'>[]): boolean {
  return list.some(runActive)
}

/** runDurationMs is how long a run took (or has been running). */
export function runDurationMs(r: Pick<RuleRun, 'started_at' | 'finished_at'>, now: number = Date.now()): number | undefined {
  const start = Date.parse(r.started_at)
  if (Number.isNaN(start)) return undefined
  const end = r.finished_at ? Date.parse(r.finished_at) : now
  return Number.isNaN(end) ? undefined : Math.max(0, end - start)
}
