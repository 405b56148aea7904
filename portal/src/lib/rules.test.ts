import { describe, expect, it } from 'vitest'
import type { Rule } from '../api/integrations'
import {
  anyRunActive,
  apiErrorsToForm,
  delayLabel,
  describeCron,
  emptyRuleForm,
  errorCount,
  formToRequest,
  hasErrors,
  inputSkeleton,
  jsonPosition,
  moveItem,
  newAction,
  parseJsonInput,
  removeAt,
  ruleToForm,
  runDurationMs,
  schemaFields,
  timeZoneOptions,
  triggerSummary,
  type RuleForm,
} from './rules'

const base: Omit<Rule, 'trigger' | 'actions'> = {
  id: 'r1',
  tenant_id: 't1',
  name: 'Big failed invoice',
  condition: 'event.payload.amount > 1000',
  enabled: true,
  version: 3,
  created_by: 'user:u1',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
}

const rule: Rule = {
  ...base,
  trigger: { event_type: 'stripe.invoice.payment_failed' },
  actions: [
    { type: 'connector_action', connection_id: 'c1', action: 'hubspot.create_contact', input: { email: '{{ event.payload.email }}' } },
    { type: 'delay', seconds: 3600 },
    { type: 'webhook', webhook_id: 'w1' },
    { type: 'agent_run', agent_id: 'a1', input: 'Follow up with {{ event.payload.email }}' },
    { type: 'playbook', playbook_id: 'p1', input: {} },
  ],
}

describe('ruleToForm and formToRequest', () => {
  it('round-trips a rule with every action type', () => {
    const form = ruleToForm(rule)
    expect(form.triggerKind).toBe('event')
    expect(form.eventType).toBe('stripe.invoice.payment_failed')
    expect(form.actions.map((a) => a.type)).toEqual(['connector_action', 'delay', 'webhook', 'agent_run', 'playbook'])
    expect(form.actions[0].input).toBe('{\n  "email": "{{ event.payload.email }}"\n}')
    expect(form.actions[1].seconds).toBe('3600')
    expect(form.actions[3].task).toBe('Follow up with {{ event.payload.email }}')
    expect(form.actions[4].playbookInput).toBe('')
    const keys = new Set(form.actions.map((a) => a.key))
    expect(keys.size).toBe(5)

    const { request, errors } = formToRequest(form)
    expect(hasErrors(errors)).toBe(false)
    expect(request).toEqual({
      name: 'Big failed invoice',
      trigger: { event_type: 'stripe.invoice.payment_failed' },
      condition: 'event.payload.amount > 1000',
      enabled: true,
      actions: [
        { type: 'connector_action', connection_id: 'c1', action: 'hubspot.create_contact', input: { email: '{{ event.payload.email }}' } },
        { type: 'delay', seconds: 3600 },
        { type: 'webhook', webhook_id: 'w1' },
        { type: 'agent_run', agent_id: 'a1', input: 'Follow up with {{ event.payload.email }}' },
        { type: 'playbook', playbook_id: 'p1' },
      ],
    })
  })

  it('builds a schedule trigger, omitting the zone for UTC', () => {
    const form: RuleForm = { ...ruleToForm(rule), triggerKind: 'schedule', schedule: ' 0  9 * * 1 ', timezone: 'Europe/Berlin' }
    expect(formToRequest(form).request?.trigger).toEqual({ schedule: '0 9 * * 1', timezone: 'Europe/Berlin' })
    expect(formToRequest({ ...form, timezone: '' }).request?.trigger).toEqual({ schedule: '0 9 * * 1' })
    expect(formToRequest({ ...form, schedule: '@daily' }).request?.trigger.schedule).toBe('@daily')
  })

  it('reads a scheduled rule back', () => {
    const f = ruleToForm({ ...rule, trigger: { schedule: '0 9 * * 1', timezone: 'Asia/Tokyo' } })
    expect(f.triggerKind).toBe('schedule')
    expect(f.schedule).toBe('0 9 * * 1')
    expect(f.timezone).toBe('Asia/Tokyo')
  })

  it('sends an empty connector input as an empty object', () => {
    const form = emptyRuleForm()
    form.name = 'x'
    form.eventType = 'shopify.orders.create'
    form.actions = [{ ...newAction(), connectionId: 'c', action: 'slack.post_message' }]
    expect(formToRequest(form).request?.actions[0]).toEqual({ type: 'connector_action', connection_id: 'c', action: 'slack.post_message', input: {} })
  })

  it('checks required fields before saving', () => {
    const form = emptyRuleForm()
    form.actions = [newAction('connector_action'), newAction('agent_run'), newAction('playbook'), newAction('webhook'), { ...newAction('delay'), seconds: '0' }]
    const { request, errors } = formToRequest(form)
    expect(request).toBeUndefined()
    expect(Object.keys(errors.fields).sort()).toEqual(['eventType', 'name'])
    expect(Object.keys(errors.actions[0]).sort()).toEqual(['action', 'connectionId'])
    expect(Object.keys(errors.actions[1]).sort()).toEqual(['agentId', 'task'])
    expect(Object.keys(errors.actions[2])).toEqual(['playbookId'])
    expect(Object.keys(errors.actions[3])).toEqual(['webhookId'])
    expect(Object.keys(errors.actions[4])).toEqual(['seconds'])
    expect(errorCount(errors)).toBe(9)
  })

  it('refuses an event type the hub would refuse, and a rule without actions', () => {
    const form = { ...emptyRuleForm(), name: 'x', eventType: 'hubspot.contact.propertyChange', actions: [] }
    const { errors } = formToRequest(form)
    expect(errors.fields.eventType).toMatch(/lowercase/)
    expect(errors.fields.actions).toMatch(/at least one/)
  })

  it('refuses a cron schedule without five fields', () => {
    const form: RuleForm = { ...emptyRuleForm(), name: 'x', triggerKind: 'schedule', schedule: '0 9 * *', actions: [{ ...newAction('delay'), seconds: '5' }] }
    expect(formToRequest(form).errors.fields.schedule).toMatch(/five fields/)
  })

  it('says where the action input is not valid JSON', () => {
    const form = emptyRuleForm()
    form.name = 'x'
    form.eventType = 'stripe.*'
    form.actions = [{ ...newAction(), connectionId: 'c', action: 'a', input: '{\n  "email": "x",\n}' }]
    const { request, errors } = formToRequest(form)
    expect(request).toBeUndefined()
    expect(errors.actions[0].input).toMatch(/^Not valid JSON: .*\(line 3, column 1\)\.$/)
  })
})

