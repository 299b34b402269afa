package httpapi

import (
	"errors"
	"net/http"
	"testing"
)

// FuzzDecodeCreate checks the strict decoder alone (fast to fuzz): any
// input either decodes or is a 400 invalid_request, never a panic.
func FuzzDecodeCreate(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"id":"x"}`, `{"id":1}`, `{"x":1}`, `{"id":"x"} {}`, `[`, `"str"`, `{"webhook":{"url":"u","events":[1]}}`,
		`{"account_protection":null}`, "{\"name\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req createRequest
		err := decodeJSON(body, &req, true)
		if err == nil {
			_ = req.input("")
			return
		}
		var he *httpError
		if !errors.As(err, &he) || he.status != http.StatusBadRequest || he.code != "invalid_request" {
			t.Fatalf("error %v", err)
		}
	})
}
