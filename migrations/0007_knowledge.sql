-- Knowledge bases: documents (with their uploaded bytes) cut into chunks that
-- are searched by full-text ranking and, when an embedding model is set, by
-- vector similarity (see docs/knowledge.md).

-- The text search configuration named by a knowledge base's language.
-- (Languages are kept as text, not regconfig: pg_upgrade refuses tables
-- with regconfig columns.)
CREATE FUNCTION knowledge_ts_config(language text) RETURNS regconfig
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT language::regconfig $$;

CREATE TABLE knowledge_bases (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description          text NOT NULL DEFAULT '',
    -- The text search configuration of the chunks' tsvector.
    language             text NOT NULL DEFAULT 'english',
    embedding_provider   text NOT NULL DEFAULT '',
    embedding_model      text NOT NULL DEFAULT '', -- '' = full-text search only
    embedding_base_url   text NOT NULL DEFAULT '',
    embedding_dimension  integer NOT NULL DEFAULT 0 CHECK (embedding_dimension BETWEEN 0 AND 16000),
    -- The embedding API key sealed with the master key, bound to
    -- "knowledge_bases:<id>"; NULL when there is none.
    embedding_key_sealed bytea,
    -- Bumped whenever the model or dimension change: vectors and documents
    -- of older versions are stale.
    embedding_version    integer NOT NULL DEFAULT 1,
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);
CREATE INDEX knowledge_bases_tenant_idx ON knowledge_bases (tenant_id, created_at DESC, id DESC);

CREATE TABLE knowledge_documents (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kb_id             uuid NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    content_type      text NOT NULL,
    size_bytes        bigint NOT NULL,
    sha256            text NOT NULL,
    status            text NOT NULL CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
    stage             text NOT NULL DEFAULT '',
    progress          real NOT NULL DEFAULT 0,
    error             text NOT NULL DEFAULT '',
    chunked           boolean NOT NULL DEFAULT false,
    chunk_count       integer NOT NULL DEFAULT 0,
    embedded_count    integer NOT NULL DEFAULT 0,
    embedding_version integer NOT NULL DEFAULT 0,
    runs              integer NOT NULL DEFAULT 0,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX knowledge_documents_kb_idx ON knowledge_documents (tenant_id, kb_id, created_at DESC, id DESC);

-- The uploaded bytes, apart so that listing documents never reads them.
-- Ingestion activities read them by document id (never through Temporal).
CREATE TABLE knowledge_document_contents (
    document_id uuid PRIMARY KEY REFERENCES knowledge_documents (id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    content     bytea NOT NULL
);
ALTER TABLE knowledge_document_contents ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE TABLE knowledge_chunks (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kb_id         uuid NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    document_id   uuid NOT NULL REFERENCES knowledge_documents (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    start_offset  integer NOT NULL,
    end_offset    integer NOT NULL,
    heading       text NOT NULL DEFAULT '',
    page          integer NOT NULL DEFAULT 0,
    content       text NOT NULL,
    language      text NOT NULL, -- the knowledge base's, for knowledge_fts
    -- Length of the stored vector (0 = none). Vector indexes are partial
    -- indexes per dimension (see below).
    embedding_dim integer NOT NULL DEFAULT 0,
    UNIQUE (document_id, position)
);
CREATE INDEX knowledge_chunks_kb_idx ON knowledge_chunks (kb_id, embedding_dim);

-- The full-text index of the chunks: one tsvector per chunk, kept by the
-- triggers below. This table deliberately has no row-level security:
-- PostgreSQL cannot use an index for a non-leakproof operator such as
-- tsvector @@ tsquery on a table whose rows a policy filters, so under RLS
-- every search would scan and rank every chunk (seconds at 100,000 chunks).
-- It holds no text, only lexemes; the store's queries always name the
-- tenant and the knowledge bases, and read the chunks' text and names by
-- joining the chunk and document tables, whose policies still apply, so a
-- query that forgot its tenant returns nothing readable.
CREATE TABLE knowledge_fts (
    chunk_id  uuid PRIMARY KEY REFERENCES knowledge_chunks (id) ON DELETE CASCADE,
    tenant_id uuid NOT NULL,
    kb_id     uuid NOT NULL,
    tsv       tsvector NOT NULL
);

CREATE FUNCTION knowledge_fts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO knowledge_fts (chunk_id, tenant_id, kb_id, tsv)
    SELECT id, tenant_id, kb_id, to_tsvector(knowledge_ts_config(language), content) FROM new_chunks;
    RETURN NULL;
END
$$;
CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_chunks
    REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION knowledge_fts_insert();

CREATE FUNCTION knowledge_fts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE knowledge_fts SET tsv = to_tsvector(knowledge_ts_config(NEW.language), NEW.content) WHERE chunk_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER knowledge_fts_update AFTER UPDATE OF language, content ON knowledge_chunks
    FOR EACH ROW EXECUTE FUNCTION knowledge_fts_update();

-- With btree_gin (a trusted contrib extension) one GIN index holds the
-- knowledge base and the lexemes, so a search intersects the base's posting
-- list with its terms' instead of reading every tenant's matches.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin')
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gin') THEN
        BEGIN
            CREATE EXTENSION btree_gin;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'btree_gin may not be created by role %; knowledge_fts gets a plain GIN index', current_user;
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
        EXECUTE 'CREATE INDEX knowledge_fts_idx ON knowledge_fts USING gin (kb_id, tsv)';
    ELSE
        EXECUTE 'CREATE INDEX knowledge_fts_idx ON knowledge_fts USING gin (tsv)';
    END IF;
END
$$;

-- The embedding column: pgvector's vector where the extension is installed
-- (or may be created by this role), real[] otherwise. pgvector is not a
-- trusted extension, so a role that is not a superuser cannot create it;
-- an operator creates it once ("CREATE EXTENSION vector", or in template1
-- for every new database: scripts/pgvector.sh). The vector column has no
-- fixed dimension: the store creates one HNSW expression index per
-- dimension in use, e.g.
--   CREATE INDEX knowledge_chunks_hnsw_768_idx ON knowledge_chunks
--     USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE embedding_dim = 768;
-- With real[], similarity is computed by the store (docs/knowledge.md).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
        BEGIN
            CREATE EXTENSION vector;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pgvector is installed but role % may not create the extension; embeddings are stored as real[]', current_user;
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
        EXECUTE 'ALTER TABLE knowledge_chunks ADD COLUMN embedding vector';
    ELSE
        EXECUTE 'ALTER TABLE knowledge_chunks ADD COLUMN embedding real[]';
    END IF;
END
$$;

ALTER TABLE knowledge_bases ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_bases FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_bases USING (bizos_row_visible(tenant_id));
ALTER TABLE knowledge_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_documents USING (bizos_row_visible(tenant_id));
ALTER TABLE knowledge_document_contents ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_document_contents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_document_contents USING (bizos_row_visible(tenant_id));
ALTER TABLE knowledge_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_chunks USING (bizos_row_visible(tenant_id));

-- Tenant admins have every permission through '*'.
INSERT INTO casbin_rules (ptype, v0, v1, v2, v3) VALUES
    ('p', 'role:member', '*', 'knowledge', '(read|write)'),
    ('p', 'role:viewer', '*', 'knowledge', 'read');
