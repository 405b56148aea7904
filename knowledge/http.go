package knowledge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

// Handler serves /api/v1/knowledge-bases (resource "knowledge").
type Handler struct {
	svc *Service
	// Audit records changes when set.
	Audit hub.AuditLog
	// Log receives audit failures; nil discards them.
	Log *slog.Logger
}

// NewHandler returns the HTTP handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// KnowledgeBasePatchBody documents the PATCH body (see KnowledgeBasePatch).
type KnowledgeBasePatchBody struct {
	Name        *string           `json:"name,omitempty"`
	Description *string           `json:"description,omitempty"`
	Language    *string           `json:"language,omitempty"`
	Embedding   *EmbeddingRequest `json:"embedding,omitempty"`
}

// TextUpload is the JSON form of a document upload.
type TextUpload struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Text        string `json:"text"`
}

// Routes returns the knowledge-base routes.
func (h *Handler) Routes() []httpapi.Route {
	read, write := httpapi.Permission("knowledge", hub.ActionRead), httpapi.Permission("knowledge", hub.ActionWrite)
	page := httpapi.PageQuery
	const base = "/api/v1/knowledge-bases"
	return []httpapi.Route{
		write(httpapi.Route{Method: http.MethodPost, Path: base, Summary: "Create a knowledge base (optionally with an embedding model)",
			Request: KnowledgeBaseRequest{}, Response: hub.KnowledgeBase{}, Status: http.StatusCreated, Handler: h.create}),
		read(httpapi.Route{Method: http.MethodGet, Path: base, Summary: "List knowledge bases", Query: page,
			Response: httpapi.List[*hub.KnowledgeBase]{}, Handler: h.list}),
		read(httpapi.Route{Method: http.MethodGet, Path: base + "/:id", Summary: "One knowledge base", Response: hub.KnowledgeBase{}, Handler: h.get}),
		write(httpapi.Route{Method: http.MethodPatch, Path: base + "/:id",
			Summary: "Change name, description, language or embedding model; a new model or dimension re-embeds every document",
			Request: KnowledgeBasePatchBody{}, Response: hub.KnowledgeBase{}, Handler: h.update}),
		write(httpapi.Route{Method: http.MethodDelete, Path: base + "/:id", Summary: "Delete a knowledge base with its documents",
			Status: http.StatusNoContent, Handler: h.delete}),
		read(httpapi.Route{Method: http.MethodGet, Path: base + "/:id/documents", Summary: "List documents with their ingestion status and progress",
			Query: page, Response: httpapi.List[*hub.Document]{}, Handler: h.documents}),
		write(httpapi.Route{Method: http.MethodPost, Path: base + "/:id/documents",
			Summary: "Upload a document (multipart/form-data field \"file\", or JSON {name, content_type, text}); ingestion runs in the background",
			Request: TextUpload{}, Response: hub.Document{}, Status: http.StatusAccepted, Handler: h.upload}),
		read(httpapi.Route{Method: http.MethodGet, Path: base + "/:id/documents/:doc_id", Summary: "One document", Response: hub.Document{},
			Handler: h.document}),
		write(httpapi.Route{Method: http.MethodDelete, Path: base + "/:id/documents/:doc_id", Summary: "Delete a document and its chunks",
			Status: http.StatusNoContent, Handler: h.deleteDocument}),
		write(httpapi.Route{Method: http.MethodPost, Path: base + "/:id/documents/:doc_id/reingest",
			Summary: "Extract, chunk and embed a document again", Response: hub.Document{}, Status: http.StatusAccepted, Handler: h.reingest}),
		read(httpapi.Route{Method: http.MethodPost, Path: base + "/:id/search", Summary: "Hybrid search: full-text and vector rankings fused by reciprocal rank",
			Request: SearchRequest{}, Response: SearchResponse{}, Handler: h.search}),
		read(httpapi.Route{Method: http.MethodGet, Path: base + "/:id/search", Summary: "Hybrid search (query parameters)",
			Query:    map[string]string{"q": "the query (web-search syntax)", "limit": fmt.Sprintf("results, 1-%d (default %d)", MaxSearchLimit, DefaultSearchLimit)},
			Response: SearchResponse{}, Handler: h.searchGet}),
	}
}

