package worker

import (
	"time"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/worker/pacer"
)

// SetQRWindow shortens how long a QR registration waits for a scan; call it
// before Start.
func (w *Worker) SetQRWindow(d time.Duration) { w.deps.QRWindow = d }

// WrapDevices puts wrap's result between the sessions and the device store;
// call it before Start.
func (w *Worker) WrapDevices(wrap func(devstore.Links) devstore.Links) {
	w.deps.Devices = wrap(w.deps.Devices)
}

// SetLoadChunk sets how many sessions a starting shard marks, preloads and
// queues at a time; call it before Start.
func (w *Worker) SetLoadChunk(n int) { w.loadChunk = n }

// QueueConnects queues n pacer jobs that do nothing, as n sessions waiting
// to connect; they are dropped once stale reports true.
func (w *Worker) QueueConnects(n int, stale func() bool) {
	jobs := make([]pacer.Job, n)
	for i := range jobs {
		jobs[i] = pacer.Job{Run: func() {}, Stale: stale}
	}
	w.pacer.Submit(jobs...)
}

// Loading is how many sessions starting shards have yet to queue.
func (w *Worker) Loading() int64 { return w.deps.Loading.Load() }

// AddLoading counts n more sessions as loading (negative: fewer).
func (w *Worker) AddLoading(n int64) { w.deps.Loading.Add(n) }
