package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v3"
)

// Request bodies are decoded with github.com/go-json-experiment/json, the
// reference implementation of encoding/json/v2: member names match
// case-sensitively, duplicate names and invalid UTF-8 are errors by
// default, and its errors carry a JSON pointer, so every 400 names the
// offending field. (encoding/json matches names case-insensitively and
// keeps the last of duplicate names: {"id":"x7","ID":"x8"} was x8.)

// decodeJSON strictly decodes a request body into v: it must be one JSON
// object (not null, an array or a scalar); unknown, duplicate or
// differently-cased fields, wrong types, trailing data and malformed JSON
// are invalid_request. An empty body leaves v unchanged when emptyOK.
func decodeJSON(body []byte, v any, emptyOK bool) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		if emptyOK {
			return nil
		}
		return invalidRequest("request body is required")
	}
	if body[0] != '{' {
		return invalidRequest("request body must be a JSON object")
	}
	if err := json.Unmarshal(body, v, json.RejectUnknownMembers(true)); err != nil {
		return invalidRequest(describeJSONError(err))
	}
	return nil
}

// describeJSONError turns a decoding error into a client message naming
// the field, without Go type names.
func describeJSONError(err error) string {
	var sem *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &sem) && errors.Is(sem.Err, json.ErrUnknownName):
		return fmt.Sprintf("unknown field %q", fieldName(sem.JSONPointer))
	case errors.As(err, &sem):
		return fmt.Sprintf("field %q %s", fieldName(sem.JSONPointer), expected(sem))
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return fmt.Sprintf("duplicate field %q", fieldName(syn.JSONPointer))
	case errors.As(err, &syn) && len(syn.JSONPointer) > 0:
		return fmt.Sprintf("malformed JSON in field %q at offset %d: %v", fieldName(syn.JSONPointer), syn.ByteOffset, syn.Err)
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at offset %d: %v", syn.ByteOffset, syn.Err)
	}
	return "malformed JSON"
}

// fieldName renders a JSON pointer as a dotted path ("webhook.events.0").
func fieldName(p jsontext.Pointer) string {
	var parts []string
	for tok := range p.Tokens() {
		parts = append(parts, tok)
	}
	return strings.Join(parts, ".")
}

// expected says what a field that failed to decode must be.
func expected(e *json.SemanticError) string {
	if e.Err != nil && errors.Is(e.Err, errFlexBool) {
		return errFlexBool.Error()
	}
	t := e.GoType
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "has the wrong type"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "must be a boolean"
	case reflect.String:
		return "must be a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be an integer in range"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.Slice, reflect.Array:
		return "must be an array"
	case reflect.Struct, reflect.Map:
		return "must be an object"
	}
	return "has the wrong type"
}

// queryInt parses an optional non-negative integer query parameter.
func queryInt(c fiber.Ctx, name string, def int) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, invalidRequest(fmt.Sprintf("query parameter %q must be a non-negative integer", name))
	}
	return n, nil
}
