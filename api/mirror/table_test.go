package mirror

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// entry is a watched KV entry as the watch delivers it (data, not a mock).
type entry struct {
	key string
	val []byte
	rev uint64
	op  jetstream.KeyValueOp
}

func (e entry) Bucket() string                  { return subject.SessionsBucket }
func (e entry) Key() string                     { return e.key }
func (e entry) Value() []byte                   { return e.val }
func (e entry) Revision() uint64                { return e.rev }
func (e entry) Created() time.Time              { return time.Now() }
func (e entry) Delta() uint64                   { return 0 }
func (e entry) Operation() jetstream.KeyValueOp { return e.op }

func put(rec session.Record, rev uint64) entry {
	b, _ := json.Marshal(rec)
	return entry{key: subject.SessionKey(rec.Tenant, rec.ID), val: b, rev: rev, op: jetstream.KeyValuePut}
}

func rec(name string) session.Record {
	return session.Record{Tenant: "t", ID: "s", Config: session.Config{Name: name}, Desired: session.DesiredRunning}
}

func TestRevisionOrdering(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps func(tb *sessionTable)
		want  string // name of the visible record, "" for none
	}{
		{"watch in order", func(tb *sessionTable) {
			tb.apply(put(rec("v1"), 1))
			tb.apply(put(rec("v2"), 2))
		}, "v2"},
		{"own write ahead of the watch survives the older delivery", func(tb *sessionTable) {
			tb.apply(put(rec("v1"), 1))
			tb.put(rec("v3"), 3)
			tb.apply(put(rec("v2"), 2))
		}, "v3"},
		{"own write behind the watch is ignored", func(tb *sessionTable) {
			tb.apply(put(rec("v1"), 1))
			tb.apply(put(rec("v5"), 5))
			tb.put(rec("v3"), 3)
		}, "v5"},
		{"own write of another key behind the watch position is ignored", func(tb *sessionTable) {
			tb.apply(entry{key: "t.other", rev: 9, op: jetstream.KeyValueDelete})
			tb.put(rec("v4"), 4) // the watch passed rev 4: it delivered it or something newer
		}, ""},
		{"delete after put", func(tb *sessionTable) {
			tb.put(rec("v2"), 2)
			tb.apply(put(rec("v2"), 2))
			tb.apply(entry{key: "t.s", rev: 3, op: jetstream.KeyValueDelete})
		}, ""},
		{"older delete does not remove a newer own write", func(tb *sessionTable) {
			tb.put(rec("v7"), 7)
			tb.apply(entry{key: "t.s", rev: 6, op: jetstream.KeyValuePurge})
		}, "v7"},
		{"forgotten record does not come back with its create", func(tb *sessionTable) {
			tb.put(rec("v2"), 2)
			tb.forget("t.s", 2)
			tb.apply(put(rec("v2"), 2))
		}, ""},
		{"desired deleted is hidden", func(tb *sessionTable) {
			r := rec("v1")
			r.Desired = session.DesiredDeleted
			tb.apply(put(r, 1))
		}, ""},
		{"foreign key is ignored", func(tb *sessionTable) {
			e := put(rec("v1"), 1)
			e.key = "other.s"
			tb.apply(e)
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newSessionTable(zap.NewNop(), session.Codec{})
			tc.steps(tb)
			got := ""
			if e, ok := tb.get("t.s"); ok && e.visible() {
				got = e.rec.Config.Name
			}
			if got != tc.want {
				t.Fatalf("visible %q, want %q", got, tc.want)
			}
			recs, total := tb.page("t", 0, 10)
			if (tc.want == "") != (total == 0) || len(recs) != total {
				t.Fatalf("page %d/%d for %q", len(recs), total, tc.want)
			}
		})
	}
}

func TestPageOrderAndResync(t *testing.T) {
	tb := newSessionTable(zap.NewNop(), session.Codec{})
	base := time.Unix(1_700_000_000, 0)
	for i, id := range []string{"c", "a", "b"} {
		r := session.Record{Tenant: "t", ID: id, CreatedAt: base.Add(time.Duration(i/2) * time.Second)}
		tb.apply(put(r, uint64(i+1)))
	}
	recs, total := tb.page("t", 0, 10)
	if total != 3 || recs[0].ID != "a" || recs[1].ID != "c" || recs[2].ID != "b" {
		t.Fatalf("order %v", recs)
	}
	// A re-created watch re-delivers only "a" and "b": "c" was deleted while
	// the watch was down.
	tb.beginResync()
	tb.apply(put(session.Record{Tenant: "t", ID: "a", CreatedAt: base}, 4))
	tb.apply(put(session.Record{Tenant: "t", ID: "b", CreatedAt: base.Add(time.Second)}, 5))
	tb.endResync()
	if _, total := tb.page("t", 0, 10); total != 2 {
		t.Fatalf("after resync %d sessions", total)
	}
}

// TestPageSeesUpdatesInPlace: a new revision of a listed record shows in the
// next page without a re-sort, in the same place; a record with a new
// creation time or a deleted one moves or leaves.
func TestPageSeesUpdatesInPlace(t *testing.T) {
	tb := newSessionTable(zap.NewNop(), session.Codec{})
	base := time.Unix(1_700_000_000, 0)
	rev := uint64(0)
	set := func(id string, at time.Duration, status session.Status, desired session.Desired) {
		rev++
		tb.apply(put(session.Record{Tenant: "t", ID: id, CreatedAt: base.Add(at), Desired: desired,
			State: session.State{Status: status}}, rev))
	}
	for i, id := range []string{"a", "b", "c", "d"} {
		set(id, time.Duration(i)*time.Second, session.StatusStarting, session.DesiredRunning)
	}
	order := func() string {
		recs, _ := tb.page("t", 0, 10)
		out := ""
		for _, r := range recs {
			out += r.ID + ":" + string(r.State.Status)[:1] + " "
		}
		return out
	}
	if got := order(); got != "a:S b:S c:S d:S " {
		t.Fatalf("first page %q", got)
	}
	set("c", 2*time.Second, session.StatusWorking, session.DesiredRunning)
	set("a", 0, session.StatusWorking, session.DesiredRunning)
	if got := order(); got != "a:W b:S c:W d:S " {
		t.Fatalf("after status changes %q", got)
	}
	set("b", 9*time.Second, session.StatusWorking, session.DesiredRunning)
	set("d", 3*time.Second, session.StatusWorking, session.DesiredDeleted)
	if got := order(); got != "a:W c:W b:W " {
		t.Fatalf("after a move and a delete %q", got)
	}
	set("c", 2*time.Second, session.StatusStopped, session.DesiredRunning)
	if got := order(); got != "a:W c:S b:W " {
		t.Fatalf("after another change %q", got)
	}
}
