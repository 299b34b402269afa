package webhook_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// While one session's endpoint hangs on every request, another session's
// events are all delivered: the hung endpoint holds one request per lane
// and no shared slot (the old design's slots all went to the hung
// endpoint, and everyone waited). Its backlog is bounded: past
// EndpointBacklog its events are dead-lettered, not held.
func TestSlowEndpointOnlySlowsItself(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	release := make(chan struct{})
	e.rcv.setRespond(func(path string, _ int) int {
		if path == "/slow" {
			<-release
		}
		return http.StatusOK
	})
	t.Cleanup(func() { closeOnce(release) })
	e.putSession("slow", session.Webhook{URL: e.rcv.url("/slow")})
	e.putSession("fast", session.Webhook{URL: e.rcv.url("/fast")})
	cfg := testConfig()
	cfg.Timeout = 30 * 1e9
	cfg.EndpointBacklog = 30
	d := e.start(cfg)
	for i := range 60 {
		e.publish("slow", event.MessageReceived, fmt.Sprintf("m%02d", i), msg("hi"))
	}
	var fast []string
	for i := range 20 {
		fast = append(fast, e.publish("fast", event.MessageReceived, fmt.Sprintf("m%02d", i), msg("hi")))
	}
	e.eventually("fast session delivered while the slow one hangs", func() bool {
		return len(e.rcv.requests("/fast")) == len(fast)
	})
	if ooo, lost, dups := orderReport(e, "/fast", fast); ooo+lost+dups != 0 {
		t.Errorf("fast: out of order %d, lost %d, duplicates %d", ooo, lost, dups)
	}
	e.eventually("slow backlog bounded", func() bool {
		dls, _ := d.DeadLetters(e.ctx, tenant, "slow", 1000)
		return len(dls) == 30 // 60 events, 30 held
	})
	dls, _ := d.DeadLetters(e.ctx, tenant, "slow", 1000)
	if !strings.Contains(dls[0].LastError, "backlog full") {
		t.Errorf("overflow dead letter error %q", dls[0].LastError)
	}
	closeOnce(release)
	e.eventually("slow backlog delivered", func() bool { return len(e.rcv.requests("/slow")) == 30 })
	e.settled()
}

func closeOnce(c chan struct{}) {
	select {
	case <-c:
	default:
		close(c)
	}
}
