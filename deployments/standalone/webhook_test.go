package standalone_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWebhookReceivesSignedEvents links a session whose webhook listens for
// "connected" and "message", and checks the receiver gets both, signed.
func TestWebhookReceivesSignedEvents(t *testing.T) {
	const secret = "hook-secret"
	got := make(chan map[string]any, 16)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(r.Header.Get("X-Switchboard-Timestamp") + "." + string(body)))
		if r.Header.Get("X-Switchboard-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("bad signature on %s", r.Header.Get("X-Switchboard-Event"))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var env map[string]any
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		got <- env
	}))
	defer recv.Close()

	_, a := gateway(t, t.TempDir(), "")
	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "hooked", "webhook": map[string]any{
		"url": recv.URL + "/hook?token=abc", "events": []string{"connected", "message"}, "secret": secret,
	}})
	qr := a.waitQR("hooked", 20*time.Second)
	if code, out := simPost(t, "/phone/scan", map[string]any{"qr": qr, "phone": "+15550400001", "push_name": "Hook"}); code != 200 {
		t.Fatalf("scan: %d %v", code, out)
	}
	a.waitStatus("hooked", "logged_in", 20*time.Second)
	// Two messages: the second is decrypted with the Signal session the
	// first stored (sealed with the master key the standalone generates).
	for _, text := range []string{"ping", "pong"} {
		if code, out := simPost(t, "/messages", map[string]any{"to": "+15550400001", "from": "+15550400002", "text": text}); code != 200 {
			t.Fatalf("message: %d %v", code, out)
		}
	}
	seen := map[string]bool{}
	deadline := time.After(20 * time.Second)
	for !(seen["logged_in"] && seen["ping"] && seen["pong"]) {
		select {
		case env := <-got:
			typ, _ := env["type"].(string)
			if typ != "logged_in" && typ != "message" {
				t.Fatalf("filter let %q through", typ)
			}
			if env["session"] != "hooked" || env["tenant"] != "default" {
				t.Fatalf("envelope = %v", env)
			}
			if typ == "message" {
				data, _ := env["data"].(map[string]any)
				text, _ := data["text"].(string)
				if text != "ping" && text != "pong" {
					t.Fatalf("message data = %v", data)
				}
				seen[text] = true
			}
			seen[typ] = true
		case <-deadline:
			t.Fatalf("webhook got %v within 20s, want logged_in, ping and pong", seen)
		}
	}
}
