package sessions

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/session"
)

func TestNormalizeConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   session.Config
		want error
	}{
		{"empty", session.Config{}, nil},
		{"phone", session.Config{PhoneNumber: "+62 812-3456-7890"}, nil},
		{"bad phone", session.Config{PhoneNumber: "+1"}, ErrInvalidPhone},
		{"huge phone", session.Config{PhoneNumber: strings.Repeat("1", 40)}, ErrInvalidPhone},
		{"webhook", session.Config{Webhooks: []session.Webhook{{URL: "https://x.example/h", Events: []string{"message"}}}}, nil},
		{"webhook scheme", session.Config{Webhooks: []session.Webhook{{URL: "ftp://x.example"}}}, ErrInvalidWebhook},
		{"webhook too long", session.Config{Webhooks: []session.Webhook{{URL: "https://x.example/" + strings.Repeat("a", 2048)}}}, ErrInvalidWebhook},
		{"too many webhooks", session.Config{Webhooks: make([]session.Webhook, 11)}, ErrInvalidRequest},
		{"long name", session.Config{Name: strings.Repeat("é", 129)}, ErrInvalidRequest},
		{"name at limit", session.Config{Name: strings.Repeat("é", 128)}, nil},
		{"proxy", session.Config{Proxy: "socks5://u:p@h:1080"}, nil},
		{"proxy scheme", session.Config{Proxy: "ftp://h"}, ErrInvalidRequest},
		{"proxy no host", session.Config{Proxy: "http://"}, ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := normalizeConfig(tc.in)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	c, _ := normalizeConfig(session.Config{Name: "  shop ", PhoneNumber: "+62 812-3456-7890"})
	if c.Name != "shop" || c.PhoneNumber != "6281234567890" {
		t.Errorf("normalized %+v", c)
	}
}

func TestIdempotencyKey(t *testing.T) {
	for k, ok := range map[string]bool{"": true, "abc-123": true, strings.Repeat("k", 200): true,
		strings.Repeat("k", 201): false, "has space": false, "tab\t": false, "ü": false} {
		if err := validIdempotencyKey(k); (err == nil) != ok {
			t.Errorf("%q: %v", k, err)
		}
	}
	if commandID("t", "s", "restart", "k") != "t/s/restart/k" {
		t.Error("scoped id")
	}
	if a, b := commandID("t", "s", "restart", ""), commandID("t", "s", "restart", ""); a == b {
		t.Error("ids without key must differ")
	}
}

func TestErrorKinds(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", withMessage(ErrNotFound, "custom", errors.New("cause")))
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) {
		t.Fatal("kind matching")
	}
	var de *Error
	if !errors.As(err, &de) || de.Message != "custom" {
		t.Fatal("message")
	}
}
