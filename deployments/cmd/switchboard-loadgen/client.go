package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// client talks to the gateway's HTTP api as a tenant and to the simulator's
// control API as the phones.
type client struct {
	apis   []string
	simCtl string
	key    string
	hc     *http.Client
}

func newClient(apis []string, simCtl, key string, conc int) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: conc * 2, MaxConnsPerHost: conc * 4, IdleConnTimeout: time.Minute}
	return &client{apis: apis, simCtl: simCtl, key: key, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
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

func (c *client) stats(ctx context.Context) (simStats, error) {
	var s simStats
	err := c.do(ctx, http.MethodGet, "http://"+c.simCtl+"/stats", nil, &s)
	return s, err
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
