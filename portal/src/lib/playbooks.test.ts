import { describe, expect, it } from 'vitest'
import type { Playbook, PlaybookRun, PlaybookTemplate } from '../api/playbooks'
import {
  agentRunHref,
  anyRunActive,
  approvalMessage,
  describeCron,
  describeSchedule,
  definitionOf,
  definitionText,
  fieldErrorList,
  filterPlaybooks,
  foldRun,
  isRunFinished,
  newDefinitionText,
  paramsIn,
  parseDefinition,
  parseRunInput,
  runDuration,
  runLength,
  runProgress,
  scheduledPlaybooks,
  stepIndexOf,
  stepSummary,
  templateFormErrors,
  templateNames,
  templateRequest,
  triggerLabel,
  truncate,
  validateTemplateParams,
  waitingApproval,
  waitLabel,
} from './playbooks'

const weekly: PlaybookTemplate = {
  id: 'weekly-ads-report',
  name: 'Weekend Google Ads report',
  description: 'Every Saturday morning…',
  params: [
    { name: 'ads_connection', kind: 'connection', provider: 'google-ads', help: 'The Google Ads account to report on.' },
    { name: 'analyst_agent', kind: 'agent', help: 'The agent that writes the analysis.' },
    { name: 'blog_connection', kind: 'connection', provider: 'wordpress', help: 'The WordPress site the draft goes to.' },
    { name: 'slack_channel', kind: 'text', help: 'The channel id.' },
  ],
  playbook: {
    name: 'Weekly Google Ads report',
    schedule: { cron: '0 8 * * 6', timezone: 'Europe/Berlin' },
    steps: [
      { id: 'report', type: 'action', connection_id: '${ads_connection}', action: 'google-ads.campaign_report', input: { days: 7 } },
      { id: 'analyse', type: 'agent', agent_id: '${analyst_agent}', input: 'Analyse {{ event.payload.steps.report.output }}' },
      { id: 'draft', type: 'action', connection_id: '${blog_connection}', action: 'wordpress.create_post', input: { channel: '${slack_channel}' } },
    ],
  },
}

function playbook(over: Partial<Playbook> = {}): Playbook {
  return {
    id: 'pb1',
    tenant_id: 't1',
    name: 'Weekly',
    description: 'Report',
    steps: [{ id: 'a', type: 'wait', seconds: 60 }],
    enabled: true,
    version: 1,
    created_by: 'user:u1',
    created_at: '2026-12-01T10:00:00Z',
    updated_at: '2026-12-01T10:00:00Z',
    ...over,
  }
}

function run(over: Partial<PlaybookRun> = {}): PlaybookRun {
  return {
    id: 'r1',
    tenant_id: 't1',
    playbook_id: 'pb1',
    workflow_id: 'playbook-r1',
    status: 'running',
    input: null,
    trigger: 'api',
    created_by: 'user:u1',
    started_at: '2026-12-01T10:00:00Z',
    steps: [
      { id: 'report', type: 'action', connection_id: 'c1', action: 'google-ads.campaign_report' },
      { id: 'analyse', type: 'agent', agent_id: 'ag1', input: 'Analyse it' },
      { id: 'review', type: 'approval', message: 'Publish?' },
    ],
    step_runs: [],
    ...over,
  }
}

