package wasim

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/util/hkdfutil"
	"go.mau.fi/whatsmeow/util/keys"
	"golang.org/x/crypto/curve25519"
)

// Link-code constants from whatsmeow's pair-code.go (spec §7).
const (
	linkCodeAlphabet   = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
	linkCodeLen        = 8
	linkCodeIterations = 2 << 16
	wrappedKeyLen      = 80 // salt32 ‖ iv16 ‖ ct32
	bundleInfo         = "link_code_pairing_key_bundle_encryption_key"
	advSecretInfo      = "adv_secret"
	// linkFinishTimeout bounds the wait for companion_finish after primary_hello.
	linkFinishTimeout = 15 * time.Second
)

// linkCode is a companion waiting for its code to be typed on the phone.
type linkCode struct {
	phone   string
	ref     []byte
	wrapped []byte       // the companion's wrapped ephemeral key (80 bytes)
	mu      sync.Mutex   // one LinkCode attempt at a time
	attempt *linkAttempt // guarded by Server.mu
}

// linkAttempt is one typed code waiting for companion_finish.
type linkAttempt struct {
	primary      *keys.KeyPair
	companionEph []byte
	acct         *account
	result       chan linkResult
}

type linkResult struct {
	advSecret []byte
	err       error
}

func (a *linkAttempt) finish(advSecret []byte, err error) {
	select {
	case a.result <- linkResult{advSecret: advSecret, err: err}:
	default:
	}
}

func (lc *linkCode) abort() {
	if lc.attempt != nil {
		lc.attempt.finish(nil, fmt.Errorf("%w: connection closed", ErrNoPendingCode))
	}
}

// onLinkCodeIQ handles the client's link_code_companion_reg IQs.
func (s *Server) onLinkCodeIQ(c *conn, id string, child waBinary.Node) {
	stage, _ := child.Attrs["stage"].(string)
	switch stage {
	case "companion_hello":
		s.onCompanionHello(c, id, child)
	case "companion_finish":
		s.onCompanionFinish(c, id, child)
	default:
		c.reply(iqError(id, 400, "bad-request"))
	}
}

// onCompanionHello registers the companion under its phone number and
// answers with the pairing ref (as []byte content, which the client requires).
func (s *Server) onCompanionHello(c *conn, id string, child waBinary.Node) {
	jid, _ := child.Attrs["jid"].(types.JID)
	phone, err := normalizePhone(jid.User)
	wrapped := bytesContent(child.GetChildByTag("link_code_pairing_wrapped_companion_ephemeral_pub"))
	authKey := bytesContent(child.GetChildByTag("companion_server_auth_key_pub"))
	if err != nil || len(wrapped) != wrappedKeyLen || !bytes.Equal(authKey, c.static[:]) {
		c.reply(iqError(id, 400, "bad-request"))
		return
	}
	lc := &linkCode{phone: phone, ref: []byte(newRef()), wrapped: bytes.Clone(wrapped)}
	s.mu.Lock()
	ok := c.reg != nil && !c.gone
	if ok {
		if old := c.reg.code; old != nil && s.codes[old.phone] == c {
			delete(s.codes, old.phone)
		}
		c.reg.code = lc
		s.codes[phone] = c
	}
	s.mu.Unlock()
	if !ok {
		c.reply(iqError(id, 400, "bad-request"))
		return
	}
	c.reply(iqResult(id, waBinary.Node{Tag: "link_code_companion_reg", Content: []waBinary.Node{
		{Tag: "link_code_pairing_ref", Content: lc.ref},
	}}))
}

// LinkCode plays the user typing the companion's code on phone: it unwraps
// the companion's ephemeral key, sends primary_hello, checks the key bundle
// in companion_finish and then pairs like a QR scan. It returns once the
// client confirmed the pairing.
//
// Errors: ErrInvalidInput (malformed phone or code), ErrNoPendingCode (no
// companion waits for phone), ErrWrongCode (the code does not match; the
// companion keeps waiting, so a retry with the right code works).
func (s *Server) LinkCode(ctx context.Context, phone, code string) (PairResult, error) {
	return s.LinkCodeAs(ctx, phone, code, "")
}

// LinkCodeAs is LinkCode by a phone whose push name is pushName (kept
// unchanged, or the default for a new phone, when empty).
func (s *Server) LinkCodeAs(ctx context.Context, phone, code, pushName string) (PairResult, error) {
	phone, err := normalizePhone(phone)
	if err != nil {
		return PairResult{}, err
	}
	if code, err = normalizeCode(code); err != nil {
		return PairResult{}, err
	}
	s.mu.Lock()
	c := s.codes[phone]
	var lc *linkCode
	if c != nil {
		lc = c.reg.code
	}
	s.mu.Unlock()
	if lc == nil {
		return PairResult{}, ErrNoPendingCode
	}
	lc.mu.Lock()
	advSecret, err := s.exchangeLinkKeys(ctx, c, lc, code)
	lc.mu.Unlock()
	if err != nil {
		return PairResult{}, err
	}
	return s.pair(ctx, c, phone, pushName, advSecret)
}

