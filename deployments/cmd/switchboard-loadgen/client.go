package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client talks to the gateway's HTTP api as a tenant and to the
// simulators' control APIs as the phones.
type client struct {
	apis    []string
	simCtls []string
	key     string
	hc      *http.Client
}

func newClient(apis, simCtls []string, key string, conc int) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: conc * 2, MaxConnsPerHost: conc * 4, IdleConnTimeout: time.Minute}
	return &client{apis: apis, simCtls: simCtls, key: key, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// do sends a request and decodes a JSON answer into out; an answer other
// than 2xx is an error.
func (c *client) do(ctx context.Context, method, url string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// api is the base URL of the i-th api, round robin.
func (c *client) api(i int) string { return c.apis[i%len(c.apis)] }

// simStats is the simulator's GET /stats.
type simStats struct {
	Connections int64 `json:"connections"`
	LoggedIn    int64 `json:"logged_in"`
	Handshakes  int64 `json:"handshakes"`
	Pairings    int64 `json:"pairings"`
	Replaced    int64 `json:"replaced"`
}

// stats sums every simulator's GET /stats.
func (c *client) stats(ctx context.Context) (simStats, error) {
	var sum simStats
	for _, ctl := range c.simCtls {
		var s simStats
		if err := c.do(ctx, http.MethodGet, "http://"+ctl+"/stats", nil, &s); err != nil {
			return sum, err
		}
		sum.Connections += s.Connections
		sum.LoggedIn += s.LoggedIn
		sum.Handshakes += s.Handshakes
		sum.Pairings += s.Pairings
		sum.Replaced += s.Replaced
	}
	return sum, nil
}

// scan has the phone scan qr on the simulator the device is connected to:
// with several, the others answer 404 no_pending_qr.
func (c *client) scan(ctx context.Context, body map[string]string) error {
	var err error
	for _, ctl := range c.simCtls {
		if err = c.do(ctx, http.MethodPost, "http://"+ctl+"/phone/scan", body, nil); err == nil ||
			!strings.Contains(err.Error(), "no_pending_qr") {
			return err
		}
	}
	return err
}

// loggedInByAPI counts the sessions the api lists as logged_in, page by
// page.
func (c *client) loggedInByAPI(ctx context.Context) (int, error) {
	n := 0
	for offset := 0; ; offset += 1000 {
		var page struct {
			Sessions []struct {
				Status string `json:"status"`
			} `json:"sessions"`
			Total int `json:"total"`
		}
		if err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/sessions?limit=1000&offset=%d", c.api(0), offset), nil, &page); err != nil {
			return 0, err
		}
		for _, s := range page.Sessions {
			if s.Status == "logged_in" {
				n++
			}
		}
		if offset+1000 >= page.Total {
			return n, nil
		}
	}
}

// waitUp polls url until it answers 2xx.
func (c *client) waitUp(ctx context.Context, url string) error {
	for {
		if err := c.do(ctx, http.MethodGet, url, nil, nil); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not up: %w", url, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
