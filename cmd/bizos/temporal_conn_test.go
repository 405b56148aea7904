package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/bizoshub/bizos/devtemporal"
)

// testPKI is a CA with a server certificate for "temporal.test" and a
// client certificate, written as PEM files.
type testPKI struct {
	ca                    *x509.CertPool
	caFile                string
	server                tls.Certificate
	clientCert, clientKey string
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, usage x509.ExtKeyUsage, dns []string) (certPEM, keyPEM []byte) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "bizos"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			DNSNames: dns, ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := testPKI{ca: x509.NewCertPool()}
	p.ca.AddCert(caCert)
	p.caFile = write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	sc, sk := issue(2, x509.ExtKeyUsageServerAuth, []string{"temporal.test"})
	if p.server, err = tls.X509KeyPair(sc, sk); err != nil {
		t.Fatal(err)
	}
	cc, ck := issue(3, x509.ExtKeyUsageClientAuth, nil)
	p.clientCert, p.clientKey = write("client.pem", cc), write("client-key.pem", ck)
	return p
}

// mtlsFront terminates TLS, requiring a client certificate of the CA, in
// front of the plain gRPC listener at backend, as a TLS-only Temporal
// frontend (or Temporal Cloud) does.
func mtlsFront(t *testing.T, pki testPKI, backend string) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pki.server},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.ca, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return
				}
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				go io.Copy(b, c)
				io.Copy(c, b)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestTemporalMTLS connects to Temporal through a frontend that demands a
// client certificate: with TEMPORAL_TLS_CERT, _KEY, _CA and _SERVER_NAME the
// client is served; without the certificate, or trusting the wrong CA, it is
// refused.
func TestTemporalMTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devtemporal.Start(ctx, devtemporal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	pki := newTestPKI(t)
	front := mtlsFront(t, pki, srv.Address())

	dial := func(cfg *Config) error {
		conn, creds, err := temporalConnection(cfg)
		if err != nil {
			return err
		}
		conn.GetSystemInfoTimeout = 5 * time.Second
		c, err := client.DialContext(ctx, client.Options{HostPort: front, Namespace: srv.Namespace(),
			ConnectionOptions: conn, Credentials: creds})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	good := &Config{TemporalTLSCert: pki.clientCert, TemporalTLSKey: pki.clientKey,
		TemporalTLSCA: pki.caFile, TemporalTLSServerName: "temporal.test"}
	if err := dial(good); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	if err := dial(&Config{TemporalTLSCA: pki.caFile, TemporalTLSServerName: "temporal.test"}); err == nil {
		t.Errorf("connected without a client certificate")
	}
	if err := dial(&Config{TemporalTLSCert: pki.clientCert, TemporalTLSKey: pki.clientKey, TemporalTLS: true,
		TemporalTLSServerName: "temporal.test"}); err == nil {
		t.Errorf("connected trusting the system roots, which did not sign the server's certificate")
	}
}

func TestTemporalConnectionSettings(t *testing.T) {
	pki := newTestPKI(t)
	conn, creds, err := temporalConnection(&Config{})
	if err != nil || conn.TLS != nil || creds != nil {
		t.Errorf("no settings: TLS %v, credentials %v, %v; want a plain connection", conn.TLS, creds, err)
	}
	conn, creds, err = temporalConnection(&Config{TemporalAPIKey: "key"})
	if err != nil || conn.TLS == nil || creds == nil {
		t.Errorf("API key: TLS %v, credentials %v, %v; want TLS and the key", conn.TLS, creds, err)
	}
	conn, _, err = temporalConnection(&Config{TemporalTLS: true})
	if err != nil || conn.TLS == nil || conn.TLS.RootCAs != nil {
		t.Errorf("TEMPORAL_TLS=true: TLS %v, %v; want TLS on the system roots", conn.TLS, err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not a certificate"), 0o600)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{TemporalTLSCert: pki.clientCert}, "set both or neither"},
		{Config{TemporalTLSKey: pki.clientKey}, "set both or neither"},
		{Config{TemporalTLSCert: pki.clientCert, TemporalTLSKey: pki.clientKey, TemporalAPIKey: "k"}, "set one"},
		{Config{TemporalTLSCA: empty}, "holds no PEM certificate"},
		{Config{TemporalTLSCA: filepath.Join(t.TempDir(), "missing.pem")}, "TEMPORAL_TLS_CA"},
		{Config{TemporalTLSCert: pki.clientKey, TemporalTLSKey: pki.clientKey}, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"},
	} {
		if _, _, err := temporalConnection(&tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
}
