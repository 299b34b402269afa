package session

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Validation errors.
var (
	ErrInvalidID      = errors.New("session id must match [A-Za-z0-9_-]{1,64}")
	ErrInvalidPhone   = errors.New("phone number must be in international format, e.g. +15551234567")
	ErrInvalidWebhook = errors.New("webhook url must be an absolute http or https url")
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidID reports whether id is a valid session (or tenant) id: a single NATS
// subject token.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// NormalizePhone parses an international phone number ("+15551234567",
// "15551234567", with spaces or dashes) and returns its digits in E.164
// without the plus, as WhatsApp uses them in JIDs.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrInvalidPhone
	}
	if !strings.HasPrefix(s, "+") {
		s = "+" + s
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", ErrInvalidPhone
	}
	return strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.E164), "+"), nil
}

// ValidateWebhookURL checks that u is an absolute http(s) URL with a host.
func ValidateWebhookURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("%w: %q", ErrInvalidWebhook, u)
	}
	return nil
}
