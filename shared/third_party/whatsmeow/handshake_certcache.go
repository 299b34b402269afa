package whatsmeow

import (
	"bytes"
	"fmt"
	"sync"
)

// Switchboard patch: verified server certificate chains are remembered.
//
// Every handshake verifies the server's certificate chain: two Ed25519
// signature checks, the same chain for every connection to the same server.
// A process that logs in thousands of devices at once (a restart) spent a
// measurable share of its CPU on them. A chain is a pure function of its
// bytes and the root key, so once a chain verified under the current
// WACertPubKey, the same bytes need only the last check, that the leaf key
// is the server's decrypted static key.

// certCacheSize bounds the remembered chains (servers rotate them rarely).
const certCacheSize = 16

var certCache struct {
	sync.Mutex
	root [32]byte
	// leaf maps a verified chain (its bytes) to its leaf key.
	leaf map[string][]byte
}

func verifyServerCert(certDecrypted, staticDecrypted []byte) error {
	certCache.Lock()
	leaf, ok := certCache.leaf[string(certDecrypted)]
	ok = ok && certCache.root == WACertPubKey
	certCache.Unlock()
	if ok {
		if !bytes.Equal(leaf, staticDecrypted) {
			return fmt.Errorf("cert key doesn't match decrypted static")
		}
		return nil
	}
	if err := verifyServerCertChain(certDecrypted, staticDecrypted); err != nil {
		return err
	}
	// Verified: the leaf key equals staticDecrypted.
	certCache.Lock()
	defer certCache.Unlock()
	if certCache.root != WACertPubKey || len(certCache.leaf) >= certCacheSize {
		certCache.root, certCache.leaf = WACertPubKey, nil
	}
	if certCache.leaf == nil {
		certCache.leaf = make(map[string][]byte, 1)
	}
	certCache.leaf[string(certDecrypted)] = bytes.Clone(staticDecrypted)
	return nil
}
