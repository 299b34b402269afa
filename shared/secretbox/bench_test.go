package secretbox_test

import (
	"testing"

	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

// BenchmarkSealOpen256 seals and opens a 256-byte value (a webhook URL or
// a Signal session record is about that size).
func BenchmarkSealOpen256(b *testing.B) {
	k, _ := secretbox.GenerateKey()
	box, _ := secretbox.New(secretbox.Config{Key: k})
	plain, ad := make([]byte, 256), []byte("wa_sessions/acme/s1/webhook.url")
	b.SetBytes(256)
	b.ReportAllocs()
	for b.Loop() {
		sealed, err := box.Seal(plain, ad)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := box.Open(sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}
