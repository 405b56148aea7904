// Dialogs of outbound webhook endpoints: add (secret shown once), edit,
// rotate the secret (new one shown once) and delete.
import { useId, useState, type FormEvent } from 'react'
import { ApiError } from '../../api/client'
import { useCreateWebhook, useDeleteWebhook, useRotateSecret, useUpdateWebhook, type WebhookEndpoint } from '../../api/integrations'
import { endpointLabel, endpointPatch, formatEventTypes, parseEventTypes } from '../../lib/integrations'
import { Button, Dialog, InlineError, TextField } from '../../ui'
import { ConfirmDialog, OneTimeSecret, useRestoreFocus } from './shared'

/** EndpointDialogState says which endpoint dialog is open. */
export type EndpointDialogState =
  | { kind: 'create' }
  | { kind: 'edit' | 'rotate' | 'delete'; endpoint: WebhookEndpoint }
  | null

/** EndpointDialogs renders the open dialog, if any. */
export function EndpointDialogs({ state, onClose, onDeleted }: { state: EndpointDialogState; onClose: () => void; onDeleted?: () => void }) {
  if (!state) return null
  switch (state.kind) {
    case 'create':
      return <CreateEndpointDialog onClose={onClose} />
    case 'edit':
      return <EditEndpointDialog endpoint={state.endpoint} onClose={onClose} />
    case 'rotate':
      return <RotateSecretDialog endpoint={state.endpoint} onClose={onClose} />
    case 'delete':
      return <DeleteEndpointDialog endpoint={state.endpoint} onClose={onClose} onDeleted={onDeleted} />
  }
}

const eventTypesHelp = 'Separate with commas: exact types (shopify.orders.create), prefixes ending in * (stripe.*), or * for every event.'

interface EndpointFields {
  url: string
  description: string
  types: string
}

function EndpointFormFields({ values, errors, set }: { values: EndpointFields; errors: Record<string, string>; set: (k: keyof EndpointFields, v: string) => void }) {
  return (
    <>
      <TextField
        label="Endpoint URL"
        type="url"
        required
        autoComplete="off"
        placeholder="https://example.com/webhooks/bizos"
        help="The hub POSTs each matching event here, signed per Standard Webhooks. Only public addresses are allowed."
        value={values.url}
        error={errors.url}
        onChange={(e) => set('url', e.target.value)}
      />
      <TextField
        label="Description"
        help="Optional: what receives these events, e.g. “Data warehouse”."
        value={values.description}
        error={errors.description}
        maxLength={500}
        onChange={(e) => set('description', e.target.value)}
      />
      <TextField
        label="Event types"
        required
        autoComplete="off"
        spellCheck={false}
        placeholder="stripe.*, shopify.orders.create"
        help={eventTypesHelp}
        value={values.types}
        error={errors.event_types}
        onChange={(e) => set('types', e.target.value)}
      />
    </>
  )
}

function checkFields(v: EndpointFields): { errors: Record<string, string>; types: string[] } {
  const errors: Record<string, string> = {}
  const url = v.url.trim()
  if (!url) errors.url = 'Give the URL that receives the events.'
  else if (!/^https?:\/\/\S+$/i.test(url)) errors.url = 'The URL must start with https:// (or http://).'
  const parsed = parseEventTypes(v.types)
  if (parsed.error) errors.event_types = parsed.error
  return { errors, types: parsed.types }
}

function fieldsOf(err: unknown): Record<string, string> {
  return err instanceof ApiError ? err.fields : {}
}

