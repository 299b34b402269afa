package message

import (
	"strings"
	"testing"
)

func TestNormalizeTo(t *testing.T) {
	for in, want := range map[string]string{
		"+15551234567":               "15551234567@s.whatsapp.net",
		" +1 555 123 4567 ":          "15551234567@s.whatsapp.net",
		"15551234567@s.whatsapp.net": "15551234567@s.whatsapp.net",
		"123456789012345@lid":        "123456789012345@lid",
	} {
		if got, err := NormalizeTo(in); err != nil || got != want {
			t.Errorf("NormalizeTo(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "15551234567", "+1", "+abc", "1@g.us", "15551234567:3@s.whatsapp.net", "a.b@lid", "@s.whatsapp.net", "+" + strings.Repeat("1", 40)} {
		if _, err := NormalizeTo(bad); err == nil {
			t.Errorf("NormalizeTo(%q) accepted", bad)
		}
	}
}

func TestValidText(t *testing.T) {
	if ValidText(strings.Repeat("é", MaxTextBytes/2)) != nil || ValidText("x") != nil {
		t.Fatal("valid text refused")
	}
	for _, bad := range []string{"", strings.Repeat("a", MaxTextBytes+1), "\xff\xfe"} {
		if ValidText(bad) == nil {
			t.Errorf("ValidText(%q…) accepted", bad[:min(len(bad), 8)])
		}
	}
}

func TestIDFromCommandIsStable(t *testing.T) {
	a, b := IDFromCommand("t/s/send/k1"), IDFromCommand("t/s/send/k1")
	if a != b || len(a) != 22 || !strings.HasPrefix(a, "3EB0") || a == IDFromCommand("t/s/send/k2") {
		t.Fatalf("ids %q %q", a, b)
	}
}

func TestSteps(t *testing.T) {
	for _, c := range []struct {
		prev, next Status
		want       string
	}{
		{StatusPending, StatusSent, "sent"},
		{StatusPending, StatusRead, "sent,delivered,read"},
		{StatusSent, StatusDelivered, "delivered"},
		{StatusPending, StatusFailed, "failed"},
	} {
		var got []string
		for _, s := range Steps(c.prev, c.next) {
			got = append(got, string(s))
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("Steps(%s, %s) = %v, want %s", c.prev, c.next, got, c.want)
		}
	}
	if StatusDelivered.Advances(StatusFailed) || StatusFailed.Advances(StatusRead) || StatusRead.Advances(StatusDelivered) {
		t.Fatal("a status moved backwards")
	}
}
