// Command bizos runs BizOS Hub: the auth service, the Brain Gateway, the
// Temporal worker, the portal, or all of them in one development process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // rule schedules name IANA zones; images may lack /usr/share/zoneinfo

	"github.com/bizoshub/bizos/telemetry"
)

const usage = `bizos runs BizOS Hub.

Usage: bizos <command> [flags]

Commands:
  dev        everything in one process: authsvc, brain, worker and portal, plus an
             embedded Temporal dev server when TEMPORAL_ADDRESS is unset; applies migrations
  authsvc    the auth service (:8008): tenants, users, login, JWT + JWKS, API keys, audit
  brain      the Brain Gateway (:8000)
  worker     the Temporal worker
  portal     the web app (:3000), forwarding /api to brain and /auth to authsvc
  migrate    apply the database migrations
  keys rotate       create a new token signing key and re-seal every stored secret
                    under the newest master key
  keys add-master   add a new master key version to DATA_DIR/master.key (then run keys rotate)
  probe URL  exit 0 when a GET of URL answers 2xx within 3 s (container healthchecks)

Run 'bizos <command> -h' for the settings; every setting can also come from its
environment variable.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bizos:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	command, rest := args[0], args[1:]
	if command == "probe" {
		return runProbe(ctx, rest, stdout)
	}
	if command == "keys" {
		if len(rest) == 0 {
			return fmt.Errorf("keys needs a subcommand: rotate or add-master")
		}
		command, rest = "keys "+rest[0], rest[1:]
	}
	cfg, err := parseConfig(command, rest, stderr)
	if err != nil {
		return err
	}
	tel, err := telemetry.New(ctx, telemetry.Config{Service: telemetryName(command), Version: version,
		Level: logLevel(cfg), Format: cfg.LogFormat, Output: os.Stderr})
	if err != nil {
		return err
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(flush); err != nil {
			fmt.Fprintln(os.Stderr, "bizos: telemetry flush:", err)
		}
	}()
	log := tel.Logger
	ctx = withDrain(ctx, &drain{Delay: cfg.ShutdownDelay, Timeout: cfg.ShutdownTimeout})
	switch command {
	case "dev":
		return runDev(ctx, cfg, log, stdout, nil)
	case "authsvc":
		return runAuthsvc(ctx, cfg, log)
	case "brain":
		return runBrain(ctx, cfg, log)
	case "worker":
		return runWorkerCommand(ctx, cfg, log)
	case "portal":
		return runPortal(ctx, cfg, log)
	case "migrate":
		return runMigrate(ctx, cfg, log, stdout)
	case "keys rotate":
		return runKeysRotate(ctx, cfg, log, stdout)
	case "keys add-master":
		return runKeysAddMaster(cfg, stdout)
	}
	return fmt.Errorf("unknown command %q; run 'bizos help'", command)
}

// telemetryName is the service name a command reports ("keys rotate" → "keys").
func telemetryName(command string) string {
	name, _, _ := strings.Cut(command, " ")
	return name
}
