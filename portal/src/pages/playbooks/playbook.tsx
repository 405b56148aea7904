import { useId, useRef, useState, type FormEvent, type RefObject } from 'react'
import { useLocation, useParams } from 'wouter'
import { ApiError } from '../../api/client'
import {
  useDeletePlaybook,
  useFireSchedule,
  usePlaybook,
  usePlaybookRuns,
  useSavePlaybook,
  useSetPlaybookEnabled,
  useStartRun,
  type Playbook,
} from '../../api/playbooks'
import { dateTime, relativeTime, titleCase } from '../../lib/format'
import { anyRunActive, definitionText, describeSchedule, fieldErrorList, parseDefinition, parseRunInput, scheduleZone, type FieldError } from '../../lib/playbooks'
import { useSession } from '../../session'
import { Button, Card, Dialog, EmptyState, ErrorState, InlineError, Loading, PageHeader, StatusBadge, TextArea } from '../../ui'
import { DefinitionErrors, RunsTable, StepList, useNames, useNow } from './shared'

const back = { href: '/', label: 'Playbooks' }

/** PlaybookPage shows one playbook: steps, definition editor, schedule, runs. */
export function PlaybookPage() {
  const { id = '' } = useParams<{ id: string }>()
  const { canWrite } = useSession()
  const q = usePlaybook(id)
  const names = useNames()
  const [running, setRunning] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const fire = useFireSchedule()
  const toggle = useSetPlaybookEnabled()
  const pollUntil = useRef(0)

  if (q.isPending) return <Loading label="Loading the playbook…" />
  if (q.isError)
    return (
      <>
        <PageHeader title="Playbook" back={back} />
        <ErrorState error={q.error} retry={() => void q.refetch()} title={q.error instanceof ApiError && q.error.status === 404 ? 'This playbook does not exist' : undefined} />
      </>
    )
  const pb = q.data

  const fireNow = () =>
    fire.mutate(pb.id, {
      onSuccess: () => {
        pollUntil.current = Date.now() + 20_000
      },
    })

  return (
    <>
      <PageHeader
        back={back}
        title={pb.name}
        description={pb.description || undefined}
        actions={
          canWrite && (
            <>
              <Button variant="primary" onClick={() => setRunning(true)}>
                Run now
              </Button>
              {pb.schedule && (
                <Button onClick={fireNow} busy={fire.isPending}>
                  Fire schedule now
                </Button>
              )}
              <Button variant="danger" onClick={() => setDeleting(true)}>
                Delete
              </Button>
            </>
          )
        }
      />
      {fire.isSuccess && (
        <div className="notice notice-ok" role="status">
          The schedule fired. Its run appears under Runs in a few seconds.
        </div>
      )}
      <InlineError error={fire.error ?? toggle.error} />

      <Card title="Overview">
        <dl className="grid grid-stats small" style={{ margin: 0 }}>
          <div>
            <dt className="muted">State</dt>
            <dd style={{ margin: 0 }}>
              <StatusBadge status={pb.enabled ? 'enabled' : 'disabled'} />
            </dd>
          </div>
          <div>
            <dt className="muted">Starts</dt>
            <dd style={{ margin: 0 }}>{pb.schedule ? 'On its schedule, on demand or from a rule' : 'On demand or from a rule'}</dd>
          </div>
          <div>
            <dt className="muted">Version</dt>
            <dd style={{ margin: 0 }}>{pb.version}</dd>
          </div>
          {pb.template && (
            <div>
              <dt className="muted">Made from</dt>
              <dd style={{ margin: 0 }}>{titleCase(pb.template)}</dd>
            </div>
          )}
          <div>
            <dt className="muted">Updated</dt>
            <dd style={{ margin: 0 }} title={dateTime(pb.updated_at)}>
              {relativeTime(pb.updated_at)}
            </dd>
          </div>
          <div>
            <dt className="muted">Created</dt>
            <dd style={{ margin: 0 }}>
              {dateTime(pb.created_at)} <span className="muted">by {pb.created_by}</span>
            </dd>
          </div>
        </dl>
        {canWrite && (
          <div className="form-actions">
            <Button onClick={() => toggle.mutate({ playbook: pb, enabled: !pb.enabled })} busy={toggle.isPending}>
              {pb.enabled ? 'Disable' : 'Enable'}
            </Button>
          </div>
        )}
      </Card>

      {pb.schedule && (
        <Card title="Schedule">
          <p>
            <strong>{describeSchedule(pb.schedule)}</strong>
            {!pb.enabled && <span className="muted"> — paused while the playbook is disabled.</span>}
          </p>
          <dl className="grid grid-stats small" style={{ margin: 0 }}>
            <div>
              <dt className="muted">Cron</dt>
              <dd style={{ margin: 0 }} className="mono">
                {pb.schedule.cron}
              </dd>
            </div>
            <div>
              <dt className="muted">Time zone</dt>
              <dd style={{ margin: 0 }}>{scheduleZone(pb.schedule)}</dd>
            </div>
          </dl>
          {pb.schedule.input !== undefined && pb.schedule.input !== null && (
            <details>
              <summary className="small">Input of scheduled runs</summary>
              <pre>{JSON.stringify(pb.schedule.input, null, 2)}</pre>
            </details>
          )}
        </Card>
      )}

      <div className="grid grid-2">
        <Card title={`Steps (${pb.steps?.length ?? 0})`}>
          <StepList steps={pb.steps ?? []} names={names} />
        </Card>
        <Card title="Definition">
          <DefinitionEditor playbook={pb} />
        </Card>
      </div>

      <PlaybookRuns playbook={pb} pollUntil={pollUntil} />

      {canWrite && <RunDialog playbook={pb} open={running} onClose={() => setRunning(false)} />}
      {canWrite && <DeleteDialog playbook={pb} open={deleting} onClose={() => setDeleting(false)} />}
    </>
  )
}

