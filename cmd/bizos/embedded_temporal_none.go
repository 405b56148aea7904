//go:build nodevtemporal

package main

import (
	"context"
	"errors"
	"log/slog"
)

// startEmbeddedTemporal fails: this build has no embedded Temporal server.
func startEmbeddedTemporal(context.Context, *Config, *slog.Logger) (string, func() error, error) {
	return "", nil, errors.New("dev: this bizos was built without the embedded Temporal server (-tags nodevtemporal): set TEMPORAL_ADDRESS to a Temporal server")
}
