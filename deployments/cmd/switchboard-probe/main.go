// Command switchboard-probe is the container image's health check and
// pre-stop helper: the image has no shell, curl or sleep.
//
//	switchboard-probe URL          exit 0 when GET URL answers 2xx, else 1
//	switchboard-probe -sleep 5s    wait, then exit 0 (a Kubernetes preStop)
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-probe:", err)
		os.Exit(1)
	}
}

func run() error {
	sleep := flag.Duration("sleep", 0, "wait this long and exit 0 instead of probing")
	timeout := flag.Duration("timeout", 3*time.Second, "probe timeout")
	flag.Parse()
	if *sleep > 0 {
		time.Sleep(*sleep)
		return nil
	}
	if flag.NArg() != 1 {
		return fmt.Errorf("usage: switchboard-probe URL | -sleep DURATION")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, flag.Arg(0), nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("probe: %s answered %d", flag.Arg(0), resp.StatusCode)
	}
	return nil
}
