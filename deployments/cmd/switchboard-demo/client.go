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

type client struct {
	api, key, sim string
}

func (c client) call(ctx context.Context, method, path string, body, out any) error {
	return c.do(ctx, method, c.api+path, c.key, body, out)
}

func (c client) simCall(ctx context.Context, path string, body, out any) error {
	return c.do(ctx, http.MethodPost, c.sim+path, "", body, out)
}

func (c client) simGet(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, c.sim+path, "", nil, out)
}

func (c client) do(ctx context.Context, method, url, key string, body, out any) error {
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
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

// until polls f every 200 ms until it reports done or ctx ends.
func (c client) until(ctx context.Context, f func() (bool, error)) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		done, err := f()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func show(v any) {
	b, _ := json.MarshalIndent(v, "    ", "  ")
	fmt.Printf("    %s\n", b)
}
