package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/gofiber/fiber/v3"
)

// decodeJSON strictly decodes a request body into v: unknown fields, wrong
// types, trailing data and malformed JSON are invalid_request. An empty
// body leaves v unchanged when emptyOK.
func decodeJSON(body []byte, v any, emptyOK bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if emptyOK {
			return nil
		}
		return invalidRequest("request body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalidRequest(describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidRequest("request body must be a single JSON object")
	}
	return nil
}

// describeJSONError turns a decoding error into a client message that does
// not leak Go type names.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("field %q has the wrong type (got %s)", typeErr.Field, typeErr.Value)
	case errors.As(err, &typeErr):
		return "request body must be a JSON object"
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("malformed JSON at offset %d", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: unexpected end of input"
	}
	var msg = err.Error()
	if field, ok := unknownField(msg); ok {
		return fmt.Sprintf("unknown field %s", field)
	}
	return "malformed JSON"
}

// unknownField extracts the field name of encoding/json's unknown-field error.
func unknownField(msg string) (string, bool) {
	const prefix = "json: unknown field "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):], true
	}
	return "", false
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