describe('template form', () => {
  it('requires every parameter, with a message per kind', () => {
    expect(validateTemplateParams(weekly, { ads_connection: 'c1', slack_channel: '  ' })).toEqual({
      analyst_agent: 'Choose an agent.',
      blog_connection: 'Choose a connection.',
      slack_channel: 'Slack channel is required.',
    })
    expect(validateTemplateParams({ ...weekly, params: null }, {})).toEqual({})
  })

  it('builds the create request with trimmed params and an optional name', () => {
    const values = { ads_connection: ' c1 ', analyst_agent: 'ag1', blog_connection: 'c2', slack_channel: 'C123', extra: 'x' }
    expect(templateRequest(weekly, values, '  ')).toEqual({
      template: 'weekly-ads-report',
      params: { ads_connection: 'c1', analyst_agent: 'ag1', blog_connection: 'c2', slack_channel: 'C123' },
    })
    expect(templateRequest(weekly, values, ' My report ').name).toBe('My report')
  })

  it('finds the ${params} a value mentions', () => {
    expect(paramsIn({ a: ['${x}', { b: 'pre ${y} ${x}' }], c: 3 }).sort()).toEqual(['x', 'y'])
    expect(paramsIn('no params')).toEqual([])
  })

  it('puts the hub field errors on the parameter that fills the field', () => {
    const e = templateFormErrors(weekly, {
      'params.analyst_agent': 'is required: The agent',
      'steps[2].connection_id': 'connection "c9" not found',
      'steps[2].input': 'bad template',
      'steps[0].action': 'unknown action',
      name: 'is required',
      'schedule.cron': 'bad cron',
    })
    expect(e.params).toEqual({
      analyst_agent: 'is required: The agent',
      blog_connection: 'connection "c9" not found',
      slack_channel: 'bad template',
    })
    expect(e.name).toBe('is required')
    expect(e.other).toEqual({ 'steps[0].action': 'unknown action', 'schedule.cron': 'bad cron' })
  })
})

describe('step summaries', () => {
  const names = { connection: (id: string) => ({ c1: 'Main Ads' })[id], agent: (id: string) => ({ ag1: 'Analyst' })[id] }

  it('summarises each step type', () => {
    expect(stepSummary({ id: 'a', type: 'action', connection_id: 'c1', action: 'google-ads.campaign_report', input: { days: 7 } }, names)).toBe(
      'google-ads.campaign_report on Main Ads with {"days":7}',
    )
    expect(stepSummary({ id: 'a', type: 'action', connection_id: 'zz', action: 'x.y', input: {} }, names)).toBe('x.y on connection zz')
    expect(stepSummary({ id: 'b', type: 'agent', agent_id: 'ag1', input: 'Analyse   the\nreport' }, names)).toBe('Run Analyst: “Analyse the report”')
    expect(stepSummary({ id: 'c', type: 'wait', seconds: 3600 })).toBe('Wait 1 hour')
    expect(stepSummary({ id: 'd', type: 'approval', message: 'Publish?' })).toBe('Ask a person to approve: “Publish?”')
    expect(stepSummary({ id: 'd', type: 'approval' })).toBe('Ask a person to approve')
    expect(stepSummary({ id: 'e', type: 'email' })).toBe('Unknown step type “email”')
  })

  it('names template parameters in words', () => {
    const n = templateNames(weekly)
    expect(stepSummary(weekly.playbook.steps![0], n)).toBe('google-ads.campaign_report on your Google ads account with {"days":7}')
    expect(stepSummary(weekly.playbook.steps![1], n)).toMatch(/^Run the analyst agent you choose: “Analyse/)
    expect(n.connection!('plain-id')).toBeUndefined()
    const named = templateNames(weekly, (id) => ({ 'google-ads': 'Google Ads' })[id])
    expect(named.connection!('${ads_connection}')).toBe('your Google Ads account')
    expect(named.connection!('${blog_connection}')).toBe('your Wordpress account')
  })

  it('formats waits and truncates', () => {
    expect(waitLabel(90)).toBe('1 minute 30 seconds')
    expect(waitLabel(2 * 86400 + 3 * 3600 + 5)).toBe('2 days 3 hours')
    expect(waitLabel(1)).toBe('1 second')
    expect(waitLabel(0)).toBe('0 seconds')
    expect(truncate('abcdefghij', 5)).toBe('abcd…')
    expect(truncate('abc', 5)).toBe('abc')
  })
})

