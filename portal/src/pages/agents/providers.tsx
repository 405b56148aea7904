// The tenant's model provider settings: base URLs and sealed API keys agents use.
import { useState, type FormEvent } from 'react'
import { ApiError } from '../../api/client'
import { useDeleteLLMProvider, useLLMProviders, usePutLLMProvider, type LLMProviderSettings } from '../../api/agents'
import { dateTime, relativeTime } from '../../lib/format'
import { useSession } from '../../session'
import { Button, Card, Dialog, ErrorState, InlineError, Loading, StatusBadge, TextField } from '../../ui'

const providers = [
  {
    id: 'ollama',
    label: 'Ollama',
    about: 'A self-hosted Ollama server. Without settings here agents use the hub operator’s server (OLLAMA_HOST), if there is one.',
    urlHelp: 'Address of the Ollama server, e.g. http://ollama.internal:11434.',
    keyed: false,
  },
  {
    id: 'openai',
    label: 'OpenAI-compatible',
    about: 'OpenAI, or any OpenAI-compatible endpoint (OpenRouter, vLLM) by base URL and key.',
    urlHelp: 'Leave empty for https://api.openai.com/v1; e.g. https://openrouter.ai/api/v1 for OpenRouter.',
    keyed: true,
  },
] as const

/** ModelProvidersCard shows the tenant's provider settings; tenant admins change them. */
export function ModelProvidersCard() {
  const { isAdmin } = useSession()
  const q = useLLMProviders()
  const items = q.data?.items ?? []
  return (
    <Card title="Model providers">
      <p className="muted small">
        Where agents send their prompts. An agent’s own base URL and key, set in its settings, win over these. Keys are stored sealed and
        never shown again.
      </p>
      {!isAdmin && <p className="muted small">Only tenant admins can change these settings.</p>}
      {q.isPending && <Loading label="Loading model providers…" />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && (
        <div className="stack">
          {providers.map((p) => (
            <ProviderRow key={p.id} provider={p} settings={items.find((s) => s.provider === p.id)} canEdit={isAdmin} />
          ))}
        </div>
      )}
    </Card>
  )
}

function ProviderRow({ provider: p, settings, canEdit }: { provider: (typeof providers)[number]; settings?: LLMProviderSettings; canEdit: boolean }) {
  const [editing, setEditing] = useState(false)
  const [baseURL, setBaseURL] = useState('')
  const [apiKey, setApiKey] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [confirming, setConfirming] = useState(false)
  const put = usePutLLMProvider()
  const del = useDeleteLLMProvider()
  const headingId = `provider-${p.id}`

  function open() {
    setBaseURL(settings?.base_url ?? '')
    setApiKey('')
    setErrors({})
    put.reset()
    setEditing(true)
  }

  async function save(e: FormEvent) {
    e.preventDefault()
    setErrors({})
    const url = baseURL.trim().replace(/\/+$/, '')
    if (url && !/^https?:\/\/[^/\s@]+/i.test(url)) {
      setErrors({ base_url: 'Must be an http or https URL without credentials.' })
      return
    }
    if (!p.keyed && !url) {
      setErrors({ base_url: 'Give the address of the Ollama server.' })
      return
    }
    try {
      await put.mutateAsync({ provider: p.id, base_url: url, api_key: p.keyed ? apiKey.trim() : '' })
      setEditing(false)
      setApiKey('')
    } catch (err) {
      if (err instanceof ApiError) {
        const f: Record<string, string> = {}
        for (const [k, v] of Object.entries(err.fields)) f[k.replace(/^llm\./, '')] = v
        setErrors(f)
      }
    }
  }

  return (
    <article aria-labelledby={headingId} className="agents-inline" style={{ marginTop: 0 }}>
      <div className="row row-between">
        <h3 id={headingId} style={{ margin: 0 }}>
          {p.label}
        </h3>
        <div className="row">
          {settings ? <StatusBadge status="enabled" label="Configured" /> : <StatusBadge status="not_connected" label="Not configured" />}
          {p.keyed && settings && (settings.has_api_key ? <StatusBadge status="ok" label="Key set" /> : <StatusBadge status="disabled" label="No key" />)}
        </div>
      </div>
      <p className="muted small">{p.about}</p>
      {settings && (
        <p className="small" style={{ overflowWrap: 'anywhere' }}>
          Base URL: <span className="mono">{settings.base_url || 'provider default'}</span> · updated{' '}
          <span title={dateTime(settings.updated_at)}>{relativeTime(settings.updated_at)}</span>
        </p>
      )}
      <InlineError error={del.error} />
      {canEdit && !editing && (
        <div className="row">
          <Button onClick={open} aria-label={`${settings ? 'Edit' : 'Set up'} ${p.label}`}>
            {settings ? 'Edit' : 'Set up'}
          </Button>
          {settings && (
            <Button variant="danger" onClick={() => setConfirming(true)} aria-label={`Remove ${p.label} settings`}>
              Remove
            </Button>
          )}
        </div>
      )}
      {editing && (
        <form onSubmit={save} noValidate aria-label={`${p.label} settings`}>
          <TextField
            label="Base URL"
            type="url"
            autoComplete="off"
            value={baseURL}
            onChange={(e) => setBaseURL(e.target.value)}
            help={p.urlHelp}
            error={errors.base_url}
            placeholder={p.keyed ? 'https://api.openai.com/v1' : 'http://localhost:11434'}
            required={!p.keyed}
          />
          {p.keyed && (
            <TextField
              label="API key"
              type="password"
              autoComplete="new-password"
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
              error={errors.api_key}
              help={
                settings?.has_api_key
                  ? 'A key is set. Saving replaces the settings: type the key again to keep one, or leave this empty to remove it.'
                  : 'Stored sealed; it is never shown again. Leave empty for a keyless OpenAI-compatible server.'
              }
            />
          )}
          {errors.provider && <p className="field-error">{errors.provider}</p>}
          <InlineError error={put.error} />
          <div className="form-actions">
            <Button onClick={() => setEditing(false)}>Cancel</Button>
            <Button type="submit" variant="primary" busy={put.isPending}>
              Save
            </Button>
          </div>
        </form>
      )}
      <Dialog
        open={confirming}
        title={`Remove the ${p.label} settings?`}
        onClose={() => setConfirming(false)}
        footer={
          <>
            <Button onClick={() => setConfirming(false)}>Keep them</Button>
            <Button variant="danger" busy={del.isPending} onClick={() => del.mutate(p.id, { onSettled: () => setConfirming(false) })}>
              Remove
            </Button>
          </>
        }
      >
        <p>Agents that rely on the tenant’s {p.label} settings can no longer reach their model, unless they have their own base URL and key.</p>
      </Dialog>
    </article>
  )
}
