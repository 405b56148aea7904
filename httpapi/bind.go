package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
)

// MaxBodyBytes bounds JSON request bodies.
const MaxBodyBytes = 1 << 20

func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return hub.Errorf(hub.EINVALID, "The request body must be JSON (Content-Type: application/json).")
		}
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBodyBytes+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return hub.Errorf(hub.EINVALID, "The request body must hold a single JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return hub.Errorf(hub.EINVALID, "The request body is empty; a JSON object is expected.")
	case errors.As(err, &syntax):
		return hub.Errorf(hub.EINVALID, "The request body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.As(err, &typ):
		return hub.InvalidField(typ.Field, fmt.Sprintf("must be %s", typ.Type.String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return hub.InvalidField(field, "is not a known field")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return hub.Errorf(hub.EINVALID, "The request body is truncated or larger than %d bytes.", MaxBodyBytes)
	}
	return hub.Errorf(hub.EINVALID, "The request body could not be read as JSON.")
}

// PageFrom reads the cursor and limit query parameters.
func PageFrom(c echo.Context) (hub.Page, error) {
	p := hub.Page{Cursor: c.QueryParam("cursor")}
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > hub.MaxPageLimit {
			return p, hub.InvalidField("limit", fmt.Sprintf("must be a number from 1 to %d", hub.MaxPageLimit))
		}
		p.Limit = n
	}
	return p, nil
}