describe('schedules', () => {
  it.each([
    ['0 8 * * 6', 'Every Saturday at 08:00'],
    ['0 9 * * 1-5', 'Weekdays (Monday to Friday) at 09:00'],
    ['30 7 * * MON,wed,Fri', 'Every Monday, Wednesday and Friday at 07:30'],
    ['0 10 * * 0,6', 'Weekends at 10:00'],
    ['0 0 * * 7', 'Every Sunday at 00:00'],
    ['15 6 * * *', 'Every day at 06:15'],
    ['0 9,17 * * *', 'Every day at 09:00 and 17:00'],
    ['0 6 1 * *', 'On the 1st of every month at 06:00'],
    ['0 6 1,15 * *', 'On the 1st and 15th of every month at 06:00'],
    ['0 12 25 12 *', 'Every year on 25 December at 12:00'],
    ['0 * * * *', 'Every hour, on the hour'],
    ['5 * * * *', 'Every hour at minute 5'],
    ['*/15 * * * *', 'Every 15 minutes'],
    ['0 */6 * * *', 'Every 6 hours at minute 0'],
    ['* * * * *', 'Every minute'],
    ['@daily', 'Every day at 00:00'],
    ['@hourly', 'Every hour, on the hour'],
    ['  0   8 *  * 6 ', 'Every Saturday at 08:00'],
    ['*/15 9-17 * * 1-5', 'Cron */15 9-17 * * 1-5'],
    ['0 8 1 * 1', 'Cron 0 8 1 * 1'],
    ['bad', 'Cron bad'],
  ])('describes %s', (cron, want) => {
    expect(describeCron(cron)).toBe(want)
  })

  it('adds the zone, UTC when none is given', () => {
    expect(describeSchedule({ cron: '0 8 * * 6', timezone: 'Europe/Berlin' })).toBe('Every Saturday at 08:00 (Europe/Berlin)')
    expect(describeSchedule({ cron: '@daily' })).toBe('Every day at 00:00 (UTC)')
    expect(describeSchedule(undefined)).toBe('On demand')
  })

  it('keeps the scheduled playbooks by name, and filters by search', () => {
    const list = [
      playbook({ id: '1', name: 'Zeta', schedule: { cron: '@daily' } }),
      playbook({ id: '2', name: 'Alpha' }),
      playbook({ id: '3', name: 'Beta', schedule: { cron: '@hourly' }, description: 'Leads to Zoho' }),
    ]
    expect(scheduledPlaybooks(list).map((p) => p.id)).toEqual(['3', '1'])
    expect(filterPlaybooks(list, 'zoho').map((p) => p.id)).toEqual(['3'])
    expect(filterPlaybooks(list, ' ')).toHaveLength(3)
  })
})

describe('definition editor', () => {
  it('edits only what PUT takes', () => {
    const p = playbook({ schedule: { cron: '@daily', timezone: 'UTC' }, template: 'x' })
    expect(definitionOf(p)).toEqual({ name: 'Weekly', description: 'Report', steps: p.steps, enabled: true, schedule: p.schedule })
    expect(Object.keys(JSON.parse(definitionText(playbook())))).toEqual(['name', 'description', 'steps', 'enabled'])
  })

  it('parses the editor text', () => {
    expect(parseDefinition(newDefinitionText)).toMatchObject({ ok: true, value: { name: 'My playbook' } })
    const bad = parseDefinition('{"name": ')
    expect(bad.ok).toBe(false)
    expect(parseDefinition('[1]')).toEqual({ ok: false, error: 'The definition must be a JSON object with name and steps.' })
  })

  it('parses the optional run input', () => {
    expect(parseRunInput('  ')).toEqual({ ok: true, value: undefined })
    expect(parseRunInput('{"email":"a@b.c"}')).toEqual({ ok: true, value: { email: 'a@b.c' } })
    expect(parseRunInput('email').ok).toBe(false)
  })

  it('orders the field errors by step number', () => {
    expect(fieldErrorList({ 'steps[10].id': 'x', 'steps[2].when': 'y', name: 'z' }).map((e) => e.field)).toEqual(['name', 'steps[2].when', 'steps[10].id'])
    expect(stepIndexOf('steps[2].when')).toBe(2)
    expect(stepIndexOf('name')).toBeUndefined()
  })
})

