package worker

import (
	"sync"

	"go.mau.fi/whatsmeow/store"
)

// osName is how linked devices running on Switchboard show on the phone.
const osName = "Switchboard"

var globalsOnce sync.Once

// setGlobals writes whatsmeow's process-wide settings once, before any
// client of this process connects; writing them later would race with the
// handshakes that read them.
func setGlobals() {
	globalsOnce.Do(func() {
		store.SetOSInfo(osName, [3]uint32{0, 1, 0})
	})
}
