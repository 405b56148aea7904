package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
)

// temporalConnection turns the TEMPORAL_TLS* and TEMPORAL_API_KEY settings
// into the Temporal client's connection options and credentials (nil when
// none). The names are those of the Temporal CLI, so one environment serves
// both.
//
//   - TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: a client certificate (mTLS, as
//     Temporal Cloud's certificate auth and self-hosted clusters with mTLS
//     want); both or neither.
//   - TEMPORAL_API_KEY: a Temporal Cloud API key, sent as a bearer token.
//   - TEMPORAL_TLS_CA: the CA bundle the server's certificate must chain to
//     (default: the system roots); TEMPORAL_TLS_SERVER_NAME: the name it
//     must carry (default: the host of TEMPORAL_ADDRESS).
//   - TEMPORAL_TLS=true: TLS without a client certificate or key.
//
// TLS is on when any of them is set.
func temporalConnection(c *Config) (client.ConnectionOptions, client.Credentials, error) {
	var opts client.ConnectionOptions
	if (c.TemporalTLSCert == "") != (c.TemporalTLSKey == "") {
		return opts, nil, errors.New("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both or neither")
	}
	if !c.TemporalTLS && c.TemporalTLSCert == "" && c.TemporalAPIKey == "" && c.TemporalTLSCA == "" && c.TemporalTLSServerName == "" {
		return opts, nil, nil
	}
	if c.TemporalAPIKey != "" && c.TemporalTLSCert != "" {
		return opts, nil, errors.New("TEMPORAL_API_KEY and TEMPORAL_TLS_CERT are two ways to authenticate: set one")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TemporalTLSServerName}
	if c.TemporalTLSCA != "" {
		pem, err := os.ReadFile(c.TemporalTLSCA)
		if err != nil {
			return opts, nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return opts, nil, fmt.Errorf("TEMPORAL_TLS_CA %s holds no PEM certificate", c.TemporalTLSCA)
		}
		cfg.RootCAs = pool
	}
	opts.TLS = cfg
	switch {
	case c.TemporalTLSCert != "":
		cert, err := tls.LoadX509KeyPair(c.TemporalTLSCert, c.TemporalTLSKey)
		if err != nil {
			return opts, nil, fmt.Errorf("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: %w", err)
		}
		return opts, client.NewMTLSCredentials(cert), nil
	case c.TemporalAPIKey != "":
		return opts, client.NewAPIKeyStaticCredentials(c.TemporalAPIKey), nil
	}
	return opts, nil, nil
}