// exchangeLinkKeys sends primary_hello and waits for a valid companion_finish.
func (s *Server) exchangeLinkKeys(ctx context.Context, c *conn, lc *linkCode, code string) ([]byte, error) {
	companionEph, err := ctrWithCode(code, lc.wrapped[:32], lc.wrapped[32:48], lc.wrapped[48:80])
	if err != nil {
		return nil, err
	}
	primary := keys.NewKeyPair()
	salt, iv := make([]byte, 32), make([]byte, 16)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(iv)
	wrappedPrimary, err := ctrWithCode(code, salt, iv, primary.Pub[:])
	if err != nil {
		return nil, err
	}
	att := &linkAttempt{primary: primary, companionEph: companionEph, result: make(chan linkResult, 1)}
	s.mu.Lock()
	if c.gone || c.reg.code != lc {
		s.mu.Unlock()
		return nil, ErrNoPendingCode
	}
	att.acct = s.accountLocked(lc.phone, "")
	lc.attempt = att
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if lc.attempt == att {
			lc.attempt = nil
		}
		s.mu.Unlock()
	}()

	hello := waBinary.Node{
		Tag: "notification",
		Attrs: waBinary.Attrs{
			"from": types.ServerJID, "type": "link_code_companion_reg", "id": newID(),
			"t": strconv.FormatInt(time.Now().Unix(), 10),
		},
		Content: []waBinary.Node{{
			Tag:   "link_code_companion_reg",
			Attrs: waBinary.Attrs{"stage": "primary_hello"},
			Content: []waBinary.Node{
				{Tag: "link_code_pairing_ref", Content: lc.ref},
				{Tag: "link_code_pairing_wrapped_primary_ephemeral_pub", Content: concat(salt, iv, wrappedPrimary)},
				{Tag: "primary_identity_pub", Content: att.acct.identity.Pub[:]},
			},
		}},
	}
	if err := c.sendNode(hello); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoPendingCode, err)
	}
	timer := time.NewTimer(linkFinishTimeout)
	defer timer.Stop()
	select {
	case r := <-att.result:
		return r.advSecret, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, fmt.Errorf("%w: no companion_finish within %s", ErrPairRejected, linkFinishTimeout)
	}
}

// onCompanionFinish opens the companion's key bundle; a GCM failure means
// the typed code was wrong (spec §7 step 5).
func (s *Server) onCompanionFinish(c *conn, id string, child waBinary.Node) {
	bundle := bytesContent(child.GetChildByTag("link_code_pairing_wrapped_key_bundle"))
	companionIdentity := bytesContent(child.GetChildByTag("companion_identity_public"))
	ref := bytesContent(child.GetChildByTag("link_code_pairing_ref"))
	s.mu.Lock()
	var att *linkAttempt
	var identityPub [32]byte
	if c.reg != nil && c.reg.code != nil && bytes.Equal(c.reg.code.ref, ref) {
		att = c.reg.code.attempt
		identityPub = c.reg.identityPub
	}
	s.mu.Unlock()
	if att == nil || len(bundle) != 32+12+96+16 || !bytes.Equal(companionIdentity, identityPub[:]) {
		c.reply(iqError(id, 400, "bad-request"))
		return
	}
	advSecret, err := openKeyBundle(att, bundle, identityPub)
	if err != nil {
		c.reply(iqError(id, 401, "not-authorized"))
		att.finish(nil, err)
		return
	}
	c.reply(iqResult(id))
	att.finish(advSecret, nil)
}

func openKeyBundle(att *linkAttempt, bundle []byte, companionIdentity [32]byte) ([]byte, error) {
	eph, err := curve25519.X25519(att.primary.Priv[:], att.companionEph)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrongCode, err)
	}
	key := hkdfutil.SHA256(eph, bundle[:32], []byte(bundleInfo), 32)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wasim: bundle cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("wasim: bundle gcm: %w", err)
	}
	plain, err := gcm.Open(nil, bundle[32:44], bundle[44:], nil)
	if err != nil {
		return nil, ErrWrongCode
	}
	if !bytes.Equal(plain[:32], companionIdentity[:]) || !bytes.Equal(plain[32:64], att.acct.identity.Pub[:]) {
		return nil, fmt.Errorf("%w: key bundle names other identities", ErrWrongCode)
	}
	idShared, err := curve25519.X25519(att.acct.identity.Priv[:], companionIdentity[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrongCode, err)
	}
	return hkdfutil.SHA256(concat(eph, idShared, plain[64:96]), nil, []byte(advSecretInfo), 32), nil
}

// ctrWithCode runs AES-256-CTR keyed by PBKDF2(code, salt); it both wraps
// and unwraps.
func ctrWithCode(code string, salt, iv, data []byte) ([]byte, error) {
	key, err := pbkdf2.Key(sha256.New, code, salt, linkCodeIterations, 32)
	if err != nil {
		return nil, fmt.Errorf("wasim: pbkdf2: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wasim: link cipher: %w", err)
	}
	out := make([]byte, len(data))
	cipher.NewCTR(block, iv).XORKeyStream(out, data)
	return out, nil
}

// normalizeCode accepts "ABCD-EFGH" or "abcdefgh".
func normalizeCode(code string) (string, error) {
	c := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(c) != linkCodeLen {
		return "", fmt.Errorf("%w: link code must have %d characters", ErrInvalidInput, linkCodeLen)
	}
	for _, r := range c {
		if !strings.ContainsRune(linkCodeAlphabet, r) {
			return "", fmt.Errorf("%w: link code character %q", ErrInvalidInput, r)
		}
	}
	return c, nil
}