describe('parseJsonInput', () => {
  it('accepts empty text and JSON', () => {
    expect(parseJsonInput('  ')).toEqual({})
    expect(parseJsonInput('{"a": [1, 2]}')).toEqual({ value: { a: [1, 2] } })
    expect(parseJsonInput('"text"')).toEqual({ value: 'text' })
  })

  it('demands an object when asked', () => {
    expect(parseJsonInput('[1]', { object: true }).error).toMatch(/JSON object/)
    expect(parseJsonInput('null', { object: true }).error).toMatch(/JSON object/)
    expect(parseJsonInput('{}', { object: true })).toEqual({ value: {} })
  })

  it('explains truncated input and single quotes', () => {
    expect(parseJsonInput('{"a": ').error).toMatch(/ends too early/)
    expect(parseJsonInput("{'a': 1}").error).toMatch(/double quotes/)
  })

  it('finds the line and column of an offset', () => {
    expect(jsonPosition('ab\ncd', 4)).toEqual({ line: 2, column: 2 })
    expect(jsonPosition('x', 0)).toEqual({ line: 1, column: 1 })
  })
})

describe('apiErrorsToForm', () => {
  const actions = [{ type: 'connector_action' as const }, { type: 'agent_run' as const }, { type: 'playbook' as const }]

  it('maps the hub keys onto the fields that caused them', () => {
    const e = apiErrorsToForm(
      {
        name: 'is required (up to 200 characters)',
        condition: 'ERROR: <input>:1:7: undeclared reference\n | event.paylod\n | ......^',
        'trigger.event_type': 'is required',
        'trigger.timezone': 'is not an IANA time zone',
        'actions[0].connection_id': 'connection "x" not found',
        'actions[1].input': 'is required: the task for the agent',
        'actions.2.input': 'must be a JSON object',
        'actions.0.action': 'unknown action',
      },
      actions,
    )
    expect(e.fields).toEqual({
      name: 'is required (up to 200 characters)',
      condition: 'ERROR: <input>:1:7: undeclared reference\n | event.paylod\n | ......^',
      eventType: 'is required',
      timezone: 'is not an IANA time zone',
    })
    expect(e.actions[0]).toEqual({ connectionId: 'connection "x" not found', action: 'unknown action' })
    expect(e.actions[1]).toEqual({ task: 'is required: the task for the agent' })
    expect(e.actions[2]).toEqual({ playbookInput: 'must be a JSON object' })
    expect(e.other).toEqual([])
  })

  it('keeps what it cannot place', () => {
    const e = apiErrorsToForm({ actions: 'must list at least one action', 'actions[7].seconds': 'must be between 1 and 604800', 'actions.seconds': 'must be int', limit: 'x' }, actions)
    expect(e.fields.actions).toBe('seconds must be int')
    expect(e.other).toEqual(['Action 8: seconds must be between 1 and 604800', 'limit x'])
    expect(hasErrors(e)).toBe(true)
  })

  it('puts a bare step error on its type', () => {
    expect(apiErrorsToForm({ 'actions[1].type': 'agent_run is not available on this hub' }, actions).actions[1]).toEqual({ type: 'agent_run is not available on this hub' })
  })
})

