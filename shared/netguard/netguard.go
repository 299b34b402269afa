// Package netguard refuses outbound connections that a tenant could aim at
// the gateway's own network: loopback, private, link-local, CGNAT,
// unspecified, multicast and other special-purpose addresses, in every
// spelling (IPv4-mapped IPv6 included). The check runs at dial time, after
// DNS resolution, on every connection (net.Dialer.Control), so DNS
// rebinding, redirects and proxies cannot get around it; CheckURL refuses
// the same targets written literally in a URL, at create time.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked is returned (wrapped) for a refused address.
var ErrBlocked = errors.New("netguard: address not allowed")

// blocked lists the special-purpose ranges refused unless allowed. IPv4
// forms inside IPv6 (mapped, compatible, NAT64, 6to4, Teredo) are unmapped
// or refused as a whole.
var blocked = mustPrefixes(
	"0.0.0.0/8",       // "this network", unspecified
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // CGNAT
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, broadcast
	"::/128",          // unspecified
	"::1/128",         // loopback
	"::/96",           // IPv4-compatible (deprecated)
	"64:ff9b::/96",    // NAT64
	"64:ff9b:1::/48",  // local NAT64
	"100::/64",        // discard
	"2001::/32",       // Teredo
	"2001:db8::/32",   // documentation
	"2002::/16",       // 6to4
	"fc00::/7",        // unique local (fd00:ec2::254 is AWS metadata)
	"fe80::/10",       // link-local
	"fec0::/10",       // site-local (deprecated)
	"ff00::/8",        // multicast
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Policy decides which addresses may be dialled. The zero Policy refuses
// every special-purpose address.
type Policy struct {
	// AllowPrivate allows every address (SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE):
	// for tests, demos and receivers on the operator's own network.
	AllowPrivate bool
	// Allow lists ranges allowed although special-purpose
	// (SWITCHBOARD_WEBHOOK_ALLOW_CIDRS).
	Allow []netip.Prefix
}

// ParseCIDRs parses a comma-separated list of CIDRs (or bare addresses).
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("netguard: %q is not an address or CIDR", part)
			}
			part = netip.PrefixFrom(a, a.BitLen()).String()
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("netguard: %q is not a CIDR", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Allowed reports whether a may be dialled.
func (p Policy) Allowed(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	if p.AllowPrivate {
		return true
	}
	for _, pre := range p.Allow {
		if pre.Contains(a) {
			return true
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, pre := range blocked {
		if pre.Contains(a) {
			return false
		}
	}
	return true
}

// Control is a net.Dialer.Control function: it runs for every connection
// attempt with the resolved address and refuses what the policy refuses.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable %s address", ErrBlocked, network)
	}
	if !p.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlocked, ap.Addr().Unmap())
	}
	return nil
}

// Dialer returns a dialer that enforces the policy on every connection.
func (p Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.Control}
}

// Transport returns an HTTP transport that dials only allowed addresses and
// ignores HTTP_PROXY and friends: a proxy would dial on the tenant's behalf,
// out of the guard's sight.
func (p Policy) Transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	d := p.Dialer(10 * time.Second)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		// Literal and well-known hosts are refused before any DNS query;
		// Control then checks every address a name resolves to.
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBlocked, err)
		}
		if err := p.CheckHost(host); err != nil {
			return nil, err
		}
		return d.DialContext(ctx, network, addr)
	}
	return tr
}
