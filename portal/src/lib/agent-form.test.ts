import { describe, expect, it } from 'vitest'
import type { Agent } from '../api/agents'
import type { Action, Connection, Connector } from '../api/types'
import {
  buildAgentRequest,
  clampTemperature,
  creativityWord,
  defaultApproval,
  formFromAgent,
  groupTools,
  knowledgeErrors,
  modelLabel,
  sectionErrors,
  showConnectionSelect,
  temperatureRange,
  toggleTool,
  toolErrors,
  updateTool,
  validateAgentForm,
} from './agent-form'

const action = (name: string, write: boolean): Action => ({ name, provider: name.split('.')[0], title: name, description: '', write, input_schema: {}, output_schema: {} })
const connector = (id: string, actions: Action[]): Connector =>
  ({ id, name: id.toUpperCase(), category: 'crm', logo: '', description: '', docs_url: '', config_fields: [], auth_modes: [], status: 'connected', connections: 0, actions }) as Connector
const conn = (id: string, provider: string, status: Connection['status'] = 'connected'): Connection =>
  ({ id, provider, name: id, status, tenant_id: 't', auth_mode: 'api_key', config: {}, created_at: '', updated_at: '' }) as Connection

const agent: Agent = {
  id: 'a1',
  tenant_id: 't',
  name: 'Sales',
  role: 'rep',
  goal: 'sell',
  backstory: '',
  instructions: 'be brief',
  llm: { provider: 'openai', model: 'gpt-4o-mini', has_api_key: true, input_price_per_mtok: 0.15 },
  temperature: 0.3,
  max_steps: 12,
  token_budget: 50_000,
  tools: [{ action: 'hubspot.create_contact', connection_id: 'c1', approval: 'required', name: 'hubspot_create_contact', write: true, description: '' }],
  knowledge_base_ids: ['kb1'],
  version: 2,
  created_by: 'u',
  created_at: '',
  updated_at: '',
}

describe('temperature', () => {
  it('uses each provider’s range', () => {
    expect(temperatureRange('openai')).toEqual({ min: 0, max: 2, step: 0.1 })
    expect(temperatureRange('ollama')).toEqual({ min: 0, max: 2, step: 0.1 })
    expect(temperatureRange('')).toEqual({ min: 0, max: 2, step: 0.1 })
  })

  it('clamps and rounds', () => {
    expect(clampTemperature(2.7, 'openai')).toBe(2)
    expect(clampTemperature(-1, 'ollama')).toBe(0)
    expect(clampTemperature(0.74, 'openai')).toBe(0.7)
    expect(clampTemperature(Number.NaN, 'openai')).toBe(0.7)
  })

  it('describes the value in words', () => {
    expect(creativityWord(0, 'openai')).toBe('precise')
    expect(creativityWord(0.7, 'openai')).toBe('balanced')
    expect(creativityWord(1.2, 'openai')).toBe('creative')
    expect(creativityWord(2, 'openai')).toMatch(/very creative/)
  })
})

describe('form and request', () => {
  it('fills a new form with the hub’s defaults', () => {
    const f = formFromAgent(undefined, 'ollama')
    expect(f.provider).toBe('ollama')
    expect(f.max_steps).toBe('10')
    expect(f.token_budget).toBe('100000')
    expect(f.temperature).toBe(0.7)
  })

  it('round-trips an agent and keeps its key unless told', () => {
    const f = formFromAgent(agent)
    const req = buildAgentRequest(f, true)
    expect(req).toEqual({
      name: 'Sales',
      role: 'rep',
      goal: 'sell',
      backstory: '',
      instructions: 'be brief',
      llm: { provider: 'openai', model: 'gpt-4o-mini', base_url: '', input_price_per_mtok: 0.15, output_price_per_mtok: 0 },
      temperature: 0.3,
      max_steps: 12,
      token_budget: 50_000,
      tools: [{ action: 'hubspot.create_contact', connection_id: 'c1', approval: 'required' }],
      knowledge_base_ids: ['kb1'],
    })
    expect('api_key' in req.llm).toBe(false)
    expect(buildAgentRequest({ ...f, remove_api_key: true }, true).llm.api_key).toBe('')
    expect(buildAgentRequest({ ...f, remove_api_key: true }, false).llm).not.toHaveProperty('api_key')
    expect(buildAgentRequest({ ...f, api_key: ' sk-1 ' }, true).llm.api_key).toBe('sk-1')
  })

  it('trims text and the base URL, and sends 0 for empty numbers', () => {
    const f = { ...formFromAgent(), name: ' A ', base_url: 'http://h:11434/ ', max_steps: '', token_budget: '' }
    const req = buildAgentRequest(f, false)
    expect(req.name).toBe('A')
    expect(req.llm.base_url).toBe('http://h:11434')
    expect(req.max_steps).toBe(0)
    expect(req.token_budget).toBe(0)
  })

  it('validates with the hub’s field names', () => {
    const f = { ...formFromAgent(), name: '', model: '', max_steps: '51', token_budget: '12', base_url: 'ftp://x', input_price: '-1' }
    f.tools = [{ key: 'k', action: 'x.y', connection_id: '', approval: 'auto' }]
    expect(Object.keys(validateAgentForm(f)).sort()).toEqual(['llm.base_url', 'llm.input_price_per_mtok', 'llm.model', 'max_steps', 'name', 'token_budget', 'tools[0].connection_id'])
    expect(validateAgentForm({ ...formFromAgent(), name: 'ok', provider: '', model: '' })).toEqual({})
  })
})

