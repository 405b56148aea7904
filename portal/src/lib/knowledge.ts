// Logic of the knowledge base screens: document states, the upload queue,
// the files a base accepts and the create request. Pure, unit-tested.
import type { KnowledgeBaseRequest, KnowledgeDocument } from '../api/knowledge'

/** languages are the full-text configurations a base may use (knowledge.Languages). */
export const languages = [
  'simple', 'arabic', 'armenian', 'basque', 'catalan', 'danish', 'dutch', 'english', 'finnish', 'french', 'german', 'greek',
  'hindi', 'hungarian', 'indonesian', 'irish', 'italian', 'lithuanian', 'nepali', 'norwegian', 'portuguese', 'romanian',
  'russian', 'serbian', 'spanish', 'swedish', 'tamil', 'turkish', 'yiddish',
]

/** acceptedExtensions are the file names the hub recognises (knowledge.contentTypeByName). */
export const acceptedExtensions = ['.pdf', '.md', '.markdown', '.mdown', '.mkd', '.html', '.htm', '.xhtml', '.txt', '.text', '.log', '.csv']

const acceptedTypes = ['application/pdf', 'application/x-pdf', 'text/markdown', 'text/x-markdown', 'text/html', 'application/xhtml+xml', 'text/plain']

/** acceptAttribute is the file input's accept list. */
export const acceptAttribute = [...acceptedExtensions, ...acceptedTypes].join(',')

/** defaultMaxBytes is the hub's default upload limit (20 MiB); the hub may be set otherwise. */
export const defaultMaxBytes = 20 << 20

/**
 * checkFile says why a file cannot be uploaded, or undefined. Empty files
 * and files neither named nor typed as PDF, Markdown, HTML or text are
 * refused here; the hub checks size and content.
 */
export function checkFile(f: { name: string; size: number; type: string }): string | undefined {
  if (f.size === 0) return 'The file is empty.'
  const dot = f.name.lastIndexOf('.')
  const ext = dot >= 0 ? f.name.slice(dot).toLowerCase() : ''
  const type = f.type.split(';')[0].trim().toLowerCase()
  if (!acceptedExtensions.includes(ext) && !acceptedTypes.includes(type)) return 'Only PDF, Markdown, HTML and plain text files can be added.'
  return undefined
}

/** isFinished says whether a document's ingestion is over (ready or failed). */
export function isFinished(d: Pick<KnowledgeDocument, 'status'>): boolean {
  return d.status === 'ready' || d.status === 'failed'
}

/** needsPolling says whether any document is still being ingested. */
export function needsPolling(docs: Pick<KnowledgeDocument, 'status'>[] | undefined): boolean {
  return !!docs?.some((d) => !isFinished(d))
}

/** documentState describes a document's ingestion for people. */
export function documentState(d: Pick<KnowledgeDocument, 'status' | 'stage' | 'progress' | 'chunk_count' | 'embedded_count' | 'error'>): string {
  switch (d.status) {
    case 'pending':
      return 'Waiting to be processed'
    case 'processing':
      if (d.stage === 'embedding') return `Embedding ${d.embedded_count} of ${d.chunk_count} chunks`
      return 'Extracting text'
    case 'ready':
      return `${d.chunk_count} ${d.chunk_count === 1 ? 'chunk' : 'chunks'}, searchable`
    case 'failed':
      return d.error ? `Failed: ${d.error}` : 'Failed'
    default:
      return d.status
  }
}

/** UploadItem is one file of the upload queue. */
export interface UploadItem {
  key: string
  name: string
  size: number
  state: 'queued' | 'uploading' | 'uploaded' | 'failed'
  error?: string
  documentId?: string
}

/** queueFiles adds files to the queue: refused ones fail at once, the others wait. */
export function queueFiles(queue: UploadItem[], files: { name: string; size: number; type: string }[], key: (i: number) => string): UploadItem[] {
  const added = files.map((f, i): UploadItem => {
    const error = checkFile(f)
    return { key: key(i), name: f.name, size: f.size, state: error ? 'failed' : 'queued', error }
  })
  return [...queue, ...added]
}

