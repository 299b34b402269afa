package wasim

import (
	"fmt"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types"
)

const (
	// maxInboxMessages bounds the messages a phone keeps; the oldest go first.
	maxInboxMessages = 10000
	// maxInboxBytes bounds the text a phone keeps (64 KiB texts add up).
	maxInboxBytes = 64 << 20
)

// ReceivedMessage is one message a simulated phone received and decrypted.
// The JSON names are part of the control API (GET /phones/{phone}/messages).
type ReceivedMessage struct {
	// ID is the WhatsApp message id the sender chose.
	ID string `json:"id"`
	// From is the sender's number ("+…").
	From string `json:"from"`
	// To is the chat's number ("+…"): the phone itself, or for a copy of a
	// message its own companion sent, the companion's destination.
	To string `json:"to"`
	// Text is the decrypted text; empty for messages that carry no text.
	Text string `json:"text"`
	// Time is when the phone received the message.
	Time time.Time `json:"time"`
}

// inboxEntry is a received message plus what the phone needs to answer it.
type inboxEntry struct {
	msg    ReceivedMessage
	sender *device   // the companion that sent it; nil for device-sent copies
	chat   types.JID // the chat as the sender addressed it (receipt "from")
}

// inbox is what a primary device received, oldest first, with duplicates
// (same sender, same id) dropped like a real phone drops them.
type inbox struct {
	mu      sync.Mutex
	entries []inboxEntry
	bytes   int
	seen    map[string]struct{} // sender number + "/" + id
}

func newInbox() *inbox {
	return &inbox{seen: make(map[string]struct{})}
}

func inboxKey(from, id string) string { return from + "/" + id }

// add appends e unless the same sender already delivered that id; it
// reports whether e is new.
func (b *inbox) add(e inboxEntry) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := inboxKey(e.msg.From, e.msg.ID)
	if _, dup := b.seen[key]; dup {
		return false
	}
	b.seen[key] = struct{}{}
	b.entries = append(b.entries, e)
	b.bytes += len(e.msg.Text)
	for len(b.entries) > maxInboxMessages || b.bytes > maxInboxBytes {
		old := b.entries[0]
		b.entries[0] = inboxEntry{}
		b.entries = b.entries[1:]
		b.bytes -= len(old.msg.Text)
		delete(b.seen, inboxKey(old.msg.From, old.msg.ID))
	}
	return true
}

// has reports whether the sender already delivered id.
func (b *inbox) has(from, id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.seen[inboxKey(from, id)]
	return ok
}

// list returns the messages after the one with id since (all when since
// is empty), oldest first.
func (b *inbox) list(since string) ([]ReceivedMessage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	start := 0
	if since != "" {
		start = -1
		for i := len(b.entries) - 1; i >= 0; i-- {
			if b.entries[i].msg.ID == since {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, fmt.Errorf("%w: since: no message %q in this inbox", ErrInvalidInput, since)
		}
	}
	out := make([]ReceivedMessage, 0, len(b.entries)-start)
	for _, e := range b.entries[start:] {
		out = append(out, e.msg)
	}
	return out, nil
}

// lookup returns the entries of ids, in the order given; any unknown id
// (or a device-sent copy, which has no one to answer) is an error.
func (b *inbox) lookup(ids []string) ([]inboxEntry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	byID := make(map[string]int, len(b.entries))
	for i, e := range b.entries {
		if e.sender != nil {
			byID[e.msg.ID] = i
		}
	}
	out := make([]inboxEntry, 0, len(ids))
	for _, id := range ids {
		i, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("%w: ids: no received message %q", ErrInvalidInput, id)
		}
		out = append(out, b.entries[i])
	}
	return out, nil
}
