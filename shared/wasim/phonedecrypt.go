package wasim

import (
	"context"
	"errors"

	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/session"
)

// decryptFrom decrypts a pkmsg or msg from addr with the phone's store and
// strips the v2 padding.
func decryptFrom(store *sender, addr *protocol.SignalAddress, e enc) ([]byte, error) {
	store.mu.Lock()
	defer store.mu.Unlock()
	cipher := session.NewCipher(session.NewBuilder(store, store, store, store, addr, signalSerializer), addr)
	var plain []byte
	var err error
	if e.typ == "pkmsg" {
		var m *protocol.PreKeySignalMessage
		if m, err = protocol.NewPreKeySignalMessageFromBytes(e.payload, signalSerializer.PreKeySignalMessage, signalSerializer.SignalMessage); err == nil {
			plain, err = cipher.DecryptMessage(bgCtx, m)
		}
	} else {
		var m *protocol.SignalMessage
		if m, err = protocol.NewSignalMessageFromBytes(e.payload, signalSerializer.SignalMessage); err == nil {
			plain, err = cipher.Decrypt(bgCtx, m)
		}
	}
	if err != nil {
		store.restoreSession(addr)
		return nil, err
	}
	if e.version == 3 {
		return plain, nil
	}
	return unpad(plain)
}

var errBadPadding = errors.New("wasim: bad message padding")

// unpad removes the 1-15 bytes of v2 padding that whatsmeow adds.
func unpad(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errBadPadding
	}
	n := int(b[len(b)-1])
	if n == 0 || n > 15 || n > len(b) {
		return nil, errBadPadding
	}
	for _, x := range b[len(b)-n:] {
		if int(x) != n {
			return nil, errBadPadding
		}
	}
	return b[:len(b)-n], nil
}

// bgCtx is the context of Signal store calls; the in-memory store ignores it.
var bgCtx = context.Background()
