package worker

import (
	"time"

	"github.com/switchboard-gw/switchboard/shared/devstore"
)

// SetQRWindow shortens how long a QR registration waits for a scan; call it
// before Start.
func (w *Worker) SetQRWindow(d time.Duration) { w.deps.QRWindow = d }

// WrapDevices puts wrap's result between the sessions and the device store;
// call it before Start.
func (w *Worker) WrapDevices(wrap func(devstore.Links) devstore.Links) {
	w.deps.Devices = wrap(w.deps.Devices)
}
