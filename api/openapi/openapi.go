// Package openapi holds Switchboard's API documents and the reference page:
// the hand-written OpenAPI 3.1 document of every HTTP route (openapi.yaml),
// the AsyncAPI 3.0 catalogue of the NATS subjects and event payloads
// (asyncapi.yaml), both served as JSON, and the embedded Redoc bundle that
// renders the former at /docs without internet access.
package openapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed openapi.yaml asyncapi.yaml
var sources embed.FS

//go:embed static
var static embed.FS

// Asset paths of the reference page, served under /docs.
const (
	// BundleName is the Redoc standalone bundle's file name.
	BundleName = "redoc.standalone.js"
	// StyleName is the page's stylesheet.
	StyleName = "docs.css"
)

var (
	openAPIJSON  = sync.OnceValues(func() ([]byte, error) { return yamlToJSON("openapi.yaml") })
	asyncAPIJSON = sync.OnceValues(func() ([]byte, error) { return yamlToJSON("asyncapi.yaml") })
)

// OpenAPI returns the OpenAPI 3.1 document as JSON.
func OpenAPI() ([]byte, error) { return openAPIJSON() }

// AsyncAPI returns the AsyncAPI 3.0 document as JSON.
func AsyncAPI() ([]byte, error) { return asyncAPIJSON() }

// OpenAPIYAML returns the OpenAPI document as written.
func OpenAPIYAML() []byte {
	b, _ := sources.ReadFile("openapi.yaml")
	return b
}

// Static returns the reference page's files: index.html, the Redoc bundle,
// its stylesheet and licences.
func Static() fs.FS {
	sub, _ := fs.Sub(static, "static")
	return sub
}

// yamlToJSON reads an embedded YAML document (anchors and merge keys
// resolved) and returns it as JSON.
func yamlToJSON(name string) ([]byte, error) {
	raw, err := sources.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("openapi: parse %s: %w", name, err)
	}
	v, err := jsonable(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %s: %w", name, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("openapi: encode %s: %w", name, err)
	}
	return out, nil
}

// jsonable turns what the YAML decoder returns into values encoding/json
// accepts: mappings must have string keys (quote status codes).
func jsonable(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			j, err := jsonable(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			x[k] = j
		}
		return x, nil
	case map[any]any:
		return nil, fmt.Errorf("a mapping has a non-string key (quote it)")
	case []any:
		for i, e := range x {
			j, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			x[i] = j
		}
		return x, nil
	}
	return v, nil
}
