package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/bizoshub/bizos/portal"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
)

func runAuthsvc(ctx context.Context, cfg *Config, log *slog.Logger) error {
	a, err := openApp(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer a.close()
	e, _, keys, err := a.authService(ctx)
	if err != nil {
		return err
	}
	go a.followKeyRotations(ctx, keys)
	releaseStartupMemory()
	return serve(ctx, log, "authsvc", cfg.AuthAddr, e)
}

func runBrain(ctx context.Context, cfg *Config, log *slog.Logger) error {
	a, err := openApp(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer a.close()
	e, _, err := a.brainServer(ctx)
	if err != nil {
		return err
	}
	releaseStartupMemory()
	return serve(ctx, log, "brain", cfg.BrainAddr, e)
}

func runWorkerCommand(ctx context.Context, cfg *Config, log *slog.Logger) error {
	a, err := openApp(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer a.close()
	releaseStartupMemory()
	return a.runWorker(ctx)
}

// releaseStartupMemory collects what starting up left behind and returns
// it to the operating system, so an idle process holds only what it uses.
// The bulk is authsvc's: it hashes a dummy password at start (the
// constant-time answer for unknown users), and argon2id takes
// BIZOS_ARGON2_MEMORY_KIB (64 MiB by default) for that; without this the
// garbage stays resident until the next collection, which an idle process
// may not run for minutes.
func releaseStartupMemory() { debug.FreeOSMemory() }

func runPortal(ctx context.Context, cfg *Config, log *slog.Logger) error {
	h, err := portal.New(portal.Config{BrainURL: cfg.BrainURL, AuthURL: cfg.AuthURL, Log: log, Ready: drainFrom(ctx).Ready})
	if err != nil {
		return err
	}
	return serve(ctx, log, "portal", cfg.PortalAddr, h)
}

func runMigrate(ctx context.Context, cfg *Config, log *slog.Logger, stdout io.Writer) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if err := postgres.NewKnowledgeStore(db, nil).Prepare(ctx); err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	return nil
}

func runKeysRotate(ctx context.Context, cfg *Config, log *slog.Logger, stdout io.Writer) error {
	a, err := openApp(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer a.close()
	store := postgres.NewSigningKeyStore(a.db, a.keyring)
	// Re-seal first: every stored key must be readable under the newest
	// master key before a new one is added.
	n, err := store.ReencryptSigningKeys(ctx)
	if err != nil {
		return err
	}
	m, err := postgres.NewConnectionStore(a.db, a.keyring).ReencryptCredentials(ctx)
	if err != nil {
		return err
	}
	n += m
	if m, err = postgres.NewOAuthAppStore(a.db, a.keyring).ReencryptOAuthApps(ctx); err != nil {
		return err
	}
	n += m
	if m, err = postgres.NewWebhookStore(a.db, a.keyring).ReencryptWebhookSecrets(ctx); err != nil {
		return err
	}
	n += m
	if m, err = postgres.NewAgentStore(a.db, a.keyring).ReencryptAgentKeys(ctx); err != nil {
		return err
	}
	n += m
	if m, err = postgres.NewKnowledgeStore(a.db, a.keyring).ReencryptKnowledgeKeys(ctx); err != nil {
		return err
	}
	n += m
	_, _, keys, err := a.authService(ctx)
	if err != nil {
		return err
	}
	k, err := keys.Rotate(ctx)
	if err != nil {
		return err
	}
	if err := a.rdb.Publish(ctx, a.keysChannel(), k.KID).Err(); err != nil {
		log.Warn("rotation announcement failed; running authsvc replicas pick the key up within 30s", "err", err)
	}
	fmt.Fprintf(stdout, "new signing key %s; re-sealed %d stored secrets under master key version %d\n",
		k.KID, n, a.keyring.CurrentVersion())
	fmt.Fprintf(stdout, "earlier signing keys stay in the JWKS for %s so issued tokens keep working\n", cfg.AccessTTL+time.Minute)
	return nil
}

func runKeysAddMaster(cfg *Config, stdout io.Writer) error {
	if cfg.MasterKeys != "" {
		k, err := secrets.ParseKeyring(cfg.MasterKeys)
		if err != nil {
			return err
		}
		spec, err := secrets.NewKeySpec(k.CurrentVersion() + 1)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "append this entry to BIZOS_MASTER_KEYS on every process, restart them, then run `bizos keys rotate`:\n%s\n", spec)
		return nil
	}
	path := filepath.Join(cfg.DataDir, "master.key")
	k, err := secrets.AddKeyVersion(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added master key version %d to %s; restart the processes, then run `bizos keys rotate`\n", k.CurrentVersion(), path)
	return nil
}
