package msglog_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/msglog"
)

// TestLog runs the same suite on SQLite and Postgres: add (once per id and
// direction), status updates, paging newest first, chat filter, tenant
// isolation, erase.
func TestLog(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		ds, err := devstore.Open(ctx, url, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		l, err := msglog.New(ds.DB())
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		add := func(tenant, id, chat string, dir message.Direction) {
			t.Helper()
			e := msglog.Entry{ID: id, Direction: dir, Chat: chat, To: chat, Text: "text " + id + " 👋",
				Status: message.StatusSent, CreatedAt: at, UpdatedAt: at}
			if err := l.Add(ctx, tenant, "s1", e); err != nil {
				t.Fatal(err)
			}
		}
		for i, chat := range []string{"a@s.whatsapp.net", "b@s.whatsapp.net", "a@s.whatsapp.net", "b@s.whatsapp.net", "a@s.whatsapp.net"} {
			add("t1", string(rune('A'+i)), chat, message.Outbound)
		}
		add("t1", "A", "a@s.whatsapp.net", message.Outbound) // repeated: ignored
		add("t1", "A", "a@s.whatsapp.net", message.Inbound)  // other direction: kept
		add("t2", "Z", "a@s.whatsapp.net", message.Outbound)
		if err := l.SetStatus(ctx, "t1", "s1", "B", message.StatusFailed, "not_on_whatsapp", at.Add(time.Second)); err != nil {
			t.Fatal(err)
		}

		page, next, err := l.List(ctx, "t1", "s1", "", 0, 4)
		if err != nil {
			t.Fatal(err)
		}
		if ids(page) != "A,E,D,C" || next == 0 {
			t.Fatalf("page 1 = %s next %d", ids(page), next)
		}
		page, next, err = l.List(ctx, "t1", "s1", "", next, 4)
		if err != nil {
			t.Fatal(err)
		}
		if ids(page) != "B,A" || next != 0 {
			t.Fatalf("page 2 = %s next %d", ids(page), next)
		}
		if page[0].Status != message.StatusFailed || page[0].Error != "not_on_whatsapp" || page[0].Text != "text B 👋" {
			t.Fatalf("B = %+v", page[0])
		}
		if !page[1].CreatedAt.Equal(at) || page[1].Direction != message.Outbound {
			t.Fatalf("A = %+v", page[1])
		}
		chat, _, err := l.List(ctx, "t1", "s1", "b@s.whatsapp.net", 0, 10)
		if err != nil || ids(chat) != "D,B" {
			t.Fatalf("chat b = %s %v", ids(chat), err)
		}
		n, err := l.Erase(ctx, "t1", "s1")
		if err != nil || n != 6 {
			t.Fatalf("erase = %d %v", n, err)
		}
		if rest, _, _ := l.List(ctx, "t1", "s1", "", 0, 10); len(rest) != 0 {
			t.Fatalf("after erase: %s", ids(rest))
		}
		if other, _, _ := l.List(ctx, "t2", "s1", "", 0, 10); ids(other) != "Z" {
			t.Fatalf("other tenant = %s", ids(other))
		}
	})
}

func ids(es []msglog.Entry) string {
	s := ""
	for i, e := range es {
		if i > 0 {
			s += ","
		}
		s += e.ID
	}
	return s
}
