package standalone_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/deployments/standalone"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

// TestSecretsAtRestGrepClean: with a master key, neither the JetStream
// store (the wa_sessions bucket) nor the SQLite files hold a webhook
// secret, a webhook URL token, a proxy password or a device private key;
// the session's non-secret fields are there (the grep sees the data).
func TestSecretsAtRestGrepClean(t *testing.T) {
	dir := t.TempDir()
	key, _ := secretbox.GenerateKey()
	withKey := func(c *config.Config) { c.MasterKey = key }
	gw, a := builtinGateway(t, dir, withKey)
	// The event filter names no event of this test, so no delivery row
	// (which records the URL) is written: see the README's Security section.
	a.must(201, "POST", "/api/v1/sessions", map[string]any{
		"id": "hooked", "name": "grep-visible-name-4715",
		"webhook": map[string]any{
			"url":    "https://hooks.example.invalid/T0/url-token-4711?key=query-token-4712",
			"secret": "webhook-secret-4713", "events": []string{"message"},
		},
	})
	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "proxied", "proxy": "socks5://user:proxy-pass-4714@127.0.0.1:9"})
	scanBuiltin(t, gw, a, "hooked", "+15550177003")
	// The api still shows the tenant its own webhook.
	if got := a.must(200, "GET", "/api/v1/sessions/hooked", nil); got["webhook"].(map[string]any)["url"] != "https://hooks.example.invalid/T0/url-token-4711?key=query-token-4712" {
		t.Fatalf("webhook as shown: %v", got["webhook"])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := gw.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	// The device's private keys, loaded through the master key.
	box, _ := secretbox.New(secretbox.Config{Key: key})
	ds, err := devstore.Open(ctx, "sqlite:"+filepath.Join(dir, "switchboard.db"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ds.SetBox(box)
	dev, err := ds.DeviceFor(ctx, "default", "hooked")
	if err != nil || dev == nil {
		t.Fatalf("device: %v", err)
	}
	ds.Close()

	secrets := map[string][]byte{
		"webhook secret": []byte("webhook-secret-4713"), "url path token": []byte("url-token-4711"),
		"url query token": []byte("query-token-4712"), "proxy password": []byte("proxy-pass-4714"),
		"noise key": dev.NoiseKey.Priv[:], "identity key": dev.IdentityKey.Priv[:],
		"signed pre-key": dev.SignedPreKey.Priv[:], "adv secret": dev.AdvSecretKey,
	}
	visible := false
	files := 0
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files++
		visible = visible || bytes.Contains(b, []byte("grep-visible-name-4715"))
		for what, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("%s found in %s", what, path)
			}
		}
		return nil
	})
	if !visible || files < 5 {
		t.Fatalf("the grep did not see the stored session (%d files)", files)
	}
}

// TestMasterKeyRotation: with a new master key and the old one as
// previous, a restart reseals every record, after which the old key can go.
func TestMasterKeyRotation(t *testing.T) {
	dir := t.TempDir()
	oldKey, _ := secretbox.GenerateKey()
	newKey, _ := secretbox.GenerateKey()
	const url = "https://hooks.example.invalid/rotate?token=rot-token-4716"
	var gw *standalone.Gateway
	start := func(mod func(*config.Config)) *api {
		var a *api
		gw, a = builtinGateway(t, dir, mod)
		return a
	}
	webhook := func(a *api) map[string]any {
		got := a.must(200, "GET", "/api/v1/sessions/rot", nil)
		return got["webhook"].(map[string]any)
	}
	stopGateway := func() {
		if err := gw.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	a := start(func(c *config.Config) { c.MasterKey = oldKey })
	a.must(201, "POST", "/api/v1/sessions", map[string]any{
		"id": "rot", "webhook": map[string]any{"url": url, "secret": "rot-secret", "events": []string{"message"}},
	})
	webhook(a)
	stopGateway()

	a = start(func(c *config.Config) { c.MasterKey, c.MasterKeyPrevious = newKey, []string{oldKey} })
	if w := webhook(a); w["url"] != url {
		t.Fatalf("with the previous key: %v", w)
	}
	stopGateway()

	a = start(func(c *config.Config) { c.MasterKey = newKey })
	if w := webhook(a); w["url"] != url || w["has_secret"] != true {
		t.Fatalf("after the rotation, without the old key: %v", w)
	}
}
