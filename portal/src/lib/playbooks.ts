// Logic of the playbook screens: template forms, step summaries, schedule
// descriptions, run folding and the definition editor. Pure functions, unit-tested.
import type {
  Definition,
  Playbook,
  PlaybookRun,
  PlaybookSchedule,
  PlaybookStep,
  PlaybookStepRun,
  PlaybookTemplate,
  TemplateParam,
  TemplateRequest,
} from '../api/playbooks'
import { duration, titleCase } from './format'

// ---------------------------------------------------------------- templates

/** templateParams is a template's parameters (the API may answer null). */
export function templateParams(t: PlaybookTemplate): TemplateParam[] {
  return t.params ?? []
}

/** paramLabel names a template parameter for its form field: "ads_connection" → "Ads connection". */
export function paramLabel(p: TemplateParam): string {
  return titleCase(p.name)
}

/**
 * validateTemplateParams checks the form the way the hub will: every
 * parameter is required. It answers the messages by parameter name.
 */
export function validateTemplateParams(t: PlaybookTemplate, values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of templateParams(t)) {
    if (!(values[p.name] ?? '').trim()) {
      out[p.name] =
        p.kind === 'connection' ? 'Choose a connection.' : p.kind === 'agent' ? 'Choose an agent.' : `${paramLabel(p)} is required.`
    }
  }
  return out
}

/** templateRequest turns the filled template form into the body of POST /api/v1/playbooks. */
export function templateRequest(t: PlaybookTemplate, values: Record<string, string>, name: string): TemplateRequest {
  const params: Record<string, string> = {}
  for (const p of templateParams(t)) params[p.name] = (values[p.name] ?? '').trim()
  const req: TemplateRequest = { template: t.id, params }
  const n = name.trim()
  if (n) req.name = n
  return req
}

const placeholder = /\$\{([A-Za-z0-9_]+)\}/g

/** paramsIn names the ${param}s a template value mentions. */
export function paramsIn(value: unknown): string[] {
  const out = new Set<string>()
  const walk = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.matchAll(placeholder)) out.add(m[1])
    else if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') Object.values(v).forEach(walk)
  }
  walk(value)
  return [...out]
}

/** TemplateFormErrors are the hub's field errors placed on the template form. */
export interface TemplateFormErrors {
  /** params are the messages by parameter name. */
  params: Record<string, string>
  name?: string
  /** other are the errors no field of the form shows, by the hub's field path. */
  other: Record<string, string>
}

const stepField = /^steps\[(\d+)\]\.([a-z_]+)/

/**
 * templateFormErrors places the hub's error fields on the template form:
 * "params.<name>" on that parameter, "name" on the name, and a step's field
 * ("steps[0].connection_id") on the parameter the template fills it with.
 */
export function templateFormErrors(t: PlaybookTemplate, fields: Record<string, string>): TemplateFormErrors {
  const out: TemplateFormErrors = { params: {}, other: {} }
  const names = new Set(templateParams(t).map((p) => p.name))
  for (const [key, msg] of Object.entries(fields)) {
    if (key.startsWith('params.') && names.has(key.slice(7))) {
      out.params[key.slice(7)] = msg
      continue
    }
    if (key === 'name') {
      out.name = msg
      continue
    }
    const m = stepField.exec(key)
    const step = m ? t.playbook.steps?.[Number(m[1])] : undefined
    const used = step ? paramsIn((step as unknown as Record<string, unknown>)[m![2]]).filter((p) => names.has(p)) : []
    if (used.length > 0) {
      for (const p of used) out.params[p] = out.params[p] ?? msg
      continue
    }
    out.other[key] = msg
  }
  return out
}

// ---------------------------------------------------------------- steps

/** Names resolves connection and agent ids to what the user calls them. */
export interface Names {
  connection?: (id: string) => string | undefined
  agent?: (id: string) => string | undefined
}

