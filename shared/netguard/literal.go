package netguard

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalidURL is returned (wrapped) by CheckURL.
var ErrInvalidURL = fmt.Errorf("netguard: webhook url not allowed")

// blockedNames are host names that always mean this machine or a cloud
// metadata service.
var blockedNames = []string{
	"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback",
	"metadata", "metadata.google.internal", "metadata.goog", "instance-data",
	"instance-data.ec2.internal",
}

// CheckURL refuses, before any DNS lookup, a webhook URL that is not
// absolute http(s) or whose host is written as a refused address in any
// form the resolver accepts (2130706433, 127.1, 0x7f.0.0.1, [::ffff:127.0.0.1]…)
// or is a name for this machine or a metadata service. Names that resolve
// to refused addresses are caught at dial time instead.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: not an absolute http or https url", ErrInvalidURL)
	}
	if err := p.CheckHost(u.Hostname()); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	return nil
}

// CheckHost refuses, without any lookup, a host that is a refused address
// in any spelling, a malformed numeric host, or a name for this machine or
// a metadata service. Errors wrap ErrBlocked.
func (p Policy) CheckHost(host string) error {
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" {
		return fmt.Errorf("%w: no host", ErrBlocked)
	}
	if a, ok := literalAddr(host); ok {
		if !p.Allowed(a) {
			return fmt.Errorf("%w: %s is a private, loopback or reserved address", ErrBlocked, a.Unmap())
		}
		return nil
	}
	if looksNumeric(host) {
		return fmt.Errorf("%w: malformed numeric host", ErrBlocked)
	}
	if p.AllowPrivate {
		return nil
	}
	if slices.Contains(blockedNames, host) || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s names this machine or a metadata service", ErrBlocked, host)
	}
	return nil
}

// literalAddr parses host as an IP address in any spelling inet_aton or
// getaddrinfo would accept: IPv6 (with zone), dotted quad, and the one- to
// three-part decimal, octal and hex forms.
func literalAddr(host string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, true
	}
	return parseLegacyIPv4(host)
}

// parseLegacyIPv4 parses "a", "a.b", "a.b.c" and "a.b.c.d" with each part
// decimal, octal (leading 0) or hex (0x), the last part filling the
// remaining bytes, as inet_aton does.
func parseLegacyIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := parseInetPart(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := range last {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
		n |= vals[i] << (8 * (3 - i))
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

func parseInetPart(p string) (uint64, bool) {
	if p == "" {
		return 0, false
	}
	base := 10
	switch {
	case strings.HasPrefix(p, "0x"):
		base, p = 16, p[2:]
		if p == "" {
			return 0, true
		}
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	v, err := strconv.ParseUint(p, base, 32)
	return v, err == nil
}

// looksNumeric reports whether every dot-separated label of host starts
// with a digit: such a host is an address attempt that did not parse, and
// some resolvers would still read it as one.
func looksNumeric(host string) bool {
	for _, l := range strings.Split(host, ".") {
		if l == "" || l[0] < '0' || l[0] > '9' {
			return false
		}
	}
	return true
}
