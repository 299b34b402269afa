package worker

import "time"

// SetQRWindow shortens how long a QR registration waits for a scan; call it
// before Start.
func (w *Worker) SetQRWindow(d time.Duration) { w.deps.QRWindow = d }
