package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"

	"github.com/switchboard-gw/switchboard/api/openapi"
)

// spec is the served OpenAPI document, loaded once per test binary: the
// libopenapi validator (chosen over kin-openapi for its native OpenAPI 3.1
// / JSON Schema 2020-12 support) and the raw JSON for the error-code
// lookups.
var spec = sync.OnceValues(func() (*specDoc, error) {
	raw, err := openapi.OpenAPI()
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, err
	}
	// Security is not validated here: Wawp clients may send access_token in
	// the JSON body, which OpenAPI cannot express; the auth tests cover keys.
	v, errs := validator.NewValidator(doc, config.WithoutSecurityValidation())
	if len(errs) > 0 {
		return nil, errs[0]
	}
	s := &specDoc{v: v}
	if err := json.Unmarshal(raw, &s.raw); err != nil {
		return nil, err
	}
	return s, nil
})

// specDoc is the loaded document. The validator is used under a mutex:
// tests call the api from many goroutines and the check is cheap next to
// the round trip.
type specDoc struct {
	mu  sync.Mutex
	v   validator.Validator
	raw struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Responses map[string]struct {
				Description string          `json:"description"`
				Content     json.RawMessage `json:"content"`
			} `json:"responses"`
			PathItems map[string]map[string]json.RawMessage `json:"pathItems"`
		} `json:"components"`
	}
}

// conform checks one exchange of the api test suite against the document:
// the response (status, media type, body schema) always; the request too
// when the api accepted it (2xx), since what the server takes the
// document must allow; and an error's code must be one the document names
// for that route and status. Unknown paths and methods must answer the
// JSON error body.
func conform(t testing.TB, req *http.Request, reqBody []byte, res *http.Response, body []byte) {
	t.Helper()
	if _, bench := t.(*testing.B); bench {
		return
	}
	s, err := spec()
	if err != nil {
		t.Fatalf("openapi document: %v", err)
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	ok, errs := s.v.ValidateHttpResponse(req, res)
	if ok && res.StatusCode < 300 && req.Method != http.MethodHead {
		if reqBody != nil {
			req.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		ok, errs = s.v.ValidateHttpRequest(req)
	}
	s.mu.Unlock()
	if !ok && unrouted(errs) {
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("openapi: %s %s is not in the document (answered %d)", req.Method, req.URL.Path, res.StatusCode)
		}
		mustErrorBody(t, req, res, body)
		return
	}
	if !ok {
		for _, e := range errs {
			t.Errorf("openapi: %s %s → %d: %s: %s", req.Method, req.URL.RequestURI(), res.StatusCode, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("openapi:   %s at %s", se.Reason, se.FieldPath)
			}
		}
		t.Errorf("openapi: body %.400s", body)
		return
	}
	if codes, isErr := s.errorCodes(req.Method, req.URL.EscapedPath(), res.StatusCode); res.StatusCode >= 400 && isErr {
		code := mustErrorBody(t, req, res, body)
		if code != "" && !strings.Contains(","+codes+",", ","+code+",") {
			t.Errorf("openapi: %s %s → %d %s: the document names only %q for this status", req.Method, req.URL.Path, res.StatusCode, code, codes)
		}
	}
}

func unrouted(errs []*verrors.ValidationError) bool {
	for _, e := range errs {
		if e.ValidationType == helpers.PathValidation || e.ValidationSubType == helpers.ValidationMissingOperation {
			return true
		}
	}
	return false
}

// mustErrorBody checks the {"error":{"code","message"}} body and returns the code.
func mustErrorBody(t testing.TB, req *http.Request, res *http.Response, body []byte) string {
	t.Helper()
	if req.Method == http.MethodHead {
		return ""
	}
	var b struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &b) != nil || b.Error == nil || b.Error.Code == "" || b.Error.Message == "" {
		t.Errorf("openapi: %s %s → %d without an error body: %.200s", req.Method, req.URL.Path, res.StatusCode, body)
		return ""
	}
	return b.Error.Code
}

// errorCodes returns the comma-separated codes the document gives for the
// route matching path, method and status (the response's own description,
// or the shared response's), and whether that response is an error body
// (a readiness 503 is not).
func (s *specDoc) errorCodes(method, path string, status int) (string, bool) {
	item := s.pathItem(path)
	if item == nil {
		return "", true
	}
	var op struct {
		Responses map[string]struct {
			Ref         string `json:"$ref"`
			Description string `json:"description"`
		} `json:"responses"`
	}
	_ = json.Unmarshal(item[strings.ToLower(method)], &op)
	r, ok := op.Responses[strconv.Itoa(status)]
	if !ok {
		return "", true
	}
	shared, isShared := s.raw.Components.Responses[strings.TrimPrefix(r.Ref, "#/components/responses/")]
	if !isShared || !strings.Contains(string(shared.Content), `"#/components/schemas/Error"`) {
		return "", false
	}
	desc := r.Description
	if desc == "" {
		desc = shared.Description
	}
	var codes []string
	for _, part := range strings.Split(desc, ",") {
		if f := strings.Fields(part); len(f) > 0 {
			codes = append(codes, f[0])
		}
	}
	return strings.Join(codes, ","), true
}

// pathItem finds the document's path item for a request path (literal
// segments before templated ones), following a $ref to components.
func (s *specDoc) pathItem(path string) map[string]json.RawMessage {
	segs := strings.Split(strings.TrimSuffix(path, "/"), "/")
	best, bestScore := "", -1
	for tmpl := range s.raw.Paths {
		ts := strings.Split(strings.TrimSuffix(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		score := 0
		for i := range ts {
			switch {
			case ts[i] == segs[i]:
				score++
			case strings.HasPrefix(ts[i], "{") && segs[i] != "":
			default:
				score = -1
			}
			if score < 0 {
				break
			}
		}
		if score > bestScore {
			best, bestScore = tmpl, score
		}
	}
	if bestScore < 0 {
		return nil
	}
	item := s.raw.Paths[best]
	if ref, ok := item["$ref"]; ok {
		var r string
		_ = json.Unmarshal(ref, &r)
		return s.raw.Components.PathItems[strings.TrimPrefix(r, "#/components/pathItems/")]
	}
	return item
}
