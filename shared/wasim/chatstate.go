package wasim

import (
	"sync"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// maxChatStates bounds the chat states the simulator remembers.
const maxChatStates = 10000

// ChatState is a typing indicator a companion sent ("composing", "paused").
type ChatState struct {
	// From is the sender's number ("+…"), To the chat's.
	From  string    `json:"from"`
	To    string    `json:"to"`
	State string    `json:"state"`
	Time  time.Time `json:"time"`
}

// chatStates remembers the latest chat states, oldest first.
type chatStates struct {
	mu   sync.Mutex
	list []ChatState
}

// onChatState records a <chatstate> node; it needs no answer.
func (s *Server) onChatState(node *waBinary.Node) {
	to, ok := node.Attrs["to"].(types.JID)
	if !ok {
		return
	}
	from, _ := node.Attrs["from"].(types.JID)
	children := node.GetChildren()
	if len(children) == 0 {
		return
	}
	cs := ChatState{From: "+" + from.User, To: "+" + to.User, State: children[0].Tag, Time: time.Now()}
	l := &s.chats
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, cs)
	if len(l.list) > maxChatStates {
		l.list = l.list[len(l.list)-maxChatStates:]
	}
}

// ChatStates returns the chat states companions sent to phone ("+…"),
// oldest first.
func (s *Server) ChatStates(phone string) []ChatState {
	l := &s.chats
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []ChatState
	for _, cs := range l.list {
		if cs.To == phone {
			out = append(out, cs)
		}
	}
	return out
}
