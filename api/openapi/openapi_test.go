package openapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/switchboard-gw/switchboard/api/openapi"
)

// TestOpenAPIDocumentValid loads the served JSON with libopenapi, builds the
// OpenAPI 3.1 model (every $ref resolves) and validates the document
// against the OpenAPI 3.1 schema.
func TestOpenAPIDocumentValid(t *testing.T) {
	raw, err := openapi.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("openapi version %q, want 3.1.x", v)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build model: %v", err)
	}
	if m.Model.Paths == nil || m.Model.Paths.PathItems.Len() < 30 {
		t.Fatalf("too few paths")
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("document: %s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s", se.Reason, se.FieldPath)
			}
		}
	}
}

// TestOperationIDsUnique: every operation has a unique operationId or
// none (shared path items have none).
func TestOperationIDsUnique(t *testing.T) {
	raw, _ := openapi.OpenAPI()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for p, item := range doc.Paths {
		for method, op := range item {
			var o struct {
				OperationID string `json:"operationId"`
			}
			_ = json.Unmarshal(op, &o)
			if o.OperationID == "" {
				continue
			}
			if prev, dup := seen[o.OperationID]; dup {
				t.Errorf("operationId %s on %s %s and %s", o.OperationID, method, p, prev)
			}
			seen[o.OperationID] = method + " " + p
		}
	}
}
