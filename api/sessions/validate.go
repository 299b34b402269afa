package sessions

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// Limits on client-set configuration.
const (
	maxNameLen     = 128
	maxWebhooks    = 10
	maxEvents      = 64
	maxEventLen    = 64
	maxSecretLen   = 256
	maxURLLen      = 2048
	maxPhoneLength = 32
)

// normalizeConfig validates a client-set configuration and returns it
// normalized (trimmed name, phone digits).
func normalizeConfig(c session.Config) (session.Config, error) {
	c.Name = strings.TrimSpace(c.Name)
	if utf8.RuneCountInString(c.Name) > maxNameLen {
		return c, invalid(fmt.Sprintf("name must be at most %d characters", maxNameLen))
	}
	if !session.ValidText(c.Name) {
		return c, invalid("name must not contain control characters (NUL, BEL, newlines…) or bidirectional formatting characters")
	}
	if c.PhoneNumber != "" {
		p, err := NormalizePhone(c.PhoneNumber)
		if err != nil {
			return c, err
		}
		c.PhoneNumber = p
	}
	if len(c.Webhooks) > maxWebhooks {
		return c, invalid(fmt.Sprintf("at most %d webhooks", maxWebhooks))
	}
	for i := range c.Webhooks {
		if err := validWebhook(c.Webhooks[i]); err != nil {
			return c, err
		}
	}
	if c.Proxy != "" {
		if err := validProxy(c.Proxy); err != nil {
			return c, err
		}
	}
	return c, nil
}

// NormalizePhone returns the digits of an international phone number or
// an ErrInvalidPhone-kind error.
func NormalizePhone(p string) (string, error) {
	if len(p) > maxPhoneLength {
		return "", ErrInvalidPhone
	}
	digits, err := session.NormalizePhone(p)
	if err != nil {
		return "", ErrInvalidPhone
	}
	return digits, nil
}

func validWebhook(w session.Webhook) error {
	if len(w.URL) > maxURLLen || session.ValidateWebhookURL(w.URL) != nil {
		return ErrInvalidWebhook
	}
	if len(w.Events) > maxEvents {
		return invalid(fmt.Sprintf("webhook.events: at most %d events", maxEvents))
	}
	for _, e := range w.Events {
		if e == "" || len(e) > maxEventLen {
			return invalid(fmt.Sprintf("webhook.events: event names must be 1 to %d characters", maxEventLen))
		}
		if !event.ValidFilter(e) {
			return invalid(fmt.Sprintf("webhook.events: unknown event %q (known: %s)", e, strings.Join(event.FilterNames(), ", ")))
		}
	}
	if len(w.Secret) > maxSecretLen {
		return invalid(fmt.Sprintf("webhook.secret: must be at most %d characters", maxSecretLen))
	}
	return nil
}

var errBadProxy = errors.New("proxy must be an http, https or socks5 url with a host")

func validProxy(p string) error {
	u, err := url.Parse(p)
	if len(p) > maxURLLen || err != nil || u.Host == "" {
		return invalid(errBadProxy.Error())
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
		return nil
	}
	return invalid(errBadProxy.Error())
}