/**
 * templateNames resolves a template's ${param} ids to words ("your Google Ads
 * account"); platform names the provider (the catalogue's name), else titleCase.
 */
export function templateNames(t: PlaybookTemplate, platform: (provider: string) => string | undefined = () => undefined): Names {
  const byName = new Map(templateParams(t).map((p) => [p.name, p]))
  const resolve = (id: string) => {
    const m = /^\$\{([A-Za-z0-9_]+)\}$/.exec(id)
    const p = m ? byName.get(m[1]) : undefined
    if (!p) return undefined
    if (p.kind === 'connection' && p.provider) return `your ${platform(p.provider) ?? titleCase(p.provider)} account`
    return `the ${paramLabel(p).toLowerCase()} you choose`
  }
  return { connection: resolve, agent: resolve }
}

/** truncate shortens text to max characters with an ellipsis. */
export function truncate(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ').trim()
  return one.length > max ? `${one.slice(0, max - 1).trimEnd()}…` : one
}

/** waitLabel says how long a wait step waits: 90 → "1 minute 30 seconds". */
export function waitLabel(seconds: number | undefined): string {
  let s = Math.max(0, Math.floor(seconds ?? 0))
  if (s === 0) return '0 seconds'
  const parts: string[] = []
  for (const [unit, size] of [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ] as const) {
    const n = Math.floor(s / size)
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`)
    s -= n * size
  }
  return parts.slice(0, 2).join(' ')
}

/** compactJSON renders a value on one line, shortened: {"days":7}. */
export function compactJSON(v: unknown, max = 80): string {
  if (v === undefined || v === null) return ''
  return truncate(typeof v === 'string' ? v : JSON.stringify(v), max)
}

/** stepTypeLabels name the step types. */
export const stepTypeLabels: Record<string, string> = { action: 'Action', agent: 'Agent', wait: 'Wait', approval: 'Approval' }

/**
 * stepSummary says what a step does in one line: the action and its
 * connection, the agent and its task, how long it waits, what it asks.
 */
export function stepSummary(step: PlaybookStep, names: Names = {}): string {
  switch (step.type) {
    case 'action': {
      const conn = step.connection_id ? (names.connection?.(step.connection_id) ?? `connection ${step.connection_id}`) : 'no connection'
      const input = compactJSON(step.input, 60)
      return `${step.action || 'No action'} on ${conn}${input && input !== '{}' ? ` with ${input}` : ''}`
    }
    case 'agent': {
      const agent = step.agent_id ? (names.agent?.(step.agent_id) ?? `agent ${step.agent_id}`) : 'no agent'
      const task = typeof step.input === 'string' ? step.input : compactJSON(step.input)
      return `Run ${agent}${task ? `: “${truncate(task, 120)}”` : ''}`
    }
    case 'wait':
      return `Wait ${waitLabel(step.seconds)}`
    case 'approval':
      return step.message ? `Ask a person to approve: “${truncate(step.message, 120)}”` : 'Ask a person to approve'
    default:
      return `Unknown step type “${step.type}”`
  }
}

// ---------------------------------------------------------------- schedules

const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const dayAbbr: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 }
const monthAbbr: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 }

/** expand reads a cron field of plain values, lists and ranges ("1-5", "mon,fri"); undefined if it has steps or wildcards. */
function expand(field: string, names: Record<string, number>, min: number, max: number): number[] | undefined {
  const out = new Set<number>()
  const num = (s: string) => {
    const n = names[s.toLowerCase()] ?? (/^\d+$/.test(s) ? Number(s) : NaN)
    return n >= min && n <= max ? n : NaN
  }
  for (const part of field.split(',')) {
    const [a, b, ...rest] = part.split('-')
    if (rest.length) return undefined
    const lo = num(a)
    const hi = b === undefined ? lo : num(b)
    if (Number.isNaN(lo) || Number.isNaN(hi) || hi < lo) return undefined
    for (let i = lo; i <= hi; i++) out.add(i)
  }
  return [...out].sort((x, y) => x - y)
}

function listWords(words: string[]): string {
  if (words.length <= 1) return words.join('')
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th'
  return `${n}${s}`
}

const pad = (n: number) => String(n).padStart(2, '0')

/**
 * describeCron says when a five-field cron expression (or @daily and the
 * like) fires, in words: "0 8 * * 6" → "Every Saturday at 08:00". It answers
 * "Cron <expr>" for what it cannot put in words.
 */
export function describeCron(cron: string): string {
  const expr = cron.trim().split(/\s+/).join(' ')
  const descriptors: Record<string, string> = {
    '@yearly': 'Every year on 1 January at 00:00',
    '@annually': 'Every year on 1 January at 00:00',
    '@monthly': 'On the 1st of every month at 00:00',
    '@weekly': 'Every Sunday at 00:00',
    '@daily': 'Every day at 00:00',
    '@midnight': 'Every day at 00:00',
    '@hourly': 'Every hour, on the hour',
  }
  if (descriptors[expr]) return descriptors[expr]
  const fallback = `Cron ${expr}`
  const f = expr.split(' ')
  if (f.length !== 5) return fallback
  const [min, hour, dom, mon, dow] = f
  const rest = (...xs: string[]) => xs.every((x) => x === '*' || x === '?')

  if (min === '*' && rest(hour, dom, mon, dow)) return 'Every minute'
  const everyMin = /^(?:\*|0)\/(\d+)$/.exec(min)
  if (everyMin && rest(hour, dom, mon, dow)) return `Every ${everyMin[1]} minutes`
  const minutes = expand(min, {}, 0, 59)
  if (!minutes) return fallback
  if (hour === '*' && rest(dom, mon, dow)) {
    if (minutes.length === 1) return minutes[0] === 0 ? 'Every hour, on the hour' : `Every hour at minute ${minutes[0]}`
    return `Every hour at minutes ${listWords(minutes.map(String))}`
  }
  const everyHour = /^(?:\*|0)\/(\d+)$/.exec(hour)
  if (everyHour && minutes.length === 1 && rest(dom, mon, dow)) return `Every ${everyHour[1]} hours at minute ${minutes[0]}`
  const hours = expand(hour, {}, 0, 23)
  if (!hours || hours.length * minutes.length > 6) return fallback
  const at = `at ${listWords(hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`)))}`

  const anyDom = rest(dom)
  const anyMon = rest(mon)
  const anyDow = rest(dow)
  if (anyDom && anyMon && anyDow) return `Every day ${at}`
  if (anyDom && anyMon) {
    const days = expand(dow, dayAbbr, 0, 7)
    if (!days) return fallback
    const set = [...new Set(days.map((d) => d % 7))].sort((x, y) => x - y)
    const key = set.join(',')
    if (key === '1,2,3,4,5') return `Weekdays (Monday to Friday) ${at}`
    if (key === '0,6') return `Weekends ${at}`
    if (set.length === 7) return `Every day ${at}`
    return `Every ${listWords(set.map((d) => dayNames[d]))} ${at}`
  }
  if (anyDow) {
    const days = expand(dom, {}, 1, 31)
    if (!days || days.length > 4) return fallback
    const on = listWords(days.map(ordinal))
    if (anyMon) return `On the ${on} of every month ${at}`
    const months = expand(mon, monthAbbr, 1, 12)
    if (!months || months.length > 4) return fallback
    if (days.length === 1) return `Every year on ${listWords(months.map((m) => `${days[0]} ${monthNames[m - 1]}`))} ${at}`
    return `On the ${on} of ${listWords(months.map((m) => monthNames[m - 1]))} ${at}`
  }
  return fallback
}

/** scheduleZone is the zone a schedule fires in; Temporal uses UTC when none is given. */
export function scheduleZone(s: PlaybookSchedule): string {
  return s.timezone?.trim() || 'UTC'
}

/** describeSchedule says when a playbook runs: "Every Saturday at 08:00 (Europe/Berlin)". */
export function describeSchedule(s: PlaybookSchedule | undefined | null): string {
  if (!s) return 'On demand'
  return `${describeCron(s.cron)} (${scheduleZone(s)})`
}

/** scheduledPlaybooks are the playbooks with a schedule, by name. */
export function scheduledPlaybooks(list: Playbook[]): Playbook[] {
  return list.filter((p) => !!p.schedule).sort((a, b) => a.name.localeCompare(b.name))
}

/** filterPlaybooks keeps the playbooks whose name or description has the search text. */
export function filterPlaybooks(list: Playbook[], search: string): Playbook[] {
  const q = search.trim().toLowerCase()
  if (!q) return list
  return list.filter((p) => p.name.toLowerCase().includes(q) || p.description.toLowerCase().includes(q) || (p.template ?? '').includes(q))
}

// ---------------------------------------------------------------- definition editor

/** definitionOf is the editable part of a playbook, as PUT takes it. */
export function definitionOf(p: Playbook): Definition {
  const def: Definition = { name: p.name, description: p.description, steps: p.steps ?? [], enabled: p.enabled }
  if (p.schedule) def.schedule = p.schedule
  return def
}

/** definitionText is a playbook's definition as the editor shows it. */
export function definitionText(p: Playbook): string {
  return JSON.stringify(definitionOf(p), null, 2)
}

/** newDefinitionText is the starting text of a playbook written from scratch. */
export const newDefinitionText = JSON.stringify(
  {
    name: 'My playbook',
    description: 'What it does, in a sentence.',
    steps: [{ id: 'review', type: 'approval', message: 'Go ahead with {{ event.payload.input.what }}?' }],
  },
  null,
  2,
)

/** Parsed is the outcome of reading JSON typed by a user. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string }

/** parseDefinition reads the editor's text as a definition object. */
export function parseDefinition(text: string): Parsed<Definition> {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    return { ok: false, error: `This is not valid JSON: ${(err as Error).message}` }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: 'The definition must be a JSON object with name and steps.' }
  return { ok: true, value: v as Definition }
}

/** parseRunInput reads the optional run input: empty is no input, anything else must be JSON. */
export function parseRunInput(text: string): Parsed<unknown> {
  if (!text.trim()) return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, error: `The input must be JSON, e.g. {"email": "ada@example.com"}: ${(err as Error).message}` }
  }
}

