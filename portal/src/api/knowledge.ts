// Queries and mutations of knowledge bases, their documents and search.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, qs, type Page } from './client'
import { needsPolling } from '../lib/knowledge'

/** EmbeddingConfig is a knowledge base's embedding model (never the key). */
export interface EmbeddingConfig {
  provider: string
  model: string
  base_url?: string
  dimension: number
  has_api_key: boolean
}

/** KnowledgeBase is a tenant's collection of documents. */
export interface KnowledgeBase {
  id: string
  tenant_id: string
  name: string
  description: string
  language: string
  embedding: EmbeddingConfig | null
  embedding_version: number
  document_count: number
  chunk_count: number
  created_by: string
  created_at: string
  updated_at: string
}

/** DocumentStatus is a document's ingestion state. */
export type DocumentStatus = 'pending' | 'processing' | 'ready' | 'failed'

/** KnowledgeDocument is one uploaded file of a knowledge base. */
export interface KnowledgeDocument {
  id: string
  tenant_id: string
  knowledge_base_id: string
  name: string
  content_type: string
  size: number
  sha256: string
  status: DocumentStatus
  stage?: 'extracting' | 'embedding' | string
  progress: number
  error?: string
  chunk_count: number
  embedded_count: number
  embedding_version: number
  runs: number
  created_by: string
  created_at: string
  updated_at: string
}

/** SearchResult is one chunk a search found. */
export interface SearchResult {
  chunk_id: string
  knowledge_base_id: string
  document_id: string
  document_name: string
  position: number
  start_offset: number
  end_offset: number
  heading?: string
  page?: number
  text: string
  score: number
  full_text_rank?: number
  vector_rank?: number
  similarity?: number
}

/** SearchResponse is a search's answer. */
export interface SearchResponse {
  items: SearchResult[]
  mode: 'hybrid' | 'full_text' | string
  warnings?: string[]
}

/** KnowledgeBaseRequest is the body of POST /api/v1/knowledge-bases. */
export interface KnowledgeBaseRequest {
  name: string
  description: string
  language: string
  embedding?: { provider: string; model: string; base_url: string; api_key?: string; dimension: number }
}

export const knowledgeKeys = {
  all: ['knowledge-bases'] as const,
  one: (id: string) => ['knowledge-bases', 'one', id] as const,
  documents: (id: string) => ['knowledge-documents', id] as const,
  search: (id: string, q: string, limit: number) => ['knowledge-search', id, q, limit] as const,
}

/** useKnowledgeBases lists the tenant's knowledge bases (all pages). */
export function useKnowledgeBases() {
  return useQuery({
    queryKey: knowledgeKeys.all,
    queryFn: async ({ signal }) => {
      const out: KnowledgeBase[] = []
      let cursor: string | undefined
      do {
        const page = await api<Page<KnowledgeBase>>(`/api/v1/knowledge-bases${qs({ limit: 200, cursor })}`, { signal })
        out.push(...page.items)
        cursor = page.next_cursor || undefined
      } while (cursor)
      return out
    },
  })
}

/** useKnowledgeBase is one knowledge base. */
export function useKnowledgeBase(id: string) {
  return useQuery({ queryKey: knowledgeKeys.one(id), queryFn: ({ signal }) => api<KnowledgeBase>(`/api/v1/knowledge-bases/${encodeURIComponent(id)}`, { signal }) })
}

/** useCreateKnowledgeBase creates a base and adds it to the list. */
export function useCreateKnowledgeBase() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (req: KnowledgeBaseRequest) => api<KnowledgeBase>('/api/v1/knowledge-bases', { method: 'POST', body: req }),
    onSuccess: (kb) => {
      qc.setQueryData(knowledgeKeys.one(kb.id), kb)
      qc.setQueryData<KnowledgeBase[]>(knowledgeKeys.all, (list) => (list ? [kb, ...list.filter((x) => x.id !== kb.id)] : list))
      void qc.invalidateQueries({ queryKey: knowledgeKeys.all, exact: true })
    },
  })
}

