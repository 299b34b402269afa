package shards

import (
	"testing"

	"github.com/switchboard-gw/switchboard/shared/command"
)

func TestFromSubject(t *testing.T) {
	for _, tc := range []struct {
		subj string
		cmd  command.Command
		ok   bool
	}{
		{"wa.cmd.3.acme.s1.start", command.Command{Verb: command.Start}, true},
		{"wa.cmd.3.acme.s1.start", command.Command{Tenant: "acme", Session: "s1", Verb: command.Start}, true},
		{"wa.cmd.3.acme.s1.start", command.Command{Tenant: "other", Session: "s1", Verb: command.Start}, false},
		{"wa.cmd.3.acme.s1.stop", command.Command{Verb: command.Start}, false},
		{"wa.cmd.acme.s1.start", command.Command{Verb: command.Start}, false},
	} {
		cmd := tc.cmd
		err := fromSubject(tc.subj, &cmd)
		if (err == nil) != tc.ok {
			t.Errorf("fromSubject(%q, %+v) = %v, want ok=%v", tc.subj, tc.cmd, err, tc.ok)
		}
		if err == nil && (cmd.Tenant != "acme" || cmd.Session != "s1") {
			t.Errorf("filled %+v", cmd)
		}
	}
}
