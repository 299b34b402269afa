package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// apiClient talks to the api processes (round robin) and to the simulator's
// control API, as a tenant and a phone would.
type apiClient struct {
	urls   []string
	simCtl string
	hc     *http.Client
	next   atomic.Uint64
}

func newAPIClient(urls []string, simCtl string) *apiClient {
	return &apiClient{urls: urls, simCtl: simCtl, hc: &http.Client{Timeout: 15 * time.Second}}
}

// do sends one request to base+path and decodes a JSON answer into out.
func (a *apiClient) do(ctx context.Context, method, url string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%w: %s %s: %d %s", errNotAccepted, method, url, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, url, err)
		}
	}
	return resp.StatusCode, nil
}

// base picks the next api.
func (a *apiClient) base() string {
	return a.urls[int(a.next.Add(1))%len(a.urls)]
}

func (a *apiClient) healthy(ctx context.Context, base string) error {
	if _, err := a.do(ctx, http.MethodGet, base+"/healthz", nil, nil); err != nil {
		return err
	}
	_, err := a.do(ctx, http.MethodGet, base+"/api/v1/sessions", nil, nil)
	return err
}

// create creates session id, retrying while the api answers 503 (NATS not
// reachable yet, or electing a leader).
func (a *apiClient) create(ctx context.Context, id string) error {
	for {
		code, err := a.do(ctx, http.MethodPost, a.base()+"/api/v1/sessions", map[string]string{"id": id}, nil)
		if code != http.StatusServiceUnavailable {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (a *apiClient) qr(ctx context.Context, id string) ([]string, error) {
	var out struct {
		QRCodes []string `json:"qr_codes"`
	}
	_, err := a.do(ctx, http.MethodGet, a.base()+"/api/v1/sessions/"+id+"/qr", nil, &out)
	return out.QRCodes, err
}

// action posts connect, disconnect, restart or logout and returns the id
// of the accepted command.
func (a *apiClient) action(ctx context.Context, id, verb string) (string, error) {
	var out struct {
		CommandID string `json:"command_id"`
	}
	_, err := a.do(ctx, http.MethodPost, a.base()+"/api/v1/sessions/"+id+"/"+verb, nil, &out)
	return out.CommandID, err
}

func (a *apiClient) status(ctx context.Context, id string) (string, error) {
	var out struct {
		Status string `json:"status"`
	}
	_, err := a.do(ctx, http.MethodGet, a.base()+"/api/v1/sessions/"+id+"/status", nil, &out)
	return out.Status, err
}

func (a *apiClient) simStats(ctx context.Context) (wasim.Stats, error) {
	var st wasim.Stats
	_, err := a.do(ctx, http.MethodGet, "http://"+a.simCtl+"/stats", nil, &st)
	return st, err
}

func (a *apiClient) scan(ctx context.Context, qr, phone, pushName string) error {
	_, err := a.do(ctx, http.MethodPost, "http://"+a.simCtl+"/phone/scan",
		map[string]string{"qr": qr, "phone": phone, "push_name": pushName}, nil)
	return err
}

var phoneSeq atomic.Int64

// link creates session id through the api, scans its first QR code on the
// simulator and waits until it is WORKING.
func (c *cluster) link(ctx context.Context, id string) (session.Record, error) {
	if err := c.api.create(ctx, id); err != nil {
		return session.Record{}, err
	}
	var codes []string
	for len(codes) == 0 {
		var err error
		if codes, err = c.api.qr(ctx, id); err != nil && ctx.Err() != nil {
			return session.Record{}, fmt.Errorf("qr of %s: %w", id, err)
		}
		if len(codes) == 0 {
			select {
			case <-ctx.Done():
				return session.Record{}, fmt.Errorf("qr of %s: %w", id, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	phone := fmt.Sprintf("1555%07d", phoneSeq.Add(1))
	if err := c.api.scan(ctx, codes[0], phone, "Phone "+id); err != nil {
		return session.Record{}, fmt.Errorf("scan of %s: %w", id, err)
	}
	for {
		if r, ok := c.obs.record(id); ok && r.State.Status == session.StatusWorking {
			return r, nil
		}
		select {
		case <-ctx.Done():
			r, _ := c.obs.record(id)
			return session.Record{}, fmt.Errorf("%s not WORKING (%s %q): %w", id, r.State.Status, r.State.LastError, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// linkAll links the sessions, conc at a time, and returns their records.
func (c *cluster) linkAll(ids []string, conc int) map[string]session.Record {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute+time.Duration(len(ids))*100*time.Millisecond)
	defer cancel()
	var (
		mu   sync.Mutex
		out  = map[string]session.Record{}
		errs []error
		wg   sync.WaitGroup
	)
	slots := make(chan struct{}, conc)
	for _, id := range ids {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r, err := c.link(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			out[id] = r
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		c.tb.Fatalf("%d of %d sessions not linked; first: %v", len(errs), len(ids), errs[0])
	}
	return out
}

// stats reads the simulator's counters, failing the test when it cannot.
func (c *cluster) stats() wasim.Stats {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.api.simStats(ctx)
	if err != nil {
		c.tb.Fatal(err)
	}
	return st
}

// sessionIDs returns n ids prefix-0 … prefix-(n-1).
func sessionIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return ids
}

// must fails tb on err.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