/** DefinitionEditor edits the playbook as JSON; the hub's field errors are listed, the text is kept. */
function DefinitionEditor({ playbook: pb }: { playbook: Playbook }) {
  const { canWrite } = useSession()
  const save = useSavePlaybook(pb.id)
  const [draft, setDraft] = useState<string | null>(null)
  const [parseError, setParseError] = useState<string>()
  const [fieldErrors, setFieldErrors] = useState<FieldError[]>([])
  const [formError, setFormError] = useState<unknown>()
  const [saved, setSaved] = useState(false)
  const errorsId = useId()
  const text = draft ?? definitionText(pb)
  const help = 'name, description, steps, schedule {cron, timezone, input} and enabled. Steps read earlier outputs as {{ event.payload.steps.<id>.output }}.'

  if (!canWrite) {
    return <TextArea label="Definition (JSON, read-only)" help={help} readOnly value={text} rows={18} className="mono" spellCheck={false} />
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setSaved(false)
    setFormError(undefined)
    setFieldErrors([])
    const parsed = parseDefinition(text)
    if (!parsed.ok) {
      setParseError(parsed.error)
      return
    }
    setParseError(undefined)
    try {
      await save.mutateAsync(parsed.value)
      setDraft(null)
      setSaved(true)
    } catch (err) {
      const fields = err instanceof ApiError ? fieldErrorList(err.fields) : []
      setFieldErrors(fields)
      setFormError(fields.length ? undefined : err)
    }
  }

  const discard = () => {
    setDraft(null)
    setParseError(undefined)
    setFieldErrors([])
    setFormError(undefined)
  }

  const fieldSummary = fieldErrors.length ? `The hub refused ${fieldErrors.length === 1 ? 'a field' : `${fieldErrors.length} fields`}; see the list below.` : undefined
  return (
    <form onSubmit={submit} noValidate aria-label="Edit the definition">
      <TextArea
        label="Definition (JSON)"
        help={help}
        value={text}
        rows={18}
        className="mono"
        spellCheck={false}
        error={parseError ?? fieldSummary}
        aria-errormessage={fieldErrors.length ? errorsId : undefined}
        onChange={(e) => {
          setDraft(e.target.value)
          setSaved(false)
        }}
      />
      <DefinitionErrors errors={fieldErrors} id={errorsId} />
      <InlineError error={formError} />
      {saved && (
        <div className="notice notice-ok" role="status">
          Saved as version {pb.version}. New runs use these steps; runs already going keep theirs.
        </div>
      )}
      <div className="form-actions">
        {draft !== null && <Button onClick={discard}>Discard changes</Button>}
        <Button type="submit" variant="primary" busy={save.isPending} disabled={draft === null}>
          Save
        </Button>
      </div>
    </form>
  )
}

