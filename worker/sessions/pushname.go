package sessions

import (
	"strconv"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// The linked account's push name reaches whatsmeow only through app-state
// sync (critical_block, record setting_pushName). Two paths deliver it:
//
//   - The full sync after linking. whatsmeow stores the name in
//     Store.PushName but emits PushNameSetting only with
//     EmitAppStateEventsOnFullSync, which we leave off on purpose: it would
//     also emit one event per chat setting and contact of every full sync
//     and turns off the bulk contact insert of critical_unblock_low, a real
//     cost for accounts with large address books, to learn one value that
//     whatsmeow has already stored when AppStateSyncComplete fires. So
//     AppStateSyncComplete(critical_block) is turned into pushNameSynced,
//     carrying Store.PushName read in whatsmeow's dispatching goroutine
//     right after it was written.
//   - A later change, fetched incrementally after a server_sync
//     notification: events.PushNameSetting.
//
// On every (re)connect onConnected also copies Store.PushName, which
// whatsmeow saved in the device store, so the name survives restarts.

// pushNameSynced is the push name whatsmeow holds after a full sync of
// critical_block.
type pushNameSynced struct {
	name string
}

// pushNameEvent replaces a completed critical_block full sync by the name it
// stored; every other event passes unchanged.
func pushNameEvent(cli *whatsmeow.Client, evt any) any {
	if e, ok := evt.(*events.AppStateSyncComplete); ok && e.Name == appstate.WAPatchCriticalBlock {
		return &pushNameSynced{name: cli.Store.PushName}
	}
	return evt
}

// onPushName records a push name learned from app-state sync. An empty
// name (a sync without the record) or the name already shown writes nothing.
func (s *Session) onPushName(name string) error {
	if name == "" || name == s.snap.Record.State.PushName {
		return nil
	}
	return s.write(func(x *session.State) { x.PushName = name })
}

// publishPushName announces a push name that changed in a state write.
func (s *Session) publishPushName(prev, cur session.State) {
	if cur.PushName == "" || cur.PushName == prev.PushName {
		return
	}
	s.publish(event.PushNameChanged, strconv.FormatUint(s.snap.Revision, 10), event.PushName{
		PushName: cur.PushName, Previous: prev.PushName,
	})
}
