// The inline form that creates a knowledge base.
import { useState, type FormEvent } from 'react'
import { ApiError } from '../../api/client'
import { useCreateKnowledgeBase, type KnowledgeBase } from '../../api/knowledge'
import { titleCase } from '../../lib/format'
import { buildKnowledgeBaseRequest, emptyKnowledgeBaseForm, languages, validateKnowledgeBaseForm, type KnowledgeBaseForm } from '../../lib/knowledge'
import { Button, InlineError, SelectField, TextArea, TextField } from '../../ui'

/** NewKnowledgeBaseForm creates a knowledge base; errors show next to their field. */
export function NewKnowledgeBaseForm({ onCreated, onCancel }: { onCreated: (kb: KnowledgeBase) => void; onCancel: () => void }) {
  const [f, setF] = useState<KnowledgeBaseForm>(emptyKnowledgeBaseForm)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const create = useCreateKnowledgeBase()
  const set = <K extends keyof KnowledgeBaseForm>(k: K, v: KnowledgeBaseForm[K]) => setF((old) => ({ ...old, [k]: v }))

  async function submit(e: FormEvent) {
    e.preventDefault()
    create.reset()
    const errs = validateKnowledgeBaseForm(f)
    setErrors(errs)
    if (Object.keys(errs).length) return
    try {
      const kb = await create.mutateAsync(buildKnowledgeBaseRequest(f))
      setF(emptyKnowledgeBaseForm)
      onCreated(kb)
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fields)
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label="New knowledge base" className="agents-inline">
      <TextField label="Knowledge base name" required value={f.name} onChange={(e) => set('name', e.target.value)} error={errors.name} placeholder="Brand voice" />
      <TextArea
        label="Description"
        rows={2}
        style={{ minHeight: '3.5rem' }}
        value={f.description}
        onChange={(e) => set('description', e.target.value)}
        error={errors.description}
        help="What the documents are about; helps people pick the right base."
      />
      <SelectField
        label="Language"
        value={f.language}
        onChange={(e) => set('language', e.target.value)}
        error={errors.language}
        help="Used to find word forms in full-text search. “Simple” matches words exactly."
      >
        {languages.map((l) => (
          <option key={l} value={l}>
            {titleCase(l)}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="Search by meaning"
        value={f.embeddingProvider}
        onChange={(e) => set('embeddingProvider', e.target.value)}
        error={errors['embedding.provider'] ?? errors.embedding}
        help="Full-text search needs no model. An embedding model adds search by meaning (hybrid ranking)."
      >
        <option value="">No: full-text search only</option>
        <option value="ollama">Yes, with an Ollama embedding model</option>
        <option value="openai">Yes, with an OpenAI-compatible embedding model</option>
      </SelectField>
      {f.embeddingProvider && (
        <>
          <TextField
            label="Embedding model"
            required
            value={f.embeddingModel}
            onChange={(e) => set('embeddingModel', e.target.value)}
            error={errors['embedding.model']}
            placeholder={f.embeddingProvider === 'ollama' ? 'nomic-embed-text' : 'text-embedding-3-small'}
          />
          <TextField
            label="Embedding base URL"
            type="url"
            value={f.embeddingBaseURL}
            onChange={(e) => set('embeddingBaseURL', e.target.value)}
            error={errors['embedding.base_url']}
            help="Leave empty for the provider’s default."
          />
          {f.embeddingProvider === 'openai' && (
            <TextField
              label="Embedding API key"
              type="password"
              autoComplete="new-password"
              value={f.embeddingAPIKey}
              onChange={(e) => set('embeddingAPIKey', e.target.value)}
              error={errors['embedding.api_key']}
              help="Stored sealed; never shown again."
            />
          )}
        </>
      )}
      <InlineError error={create.error} />
      <div className="form-actions">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" busy={create.isPending}>
          Create knowledge base
        </Button>
      </div>
    </form>
  )
}