describe('tools', () => {
  const hub = connector('hubspot', [action('hubspot.search_contacts', false), action('hubspot.create_contact', true)])
  const stripe = connector('stripe', [action('stripe.list_invoices', false)])
  const shop = connector('shopify', [action('shopify.list_orders', false)])
  const groups = groupTools([stripe, hub, shop], [conn('c1', 'hubspot'), conn('c2', 'hubspot'), conn('s1', 'stripe', 'expired')])

  it('groups by connector, connected platforms first', () => {
    expect(groups.map((g) => [g.connector.id, g.enabled, g.connected.length, g.connections.length])).toEqual([
      ['hubspot', true, 2, 2],
      ['stripe', false, 0, 1],
      ['shopify', false, 0, 0],
    ])
  })

  it('asks for approval before writes by default', () => {
    expect(defaultApproval({ write: true })).toBe('required')
    expect(defaultApproval({ write: false })).toBe('auto')
  })

  it('checks and unchecks actions', () => {
    const key = () => 'k1'
    let tools = toggleTool([], groups[0], hub.actions[1], true, key)
    expect(tools).toEqual([{ key: 'k1', action: 'hubspot.create_contact', connection_id: 'c1', approval: 'required' }])
    expect(toggleTool(tools, groups[0], hub.actions[1], true, key)).toBe(tools)
    tools = updateTool(tools, 'k1', { connection_id: 'c2', approval: 'auto' })
    expect(tools[0]).toMatchObject({ connection_id: 'c2', approval: 'auto' })
    expect(toggleTool(tools, groups[0], hub.actions[1], false)).toEqual([])
  })

  it('shows an account chooser when there is a choice or the account is gone', () => {
    expect(showConnectionSelect(groups[0], { key: 'k', action: 'a', connection_id: 'c1', approval: 'auto' })).toBe(true)
    const single = groupTools([hub], [conn('c1', 'hubspot')])[0]
    expect(showConnectionSelect(single, { key: 'k', action: 'a', connection_id: 'c1', approval: 'auto' })).toBe(false)
    expect(showConnectionSelect(single, { key: 'k', action: 'a', connection_id: 'old', approval: 'auto' })).toBe(true)
  })
})

describe('API errors', () => {
  const tools = [
    { key: 'a', action: 'hubspot.create_contact', connection_id: 'c1', approval: 'required' as const },
    { key: 'b', action: 'stripe.list_invoices', connection_id: 's1', approval: 'auto' as const },
  ]

  it('maps tool errors onto entries', () => {
    expect(toolErrors({ 'tools[1].connection_id': 'expired', 'tools[0].approval': 'bad', 'tools[0]': 'twice', 'tools[9].action': 'x', name: 'n' }, tools)).toEqual({
      a: { approval: 'bad', entry: 'twice' },
      b: { connection_id: 'expired' },
    })
  })

  it('maps knowledge base errors onto ids', () => {
    expect(knowledgeErrors({ 'knowledge_base_ids[1]': 'not found' }, ['kb1', 'kb2'])).toEqual({ kb2: 'not found' })
  })

  it('keeps errors that name no control for their section', () => {
    expect(sectionErrors({ tools: 'too many', 'tools[0].action': 'placed', 'tools[5].action': 'lost', llm: 'negative', name: 'placed', 'knowledge_base_ids[3]': 'gone', extra: 'x' }, tools, ['kb1'])).toEqual({
      tools: 'too many lost',
      llm: 'negative',
      knowledge: 'gone',
      other: 'x',
    })
  })
})

describe('modelLabel', () => {
  it('names the model', () => {
    expect(modelLabel(agent.llm)).toBe('OpenAI · gpt-4o-mini')
    expect(modelLabel({ provider: 'ollama', model: 'llama3.1', has_api_key: false })).toBe('Ollama · llama3.1')
    expect(modelLabel({ provider: '', model: '', has_api_key: false })).toBe('No model set')
  })
})