describe('runs', () => {
  it('knows when a run has ended', () => {
    expect(isRunFinished(run())).toBe(false)
    expect(isRunFinished(run({ status: 'waiting_approval' }))).toBe(false)
    expect(isRunFinished(run({ status: 'failed' }))).toBe(true)
    expect(isRunFinished(run({ finished_at: '2026-12-01T10:01:00Z' }))).toBe(true)
    expect(isRunFinished(undefined)).toBe(false)
    expect(anyRunActive([run({ status: 'succeeded' }), run()])).toBe(true)
    expect(anyRunActive([run({ status: 'succeeded' })])).toBe(false)
  })

  it('measures the duration, up to now while running', () => {
    expect(runDuration(run({ finished_at: '2026-12-01T10:00:02.500Z' }))).toBe(2500)
    expect(runDuration(run(), Date.parse('2026-12-01T10:01:00Z'))).toBe(60_000)
    expect(runDuration({ started_at: 'x' })).toBeUndefined()
    expect(runLength(2500)).toBe('2.5 s')
    expect(runLength(78_000_000)).toBe('21 hours 40 minutes')
    expect(runLength(undefined)).toBe('—')
  })

  it('folds the step records onto the snapshot', () => {
    const r = run({
      status: 'waiting_approval',
      step_runs: [
        { index: 0, step_id: 'report', type: 'action', status: 'succeeded', started_at: '2026-12-01T10:00:00Z' },
        { index: 2, step_id: 'review', type: 'approval', status: 'waiting_approval', input: { message: 'Publish the draft?' }, started_at: '2026-12-01T10:00:05Z' },
        { index: 1, step_id: 'analyse', type: 'agent', status: 'succeeded', agent_run_id: 'ar1', started_at: '2026-12-01T10:00:01Z' },
      ],
    })
    const rows = foldRun(r)
    expect(rows.map((x) => `${x.stepId}:${x.status}`)).toEqual(['report:succeeded', 'analyse:succeeded', 'review:waiting_approval'])
    expect(agentRunHref(rows[1])).toBe('~/dashboard/agents/ag1/runs/ar1')
    expect(agentRunHref(rows[0])).toBeUndefined()
    const waiting = waitingApproval(r)
    expect(waiting?.step_id).toBe('review')
    expect(approvalMessage(waiting, rows[2].step)).toBe('Publish the draft?')
    expect(approvalMessage(undefined, rows[2].step)).toBe('Publish?')
    expect(runProgress(r)).toEqual({ done: 2, total: 3 })
  })

  it('marks steps not reached as pending, or not run once the run ended', () => {
    const steps = [{ index: 0, step_id: 'report', type: 'action', status: 'failed', error: 'boom', started_at: '2026-12-01T10:00:00Z' }]
    expect(foldRun(run({ step_runs: steps })).map((x) => x.status)).toEqual(['failed', 'pending', 'pending'])
    const ended = run({ status: 'failed', finished_at: '2026-12-01T10:00:01Z', step_runs: steps })
    expect(foldRun(ended).map((x) => x.status)).toEqual(['failed', 'not_run', 'not_run'])
    expect(waitingApproval(ended)).toBeUndefined()
    expect(foldRun(run({ step_runs: null, steps: [] }))).toEqual([])
  })

  it('keeps records the snapshot does not list', () => {
    const rows = foldRun(run({ steps: [], step_runs: [{ index: 4, step_id: 'x', type: 'wait', status: 'running', started_at: '' }] }))
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ index: 4, stepId: 'x', status: 'running' })
    expect(rows[0].step).toBeUndefined()
  })

  it('names triggers', () => {
    expect(triggerLabel('api')).toBe('Run now')
    expect(triggerLabel('schedule')).toBe('Schedule')
    expect(triggerLabel('rule:0192abcd-ef01')).toBe('Rule run 0192abcd…')
    expect(triggerLabel('')).toBe('Unknown')
  })
})
