package message

import (
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// MaxTextBytes is the largest text accepted, in bytes of UTF-8.
const MaxTextBytes = 65536

// Validation errors; their messages name the field.
var (
	ErrInvalidTo   = errors.New(`"to" must be a phone number in international format (+15551234567) or a JID (15551234567@s.whatsapp.net)`)
	ErrInvalidText = errors.New(`"text" must be 1 to 65536 bytes of UTF-8`)
)

// Servers a message may be sent to: users by phone number or LID.
const (
	userServer = "s.whatsapp.net"
	lidServer  = "lid"
)

var userPart = regexp.MustCompile(`^[0-9]{5,20}$`)

// NormalizeTo turns an E.164 number or a user JID into the recipient JID
// string ("15551234567@s.whatsapp.net", or "…@lid").
func NormalizeTo(to string) (string, error) {
	to = strings.TrimSpace(to)
	if user, server, ok := strings.Cut(to, "@"); ok {
		if server != userServer && server != lidServer {
			return "", ErrInvalidTo
		}
		if strings.ContainsAny(user, ":.") || !userPart.MatchString(user) {
			return "", ErrInvalidTo
		}
		return user + "@" + server, nil
	}
	if len(to) > 32 || !strings.HasPrefix(to, "+") {
		return "", ErrInvalidTo
	}
	digits, err := session.NormalizePhone(to)
	if err != nil {
		return "", ErrInvalidTo
	}
	return digits + "@" + userServer, nil
}

// ValidText checks a message text: 1..MaxTextBytes bytes of valid UTF-8.
func ValidText(text string) error {
	if len(text) == 0 || len(text) > MaxTextBytes || !utf8.ValidString(text) {
		return ErrInvalidText
	}
	return nil
}
