package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"github.com/bizoshub/bizos/portal"
	"github.com/bizoshub/bizos/postgres"
)

// devStack reports where a running `dev` stack listens.
type devStack struct {
	AuthURL, BrainURL, PortalURL, TemporalAddress string
}

// runDev runs every service in this process. When started is not nil it
// receives the stack's addresses once everything listens.
func runDev(ctx context.Context, cfg *Config, log *slog.Logger, stdout io.Writer, started chan<- devStack) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("dev: data dir: %w", err)
	}
	if cfg.TemporalAddress == "" {
		addr, stop, err := startEmbeddedTemporal(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer func() {
			if err := stop(); err != nil {
				log.Warn("embedded temporal stop", "err", err)
			}
		}()
		cfg.TemporalAddress = addr
		log.Info("embedded temporal server", "address", addr, "data", filepath.Join(cfg.DataDir, "temporal.db"))
	}
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer a.close()
	ctx = withDrain(ctx, a.drain)
	applied, err := a.db.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, m := range applied {
		log.Info("migration applied", "name", m)
	}
	if err := postgres.NewKnowledgeStore(a.db, a.keyring).Prepare(ctx); err != nil {
		return err
	}

	listeners := map[string]net.Listener{}
	for name, addr := range map[string]string{"authsvc": cfg.AuthAddr, "brain": cfg.BrainAddr, "portal": cfg.PortalAddr} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return fmt.Errorf("dev: %s: listen %s: %w", name, addr, err)
		}
		listeners[name] = ln
	}
	cfg.AuthURL = "http://" + loopbackAddr(listeners["authsvc"])
	cfg.BrainURL = "http://" + loopbackAddr(listeners["brain"])

	authEcho, _, keys, err := a.authService(ctx)
	if err != nil {
		return err
	}
	brainEcho, _, err := a.brainServer(ctx)
	if err != nil {
		return err
	}
	portalHandler, err := portal.New(portal.Config{BrainURL: cfg.BrainURL, AuthURL: cfg.AuthURL, Log: log, Ready: a.drain.Ready})
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serveListener(gctx, log, "authsvc", listeners["authsvc"], authEcho) })
	g.Go(func() error { return serveListener(gctx, log, "brain", listeners["brain"], brainEcho) })
	g.Go(func() error { return serveListener(gctx, log, "portal", listeners["portal"], portalHandler) })
	if cfg.DevWorker {
		g.Go(func() error { return a.runWorker(gctx) })
	}
	g.Go(func() error { a.followKeyRotations(gctx, keys); return nil })
	stack := devStack{AuthURL: cfg.AuthURL, BrainURL: cfg.BrainURL,
		PortalURL: "http://" + loopbackAddr(listeners["portal"]), TemporalAddress: cfg.TemporalAddress}
	fmt.Fprintf(stdout, "\nBizOS Hub is running.\n  portal   %s  (log in here)\n  brain    %s\n  authsvc  %s\n  temporal %s\n",
		stack.PortalURL, stack.BrainURL, stack.AuthURL, stack.TemporalAddress)
	if cfg.AdminEmail != "" {
		fmt.Fprintf(stdout, "  super admin: %s (password from BIZOS_ADMIN_PASSWORD)\n", cfg.AdminEmail)
	}
	if started != nil {
		started <- stack
	}
	return g.Wait()
}

// devTemporalPort is the embedded server's frontend port: 7233 like the
// Temporal CLI, unless BIZOS_DEV_TEMPORAL_PORT says otherwise ("0" picks a free one).
func devTemporalPort() int {
	if v := os.Getenv("BIZOS_DEV_TEMPORAL_PORT"); v != "" {
		var p int
		if _, err := fmt.Sscanf(v, "%d", &p); err == nil {
			return p
		}
	}
	return 7233
}

// loopbackAddr is the address at which this machine reaches ln.
func loopbackAddr(ln net.Listener) string {
	addr := ln.Addr().(*net.TCPAddr)
	if addr.IP.IsUnspecified() {
		return fmt.Sprintf("127.0.0.1:%d", addr.Port)
	}
	return addr.String()
}