func (h *Handler) record(c echo.Context, action, targetType, targetID string) {
	httpapi.Auditor{Audit: h.Audit, Log: h.Log}.Record(c, action, targetType, targetID, nil)
}

func tenant(c echo.Context) string { return httpapi.Principal(c).TenantID }

func (h *Handler) create(c echo.Context) error {
	var req KnowledgeBaseRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	kb, err := h.svc.CreateKnowledgeBase(c.Request().Context(), httpapi.Principal(c), req)
	if err != nil {
		return err
	}
	h.record(c, "knowledge_base.create", "knowledge_base", kb.ID)
	return c.JSON(http.StatusCreated, kb)
}

func (h *Handler) list(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.ListKnowledgeBases(c.Request().Context(), tenant(c), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) get(c echo.Context) error {
	kb, err := h.svc.KnowledgeBase(c.Request().Context(), tenant(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, kb)
}

func (h *Handler) update(c echo.Context) error {
	var body struct {
		Name        *string         `json:"name"`
		Description *string         `json:"description"`
		Language    *string         `json:"language"`
		Embedding   json.RawMessage `json:"embedding"`
	}
	if err := httpapi.Bind(c, &body); err != nil {
		return err
	}
	patch := KnowledgeBasePatch{Name: body.Name, Description: body.Description, Language: body.Language}
	switch raw := bytes.TrimSpace(body.Embedding); {
	case len(raw) == 0:
	case string(raw) == "null":
		patch.RemoveEmbedding = true
	default:
		var e EmbeddingRequest
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return hub.InvalidField("embedding", "must be an object with provider, model, base_url, api_key and dimension, or null")
		}
		patch.Embedding = &e
	}
	kb, err := h.svc.UpdateKnowledgeBase(c.Request().Context(), tenant(c), c.Param("id"), patch)
	if err != nil {
		if kb != nil {
			h.record(c, "knowledge_base.update", "knowledge_base", kb.ID)
		}
		return err
	}
	h.record(c, "knowledge_base.update", "knowledge_base", kb.ID)
	return c.JSON(http.StatusOK, kb)
}

func (h *Handler) delete(c echo.Context) error {
	if err := h.svc.DeleteKnowledgeBase(c.Request().Context(), tenant(c), c.Param("id")); err != nil {
		return err
	}
	h.record(c, "knowledge_base.delete", "knowledge_base", c.Param("id"))
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) documents(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.ListDocuments(c.Request().Context(), tenant(c), c.Param("id"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) document(c echo.Context) error {
	d, err := h.svc.Document(c.Request().Context(), tenant(c), c.Param("id"), c.Param("doc_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (h *Handler) deleteDocument(c echo.Context) error {
	if err := h.svc.DeleteDocument(c.Request().Context(), tenant(c), c.Param("id"), c.Param("doc_id")); err != nil {
		return err
	}
	h.record(c, "knowledge_document.delete", "knowledge_document", c.Param("doc_id"))
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) reingest(c echo.Context) error {
	d, err := h.svc.Reingest(c.Request().Context(), tenant(c), c.Param("id"), c.Param("doc_id"))
	if err != nil {
		return err
	}
	h.record(c, "knowledge_document.reingest", "knowledge_document", d.ID)
	return c.JSON(http.StatusAccepted, d)
}

// tooLarge is the 413 answer to an oversized upload.
func (h *Handler) tooLarge() error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("The document is larger than the %s limit.", byteSize(h.svc.MaxDocumentBytes())))
}

func (h *Handler) upload(c echo.Context) error {
	up, err := h.readUpload(c)
	if err != nil {
		return err
	}
	d, err := h.svc.Upload(c.Request().Context(), httpapi.Principal(c), c.Param("id"), up)
	if err != nil {
		return err
	}
	h.record(c, "knowledge_document.upload", "knowledge_document", d.ID)
	return c.JSON(http.StatusAccepted, d)
}

// readUpload reads a multipart/form-data upload (field "file", optional
// "name" and "content_type") or a JSON TextUpload, within the size limit.
func (h *Handler) readUpload(c echo.Context) (Upload, error) {
	limit := h.svc.MaxDocumentBytes()
	r := c.Request()
	if r.ContentLength > limit+1<<20 {
		return Upload{}, h.tooLarge()
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil {
		mt = ""
	}
	switch {
	case mt == echo.MIMEMultipartForm:
		return h.readMultipart(c, params["boundary"], limit)
	case mt == echo.MIMEApplicationJSON || strings.HasSuffix(mt, "+json"):
		// JSON escapes make the body longer than the text it carries.
		body := http.MaxBytesReader(c.Response(), r.Body, limit+limit/4+64<<10)
		var t TextUpload
		dec := json.NewDecoder(body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return Upload{}, h.tooLarge()
			}
			if strings.HasPrefix(err.Error(), "json: unknown field ") {
				field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
				return Upload{}, hub.InvalidField(field, "is not a known field")
			}
			return Upload{}, hub.Errorf(hub.EINVALID, "The request body must be a JSON object {\"name\", \"content_type\", \"text\"}.")
		}
		if int64(len(t.Text)) > limit {
			return Upload{}, h.tooLarge()
		}
		if t.Text == "" {
			return Upload{}, hub.InvalidField("text", "is required")
		}
		ct := t.ContentType
		if ct == "" {
			ct = hub.ContentTypeText
		}
		return Upload{Name: t.Name, ContentType: ct, Data: []byte(t.Text)}, nil
	}
	return Upload{}, hub.Errorf(hub.EINVALID, "Upload the document as multipart/form-data (field \"file\") or as JSON {\"name\", \"content_type\", \"text\"}.")
}

func (h *Handler) readMultipart(c echo.Context, boundary string, limit int64) (Upload, error) {
	if boundary == "" {
		return Upload{}, hub.Errorf(hub.EINVALID, "The multipart/form-data body has no boundary.")
	}
	body := http.MaxBytesReader(c.Response(), c.Request().Body, limit+1<<20)
	mr := multipart.NewReader(body, boundary)
	var up Upload
	var name, ct string
	haveFile := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return Upload{}, h.tooLarge()
			}
			return Upload{}, hub.Errorf(hub.EINVALID, "The multipart/form-data body could not be read.")
		}
		switch part.FormName() {
		case "file":
			if haveFile {
				return Upload{}, hub.InvalidField("file", "must be given once; upload one document per request")
			}
			haveFile = true
			data, err := io.ReadAll(io.LimitReader(part, limit+1))
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return Upload{}, h.tooLarge()
				}
				return Upload{}, hub.Errorf(hub.EINVALID, "The uploaded file could not be read.")
			}
			if int64(len(data)) > limit {
				return Upload{}, h.tooLarge()
			}
			up.Data, up.Name, up.ContentType = data, part.FileName(), part.Header.Get(echo.HeaderContentType)
		case "name", "content_type":
			v, err := io.ReadAll(io.LimitReader(part, 4096))
			if err != nil {
				return Upload{}, hub.Errorf(hub.EINVALID, "The multipart/form-data body could not be read.")
			}
			if part.FormName() == "name" {
				name = string(v)
			} else {
				ct = string(v)
			}
		default:
			_, _ = io.Copy(io.Discard, part)
		}
		part.Close()
	}
	if !haveFile {
		return Upload{}, hub.InvalidField("file", "is required (a multipart/form-data file field)")
	}
	if strings.TrimSpace(name) != "" {
		up.Name = name
	}
	if strings.TrimSpace(ct) != "" {
		up.ContentType = ct
	}
	return up, nil
}

func (h *Handler) search(c echo.Context) error {
	var req SearchRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	res, err := h.svc.Search(c.Request().Context(), tenant(c), []string{c.Param("id")}, req.Query, req.Limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *Handler) searchGet(c echo.Context) error {
	limit := 0
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return hub.InvalidField("limit", fmt.Sprintf("must be a number from 1 to %d", MaxSearchLimit))
		}
		limit = n
	}
	res, err := h.svc.Search(c.Request().Context(), tenant(c), []string{c.Param("id")}, c.QueryParam("q"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
