// Package egress guards outbound calls to addresses that tenants supply (site
// URLs, webhook endpoints): after DNS resolution it refuses private,
// loopback, link-local, multicast and cloud-metadata addresses unless an
// operator allow-list (BIZOS_EGRESS_ALLOW) permits them. The check runs in
// the dialer, so a DNS answer that changes between check and connect
// (rebinding) is caught too.
package egress

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	hub "github.com/bizoshub/bizos"
)

// Policy decides which addresses outbound calls may reach.
type Policy struct {
	allow []netip.Prefix
}

// ParsePolicy reads a comma-separated list of CIDRs that are allowed even
// though they are private (for example "127.0.0.0/8" in development).
func ParsePolicy(allow string) (*Policy, error) {
	p := &Policy{}
	for _, s := range strings.Split(allow, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("egress: %q is not a CIDR: %w", s, err)
		}
		p.allow = append(p.allow, prefix.Masked())
	}
	return p, nil
}

var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// Allowed reports whether the address may be reached.
func (p *Policy) Allowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, a := range p.allow {
		if a.Contains(addr) {
			return true
		}
	}
	for _, b := range blocked {
		if b.Contains(addr) {
			return false
		}
	}
	return addr.IsGlobalUnicast()
}

// CheckURL validates a tenant-supplied URL: http(s), a host, and every
// address the host resolves to allowed. Failures are EINVALID naming field.
func (p *Policy) CheckURL(ctx context.Context, field, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, hub.InvalidField(field, "must be an http or https URL without credentials")
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		return nil, hub.InvalidField(field, fmt.Sprintf("host %q does not resolve", u.Hostname()))
	}
	for _, a := range addrs {
		if !p.Allowed(a) {
			return nil, hub.InvalidField(field, fmt.Sprintf("resolves to %s, a private, loopback, link-local or metadata address the hub does not call", a))
		}
	}
	return u, nil
}

// Control is a net.Dialer Control function that refuses disallowed addresses
// at connect time.
func (p *Policy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress: %s: %w", address, err)
	}
	if !p.Allowed(ap.Addr()) {
		return &hub.Error{Code: hub.EINVALID, Message: fmt.Sprintf("The address %s is not allowed for outbound calls.", ap.Addr())}
	}
	return nil
}

// Transport returns an HTTP transport whose connections obey the policy.
func (p *Policy) Transport() *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.Control}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
