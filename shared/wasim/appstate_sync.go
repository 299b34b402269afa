package wasim

import (
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"
)

// maxSyncCollections bounds the collections asked in one sync IQ.
const maxSyncCollections = 5

// collectionAsk is one <collection> of a sync request.
type collectionAsk struct {
	name string
	from uint64 // the client's version; 0 for a full sync
}

// parseSyncAsks reads <sync><collection name=… [version=N] return_snapshot=…/>…</sync>.
// A full sync (return_snapshot="true", no version) starts from 0.
func parseSyncAsks(node *waBinary.Node) ([]collectionAsk, bool) {
	sync, ok := node.GetOptionalChildByTag("sync")
	if !ok {
		return nil, false
	}
	cols := sync.GetChildrenByTag("collection")
	if len(cols) == 0 || len(cols) > maxSyncCollections {
		return nil, false
	}
	asks := make([]collectionAsk, 0, len(cols))
	for _, col := range cols {
		name, _ := col.Attrs["name"].(string)
		if !knownCollection(name) {
			return nil, false
		}
		ask := collectionAsk{name: name}
		if v, has := col.Attrs["version"]; has {
			str, _ := v.(string)
			n, err := strconv.ParseUint(str, 10, 64)
			if err != nil {
				return nil, false
			}
			ask.from = n
		}
		if snap, _ := col.Attrs["return_snapshot"].(string); snap == "true" {
			ask.from = 0
		}
		asks = append(asks, ask)
	}
	return asks, true
}

// onAppStateSync answers <iq xmlns="w:sync:app:state" type="set">. Every
// request gets an answer: critical_block carries the push-name patch while
// the client is behind, the other collections are empty, a malformed
// request is error 400, a version the server never had is error 409, and a
// connection without a logged-in device gets 401. A device that somehow
// asks before it got the sync key is sent the key first; whatsmeow fetches
// again when the key arrives.
func (s *Server) onAppStateSync(c *conn, id string, node *waBinary.Node) {
	asks, ok := parseSyncAsks(node)
	if !ok {
		c.reply(iqError(id, 400, "bad-request"))
		return
	}
	corrupt := s.faults.Load().CorruptPatchMAC
	s.mu.Lock()
	dev := c.dev
	if dev == nil {
		s.mu.Unlock()
		c.reply(iqError(id, 401, "not-authorized"))
		return
	}
	needKey := !dev.keyShared
	st, err := s.appStateLocked(dev.acct)
	var cols []waBinary.Node
	for _, ask := range asks {
		if err != nil {
			break
		}
		col := waBinary.Node{Tag: "collection", Attrs: waBinary.Attrs{"name": ask.name}}
		if ask.name == collCriticalBlock {
			if ask.from > st.version {
				s.mu.Unlock()
				c.reply(iqError(id, 409, "conflict"))
				return
			}
			col.Attrs["version"] = strconv.FormatUint(st.version, 10)
			var patch []byte
			if patch, err = st.patchFor(ask.from, corrupt); patch != nil {
				col.Content = []waBinary.Node{{Tag: "patches", Content: []waBinary.Node{{Tag: "patch", Content: patch}}}}
			}
		}
		cols = append(cols, col)
	}
	s.mu.Unlock()
	if err != nil {
		s.log.Error("app state patch not built", zap.Error(err))
		c.reply(iqError(id, 500, "internal-server-error"))
		return
	}
	if needKey {
		s.shareAppStateKey(s.ctx, c)
	}
	s.stats.appSyncs.Add(int64(len(cols)))
	c.reply(iqResult(id, waBinary.Node{Tag: "sync", Content: cols}))
}

// serverSyncNotification tells a client that collection moved to version,
// so it fetches the new patches (whatsmeow handleAppStateNotification).
func serverSyncNotification(collection string, version uint64) waBinary.Node {
	return waBinary.Node{
		Tag: "notification",
		Attrs: waBinary.Attrs{
			"from": types.ServerJID, "type": "server_sync", "id": newID(),
			"t": strconv.FormatInt(time.Now().Unix(), 10),
		},
		Content: []waBinary.Node{{
			Tag:   "collection",
			Attrs: waBinary.Attrs{"name": collection, "version": strconv.FormatUint(version, 10)},
		}},
	}
}
