// Command switchboard-demo walks a running gateway with the built-in
// simulator through linking a session: create, show the QR in the terminal,
// scan it with the simulated phone, wait until logged in, receive a message.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/mdp/qrterminal/v3"
)

func main() {
	api := flag.String("api", "http://127.0.0.1:3000", "gateway base URL")
	key := flag.String("key", os.Getenv("SWITCHBOARD_ADMIN_KEY"), "admin key")
	sim := flag.String("sim", "http://127.0.0.1:3999", "simulator control URL")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := run(ctx, client{api: *api, key: *key, sim: *sim}); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c client) error {
	id := fmt.Sprintf("demo-%d", time.Now().Unix())
	step("create session " + id)
	var created map[string]any
	if err := c.call(ctx, "POST", "/api/v1/sessions", map[string]any{"id": id, "name": "Demo"}, &created); err != nil {
		return err
	}
	show(created)

	step("wait for the QR code")
	var qr struct {
		Codes []string `json:"qr_codes"`
	}
	if err := c.until(ctx, func() (bool, error) {
		err := c.call(ctx, "GET", "/api/v1/sessions/"+id+"/qr", nil, &qr)
		return len(qr.Codes) > 0, err
	}); err != nil {
		return err
	}
	qrterminal.GenerateHalfBlock(qr.Codes[0], qrterminal.L, os.Stdout)

	step("scan it with the simulated phone +15550001111")
	var scanned map[string]any
	if err := c.simCall(ctx, "/phone/scan", map[string]any{"qr": qr.Codes[0], "phone": "+15550001111", "push_name": "Demo Phone"}, &scanned); err != nil {
		return err
	}
	show(scanned)

	step("wait until logged in")
	var status map[string]any
	if err := c.until(ctx, func() (bool, error) {
		err := c.call(ctx, "GET", "/api/v1/sessions/"+id+"/status", nil, &status)
		return status["status"] == "logged_in", err
	}); err != nil {
		return err
	}
	show(status)
	var device map[string]any
	if err := c.call(ctx, "GET", "/api/v1/sessions/"+id+"/device", nil, &device); err != nil {
		return err
	}
	show(device)

	step("disconnect and connect again: no new QR")
	if err := c.call(ctx, "POST", "/api/v1/sessions/"+id+"/disconnect", nil, nil); err != nil {
		return err
	}
	if err := c.until(ctx, func() (bool, error) {
		err := c.call(ctx, "GET", "/api/v1/sessions/"+id+"/status", nil, &status)
		return status["status"] == "disconnected", err
	}); err != nil {
		return err
	}
	if err := c.call(ctx, "POST", "/api/v1/sessions/"+id+"/connect", nil, nil); err != nil {
		return err
	}
	if err := c.until(ctx, func() (bool, error) {
		err := c.call(ctx, "GET", "/api/v1/sessions/"+id+"/status", nil, &status)
		return status["status"] == "logged_in", err
	}); err != nil {
		return err
	}
	show(status)

	step("a contact sends a message")
	if err := c.simCall(ctx, "/messages", map[string]any{"to": "+15550001111", "from": "+15559998888", "text": "hello from the simulator"}, nil); err != nil {
		return err
	}
	var stats map[string]any
	if err := c.simGet(ctx, "/stats", &stats); err != nil {
		return err
	}
	show(stats)
	step("done: session " + id + " is linked and logged in")
	return nil
}

func step(s string) { fmt.Printf("\n==> %s\n", s) }