describe('list helpers', () => {
  it('moves and removes steps', () => {
    expect(moveItem([1, 2, 3], 0, 1)).toEqual([2, 1, 3])
    expect(moveItem([1, 2, 3], 2, -1)).toEqual([1, 3, 2])
    const same = [1, 2, 3]
    expect(moveItem(same, 0, -1)).toBe(same)
    expect(moveItem(same, 2, 1)).toBe(same)
    expect(removeAt([1, 2, 3], 1)).toEqual([1, 3])
  })
})

describe('words for triggers and delays', () => {
  it('describes common cron shapes', () => {
    expect(describeCron('0 9 * * 1')).toBe('Every Monday at 09:00')
    expect(describeCron('30 7 * * *')).toBe('Every day at 07:30')
    expect(describeCron('0 18 * * 1-5')).toBe('Weekdays at 18:00')
    expect(describeCron('15 * * * *')).toBe('Every hour at minute 15')
    expect(describeCron('0 0 1 * *')).toBe('On day 1 of every month at 00:00')
    expect(describeCron('@weekly')).toBe('Every Sunday at 00:00')
    expect(describeCron('*/5 * * * *')).toBe('*/5 * * * *')
  })

  it('summarises triggers', () => {
    expect(triggerSummary({ event_type: 'stripe.*' })).toBe('On stripe.*')
    expect(triggerSummary({ schedule: '0 9 * * 1', timezone: 'Europe/Berlin' })).toBe('Every Monday at 09:00 (Europe/Berlin) · 0 9 * * 1')
    expect(triggerSummary({ schedule: '*/5 * * * *' })).toBe('Schedule */5 * * * * (UTC)')
  })

  it('puts delays in words', () => {
    expect(delayLabel(5400)).toBe('1 h 30 min')
    expect(delayLabel(90061)).toBe('1 d 1 h 1 min 1 s')
    expect(delayLabel(0)).toBe('')
  })

  it('offers IANA zones and keeps an unknown current one', () => {
    const zones = timeZoneOptions('Mars/Olympus')
    expect(zones[0]).toBe('Mars/Olympus')
    expect(zones).toContain('Europe/Berlin')
    expect(zones).not.toContain('UTC')
  })
})

describe('action schemas', () => {
  const schema = { type: 'object', required: ['email'], properties: { name: { type: 'string' }, email: { type: 'string', description: 'address' }, count: { type: 'integer' } } }
  it('lists fields, required first', () => {
    expect(schemaFields(schema).map((f) => `${f.name}:${f.type}:${f.required}`)).toEqual(['email:string:true', 'name:string:false', 'count:integer:false'])
    expect(schemaFields(null)).toEqual([])
  })
  it('builds a skeleton of the required fields', () => {
    expect(JSON.parse(inputSkeleton(schema))).toEqual({ email: '' })
    expect(inputSkeleton({})).toBe('{}')
  })
})

describe('runs', () => {
  it('knows when to keep refreshing', () => {
    expect(anyRunActive([{ status: 'succeeded' }, { status: 'running' }])).toBe(true)
    expect(anyRunActive([{ status: 'failed' }])).toBe(false)
  })
  it('measures a run', () => {
    expect(runDurationMs({ started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:00:02.5Z' })).toBe(2500)
    expect(runDurationMs({ started_at: '2026-01-01T00:00:00Z' }, Date.parse('2026-01-01T00:01:00Z'))).toBe(60000)
  })
})
