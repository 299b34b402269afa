package subject

import "testing"

func TestWebhookControlRoundTrip(t *testing.T) {
	s := WebhookControl("acme", "s-1", WebhookOpReplay)
	if s != "wa.webhook.acme.s-1.replay" {
		t.Fatalf("subject %q", s)
	}
	if ten, sess, op, ok := ParseWebhookControl(s); !ok || ten != "acme" || sess != "s-1" || op != WebhookOpReplay {
		t.Fatalf("parse: %q %q %q %v", ten, sess, op, ok)
	}
	for _, bad := range []string{"wa.webhook.a.b", "wa.evt.a.b.c", "wa.webhook.a.b.c.d", ""} {
		if _, _, _, ok := ParseWebhookControl(bad); ok {
			t.Errorf("parsed %q", bad)
		}
	}
}
