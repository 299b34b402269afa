package wasim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPushNameLen bounds a push name in bytes (WhatsApp allows 25 characters).
const maxPushNameLen = 100

// pushNameRequest is the body of POST /phone/push-name.
type pushNameRequest struct {
	Phone    string `json:"phone"`
	PushName string `json:"push_name"`
}

// pushNameResponse answers POST /phone/push-name.
type pushNameResponse struct {
	// Version is the critical_block version holding the new name.
	Version uint64 `json:"version"`
	// Notified is how many live companions were sent a server_sync notification.
	Notified int `json:"notified"`
}

// validPushName reports whether name is a push name a phone could set:
// non-empty after trimming, valid UTF-8, no control characters, bounded.
func validPushName(name string) bool {
	if strings.TrimSpace(name) == "" || len(name) > maxPushNameLen || !utf8.ValidString(name) {
		return false
	}
	return strings.IndexFunc(name, unicode.IsControl) < 0
}

// SetPushName changes the push name of the account of phone, as the user
// would on the phone: the app state gets the next critical_block patch and
// every live companion that has the sync key is sent a server_sync
// notification, so whatsmeow fetches the patch (incrementally) and emits
// events.PushNameSetting. Offline companions pick it up on their next sync.
//
// Errors: ErrInvalidInput, ErrUnknownPhone.
func (s *Server) SetPushName(_ context.Context, phone, name string) (version uint64, notified int, err error) {
	if !validPushName(name) {
		return 0, 0, fmt.Errorf("%w: push_name must be 1-%d bytes of printable UTF-8", ErrInvalidInput, maxPushNameLen)
	}
	digits, err := normalizePhone(phone)
	if err != nil {
		return 0, 0, err
	}
	s.mu.Lock()
	a := s.accounts[digits]
	if a == nil {
		s.mu.Unlock()
		return 0, 0, fmt.Errorf("%w: %s", ErrUnknownPhone, digits)
	}
	a.pushName = name
	st, err := s.appStateLocked(a)
	if err != nil {
		s.mu.Unlock()
		return 0, 0, err
	}
	version = st.version
	var conns []*conn
	for _, d := range a.devices {
		if d.conn != nil && d.keyShared {
			conns = append(conns, d.conn)
		}
	}
	s.mu.Unlock()
	note := serverSyncNotification(collCriticalBlock, version)
	for _, c := range conns {
		if c.sendNode(note) == nil {
			notified++
		}
	}
	return version, notified, nil
}

func (s *Server) handlePushName(w http.ResponseWriter, r *http.Request) {
	var req pushNameRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	version, n, err := s.SetPushName(r.Context(), req.Phone, req.PushName)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, pushNameResponse{Version: version, Notified: n})
}