/** setUpload changes one item of the queue. */
export function setUpload(queue: UploadItem[], key: string, patch: Partial<Omit<UploadItem, 'key'>>): UploadItem[] {
  return queue.map((u) => (u.key === key ? { ...u, ...patch } : u))
}

/** nextUpload is the next file to send, unless one is being sent. */
export function nextUpload(queue: UploadItem[]): UploadItem | undefined {
  if (queue.some((u) => u.state === 'uploading')) return undefined
  return queue.find((u) => u.state === 'queued')
}

/** uploadStateLabel describes a queued file's state. */
export function uploadStateLabel(u: UploadItem): string {
  switch (u.state) {
    case 'queued':
      return 'Waiting to upload'
    case 'uploading':
      return 'Uploading…'
    case 'uploaded':
      return 'Uploaded; processing below'
    case 'failed':
      return u.error ? `Not uploaded: ${u.error}` : 'Not uploaded'
  }
}

/** KnowledgeBaseForm is the create form as typed. */
export interface KnowledgeBaseForm {
  name: string
  description: string
  language: string
  /** embeddingProvider is "" for full-text search only. */
  embeddingProvider: string
  embeddingModel: string
  embeddingBaseURL: string
  embeddingAPIKey: string
}

export const emptyKnowledgeBaseForm: KnowledgeBaseForm = {
  name: '',
  description: '',
  language: 'english',
  embeddingProvider: '',
  embeddingModel: '',
  embeddingBaseURL: '',
  embeddingAPIKey: '',
}

/** buildKnowledgeBaseRequest is the body of POST /api/v1/knowledge-bases. */
export function buildKnowledgeBaseRequest(f: KnowledgeBaseForm): KnowledgeBaseRequest {
  const req: KnowledgeBaseRequest = { name: f.name.trim(), description: f.description.trim(), language: f.language }
  if (f.embeddingProvider) {
    req.embedding = {
      provider: f.embeddingProvider,
      model: f.embeddingModel.trim(),
      base_url: f.embeddingBaseURL.trim().replace(/\/+$/, ''),
      dimension: 0,
    }
    if (f.embeddingProvider === 'openai' && f.embeddingAPIKey.trim()) req.embedding.api_key = f.embeddingAPIKey.trim()
  }
  return req
}

/** validateKnowledgeBaseForm checks what the hub would refuse, with its field names. */
export function validateKnowledgeBaseForm(f: KnowledgeBaseForm): Record<string, string> {
  const e: Record<string, string> = {}
  if (!f.name.trim()) e.name = 'Name is required.'
  else if (f.name.trim().length > 200) e.name = 'Name may have at most 200 characters.'
  if (f.description.trim().length > 2000) e.description = 'Description may have at most 2,000 characters.'
  if (f.embeddingProvider && !f.embeddingModel.trim()) e['embedding.model'] = 'Name the embedding model, e.g. nomic-embed-text.'
  if (f.embeddingProvider && f.embeddingBaseURL.trim() && !/^https?:\/\/[^/\s@]+/i.test(f.embeddingBaseURL.trim())) {
    e['embedding.base_url'] = 'Must be an http or https URL without credentials.'
  }
  return e
}

/** searchModeLabel names how a search ranked. */
export function searchModeLabel(mode: string): string {
  return mode === 'hybrid' ? 'Hybrid: full text and meaning' : mode === 'full_text' ? 'Full text only' : mode
}

/** scoreLabel formats a result's score. */
export function scoreLabel(score: number): string {
  if (!Number.isFinite(score)) return '—'
  return score >= 1 ? score.toFixed(2) : score.toPrecision(3)
}

const fieldNames: Record<string, string> = { file: 'The file', content_type: 'The file type', name: 'The file name' }

/**
 * uploadErrorMessage says why an upload was refused, from the API's field
 * errors ("file": "is not a PDF (no %PDF- header)") or its detail.
 */
export function uploadErrorMessage(fields: Record<string, string>, detail: string): string {
  const parts = Object.entries(fields).map(([k, v]) => `${fieldNames[k] ?? k} ${v}`)
  return parts.length ? `${parts.join('; ')}.` : detail
}
