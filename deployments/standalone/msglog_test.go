package standalone_test

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the standalone's database driver
)

// TestMessageLogBothDirections turns logging on and checks the log lists
// inbound and outbound messages newest first, pages, filters by chat, and is
// erased by DELETE …/messages and by deleting the session.
func TestMessageLogBothDirections(t *testing.T) {
	dir := t.TempDir()
	_, a := gateway(t, dir, "")
	link(t, a, "logd", "+15550600001")
	a.must(200, "PATCH", "/api/v1/sessions/logd", map[string]any{"message_logging": true, "account_protection": false})
	const bob, carol = "+15550600002", "+15550600003"
	registerPhone(t, bob)
	registerPhone(t, carol)

	out1 := a.send("logd", bob, "to bob")["id"].(string)
	a.waitMessage("logd", out1, "delivered", 20*time.Second)
	if code, out := simPost(t, "/messages", map[string]any{"to": "+15550600001", "from": bob, "text": "from bob"}); code != 200 {
		t.Fatalf("inbound: %d %v", code, out)
	}
	// The inbound message is logged when the worker receives it: wait for
	// it, so that the next send is the newest entry.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if l, _ := a.must(200, "GET", "/api/v1/sessions/logd/messages", nil)["messages"].([]any); len(l) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the inbound message was not logged")
		}
	}
	out2 := a.send("logd", carol, "to carol")["id"].(string)
	a.waitMessage("logd", out2, "delivered", 20*time.Second)

	var list []any
	deadline := time.Now().Add(20 * time.Second)
	for len(list) < 3 && time.Now().Before(deadline) {
		list, _ = a.must(200, "GET", "/api/v1/sessions/logd/messages", nil)["messages"].([]any)
		time.Sleep(50 * time.Millisecond)
	}
	if len(list) != 3 {
		t.Fatalf("log = %v, want 3 messages", list)
	}
	newest := list[0].(map[string]any)
	if newest["id"] != out2 || newest["direction"] != "outbound" || newest["text"] != "to carol" {
		t.Fatalf("newest = %v", newest)
	}
	dirs := map[string]bool{}
	for _, m := range list {
		mm := m.(map[string]any)
		dirs[mm["direction"].(string)] = true
		if mm["direction"] == "inbound" && (mm["text"] != "from bob" || mm["from"] != "15550600002@s.whatsapp.net") {
			t.Fatalf("inbound = %v", mm)
		}
	}
	if !dirs["inbound"] || !dirs["outbound"] {
		t.Fatalf("directions = %v", dirs)
	}
	// The text of a logged message stays readable after delivery.
	if rec := a.must(200, "GET", "/api/v1/sessions/logd/messages/"+out1, nil); rec["text"] != "to bob" {
		t.Fatalf("logged message = %v", rec)
	}

	page := a.must(200, "GET", "/api/v1/sessions/logd/messages?limit=2", nil)
	next, _ := page["next_before"].(string)
	if len(page["messages"].([]any)) != 2 || next == "" {
		t.Fatalf("page 1 = %v", page)
	}
	page2 := a.must(200, "GET", "/api/v1/sessions/logd/messages?limit=2&before="+next, nil)
	if p2 := page2["messages"].([]any); len(p2) != 1 || p2[0].(map[string]any)["id"] != out1 || page2["next_before"] != nil {
		t.Fatalf("page 2 = %v", page2)
	}
	chat := a.must(200, "GET", "/api/v1/sessions/logd/messages?chat=%2B15550600002", nil)["messages"].([]any)
	if len(chat) != 2 {
		t.Fatalf("chat with bob = %v", chat)
	}
	a.must(400, "GET", "/api/v1/sessions/logd/messages?before=x", nil)
	a.must(400, "GET", "/api/v1/sessions/logd/messages?limit=100000", nil)

	if out := a.must(200, "DELETE", "/api/v1/sessions/logd/messages", nil); out["deleted"] != float64(3) {
		t.Fatalf("erase = %v", out)
	}
	if l := a.must(200, "GET", "/api/v1/sessions/logd/messages", nil)["messages"].([]any); len(l) != 0 {
		t.Fatalf("after erase: %v", l)
	}

	// Deleting the session erases its log too.
	id := a.send("logd", bob, "last words")["id"].(string)
	a.waitMessage("logd", id, "delivered", 20*time.Second)
	if n := logRows(t, dir, "logd"); n != 1 {
		t.Fatalf("log rows before delete = %d, want 1", n)
	}
	a.must(200, "DELETE", "/api/v1/sessions/logd", nil)
	deadline = time.Now().Add(20 * time.Second)
	for logRows(t, dir, "logd") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("log of a deleted session survived")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logRows counts the log rows of a session in the standalone's database.
func logRows(t *testing.T, dir, session string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "switchboard.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM switchboard_messages WHERE session=$1`, session).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLoggingOffLeavesNoText sends with logging off and then searches every
// file under the data dir (SQLite database and WAL, JetStream streams and
// KV buckets) for the text: none may remain once the message is delivered.
func TestLoggingOffLeavesNoText(t *testing.T) {
	dir := t.TempDir()
	_, a := gateway(t, dir, "")
	link(t, a, "nolog", "+15550600011")
	a.must(200, "PATCH", "/api/v1/sessions/nolog", map[string]any{"account_protection": false})
	const bob = "+15550600012"
	registerPhone(t, bob)
	// A second session keeps messages queued behind a very slow pace, so
	// the streams' files keep live messages around the secret ones: a text
	// only marked deleted would stay on disk.
	link(t, a, "slow", "+15550600013")
	a.must(200, "PATCH", "/api/v1/sessions/slow", map[string]any{"message_rate": 0.001, "message_burst": 1})
	var slow []string
	for range 3 {
		slow = append(slow, a.send("slow", bob, "filler")["id"].(string))
	}
	a.waitMessage("slow", slow[0], "delivered", 20*time.Second)
	var texts []string
	var ids []string
	for i := range 3 {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		text := "secret-" + strconv.Itoa(i) + "-" + hex.EncodeToString(b)
		texts = append(texts, text)
		ids = append(ids, a.send("nolog", bob, text)["id"].(string))
	}
	for i, id := range ids {
		if got := waitInbox(t, bob, id, 20*time.Second); got["text"] != texts[i] {
			t.Fatalf("phone got %v", got)
		}
		rec := a.waitMessage("nolog", id, "delivered", 20*time.Second)
		if rec["text"] != nil {
			t.Fatalf("delivered message still has its text: %v", rec)
		}
	}
	if l := a.must(200, "GET", "/api/v1/sessions/nolog/messages", nil)["messages"].([]any); len(l) != 0 {
		t.Fatalf("log with logging off: %v", l)
	}
	if rec := a.must(200, "GET", "/api/v1/sessions/slow/messages/"+slow[2], nil); rec["status"] != "pending" || rec["text"] != "filler" {
		t.Fatalf("queued message = %v, want pending with its text", rec)
	}
	// Erasure happens right after the status write; wait for the files to
	// be clean rather than for a fixed time.
	deadline := time.Now().Add(10 * time.Second)
	for {
		found := grepDir(t, dir, texts)
		if len(found) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("message text found after delivery in %v", found)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// grepDir returns the files under dir containing any of needles.
func grepDir(t *testing.T, dir string, needles []string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				found = append(found, path)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