/** FieldError is one field the hub refused, with its message. */
export interface FieldError {
  field: string
  message: string
}

/** fieldErrorList orders the hub's field errors for a list: steps[2] before steps[10]. */
export function fieldErrorList(fields: Record<string, string>): FieldError[] {
  return Object.entries(fields)
    .map(([field, message]) => ({ field, message }))
    .sort((a, b) => a.field.localeCompare(b.field, 'en', { numeric: true }))
}

/** stepIndexOf reads the step a field path names: "steps[2].when" → 2. */
export function stepIndexOf(field: string): number | undefined {
  const m = /^steps\[(\d+)\]/.exec(field)
  return m ? Number(m[1]) : undefined
}

// ---------------------------------------------------------------- runs

const finalStatuses = new Set(['succeeded', 'failed', 'cancelled'])

/** isRunFinished says whether a run has ended. */
export function isRunFinished(run: PlaybookRun | undefined): boolean {
  if (!run) return false
  return !!run.finished_at || finalStatuses.has(run.status)
}

/** runLength formats a run's duration; long ones (waiting for approval for a day) in hours and minutes. */
export function runLength(ms: number | undefined): string {
  if (ms === undefined) return '—'
  if (ms < 3600_000) return duration(ms)
  return waitLabel(ms / 1000)
}

