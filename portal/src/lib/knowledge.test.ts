import { describe, expect, it } from 'vitest'
import {
  buildKnowledgeBaseRequest,
  checkFile,
  documentState,
  emptyKnowledgeBaseForm,
  isFinished,
  needsPolling,
  nextUpload,
  queueFiles,
  scoreLabel,
  searchModeLabel,
  setUpload,
  uploadErrorMessage,
  uploadStateLabel,
  validateKnowledgeBaseForm,
} from './knowledge'

describe('files', () => {
  it('accepts PDF, Markdown, HTML and text by name or type', () => {
    expect(checkFile({ name: 'guide.PDF', size: 10, type: '' })).toBeUndefined()
    expect(checkFile({ name: 'notes.md', size: 10, type: 'text/plain' })).toBeUndefined()
    expect(checkFile({ name: 'README', size: 10, type: 'text/plain' })).toBeUndefined()
    expect(checkFile({ name: 'page', size: 10, type: 'text/html; charset=utf-8' })).toBeUndefined()
    expect(checkFile({ name: 'photo.png', size: 10, type: 'image/png' })).toMatch(/Only PDF/)
    expect(checkFile({ name: 'empty.txt', size: 0, type: 'text/plain' })).toMatch(/empty/)
  })
})

describe('documents', () => {
  it('polls while any document is unfinished', () => {
    expect(isFinished({ status: 'ready' })).toBe(true)
    expect(isFinished({ status: 'processing' })).toBe(false)
    expect(needsPolling(undefined)).toBe(false)
    expect(needsPolling([{ status: 'ready' }, { status: 'failed' }])).toBe(false)
    expect(needsPolling([{ status: 'ready' }, { status: 'pending' }])).toBe(true)
  })

  it('describes each state', () => {
    const d = { chunk_count: 40, embedded_count: 20, progress: 0.5 }
    expect(documentState({ ...d, status: 'pending' })).toBe('Waiting to be processed')
    expect(documentState({ ...d, status: 'processing', stage: 'extracting' })).toBe('Extracting text')
    expect(documentState({ ...d, status: 'processing', stage: 'embedding' })).toBe('Embedding 20 of 40 chunks')
    expect(documentState({ ...d, status: 'ready', chunk_count: 1 })).toBe('1 chunk, searchable')
    expect(documentState({ ...d, status: 'failed', error: 'is not a PDF' })).toBe('Failed: is not a PDF')
  })
})

describe('upload queue', () => {
  it('queues good files, fails refused ones and sends one at a time', () => {
    let q = queueFiles([], [
      { name: 'a.md', size: 3, type: '' },
      { name: 'b.exe', size: 3, type: 'application/x-msdownload' },
      { name: 'c.txt', size: 3, type: 'text/plain' },
    ], (i) => `k${i}`)
    expect(q.map((u) => u.state)).toEqual(['queued', 'failed', 'queued'])
    expect(nextUpload(q)?.key).toBe('k0')
    q = setUpload(q, 'k0', { state: 'uploading' })
    expect(nextUpload(q)).toBeUndefined()
    q = setUpload(q, 'k0', { state: 'uploaded', documentId: 'd1' })
    expect(nextUpload(q)?.key).toBe('k2')
    expect(uploadStateLabel(q[0])).toMatch(/Uploaded/)
    expect(uploadStateLabel(q[1])).toMatch(/Not uploaded: Only PDF/)
  })
})

describe('create request', () => {
  it('sends no embedding for full-text search', () => {
    expect(buildKnowledgeBaseRequest({ ...emptyKnowledgeBaseForm, name: ' FAQ ' })).toEqual({ name: 'FAQ', description: '', language: 'english' })
  })

  it('sends the embedding model, and a key only for OpenAI-compatible endpoints', () => {
    const f = { ...emptyKnowledgeBaseForm, name: 'KB', embeddingProvider: 'openai', embeddingModel: 'text-embedding-3-small', embeddingAPIKey: 'sk', embeddingBaseURL: 'https://x/v1/' }
    expect(buildKnowledgeBaseRequest(f).embedding).toEqual({ provider: 'openai', model: 'text-embedding-3-small', base_url: 'https://x/v1', api_key: 'sk', dimension: 0 })
    expect(buildKnowledgeBaseRequest({ ...f, embeddingProvider: 'ollama' }).embedding).not.toHaveProperty('api_key')
  })

  it('validates with the hub’s field names', () => {
    expect(validateKnowledgeBaseForm({ ...emptyKnowledgeBaseForm, embeddingProvider: 'ollama', embeddingBaseURL: 'nope' })).toEqual({
      name: 'Name is required.',
      'embedding.model': 'Name the embedding model, e.g. nomic-embed-text.',
      'embedding.base_url': 'Must be an http or https URL without credentials.',
    })
  })
})

describe('search labels', () => {
  it('names modes and formats scores', () => {
    expect(searchModeLabel('hybrid')).toMatch(/Hybrid/)
    expect(searchModeLabel('full_text')).toBe('Full text only')
    expect(scoreLabel(0.0327868)).toBe('0.0328')
    expect(scoreLabel(1.5)).toBe('1.50')
  })
})

describe('uploadErrorMessage', () => {
  it('names the refused part or falls back to the detail', () => {
    expect(uploadErrorMessage({ file: 'is not a PDF (no %PDF- header)' }, 'Invalid input')).toBe('The file is not a PDF (no %PDF- header).')
    expect(uploadErrorMessage({}, 'The document is larger than the 20 MB limit.')).toBe('The document is larger than the 20 MB limit.')
  })
})
