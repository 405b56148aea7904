// A knowledge base: upload documents, follow their ingestion, search it.
import { useEffect, useRef, useState, type DragEvent, type FormEvent } from 'react'
import { useLocation, useParams } from 'wouter'
import { ApiError } from '../../api/client'
import {
  useDeleteDocument,
  useDeleteKnowledgeBase,
  useDocuments,
  useKnowledgeBase,
  useKnowledgeSearch,
  useReingestDocument,
  useUploadDocument,
  type KnowledgeBase,
  type KnowledgeDocument,
} from '../../api/knowledge'
import { bytes, compact, dateTime, relativeTime, titleCase } from '../../lib/format'
import {
  acceptAttribute,
  documentState,
  isFinished,
  nextUpload,
  queueFiles,
  scoreLabel,
  searchModeLabel,
  setUpload,
  uploadErrorMessage,
  uploadStateLabel,
  type UploadItem,
} from '../../lib/knowledge'
import { useSession } from '../../session'
import { Badge, Button, Card, Dialog, EmptyState, ErrorState, InlineError, Loading, PageHeader, ProgressBar, SelectField, StatusBadge, TextField } from '../../ui'

const docStatusLabels: Record<string, string> = { pending: 'Pending', processing: 'Processing', ready: 'Ready', failed: 'Failed' }
const docTone: Record<string, string> = { pending: 'pending', processing: 'running', ready: 'succeeded', failed: 'failed' }

/** KnowledgeBasePage is one knowledge base. */
export function KnowledgeBasePage() {
  const { id = '' } = useParams<{ id: string }>()
  const kb = useKnowledgeBase(id)
  const { canWrite } = useSession()
  const del = useDeleteKnowledgeBase()
  const [confirming, setConfirming] = useState(false)
  const [, navigate] = useLocation()

  if (kb.isPending) return <Loading label="Loading knowledge base…" />
  if (kb.isError)
    return (
      <>
        <PageHeader title="Knowledge base" back={{ href: '/', label: 'Agents' }} />
        <ErrorState error={kb.error} retry={() => void kb.refetch()} title="This knowledge base could not be loaded" />
      </>
    )
  const k = kb.data
  return (
    <>
      <PageHeader
        back={{ href: '/', label: 'Agents' }}
        title={k.name}
        description={k.description || 'A knowledge base agents search with their search_knowledge tool.'}
        actions={
          canWrite && (
            <Button variant="danger" onClick={() => setConfirming(true)}>
              Delete knowledge base
            </Button>
          )
        }
      />
      <dl className="grid grid-stats" style={{ margin: '0 0 1rem' }}>
        <div className="stat">
          <dt className="stat-label">Documents</dt>
          <dd className="stat-value" style={{ margin: 0 }}>
            {compact(k.document_count)}
          </dd>
        </div>
        <div className="stat">
          <dt className="stat-label">Chunks</dt>
          <dd className="stat-value" style={{ margin: 0 }}>
            {compact(k.chunk_count)}
          </dd>
        </div>
        <div className="stat">
          <dt className="stat-label">Search</dt>
          <dd style={{ margin: 0, fontWeight: 600 }}>{k.embedding ? `Hybrid · ${k.embedding.provider}/${k.embedding.model}` : 'Full text only'}</dd>
        </div>
        <div className="stat">
          <dt className="stat-label">Language</dt>
          <dd style={{ margin: 0, fontWeight: 600 }}>{titleCase(k.language)}</dd>
        </div>
      </dl>
      {canWrite && (
        <Card title="Add documents">
          <Uploader kb={k} />
        </Card>
      )}
      <Documents kbId={k.id} />
      <Search kbId={k.id} />
      <Dialog
        open={confirming}
        title={`Delete ${k.name}?`}
        onClose={() => setConfirming(false)}
        footer={
          <>
            <Button onClick={() => setConfirming(false)}>Keep it</Button>
            <Button
              variant="danger"
              busy={del.isPending}
              onClick={() => del.mutate(k.id, { onSuccess: () => navigate('/', { replace: true }), onSettled: () => setConfirming(false) })}
            >
              Delete knowledge base
            </Button>
          </>
        }
      >
        <p>Its {k.document_count} documents and their chunks are deleted. Agents that use it can no longer search it; save them again without it.</p>
      </Dialog>
      <InlineError error={del.error} />
    </>
  )
}

