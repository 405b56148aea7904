// Logic of the agent settings form: its state, the request it sends, the
// temperature range of each provider, tools grouped by connector, and the
// API's field errors mapped back onto the controls. Pure, unit-tested.
import type { Agent, AgentLLM, AgentRequest, Approval } from '../api/agents'
import type { Action, Connection, Connector } from '../api/types'

/** providerOptions are the model providers an agent can use. */
export const providerOptions = [
  { id: 'ollama', label: 'Ollama' },
  { id: 'openai', label: 'OpenAI-compatible (OpenAI, OpenRouter, vLLM)' },
] as const

/** Limits the hub enforces (agents/service.go). */
export const limits = {
  maxSteps: { min: 1, max: 50, default: 10 },
  tokenBudget: { min: 100, max: 10_000_000, default: 100_000 },
  defaultTemperature: 0.7,
}

/**
 * temperatureRanges are the sampling temperatures each provider accepts
 * (agents/llm.TemperatureRange): OpenAI documents 0–2; the hub uses the same
 * for Ollama. Without a provider the hub checks against 0–2 too.
 */
const temperatureRanges: Record<string, { min: number; max: number }> = {
  ollama: { min: 0, max: 2 },
  openai: { min: 0, max: 2 },
}

/** temperatureRange is the slider's range for a provider. */
export function temperatureRange(provider: string): { min: number; max: number; step: number } {
  const r = temperatureRanges[provider] ?? { min: 0, max: 2 }
  return { ...r, step: 0.1 }
}

/** clampTemperature keeps a temperature inside the provider's range, to one decimal. */
export function clampTemperature(t: number, provider: string): number {
  const { min, max } = temperatureRange(provider)
  const v = Number.isFinite(t) ? t : limits.defaultTemperature
  return Math.round(Math.min(max, Math.max(min, v)) * 10) / 10
}

/** creativityWord describes a temperature in words, relative to the provider's range. */
export function creativityWord(t: number, provider: string): string {
  const { min, max } = temperatureRange(provider)
  const r = max > min ? (t - min) / (max - min) : 0
  if (r <= 0.1) return 'precise'
  if (r <= 0.3) return 'focused'
  if (r <= 0.5) return 'balanced'
  if (r <= 0.75) return 'creative'
  return 'very creative (may ramble)'
}

/** ToolEntry is one chosen tool in the form; key is local, for React and errors. */
export interface ToolEntry {
  key: string
  action: string
  connection_id: string
  approval: Approval
}

/** AgentForm is the form as typed (numbers kept as text). */
export interface AgentForm {
  name: string
  role: string
  goal: string
  backstory: string
  instructions: string
  provider: string
  model: string
  base_url: string
  /** api_key is write-only: empty keeps the stored key when editing. */
  api_key: string
  remove_api_key: boolean
  input_price: string
  output_price: string
  temperature: number
  max_steps: string
  token_budget: string
  tools: ToolEntry[]
  knowledge_base_ids: string[]
}

let nextKey = 0
/** newToolKey makes a local key for a tool entry. */
export function newToolKey(): string {
  nextKey++
  return `t${nextKey}`
}

/** formFromAgent fills the form from a saved agent, or with defaults for a new one. */
export function formFromAgent(a?: Agent, defaultProvider = 'openai'): AgentForm {
  if (!a) {
    return {
      name: '',
      role: '',
      goal: '',
      backstory: '',
      instructions: '',
      provider: defaultProvider,
      model: '',
      base_url: '',
      api_key: '',
      remove_api_key: false,
      input_price: '',
      output_price: '',
      temperature: limits.defaultTemperature,
      max_steps: String(limits.maxSteps.default),
      token_budget: String(limits.tokenBudget.default),
      tools: [],
      knowledge_base_ids: [],
    }
  }
  return {
    name: a.name,
    role: a.role,
    goal: a.goal,
    backstory: a.backstory,
    instructions: a.instructions,
    provider: a.llm.provider,
    model: a.llm.model,
    base_url: a.llm.base_url ?? '',
    api_key: '',
    remove_api_key: false,
    input_price: a.llm.input_price_per_mtok ? String(a.llm.input_price_per_mtok) : '',
    output_price: a.llm.output_price_per_mtok ? String(a.llm.output_price_per_mtok) : '',
    temperature: a.temperature,
    max_steps: String(a.max_steps),
    token_budget: String(a.token_budget),
    tools: (a.tools ?? []).map((t) => ({ key: newToolKey(), action: t.action, connection_id: t.connection_id, approval: t.approval })),
    knowledge_base_ids: [...(a.knowledge_base_ids ?? [])],
  }
}