/** PlaybookRuns lists the playbook's runs, refreshing while one is going. */
function PlaybookRuns({ playbook: pb, pollUntil }: { playbook: Playbook; pollUntil: RefObject<number> }) {
  const { canWrite } = useSession()
  const q = usePlaybookRuns(pb.id, (runs) => anyRunActive(runs) || Date.now() < pollUntil.current)
  const runs = q.data?.pages.flatMap((p) => p.items) ?? []
  const now = useNow(anyRunActive(runs))
  return (
    <Card title="Runs" actions={<Button variant="ghost" onClick={() => void q.refetch()} busy={q.isFetching && !q.isPending}>Refresh</Button>}>
      {q.isPending && <Loading label="Loading runs…" />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && runs.length === 0 && (
        <EmptyState title="No runs yet">
          {canWrite
            ? `Press Run now to start one${pb.schedule ? ', or wait for the schedule' : ''}. A rule can start it too, with a playbook action.`
            : `Runs appear here when someone starts the playbook${pb.schedule ? ' or its schedule fires' : ''}.`}
        </EmptyState>
      )}
      {runs.length > 0 && <RunsTable runs={runs} now={now} />}
      {q.hasNextPage && (
        <div className="form-actions">
          <Button onClick={() => void q.fetchNextPage()} busy={q.isFetchingNextPage}>
            Load older runs
          </Button>
        </div>
      )}
    </Card>
  )
}

/** RunDialog starts a run with an optional JSON input and opens it. */
function RunDialog({ playbook: pb, open, onClose }: { playbook: Playbook; open: boolean; onClose: () => void }) {
  const [, navigate] = useLocation()
  const start = useStartRun(pb.id)
  const [input, setInput] = useState('')
  const [inputError, setInputError] = useState<string>()
  const [formError, setFormError] = useState<unknown>()
  const formId = useId()

  async function submit(e: FormEvent) {
    e.preventDefault()
    setFormError(undefined)
    const parsed = parseRunInput(input)
    if (!parsed.ok) {
      setInputError(parsed.error)
      return
    }
    setInputError(undefined)
    try {
      const run = await start.mutateAsync(parsed.value)
      navigate(`/runs/${run.id}`)
    } catch (err) {
      const fieldMsg = err instanceof ApiError ? err.fields.input : undefined
      setInputError(fieldMsg)
      setFormError(fieldMsg ? undefined : err)
    }
  }

  return (
    <Dialog
      open={open}
      title={`Run ${pb.name}`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={start.isPending}>
            Start run
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate aria-label={`Run ${pb.name}`}>
        <TextArea
          label="Run input (JSON, optional)"
          help='Steps read it as event.payload.input, e.g. {"email": "ada@example.com"}. Leave empty for none.'
          value={input}
          rows={6}
          className="mono"
          spellCheck={false}
          error={inputError}
          onChange={(e) => setInput(e.target.value)}
        />
        <InlineError error={formError} />
      </form>
    </Dialog>
  )
}

/** DeleteDialog confirms deleting the playbook, its runs and its schedule. */
function DeleteDialog({ playbook: pb, open, onClose }: { playbook: Playbook; open: boolean; onClose: () => void }) {
  const [, navigate] = useLocation()
  const del = useDeletePlaybook()
  return (
    <Dialog
      open={open}
      title={`Delete ${pb.name}?`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Keep it</Button>
          <Button variant="danger" busy={del.isPending} onClick={() => del.mutate(pb.id, { onSuccess: () => navigate('/') })}>
            Delete playbook
          </Button>
        </>
      }
    >
      <p>
        Its runs{pb.schedule ? ' and its schedule' : ''} are deleted with it. Rules that start it fail until they point at another playbook. This cannot be undone.
      </p>
      <InlineError error={del.error} />
      <p className="small muted">To stop it for a while instead, keep it and press Disable.</p>
    </Dialog>
  )
}
