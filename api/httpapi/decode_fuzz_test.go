package httpapi

import (
	"bytes"
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
		// Finding 10's loose inputs.
		`null`, ` null `, `{"id":"x7","ID":"x8"}`, `{"id":"a","id":"b"}`, `{"webhook":{"url":"u","URL":"v"}}`,
		`{"name":"a\u0000b"}`, `{"name":"\u0007"}`, `{"name":"x\u202Ey"}`, `{"account_protection":"yes"}`,
		`{"webhook":{"url":"https://a.example","events":["nope"]}}`, `{"id":"x"}` + "\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req createRequest
		err := decodeJSON(body, &req, true)
		if err == nil {
			_ = req.input("")
			if tb := bytes.TrimSpace(body); len(tb) > 0 && tb[0] != '{' {
				t.Fatalf("accepted a non-object body %q", body)
			}
			return
		}
		var he *httpError
		if !errors.As(err, &he) || he.status != http.StatusBadRequest || he.code != "invalid_request" {
			t.Fatalf("error %v", err)
		}
	})
}

// FuzzDecodeWASend checks the WASend create decoding and its own rules:
// any input decodes and converts, or is a 400, never a panic.
func FuzzDecodeWASend(f *testing.F) {
	for _, s := range []string{
		`{"sessionName":"w","phoneNumber":"+14155552671","enableWebhook":1,"webhookUrl":"https://x.example"}`,
		`{"sessionName":"w","phoneNumber":"+14155552671","enableWebhook":"maybe"}`,
		`{"sessionName":"w","phoneNumber":"+14155552671","enableWebhook":false,"webhookUrl":"::"}`,
		`{"sessionName":"w","SessionName":"v"}`, `{"enableAccountProtection":2}`, `null`, `{"sessionName":"\u0007"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req wasendCreateRequest
		if err := decodeJSON(body, &req, false); err != nil {
			var he *httpError
			if !errors.As(err, &he) || he.status != http.StatusBadRequest {
				t.Fatalf("error %v", err)
			}
			return
		}
		_, _ = req.input("")
	})
}