/** useDeleteKnowledgeBase deletes a base with its documents, at once in the list. */
export function useDeleteKnowledgeBase() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/knowledge-bases/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onMutate: async (id) => {
      await qc.cancelQueries({ queryKey: knowledgeKeys.all, exact: true })
      const before = qc.getQueryData<KnowledgeBase[]>(knowledgeKeys.all)
      qc.setQueryData<KnowledgeBase[]>(knowledgeKeys.all, (list) => list?.filter((k) => k.id !== id))
      return { before }
    },
    onError: (_err, _id, ctx) => {
      if (ctx) qc.setQueryData(knowledgeKeys.all, ctx.before)
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: knowledgeKeys.all, exact: true }),
  })
}

/**
 * useDocuments lists a base's documents with their ingestion state,
 * polling every second while any is not finished.
 */
export function useDocuments(kbId: string) {
  return useQuery({
    queryKey: knowledgeKeys.documents(kbId),
    queryFn: async ({ signal }) => {
      const out: KnowledgeDocument[] = []
      let cursor: string | undefined
      do {
        const page = await api<Page<KnowledgeDocument>>(`/api/v1/knowledge-bases/${encodeURIComponent(kbId)}/documents${qs({ limit: 200, cursor })}`, { signal })
        out.push(...page.items)
        cursor = page.next_cursor || undefined
      } while (cursor)
      return out
    },
    refetchInterval: (q) => (needsPolling(q.state.data) ? 1000 : false),
  })
}

function useInvalidateBase(kbId: string) {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: knowledgeKeys.documents(kbId) })
    void qc.invalidateQueries({ queryKey: knowledgeKeys.one(kbId) })
    void qc.invalidateQueries({ queryKey: knowledgeKeys.all, exact: true })
  }
}

/** useUploadDocument uploads one file as multipart/form-data (field "file"). */
export function useUploadDocument(kbId: string) {
  const qc = useQueryClient()
  const invalidate = useInvalidateBase(kbId)
  return useMutation({
    mutationFn: (file: File) => {
      const form = new FormData()
      form.append('file', file, file.name)
      return api<KnowledgeDocument>(`/api/v1/knowledge-bases/${encodeURIComponent(kbId)}/documents`, { method: 'POST', form })
    },
    onSuccess: (doc) => {
      qc.setQueryData<KnowledgeDocument[]>(knowledgeKeys.documents(kbId), (list) => (list ? [doc, ...list.filter((d) => d.id !== doc.id)] : list))
      invalidate()
    },
  })
}

/** useDeleteDocument deletes a document and its chunks, at once in the list. */
export function useDeleteDocument(kbId: string) {
  const qc = useQueryClient()
  const invalidate = useInvalidateBase(kbId)
  const key = knowledgeKeys.documents(kbId)
  return useMutation({
    mutationFn: (docId: string) => api<void>(`/api/v1/knowledge-bases/${encodeURIComponent(kbId)}/documents/${encodeURIComponent(docId)}`, { method: 'DELETE' }),
    onMutate: async (docId) => {
      await qc.cancelQueries({ queryKey: key })
      const before = qc.getQueryData<KnowledgeDocument[]>(key)
      qc.setQueryData<KnowledgeDocument[]>(key, (list) => list?.filter((d) => d.id !== docId))
      return { before }
    },
    onError: (_err, _id, ctx) => {
      if (ctx) qc.setQueryData(key, ctx.before)
    },
    onSettled: invalidate,
  })
}

/** useReingestDocument extracts, chunks and embeds a document again. */
export function useReingestDocument(kbId: string) {
  const qc = useQueryClient()
  const invalidate = useInvalidateBase(kbId)
  return useMutation({
    mutationFn: (docId: string) =>
      api<KnowledgeDocument>(`/api/v1/knowledge-bases/${encodeURIComponent(kbId)}/documents/${encodeURIComponent(docId)}/reingest`, { method: 'POST' }),
    onSuccess: (doc) => {
      qc.setQueryData<KnowledgeDocument[]>(knowledgeKeys.documents(kbId), (list) => list?.map((d) => (d.id === doc.id ? doc : d)))
      invalidate()
    },
  })
}

/** useKnowledgeSearch ranks a base's chunks for a query (disabled while the query is empty). */
export function useKnowledgeSearch(kbId: string, q: string, limit: number) {
  return useQuery({
    queryKey: knowledgeKeys.search(kbId, q, limit),
    enabled: q.trim() !== '',
    staleTime: 30_000,
    queryFn: ({ signal }) => api<SearchResponse>(`/api/v1/knowledge-bases/${encodeURIComponent(kbId)}/search${qs({ q, limit })}`, { signal }),
  })
}