function toInt(s: string): number {
  const t = s.trim()
  return t === '' ? 0 : Number(t)
}

function toPrice(s: string): number {
  const t = s.trim()
  return t === '' ? 0 : Number(t)
}

/**
 * buildAgentRequest is the body of POST/PUT /api/v1/agents. The API key is
 * sent only when typed (or as "" to remove the agent's key when editing):
 * an absent key keeps the stored one. Empty numbers send 0, the hub's
 * "use the default".
 */
export function buildAgentRequest(f: AgentForm, editing: boolean): AgentRequest {
  const llm: AgentRequest['llm'] = {
    provider: f.provider.trim(),
    model: f.model.trim(),
    base_url: f.base_url.trim().replace(/\/+$/, ''),
    input_price_per_mtok: toPrice(f.input_price),
    output_price_per_mtok: toPrice(f.output_price),
  }
  const key = f.api_key.trim()
  if (key) llm.api_key = key
  else if (editing && f.remove_api_key) llm.api_key = ''
  return {
    name: f.name.trim(),
    role: f.role.trim(),
    goal: f.goal.trim(),
    backstory: f.backstory.trim(),
    instructions: f.instructions.trim(),
    llm,
    temperature: f.temperature,
    max_steps: toInt(f.max_steps),
    token_budget: toInt(f.token_budget),
    tools: f.tools.map((t) => ({ action: t.action, connection_id: t.connection_id, approval: t.approval })),
    knowledge_base_ids: [...f.knowledge_base_ids],
  }
}

/**
 * validateAgentForm checks what the hub would refuse, with the hub's field
 * names, so one rendering path shows both.
 */
export function validateAgentForm(f: AgentForm): Record<string, string> {
  const e: Record<string, string> = {}
  if (!f.name.trim()) e.name = 'Name is required.'
  else if (f.name.trim().length > 200) e.name = 'Name may have at most 200 characters.'
  if (f.provider && !f.model.trim()) e['llm.model'] = 'Name the model, e.g. gpt-4o-mini or llama3.1.'
  if (f.base_url.trim() && !/^https?:\/\/[^/\s@]+/i.test(f.base_url.trim())) e['llm.base_url'] = 'Must be an http or https URL without credentials.'
  const steps = f.max_steps.trim()
  if (steps && (!/^\d+$/.test(steps) || Number(steps) < limits.maxSteps.min || Number(steps) > limits.maxSteps.max)) {
    e.max_steps = `Must be a whole number from ${limits.maxSteps.min} to ${limits.maxSteps.max}.`
  }
  const budget = f.token_budget.trim()
  if (budget && (!/^\d+$/.test(budget) || Number(budget) < limits.tokenBudget.min || Number(budget) > limits.tokenBudget.max)) {
    e.token_budget = `Must be a whole number from ${limits.tokenBudget.min} to ${limits.tokenBudget.max.toLocaleString('en')}.`
  }
  for (const [k, v] of [
    ['llm.input_price_per_mtok', f.input_price],
    ['llm.output_price_per_mtok', f.output_price],
  ] as const) {
    const t = v.trim()
    if (t && !(Number(t) >= 0)) e[k] = 'Must be a price of 0 or more.'
  }
  const { min, max } = temperatureRange(f.provider)
  if (f.temperature < min || f.temperature > max) e.temperature = `Must be between ${min} and ${max}.`
  f.tools.forEach((t, i) => {
    if (!t.connection_id) e[`tools[${i}].connection_id`] = 'Choose the account this tool acts on.'
  })
  return e
}

/** defaultApproval is the policy a newly chosen tool starts with: ask before writes. */
export function defaultApproval(action: Pick<Action, 'write'>): Approval {
  return action.write ? 'required' : 'auto'
}

/** ToolGroup is one connector's actions with the tenant's accounts there. */
export interface ToolGroup {
  connector: Connector
  /** connections are all the tenant's accounts at the platform. */
  connections: Connection[]
  /** connected are those a tool may use. */
  connected: Connection[]
  /** enabled says whether new tools can be chosen (a connected account exists). */
  enabled: boolean
  actions: Action[]
}

/**
 * groupTools makes one group per connector, with actions, those with a
 * connected account first (in catalogue order otherwise).
 */
export function groupTools(connectors: Connector[], connections: Connection[]): ToolGroup[] {
  const groups = connectors.map((c) => {
    const all = connections.filter((x) => x.provider === c.id)
    const connected = all.filter((x) => x.status === 'connected')
    return { connector: c, connections: all, connected, enabled: connected.length > 0, actions: c.actions ?? [] }
  })
  return [...groups.filter((g) => g.enabled), ...groups.filter((g) => !g.enabled)]
}

