package egress

import (
	"context"
	"net/netip"
	"testing"

	hub "github.com/bizoshub/bizos"
)

func TestAllowed(t *testing.T) {
	open, _ := ParsePolicy("")
	dev, err := ParsePolicy("127.0.0.0/8, 10.1.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr      string
		open, dev bool
	}{
		{"93.184.216.34", true, true},
		{"2606:4700::1111", true, true},
		{"127.0.0.1", false, true},
		{"10.1.2.3", false, true},
		{"10.2.0.1", false, false},
		{"192.168.1.1", false, false},
		{"172.20.0.1", false, false},
		{"169.254.169.254", false, false},
		{"::1", false, false},
		{"::ffff:127.0.0.1", false, true},
		{"fe80::1", false, false},
		{"fd00:ec2::254", false, false},
		{"0.0.0.0", false, false},
		{"100.100.100.200", false, false},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if got := open.Allowed(a); got != tt.open {
			t.Errorf("default policy Allowed(%s) = %v, want %v", tt.addr, got, tt.open)
		}
		if got := dev.Allowed(a); got != tt.dev {
			t.Errorf("allow-list policy Allowed(%s) = %v, want %v", tt.addr, got, tt.dev)
		}
	}
	if _, err := ParsePolicy("not-a-cidr"); err == nil {
		t.Error("bad CIDR accepted")
	}
}

func TestCheckURL(t *testing.T) {
	p, _ := ParsePolicy("")
	for _, raw := range []string{"ftp://example.com", "http://", "http://user:pw@example.com", "http://127.0.0.1:8080",
		"http://localhost", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "not a url"} {
		if _, err := p.CheckURL(context.Background(), "site_url", raw); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("CheckURL(%q) = %v, want invalid", raw, err)
		}
	}
	allowLoopback, _ := ParsePolicy("127.0.0.0/8")
	if _, err := allowLoopback.CheckURL(context.Background(), "site_url", "http://127.0.0.1:8089"); err != nil {
		t.Errorf("allow-listed loopback refused: %v", err)
	}
}