/** Uploader takes files by drag and drop or the file picker and sends them one by one. */
function Uploader({ kb }: { kb: KnowledgeBase }) {
  const [queue, setQueue] = useState<UploadItem[]>([])
  const [drag, setDrag] = useState(false)
  const files = useRef(new Map<string, File>())
  const counter = useRef(0)
  const inputRef = useRef<HTMLInputElement>(null)
  const upload = useUploadDocument(kb.id)

  function add(list: FileList | File[]) {
    const arr = [...list]
    if (arr.length === 0) return
    const keys = arr.map(() => `u${++counter.current}`)
    arr.forEach((f, i) => files.current.set(keys[i], f))
    setQueue((q) => queueFiles(q, arr, (i) => keys[i]))
  }

  const uploadMutate = upload.mutateAsync
  useEffect(() => {
    const next = nextUpload(queue)
    if (!next) return
    const file = files.current.get(next.key)
    if (!file) {
      setQueue((q) => setUpload(q, next.key, { state: 'failed', error: 'The file is no longer available; choose it again.' }))
      return
    }
    setQueue((q) => setUpload(q, next.key, { state: 'uploading' }))
    uploadMutate(file)
      .then((doc) => setQueue((q) => setUpload(q, next.key, { state: 'uploaded', documentId: doc.id })))
      .catch((err: unknown) =>
        setQueue((q) =>
          setUpload(q, next.key, { state: 'failed', error: err instanceof ApiError ? uploadErrorMessage(err.fields, err.detail) : String(err) }),
        ),
      )
      .finally(() => files.current.delete(next.key))
  }, [queue, uploadMutate])

  const onDrag = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault()
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'
    setDrag(true)
  }
  const finished = queue.filter((u) => u.state === 'uploaded' || u.state === 'failed').length

  return (
    <>
      <div
        className={`dropzone${drag ? ' drag' : ''}`}
        onDragEnter={onDrag}
        onDragOver={onDrag}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDrag(false)
        }}
        onDrop={(e) => {
          e.preventDefault()
          setDrag(false)
          add(e.dataTransfer.files)
        }}
        data-testid="kb-dropzone"
      >
        <p style={{ margin: '0 0 .5rem' }}>
          <strong>Drop files here</strong> or
        </p>
        <Button variant="primary" onClick={() => inputRef.current?.click()}>
          Choose files
        </Button>
        <input
          ref={inputRef}
          type="file"
          multiple
          accept={acceptAttribute}
          hidden
          aria-label="Upload files"
          data-testid="kb-file-input"
          onChange={(e) => {
            if (e.target.files) add(e.target.files)
            e.target.value = ''
          }}
        />
        <p className="small" style={{ margin: '.5rem 0 0' }}>
          PDF, Markdown, HTML or plain text; up to 20 MB each unless your hub allows more. Each file is extracted, cut into passages
          {kb.embedding ? ' and embedded' : ''} in the background.
        </p>
      </div>
      {queue.length > 0 && (
        <>
          <ul className="agents-uploads" aria-label="Uploads">
            {queue.map((u) => (
              <li key={u.key} className="row">
                {u.state === 'uploading' && <span className="spinner spinner-sm" aria-hidden="true" />}
                <StatusBadge
                  status={u.state === 'uploaded' ? 'ok' : u.state === 'failed' ? 'failed' : u.state === 'uploading' ? 'running' : 'pending'}
                  label={u.state === 'uploaded' ? 'Uploaded' : u.state === 'failed' ? 'Failed' : u.state === 'uploading' ? 'Uploading' : 'Queued'}
                />
                <strong>{u.name}</strong>
                <span className="muted small">{bytes(u.size)}</span>
                <span className={u.state === 'failed' ? 'card-error' : 'muted small'}>{uploadStateLabel(u)}</span>
              </li>
            ))}
          </ul>
          {finished > 0 && (
            <div className="form-actions">
              <Button variant="ghost" onClick={() => setQueue((q) => q.filter((u) => u.state === 'queued' || u.state === 'uploading'))}>
                Clear finished uploads
              </Button>
            </div>
          )}
        </>
      )}
    </>
  )
}