/**
 * toggleTool checks or unchecks an action: checking adds it on the first
 * connected account with the default approval; unchecking removes every
 * entry of the action.
 */
export function toggleTool(tools: ToolEntry[], group: ToolGroup, action: Action, on: boolean, key: () => string = newToolKey): ToolEntry[] {
  if (!on) return tools.filter((t) => t.action !== action.name)
  if (tools.some((t) => t.action === action.name)) return tools
  return [...tools, { key: key(), action: action.name, connection_id: group.connected[0]?.id ?? '', approval: defaultApproval(action) }]
}

/** updateTool changes one entry. */
export function updateTool(tools: ToolEntry[], key: string, patch: Partial<Omit<ToolEntry, 'key'>>): ToolEntry[] {
  return tools.map((t) => (t.key === key ? { ...t, ...patch } : t))
}

/**
 * showConnectionSelect says whether an entry needs an account chooser:
 * when the platform has several accounts, or the entry's account is not a
 * connected one (so the person can see and change it).
 */
export function showConnectionSelect(group: ToolGroup, entry: ToolEntry): boolean {
  return group.connections.length > 1 || !group.connected.some((c) => c.id === entry.connection_id)
}

/** ToolFieldErrors are an entry's errors by part. */
export interface ToolFieldErrors {
  action?: string
  connection_id?: string
  approval?: string
  entry?: string
}

/**
 * toolErrors maps the hub's "tools[i].connection_id"-style errors onto the
 * form's entries (the request lists them in the form's order).
 */
export function toolErrors(fields: Record<string, string>, tools: ToolEntry[]): Record<string, ToolFieldErrors> {
  const out: Record<string, ToolFieldErrors> = {}
  for (const [k, v] of Object.entries(fields)) {
    const m = /^tools\[(\d+)\](?:\.(action|connection_id|approval))?$/.exec(k)
    if (!m) continue
    const entry = tools[Number(m[1])]
    if (!entry) continue
    const part = (m[2] ?? 'entry') as keyof ToolFieldErrors
    out[entry.key] = { ...out[entry.key], [part]: v }
  }
  return out
}

/** knowledgeErrors maps "knowledge_base_ids[i]" errors onto the chosen base ids. */
export function knowledgeErrors(fields: Record<string, string>, ids: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(fields)) {
    const m = /^knowledge_base_ids\[(\d+)\]$/.exec(k)
    const id = m ? ids[Number(m[1])] : undefined
    if (id) out[id] = v
  }
  return out
}

/** placedFields are the error keys the form shows next to a control. */
const placedFields = new Set([
  'name',
  'role',
  'goal',
  'backstory',
  'instructions',
  'llm.provider',
  'llm.model',
  'llm.base_url',
  'llm.api_key',
  'llm.input_price_per_mtok',
  'llm.output_price_per_mtok',
  'temperature',
  'max_steps',
  'token_budget',
])

/**
 * sectionErrors are the errors that name no single control, by section:
 * "tools" (e.g. too many tools), "llm" (e.g. negative prices), "knowledge".
 */
export function sectionErrors(fields: Record<string, string>, tools: ToolEntry[], kbIds: string[]): { tools?: string; llm?: string; knowledge?: string; other?: string } {
  const out: { tools?: string; llm?: string; knowledge?: string; other?: string } = {}
  for (const [k, v] of Object.entries(fields)) {
    if (placedFields.has(k)) continue
    const tm = /^tools\[(\d+)\](?:\.(?:action|connection_id|approval))?$/.exec(k)
    if (tm && tools[Number(tm[1])]) continue
    const km = /^knowledge_base_ids\[(\d+)\]$/.exec(k)
    if (km && kbIds[Number(km[1])]) continue
    const section = k.startsWith('tools') ? 'tools' : k.startsWith('llm') ? 'llm' : k.startsWith('knowledge') ? 'knowledge' : 'other'
    out[section] = out[section] ? `${out[section]} ${v}` : v
  }
  return out
}

/** modelLabel names an agent's model for lists: "openai · gpt-4o-mini". */
export function modelLabel(llm: AgentLLM | undefined): string {
  if (!llm?.provider && !llm?.model) return 'No model set'
  const p = providerOptions.find((o) => o.id === llm.provider)
  return [p ? (p.id === 'openai' ? 'OpenAI' : p.label) : llm.provider, llm.model].filter(Boolean).join(' · ')
}
