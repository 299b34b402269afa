package wasim

import (
	"context"
	"fmt"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"
)

// maxQueuedReceipts bounds the receipts kept for an offline device.
const maxQueuedReceipts = 1024

// maxReadIDs bounds the ids of one MarkRead call.
const maxReadIDs = 1000

// PhoneInfo describes a registered WhatsApp account. The JSON names are part
// of the control API (POST /phones).
type PhoneInfo struct {
	// Phone is the number in international format ("+…").
	Phone string `json:"phone"`
	// JID is the account's phone-number JID (…@s.whatsapp.net).
	JID string `json:"jid"`
	// LID is the account's LID (…@lid).
	LID string `json:"lid"`
	// PushName is the account's display name.
	PushName string `json:"push_name"`
}

// RegisterPhone registers a WhatsApp account for phone with its primary
// device and no companion, so whatsmeow clients can message it; any number
// never registered (nor paired, nor used as a sender) is "not on WhatsApp".
// Registering again only updates a non-empty push name.
func (s *Server) RegisterPhone(phone, pushName string) (PhoneInfo, error) {
	p, err := normalizePhone(phone)
	if err != nil {
		return PhoneInfo{}, err
	}
	if len(pushName) > 256 {
		return PhoneInfo{}, fmt.Errorf("%w: push_name longer than 256 bytes", ErrInvalidInput)
	}
	s.mu.Lock()
	a := s.accountLocked(p, pushName)
	s.primaryLocked(a)
	info := PhoneInfo{Phone: "+" + a.phone, JID: types.NewJID(a.phone, types.DefaultUserServer).String(),
		LID: types.NewJID(a.lid, types.HiddenUserServer).String(), PushName: a.pushName}
	s.mu.Unlock()
	return info, nil
}

// primaryLocked returns the Signal store and inbox of a's primary device,
// creating them on first use. The caller holds s.mu.
func (s *Server) primaryLocked(a *account) (*sender, *inbox) {
	if a.sender == nil {
		a.sender = newSender(a)
	}
	if a.inbox == nil {
		a.inbox = newInbox()
	}
	return a.sender, a.inbox
}

// phoneAccount finds the registered account of a number (digits, "+" optional).
func (s *Server) phoneAccount(phone string) (*account, *inbox, error) {
	p, err := normalizePhone(phone)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[p]
	if a == nil {
		return nil, nil, fmt.Errorf("%w: +%s", ErrUnknownPhone, p)
	}
	_, box := s.primaryLocked(a)
	return a, box, nil
}

// PhoneMessages returns what the phone received and decrypted, oldest
// first; with since, only the messages after that id.
func (s *Server) PhoneMessages(phone, since string) ([]ReceivedMessage, error) {
	_, box, err := s.phoneAccount(phone)
	if err != nil {
		return nil, err
	}
	return box.list(since)
}

// MarkRead makes the phone read the received messages ids: each sender
// device gets a read receipt (at once when it is connected, else on its
// next login). Unknown ids are ErrInvalidInput and nothing is sent.
func (s *Server) MarkRead(_ context.Context, phone string, ids []string) error {
	if len(ids) == 0 || len(ids) > maxReadIDs {
		return fmt.Errorf("%w: ids: want 1..%d message ids", ErrInvalidInput, maxReadIDs)
	}
	_, box, err := s.phoneAccount(phone)
	if err != nil {
		return err
	}
	entries, err := box.lookup(ids)
	if err != nil {
		return err
	}
	type key struct {
		dev  *device
		chat types.JID
	}
	groups := make(map[key][]string)
	var order []key
	for _, e := range entries {
		k := key{e.sender, e.chat}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e.msg.ID)
	}
	for _, k := range order {
		s.sendReceipt(k.dev, receiptNode(k.chat, groups[k], "read"))
	}
	return nil
}

// receiptNode is <receipt from=chat id=first [type] t><list><item id/>…</list></receipt>.
func receiptNode(chat types.JID, ids []string, typ string) waBinary.Node {
	n := waBinary.Node{Tag: "receipt", Attrs: waBinary.Attrs{
		"from": chat, "id": ids[0], "t": strconv.FormatInt(time.Now().Unix(), 10),
	}}
	if typ != "" {
		n.Attrs["type"] = typ
	}
	if len(ids) > 1 {
		items := make([]waBinary.Node, len(ids)-1)
		for i, id := range ids[1:] {
			items[i] = waBinary.Node{Tag: "item", Attrs: waBinary.Attrs{"id": id}}
		}
		n.Content = []waBinary.Node{{Tag: "list", Content: items}}
	}
	return n
}

// sendReceipt sends a receipt to a companion device, or queues it until the
// device logs in again, as WhatsApp holds stanzas for offline devices.
func (s *Server) sendReceipt(dev *device, n waBinary.Node) {
	s.mu.Lock()
	c := dev.conn
	if c == nil || c.closing {
		if !dev.removed {
			if len(dev.queued) >= maxQueuedReceipts {
				dev.queued = dev.queued[1:]
			}
			dev.queued = append(dev.queued, n)
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if err := c.sendNode(n); err != nil {
		s.log.Debug("receipt not sent", zap.Stringer("jid", dev.jid), zap.Error(err))
	}
}

// flushQueued sends what waited for a device that just logged in on c.
func (s *Server) flushQueued(c *conn) {
	s.mu.Lock()
	var queued []waBinary.Node
	if c.dev != nil {
		queued, c.dev.queued = c.dev.queued, nil
	}
	s.mu.Unlock()
	for _, n := range queued {
		c.sendQuiet(n)
	}
}