function CreateEndpointDialog({ onClose }: { onClose: () => void }) {
  useRestoreFocus()
  const formId = useId()
  const create = useCreateWebhook()
  const [values, setValues] = useState<EndpointFields>({ url: '', description: '', types: '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [created, setCreated] = useState<WebhookEndpoint>()

  const set = (k: keyof EndpointFields, v: string) => {
    setValues((o) => ({ ...o, [k]: v }))
    const key = k === 'types' ? 'event_types' : k
    if (errors[key]) setErrors(({ [key]: _gone, ...rest }) => rest)
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    const { errors: errs, types } = checkFields(values)
    setErrors(errs)
    if (Object.keys(errs).length) return
    try {
      setCreated(await create.mutateAsync({ url: values.url.trim(), description: values.description.trim(), event_types: types }))
    } catch (err) {
      setErrors(fieldsOf(err))
    }
  }

  if (created?.secret) {
    return (
      <Dialog open title="Save the signing secret" onClose={onClose} footer={<Button variant="primary" onClick={onClose}>Done</Button>}>
        <p>
          Endpoint <strong>{endpointLabel(created)}</strong> is registered. Verify each delivery's <code>webhook-signature</code> header with this secret.
        </p>
        <OneTimeSecret label="Signing secret" value={created.secret} />
      </Dialog>
    )
  }
  return (
    <Dialog
      open
      title="Add webhook endpoint"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={create.isPending}>
            Create endpoint
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate aria-label="Add webhook endpoint">
        <EndpointFormFields values={values} errors={errors} set={set} />
        <InlineError error={create.error} />
      </form>
    </Dialog>
  )
}

function EditEndpointDialog({ endpoint, onClose }: { endpoint: WebhookEndpoint; onClose: () => void }) {
  useRestoreFocus()
  const formId = useId()
  const update = useUpdateWebhook()
  const [values, setValues] = useState<EndpointFields>({ url: endpoint.url, description: endpoint.description, types: formatEventTypes(endpoint.event_types) })
  const [enabled, setEnabled] = useState(endpoint.enabled)
  const [errors, setErrors] = useState<Record<string, string>>({})

  const set = (k: keyof EndpointFields, v: string) => {
    setValues((o) => ({ ...o, [k]: v }))
    const key = k === 'types' ? 'event_types' : k
    if (errors[key]) setErrors(({ [key]: _gone, ...rest }) => rest)
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    const { errors: errs, types } = checkFields(values)
    setErrors(errs)
    if (Object.keys(errs).length) return
    const patch = endpointPatch(endpoint, { url: values.url, description: values.description, event_types: types, enabled })
    if (Object.keys(patch).length === 0) return onClose()
    try {
      await update.mutateAsync({ id: endpoint.id, patch })
      onClose()
    } catch (err) {
      setErrors(fieldsOf(err))
    }
  }

  return (
    <Dialog
      open
      title="Edit webhook endpoint"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={update.isPending}>
            Save changes
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate aria-label="Edit webhook endpoint">
        {!endpoint.enabled && endpoint.disabled_reason && (
          <div className="notice notice-warn" role="status">
            <strong>The hub disabled this endpoint:</strong> {endpoint.disabled_reason} Tick “Enabled” to turn it back on; that clears the failure count.
          </div>
        )}
        <EndpointFormFields values={values} errors={errors} set={set} />
        <div className="field">
          <label className="check">
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
          </label>
          <p className="field-help">A disabled endpoint receives nothing; events that arrive meanwhile are not queued for it.</p>
          {errors.enabled && (
            <p className="field-error" role="alert">
              {errors.enabled}
            </p>
          )}
        </div>
        <InlineError error={update.error} />
      </form>
    </Dialog>
  )
}

function RotateSecretDialog({ endpoint, onClose }: { endpoint: WebhookEndpoint; onClose: () => void }) {
  const rotate = useRotateSecret()
  if (rotate.data?.secret) {
    return (
      <Dialog open title="Save the new signing secret" onClose={onClose} footer={<Button variant="primary" onClick={onClose}>Done</Button>}>
        <p>For the next 24 hours deliveries carry signatures from both the old and the new secret, so your receiver can switch without losing events.</p>
        <OneTimeSecret label="New signing secret" value={rotate.data.secret} />
      </Dialog>
    )
  }
  return (
    <ConfirmDialog
      title={`Rotate the secret of ${endpointLabel(endpoint)}?`}
      confirmLabel="Rotate secret"
      variant="primary"
      busy={rotate.isPending}
      error={rotate.error}
      onConfirm={() => rotate.mutate(endpoint.id)}
      onClose={onClose}
    >
      <p>The hub makes a new signing secret and shows it once. The current secret keeps signing, next to the new one, for 24 hours.</p>
    </ConfirmDialog>
  )
}

function DeleteEndpointDialog({ endpoint, onClose, onDeleted }: { endpoint: WebhookEndpoint; onClose: () => void; onDeleted?: () => void }) {
  const del = useDeleteWebhook()
  return (
    <ConfirmDialog
      title={`Delete ${endpointLabel(endpoint)}?`}
      confirmLabel="Delete endpoint"
      cancelLabel="Keep it"
      busy={del.isPending}
      error={del.error}
      onConfirm={() =>
        del.mutate(endpoint.id, {
          onSuccess: () => {
            onClose()
            onDeleted?.()
          },
        })
      }
      onClose={onClose}
    >
      <p>
        <span className="intg-url">{endpoint.url}</span> stops receiving events at once and its delivery log is deleted. Rules that send to it will fail until you change them.
      </p>
    </ConfirmDialog>
  )
}
