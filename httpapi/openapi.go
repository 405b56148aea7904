package httpapi

import (
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

// OpenAPI builds an OpenAPI 3.1 document describing routes.
func OpenAPI(title, version string, routes []Route) map[string]any {
	paths := map[string]map[string]any{}
	for _, r := range routes {
		path, params := openAPIPath(r.Path)
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": operationID(r.Method, r.Path),
		}
		if r.Tag != "" {
			op["tags"] = []string{r.Tag}
		}
		var parameters []map[string]any
		for _, p := range params {
			parameters = append(parameters, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		names := make([]string, 0, len(r.Query))
		for q := range r.Query {
			names = append(names, q)
		}
		sort.Strings(names)
		for _, q := range names {
			parameters = append(parameters, map[string]any{"name": q, "in": "query", "description": r.Query[q], "schema": map[string]any{"type": "string"}})
		}
		if len(parameters) > 0 {
			op["parameters"] = parameters
		}
		if r.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": SchemaOf(reflect.TypeOf(r.Request))}}}
		}
		status := r.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if r.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": SchemaOf(reflect.TypeOf(r.Response))}}
		}
		op["responses"] = map[string]any{
			strconv.Itoa(status): ok,
			"default": map[string]any{"description": "Error", "content": map[string]any{
				ContentTypeProblem: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}},
		}
		if r.Public {
			op["security"] = []any{}
		} else if r.Resource != "" {
			op["x-permission"] = r.Resource + ":" + r.Action
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(r.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": title, "version": version},
		"paths":   paths,
		"security": []any{
			map[string]any{"bearer": []string{}},
			map[string]any{"apiKey": []string{}},
		},
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
			"schemas": map[string]any{"Problem": SchemaOf(reflect.TypeOf(Problem{}))},
		},
	}
}

func openAPIPath(echoPath string) (string, []string) {
	parts := strings.Split(echoPath, "/")
	var params []string
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			params = append(params, p[1:])
			parts[i] = "{" + p[1:] + "}"
		} else if p == "*" {
			params = append(params, "path")
			parts[i] = "{path}"
		}
	}
	return strings.Join(parts, "/"), params
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, p := range strings.Split(path, "/") {
		p = strings.Trim(p, ":*{}.")
		for _, w := range strings.FieldsFunc(p, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

var (
	timeType   = reflect.TypeOf(time.Time{})
	secretType = reflect.TypeOf(hub.Secret(""))
)

// SchemaOf returns a JSON Schema for values of t as encoding/json renders them.
func SchemaOf(t reflect.Type) map[string]any {
	return schemaOf(t, 0)
}

func schemaOf(t reflect.Type, depth int) map[string]any {
	if depth > 8 {
		return map[string]any{}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == secretType:
		return map[string]any{"type": "string", "format": "password", "writeOnly": true}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), depth+1)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), depth+1)}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		addStructFields(t, props, &required, depth)
		s := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}

func addStructFields(t reflect.Type, props map[string]any, required *[]string, depth int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addStructFields(ft, props, required, depth)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		s := schemaOf(f.Type, depth+1)
		if doc := f.Tag.Get("doc"); doc != "" {
			s["description"] = doc
		}
		props[name] = s
		if f.Tag.Get("required") == "true" || (!strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer && tag != "") {
			*required = append(*required, name)
		}
	}
}
