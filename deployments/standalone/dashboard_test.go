package standalone_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium (Debian's chromium package; .ci/run
// installs it). A missing browser fails the test: the dashboard is only
// tested in a real one.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("no Chromium on PATH: install Debian's chromium package (.ci/run does)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// Confirmation dialogs (disconnect, delete) are accepted.
	chromedp.ListenTarget(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(true)) }()
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestDashboardInChromium drives the dashboard as a person would: sign in
// through the URL fragment, create a session, see its QR code, link it by
// scanning that code with the simulated phone, watch the row turn
// logged_in without a reload, disconnect it, delete it.
func TestDashboardInChromium(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// / redirects to the dashboard; the key in the fragment signs in and
	// leaves the address bar.
	var loc, stored string
	run("open", chromedp.Navigate(a.base+"/#"),
		chromedp.Location(&loc))
	if !strings.HasSuffix(strings.TrimSuffix(loc, "#"), "/dashboard/") {
		t.Fatalf("/ led to %s, want /dashboard/", loc)
	}
	run("sign in", chromedp.Navigate(a.base+"/dashboard/#key="+adminKey),
		chromedp.WaitVisible("#app", chromedp.ByQuery),
		chromedp.Location(&loc),
		chromedp.Evaluate(`sessionStorage.getItem("switchboard.key")`, &stored),
		chromedp.Evaluate(`window.__noReload = true`, nil))
	if strings.Contains(loc, adminKey) || stored != adminKey {
		t.Fatalf("after sign-in: location %s, stored key %q", loc, stored)
	}

	// Create a session; its QR image appears.
	var code string
	row := `tr[data-id="browser-1"]`
	run("create", chromedp.SendKeys("#new-id", "browser-1", chromedp.ByQuery),
		chromedp.SendKeys("#new-name", "Browser one", chromedp.ByQuery),
		chromedp.Click(`#create-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(row, chromedp.ByQuery),
		chromedp.Poll(`(() => { const i = document.querySelector("#qr"); return !i.hidden && i.complete && i.naturalWidth > 0 && i.dataset.code })()`,
			&code, chromedp.WithPollingTimeout(30*time.Second)))
	if code == "" {
		t.Fatal("no QR code shown")
	}

	// Scan the code the page shows with the simulated phone.
	if st, out := simPost(t, "/phone/scan", map[string]any{"qr": code, "phone": "+15550001111", "push_name": "Browser"}); st != 200 {
		t.Fatalf("scan: %d %v", st, out)
	}
	var ok bool
	run("logged in live", chromedp.Poll(`document.querySelector('`+row+` [data-field=status]').textContent === "logged_in" && window.__noReload === true`,
		&ok, chromedp.WithPollingTimeout(30*time.Second)))

	var shot []byte
	run("screenshot", chromedp.FullScreenshot(&shot, 100))
	if out := os.Getenv("SWITCHBOARD_DASHBOARD_SCREENSHOT"); out != "" {
		if err := os.WriteFile(out, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if err := os.WriteFile(filepath.Join(t.TempDir(), "dashboard.png"), shot, 0o600); err != nil {
		t.Fatal(err)
	}

	// Disconnect (confirmed): the row changes by itself.
	run("disconnect", chromedp.Click(`button[data-action=disconnect]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('`+row+` [data-field=status]').textContent === "disconnected"`,
			&ok, chromedp.WithPollingTimeout(30*time.Second)))

	// Delete (confirmed): the row goes, and the session is gone.
	run("delete", chromedp.Click(`button[data-action=delete]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(row, chromedp.ByQuery))
	if st, _ := a.do("GET", "/api/v1/sessions/browser-1", nil); st != 404 {
		t.Fatalf("after delete: GET status %d", st)
	}
}
