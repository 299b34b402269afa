package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// pollEvery is how often a linking client re-reads the QR and the status.
// 64 clients polling every 20 ms spent ~12 % of the box in the load client
// and ~7 % of the gateway in answering polls (a CPU profile of linking), on
// the same two cores as the gateway they measured; 50 ms still resolves a
// link's latency to a twentieth of a second.
const pollEvery = 50 * time.Millisecond

// link creates session id, waits for its QR, has the simulated phone scan
// it and waits until the api says logged_in.
func (c *client) link(ctx context.Context, i int, id, phone string) error {
	base := c.api(i)
	if err := c.do(ctx, http.MethodPost, base+"/api/v1/sessions", map[string]string{"id": id}, nil); err != nil {
		return err
	}
	var qr string
	for qr == "" {
		var out struct {
			QRCodes []string `json:"qr_codes"`
		}
		if err := c.do(ctx, http.MethodGet, base+"/api/v1/sessions/"+id+"/qr", nil, &out); err != nil {
			return err
		}
		if len(out.QRCodes) > 0 {
			qr = out.QRCodes[0]
			break
		}
		if err := sleep(ctx, pollEvery); err != nil {
			return fmt.Errorf("no QR for %s: %w", id, err)
		}
	}
	scan := map[string]string{"qr": qr, "phone": phone, "push_name": "Load " + id}
	if err := c.scan(ctx, scan); err != nil {
		return err
	}
	for {
		var out struct {
			Status string `json:"status"`
		}
		if err := c.do(ctx, http.MethodGet, base+"/api/v1/sessions/"+id+"/status", nil, &out); err != nil {
			return err
		}
		if out.Status == "logged_in" {
			return nil
		}
		if err := sleep(ctx, pollEvery); err != nil {
			return fmt.Errorf("%s not logged in (%s): %w", id, out.Status, err)
		}
	}
}

// linkResult is what linking N sessions measured.
type linkResult struct {
	n, failed int
	took      time.Duration
	lat       []time.Duration
	firstErr  error
}

// linkAll links n sessions, conc at a time.
func (c *client) linkAll(ctx context.Context, prefix string, n, conc int) linkResult {
	var (
		next   atomic.Int64
		mu     sync.Mutex
		wg     sync.WaitGroup
		res    = linkResult{n: n}
		start  = time.Now()
		phone0 = 15550000000 + time.Now().Unix()%1000*100000
	)
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				id := fmt.Sprintf("%s-%d", prefix, i)
				t0 := time.Now()
				lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				err := c.link(lctx, w, id, fmt.Sprintf("+%d", phone0+int64(i)))
				cancel()
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					res.failed++
					if res.firstErr == nil {
						res.firstErr = err
					}
				} else {
					res.lat = append(res.lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.took = time.Since(start)
	slices.Sort(res.lat)
	return res
}

// pct is the q-quantile of sorted durations.
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
