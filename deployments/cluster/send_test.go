package cluster

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/bus"
)

// TestSendSurvivesWorkerKill accepts messages on a session paced slowly
// (account protection, one message per 2 s), kill -9s the worker that owns
// it once the first message reached the phone, and checks that the
// survivor sends the rest: every accepted message arrives exactly once, in
// the order it was accepted.
func TestSendSurvivesWorkerKill(t *testing.T) {
	c := newCluster(t, options{workers: 2, apis: 1, schedulers: 0, shards: 16})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const id = "sender"
	rec, err := c.link(ctx, id)
	must(t, err)
	owner := rec.State.Owner
	_, err = c.api.do(ctx, http.MethodPatch, c.api.base()+"/api/v1/sessions/"+id,
		map[string]any{"account_protection": true, "message_rate": 0.5, "message_burst": 1}, nil)
	must(t, err)
	const bob = "+15559990001"
	_, err = c.api.do(ctx, http.MethodPost, "http://"+c.simCtl+"/phones", map[string]string{"phone": bob, "push_name": "Bob"}, nil)
	must(t, err)

	var ids []string
	for i := range 6 {
		var out struct {
			Message struct {
				ID string `json:"id"`
			} `json:"message"`
		}
		_, err := c.api.do(ctx, http.MethodPost, c.api.base()+"/api/v1/sessions/"+id+"/messages",
			map[string]string{"to": bob, "text": fmt.Sprintf("queued %d", i)}, &out)
		must(t, err)
		ids = append(ids, out.Message.ID)
	}
	inbox := func() []string {
		var out struct {
			Messages []struct {
				ID string `json:"id"`
			} `json:"messages"`
		}
		if _, err := c.api.do(ctx, http.MethodGet, "http://"+c.simCtl+"/phones/"+strings.TrimPrefix(bob, "+")+"/messages", nil, &out); err != nil {
			return nil
		}
		var got []string
		for _, m := range out.Messages {
			got = append(got, m.ID)
		}
		return got
	}
	eventually(t, 30*time.Second, "first message on the phone", func() (bool, string) {
		got := inbox()
		return len(got) >= 1, fmt.Sprint(got)
	})
	before := len(inbox())
	if before == len(ids) {
		t.Fatal("every message was sent before the kill; pacing did not hold them")
	}
	c.workers[owner].kill()
	t.Logf("kill -9 %s with %d of %d messages sent", owner, before, len(ids))
	eventually(t, bus.LeaseTTL+90*time.Second, "every accepted message on the phone", func() (bool, string) {
		got := inbox()
		return len(got) >= len(ids), fmt.Sprint(got)
	})
	got := inbox()
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("phone received %v, want each of %v once, in order", got, ids)
	}
}
