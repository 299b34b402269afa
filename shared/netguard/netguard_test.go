package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/netguard"
)

// The address forms, plus more spellings of the same targets.
var refusedHosts = []string{
	"127.0.0.1", "localhost", "LOCALHOST.", "foo.localhost", "0.0.0.0", "[::1]", "[::ffff:127.0.0.1]",
	"[::ffff:7f00:1]", "2130706433", "127.1", "0x7f.1", "0177.0.0.1", "0x7f000001", "127.0.1",
	"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.1", "169.254.169.254",
	"[fd00:ec2::254]", "metadata.google.internal", "100.64.0.1", "[fe80::1]", "[fe80::1%25eth0]",
	"224.0.0.1", "[::]", "[::ffff:10.0.0.1]", "[64:ff9b::7f00:1]", "1.2.3.4.5", "0",
}

func TestCheckURLRefusesEveryForm(t *testing.T) {
	var p netguard.Policy
	for _, h := range refusedHosts {
		u := "http://" + h + ":8080/hook"
		if err := p.CheckURL(u); !errors.Is(err, netguard.ErrInvalidURL) {
			t.Errorf("CheckURL(%s) = %v, want refused", u, err)
		}
	}
	for _, u := range []string{"https://hooks.example.com/x?token=1", "http://8.8.8.8/", "https://[2606:4700::1111]/",
		"http://1example.com/", "https://hooks.example.com:8443/a"} {
		if err := p.CheckURL(u); err != nil {
			t.Errorf("CheckURL(%s) = %v, want allowed", u, err)
		}
	}
	for _, u := range []string{"ftp://example.com/", "/relative", "http://", "mailto:a@b", "http:opaque"} {
		if err := p.CheckURL(u); !errors.Is(err, netguard.ErrInvalidURL) {
			t.Errorf("CheckURL(%s) = %v, want invalid", u, err)
		}
	}
	open := netguard.Policy{AllowPrivate: true}
	for _, u := range []string{"http://127.0.0.1:1/", "http://localhost:1/", "http://[::1]:1/", "http://10.0.0.1/"} {
		if err := open.CheckURL(u); err != nil {
			t.Errorf("allow-private CheckURL(%s) = %v", u, err)
		}
	}
}

func TestAllowedAndCIDRs(t *testing.T) {
	allow, err := netguard.ParseCIDRs(" 10.1.0.0/16, 127.0.0.2 ,fd00::/8")
	if err != nil || len(allow) != 3 {
		t.Fatalf("ParseCIDRs: %v %v", allow, err)
	}
	p := netguard.Policy{Allow: allow}
	for a, want := range map[string]bool{
		"10.1.2.3": true, "10.2.0.1": false, "127.0.0.2": true, "127.0.0.1": false, "::ffff:10.1.0.9": true,
		"fd00:ec2::254": true, "8.8.8.8": true, "::ffff:127.0.0.1": false, "::1": false,
	} {
		if got := p.Allowed(netip.MustParseAddr(a)); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", a, got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "nope", "1.2.3.4/x"} {
		if _, err := netguard.ParseCIDRs(bad); err == nil {
			t.Errorf("ParseCIDRs(%q) accepted", bad)
		}
	}
}

// canary is a loopback HTTP server that must receive nothing.
type canary struct {
	hits atomic.Int64
	port string
}

func newCanary(t *testing.T, network, addr string) *canary {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	c := &canary{}
	_, c.port, _ = net.SplitHostPort(ln.Addr().String())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { c.hits.Add(1) }), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return c
}

// Every loopback spelling is refused at dial time, even when the URL check
// is bypassed (as a DNS name resolving to loopback would be), and the
// canary listening there sees no connection. With AllowPrivate the same
// client reaches it, so the test can fail.
func TestDialGuardAgainstCanary(t *testing.T) {
	v4 := newCanary(t, "tcp4", "127.0.0.1:0")
	forms := []string{"127.0.0.1", "localhost", "0.0.0.0", "[::ffff:127.0.0.1]", "2130706433", "127.1", "0x7f.1", "0177.0.0.1"}
	var v6 *canary
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		_ = ln.Close()
		v6 = newCanary(t, "tcp6", "[::1]:0")
	}
	guarded := &http.Client{Transport: netguard.Policy{}.Transport(), Timeout: 5 * time.Second}
	ctx := context.Background()
	try := func(c *http.Client, host, port string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+host+":"+port+"/", strings.NewReader("{}"))
		resp, err := c.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		return err
	}
	for _, h := range forms {
		err := try(guarded, h, v4.port)
		if err == nil {
			t.Errorf("%s: request went through", h)
		} else if !errors.Is(err, netguard.ErrBlocked) {
			t.Errorf("%s: %v, want blocked", h, err)
		}
	}
	if v6 != nil {
		if err := try(guarded, "[::1]", v6.port); !errors.Is(err, netguard.ErrBlocked) {
			t.Errorf("[::1]: %v", err)
		}
		if n := v6.hits.Load(); n != 0 {
			t.Errorf("v6 canary hit %d times", n)
		}
	}
	if n := v4.hits.Load(); n != 0 {
		t.Fatalf("canary hit %d times", n)
	}
	open := &http.Client{Transport: netguard.Policy{AllowPrivate: true}.Transport(), Timeout: 5 * time.Second}
	if err := try(open, "127.0.0.1", v4.port); err != nil || v4.hits.Load() != 1 {
		t.Fatalf("allow-private: %v, hits %d", err, v4.hits.Load())
	}
	allow, _ := netguard.ParseCIDRs("127.0.0.0/8")
	cidr := &http.Client{Transport: netguard.Policy{Allow: allow}.Transport(), Timeout: 5 * time.Second}
	if err := try(cidr, "127.0.0.1", v4.port); err != nil || v4.hits.Load() != 2 {
		t.Fatalf("allow cidr: %v, hits %d", err, v4.hits.Load())
	}
}
