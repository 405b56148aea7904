import { useId, useState, type FormEvent } from 'react'
import { Link, useLocation } from 'wouter'
import { ApiError } from '../../api/client'
import { useCreatePlaybook } from '../../api/playbooks'
import { fieldErrorList, newDefinitionText, parseDefinition, type FieldError } from '../../lib/playbooks'
import { useSession } from '../../session'
import { Button, Card, InlineError, PageHeader, TextArea } from '../../ui'
import { DefinitionErrors } from './shared'

/** NewPlaybookPage creates a playbook from a JSON definition. */
export function NewPlaybookPage() {
  const { canWrite } = useSession()
  const [, navigate] = useLocation()
  const create = useCreatePlaybook()
  const [text, setText] = useState(newDefinitionText)
  const [parseError, setParseError] = useState<string>()
  const [fieldErrors, setFieldErrors] = useState<FieldError[]>([])
  const [formError, setFormError] = useState<unknown>()
  const errorsId = useId()
  const back = { href: '/', label: 'Playbooks' }

  if (!canWrite)
    return (
      <>
        <PageHeader title="New playbook" back={back} />
        <p className="muted">Your role can view playbooks but not create them. Ask a tenant admin or member.</p>
      </>
    )

  async function submit(e: FormEvent) {
    e.preventDefault()
    setFormError(undefined)
    setFieldErrors([])
    const parsed = parseDefinition(text)
    if (!parsed.ok) {
      setParseError(parsed.error)
      return
    }
    setParseError(undefined)
    try {
      const pb = await create.mutateAsync(parsed.value)
      navigate(`/${pb.id}`)
    } catch (err) {
      const fields = err instanceof ApiError ? fieldErrorList(err.fields) : []
      setFieldErrors(fields)
      setFormError(fields.length ? undefined : err)
    }
  }

  return (
    <>
      <PageHeader
        title="New playbook"
        back={back}
        description={
          <>
            Write the definition in JSON. Starting from a <Link href="/templates">template</Link> is quicker: it fills in the steps for you.
          </>
        }
      />
      <div className="grid grid-2">
        <Card title="Definition">
          <form onSubmit={submit} noValidate aria-label="New playbook definition">
            <TextArea
              label="Definition (JSON)"
              help="The hub checks step ids, types, conditions, templates, connections and agents on save, and names the field at fault."
              value={text}
              rows={22}
              className="mono"
              spellCheck={false}
              error={parseError ?? (fieldErrors.length ? 'The hub refused some fields; see the list below.' : undefined)}
              aria-errormessage={fieldErrors.length ? errorsId : undefined}
              onChange={(e) => setText(e.target.value)}
            />
            <DefinitionErrors errors={fieldErrors} id={errorsId} />
            <InlineError error={formError} />
            <div className="form-actions">
              <Link href="/" className="btn btn-secondary">
                Cancel
              </Link>
              <Button type="submit" variant="primary" busy={create.isPending}>
                Create playbook
              </Button>
            </div>
          </form>
        </Card>
        <Card title="How steps are written">
          <ul className="small stack" style={{ paddingLeft: '1.1rem', gap: '.4rem' }}>
            <li>
              <code>action</code>: <code>connection_id</code>, <code>action</code> (e.g. <code>hubspot.create_contact</code>) and an <code>input</code> object.
            </li>
            <li>
              <code>agent</code>: <code>agent_id</code> and the task as a string <code>input</code>; the playbook waits for the agent run.
            </li>
            <li>
              <code>wait</code>: <code>seconds</code> (up to 30 days).
            </li>
            <li>
              <code>approval</code>: a <code>message</code>; a person approves or rejects on the run page.
            </li>
            <li>
              Any step may have <code>when</code>, a CEL condition such as <code>{'event.payload.steps.lookup.status == "succeeded"'}</code>; it is skipped when false.
            </li>
            <li>
              Inputs may template the run: <code>{'{{ event.payload.input.email }}'}</code>, <code>{'{{ event.payload.steps.<id>.output }}'}</code>.
            </li>
            <li>
              A <code>schedule</code> <code>{'{"cron": "0 8 * * 6", "timezone": "Europe/Berlin"}'}</code> starts it on a cron.
            </li>
          </ul>
          <p className="small muted">
            Steps refer to the workspace's <Link href="~/dashboard/connectors">connections</Link> and <Link href="~/dashboard/agents">agents</Link> by id; a template picks them from lists instead.
          </p>
        </Card>
      </div>
    </>
  )
}
