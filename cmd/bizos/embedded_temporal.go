//go:build !nodevtemporal

package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/bizoshub/bizos/devtemporal"
)

// The embedded Temporal server `bizos dev` starts when TEMPORAL_ADDRESS is
// unset. Builds for deployment leave it out (-tags nodevtemporal): the server
// is most of the binary, and every process of a deployment talks to a
// Temporal cluster.

// startEmbeddedTemporal starts the embedded Temporal server on the data
// directory's SQLite file and returns its address and how to stop it.
func startEmbeddedTemporal(ctx context.Context, cfg *Config, log *slog.Logger) (string, func() error, error) {
	srv, err := devtemporal.Start(ctx, devtemporal.Config{
		DataFile:  filepath.Join(cfg.DataDir, "temporal.db"),
		Port:      devTemporalPort(),
		Namespace: cfg.TemporalNamespace,
		Logger:    log.With("component", "temporal-server"),
	})
	if err != nil {
		return "", nil, fmt.Errorf("dev: embedded temporal: %w", err)
	}
	return srv.Address(), srv.Stop, nil
}