/** runDuration is how long a run took, or has been going, in ms. */
export function runDuration(run: { started_at: string; finished_at?: string }, now: number = Date.now()): number | undefined {
  const start = Date.parse(run.started_at)
  if (Number.isNaN(start)) return undefined
  const end = run.finished_at ? Date.parse(run.finished_at) : now
  return Number.isNaN(end) ? undefined : Math.max(0, end - start)
}

/** StepRow is one step of a run: its snapshot and what happened to it. */
export interface StepRow {
  index: number
  stepId: string
  type: string
  /** step is the step as the run's snapshot has it. */
  step?: PlaybookStep
  /** stepRun is the record of what happened, once the step was reached. */
  stepRun?: PlaybookStepRun
  /** status is the step run's status, "pending" if not reached yet, "not_run" if the run ended first. */
  status: string
}

/** foldRun lines the run's step records up with its snapshot of steps, in order. */
export function foldRun(run: PlaybookRun): StepRow[] {
  const byIndex = new Map((run.step_runs ?? []).map((s) => [s.index, s]))
  const finished = isRunFinished(run)
  const rows: StepRow[] = (run.steps ?? []).map((step, index) => {
    const sr = byIndex.get(index)
    byIndex.delete(index)
    return { index, stepId: step.id, type: step.type, step, stepRun: sr, status: sr?.status ?? (finished ? 'not_run' : 'pending') }
  })
  for (const sr of [...byIndex.values()].sort((a, b) => a.index - b.index)) {
    rows.push({ index: sr.index, stepId: sr.step_id, type: sr.type, stepRun: sr, status: sr.status })
  }
  return rows
}