/** Documents lists the base's documents with their ingestion progress (polled while unfinished). */
function Documents({ kbId }: { kbId: string }) {
  const { canWrite } = useSession()
  const q = useDocuments(kbId)
  const reingest = useReingestDocument(kbId)
  const del = useDeleteDocument(kbId)
  const [deleting, setDeleting] = useState<KnowledgeDocument>()
  const docs = q.data ?? []
  const working = docs.filter((d) => !isFinished(d)).length

  return (
    <Card title="Documents" actions={working > 0 && <span className="muted small" role="status">Processing {working}…</span>}>
      {q.isPending && <Loading label="Loading documents…" />}
      {q.isError && <ErrorState error={q.error} retry={() => void q.refetch()} />}
      {q.isSuccess && docs.length === 0 && (
        <EmptyState title="No documents yet">{canWrite ? 'Drop files above or press Choose files to add the first one.' : 'Nobody has added documents yet.'}</EmptyState>
      )}
      <InlineError error={reingest.error ?? del.error} />
      {docs.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Documents">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Size</th>
                <th style={{ minWidth: '14rem' }}>Status</th>
                <th>Added</th>
                {canWrite && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {docs.map((d) => (
                <tr key={d.id}>
                  <td style={{ overflowWrap: 'anywhere' }}>
                    {d.name}
                    <div className="muted small">{d.content_type}</div>
                  </td>
                  <td className="num">{bytes(d.size)}</td>
                  <td>
                    <div className="row" style={{ gap: '.4rem' }}>
                      <StatusBadge status={docTone[d.status] ?? d.status} label={docStatusLabels[d.status] ?? d.status} />
                      <span className={d.status === 'failed' ? 'card-error' : 'small muted'}>{documentState(d)}</span>
                    </div>
                    {!isFinished(d) && (
                      <div style={{ marginTop: '.35rem' }}>
                        <ProgressBar value={d.progress} label={`Progress of ${d.name}`} />
                      </div>
                    )}
                  </td>
                  <td title={dateTime(d.created_at)}>{relativeTime(d.created_at)}</td>
                  {canWrite && (
                    <td>
                      <div className="row" style={{ gap: '.4rem', flexWrap: 'nowrap' }}>
                        <Button
                          onClick={() => reingest.mutate(d.id)}
                          busy={reingest.isPending && reingest.variables === d.id}
                          disabled={d.status === 'processing' || d.status === 'pending'}
                          aria-label={`Re-ingest ${d.name}`}
                          title="Extract, chunk and embed it again"
                        >
                          Re-ingest
                        </Button>
                        <Button variant="danger" onClick={() => setDeleting(d)} aria-label={`Delete ${d.name}`}>
                          Delete
                        </Button>
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        open={!!deleting}
        title={`Delete ${deleting?.name ?? 'document'}?`}
        onClose={() => setDeleting(undefined)}
        footer={
          <>
            <Button onClick={() => setDeleting(undefined)}>Keep it</Button>
            <Button variant="danger" busy={del.isPending} onClick={() => deleting && del.mutate(deleting.id, { onSettled: () => setDeleting(undefined) })}>
              Delete document
            </Button>
          </>
        }
      >
        <p>The document and its passages are removed; agents no longer find them. Answers that cited it keep their citation text.</p>
      </Dialog>
    </Card>
  )
}

/** Search ranks the base's passages for a query and shows their scores. */
function Search({ kbId }: { kbId: string }) {
  const [text, setText] = useState('')
  const [query, setQuery] = useState('')
  const [limit, setLimit] = useState(10)
  const [error, setError] = useState<string>()
  const s = useKnowledgeSearch(kbId, query, limit)
  const fieldError = s.error instanceof ApiError ? (s.error.fields.query ?? s.error.fields.q) : undefined

  function submit(e: FormEvent) {
    e.preventDefault()
    const q = text.trim()
    if (!q) {
      setError('Type what to look for.')
      return
    }
    setError(undefined)
    if (q === query) void s.refetch()
    else setQuery(q)
  }

  return (
    <Card title="Search">
      <form role="search" aria-label="Knowledge base search" onSubmit={submit} noValidate>
        <div className="toolbar agents-search">
          <div style={{ flex: '1 1 18rem' }}>
            <TextField
              label="Search this knowledge base"
              type="search"
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="refund for a damaged kettle"
              error={error ?? (fieldError ? `The query ${fieldError}` : undefined)}
              style={{ width: '100%' }}
            />
          </div>
          <SelectField label="Results" value={String(limit)} onChange={(e) => setLimit(Number(e.target.value))} style={{ minWidth: 0 }}>
            {[5, 10, 20, 50].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </SelectField>
          <Button type="submit" variant="primary" busy={s.isFetching}>
            Search
          </Button>
        </div>
      </form>
      {s.isError && !fieldError && <ErrorState error={s.error} retry={() => void s.refetch()} title="The search failed" />}
      {s.isSuccess && (
        <section aria-label="Search results">
          <p className="small">
            <Badge>{searchModeLabel(s.data.mode)}</Badge> <span className="muted">
              {s.data.items.length} {s.data.items.length === 1 ? 'passage' : 'passages'}, best first
            </span>
          </p>
          {s.data.warnings?.map((w) => (
            <div key={w} className="notice notice-warn">
              {w}
            </div>
          ))}
          {s.data.items.length === 0 ? (
            <EmptyState title="No passage matches">Try other words, or check above that the documents are ready.</EmptyState>
          ) : (
            <ol className="agents-results">
              {s.data.items.map((r, i) => (
                <li key={r.chunk_id}>
                  <div className="row row-between">
                    <strong>
                      {i + 1}. {r.document_name}
                      {r.heading ? <span className="muted"> · {r.heading}</span> : null}
                      {r.page ? <span className="muted"> · page {r.page}</span> : null}
                    </strong>
                    <span className="small mono" title="Higher is better">
                      score {scoreLabel(r.score)}
                    </span>
                  </div>
                  <div className="small muted">
                    passage {r.position + 1}
                    {r.full_text_rank ? ` · full-text rank ${r.full_text_rank}` : ''}
                    {r.vector_rank ? ` · meaning rank ${r.vector_rank}` : ''}
                    {r.similarity ? ` · similarity ${r.similarity.toFixed(2)}` : ''}
                  </div>
                  <blockquote>{r.text}</blockquote>
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
    </Card>
  )
}