/** runProgress counts the steps that are done (succeeded, failed or skipped) out of all. */
export function runProgress(run: PlaybookRun): { done: number; total: number } {
  const rows = foldRun(run)
  return { done: rows.filter((r) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'skipped').length, total: rows.length }
}

/** waitingApproval is the approval step a run waits on, if any. */
export function waitingApproval(run: PlaybookRun | undefined): PlaybookStepRun | undefined {
  if (!run || isRunFinished(run)) return undefined
  return (run.step_runs ?? []).find((s) => s.status === 'waiting_approval')
}

/** approvalMessage is the rendered question of an approval step run ({message} input), else the step's own message. */
export function approvalMessage(sr: PlaybookStepRun | undefined, step?: PlaybookStep): string {
  const input = sr?.input
  if (input && typeof input === 'object' && typeof (input as { message?: unknown }).message === 'string') return (input as { message: string }).message
  return step?.message ?? ''
}

/** agentRunHref links an agent step's run to the agents section, when the snapshot names the agent. */
export function agentRunHref(row: StepRow): string | undefined {
  const runId = row.stepRun?.agent_run_id
  const agentId = row.step?.agent_id
  if (!runId || !agentId) return undefined
  return `~/dashboard/agents/${encodeURIComponent(agentId)}/runs/${encodeURIComponent(runId)}`
}

/** triggerLabel says what started a run: "Run now", "Schedule", "Rule run 0192…". */
export function triggerLabel(trigger: string): string {
  if (trigger === 'api') return 'Run now'
  if (trigger === 'schedule') return 'Schedule'
  if (trigger.startsWith('rule:')) return `Rule run ${trigger.slice(5, 13)}…`
  if (trigger.startsWith('playbook:')) return `Playbook run ${trigger.slice(9, 17)}…`
  return titleCase(trigger || 'unknown')
}

/** statusLabels name run and step statuses where titleCase is not enough. */
export const statusLabels: Record<string, string> = {
  waiting_approval: 'Waiting for approval',
  pending: 'Not started',
  not_run: 'Not run',
}

/** anyRunActive says whether some run in the list has not ended. */
export function anyRunActive(runs: PlaybookRun[]): boolean {
  return runs.some((r) => !isRunFinished(r))
}

/** prettyJSON renders a stored value for <pre>: strings as they are, the rest indented. */
export function prettyJSON(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  return JSON.stringify(v, null, 2)
}
