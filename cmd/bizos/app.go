package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/authn"
	"github.com/bizoshub/bizos/authsvc"
	"github.com/bizoshub/bizos/automation"
	"github.com/bizoshub/bizos/brain"
	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/egress"
	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/inbound"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/rbac"
	"github.com/bizoshub/bizos/redisstore"
	"github.com/bizoshub/bizos/secrets"
	"github.com/bizoshub/bizos/telemetry"
	"github.com/bizoshub/bizos/temporalmetrics"
	"github.com/bizoshub/bizos/webhooks"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// app holds the connections and shared parts one process needs.
type app struct {
	cfg        *Config
	log        *slog.Logger
	db         *postgres.DB
	rdb        *redis.Client
	keyring    *secrets.Keyring
	authz      *rbac.Authorizer
	watcher    *redisstore.Watcher
	registry   *prometheus.Registry
	temporal   client.Client
	connectors *connectors.Service
	// authLocal is set when authsvc serves from this process, so its
	// metrics are in registry (`bizos dev`).
	authLocal bool
	// drain is the process's graceful stop (readiness, listeners, worker).
	drain *drain
}

// openApp connects to PostgreSQL and Redis and loads the master keys.
// createKey lets a development run create the master key file.
func openApp(ctx context.Context, cfg *Config, log *slog.Logger, createKey bool) (*app, error) {
	a := &app{cfg: cfg, log: log, registry: prometheus.NewRegistry(), drain: drainFrom(ctx)}
	if _, bound := ctx.Value(drainKey{}).(*drain); !bound {
		a.drain = &drain{Delay: cfg.ShutdownDelay, Timeout: cfg.ShutdownTimeout}
	}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if a.keyring, err = loadKeyring(cfg, createKey); err != nil {
		return nil, err
	}
	if a.db, err = postgres.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, fmt.Errorf("%w (is PostgreSQL running? `make services` starts it)", err)
	}
	if a.rdb, err = redisstore.Open(ctx, cfg.RedisURL); err != nil {
		a.db.Close()
		return nil, fmt.Errorf("%w (is Redis running? `make services` starts it)", err)
	}
	return a, nil
}

func loadKeyring(cfg *Config, create bool) (*secrets.Keyring, error) {
	if cfg.MasterKeys != "" {
		return secrets.ParseKeyring(cfg.MasterKeys)
	}
	path := filepath.Join(cfg.DataDir, "master.key")
	k, err := secrets.LoadOrCreateKeyFile(path, create)
	if err != nil {
		return nil, fmt.Errorf("no master key: set BIZOS_MASTER_KEYS or run `bizos dev` once to create %s: %w", path, err)
	}
	return k, nil
}

// initAuthz loads the authorization policies and subscribes to changes.
func (a *app) initAuthz(ctx context.Context) error {
	if a.authz != nil {
		return nil
	}
	w, err := redisstore.NewWatcher(ctx, a.rdb, a.cfg.RedisPrefix+"policy", a.log)
	if err != nil {
		return err
	}
	authz, err := rbac.New(postgres.NewCasbinAdapter(a.db), w)
	if err != nil {
		w.Close()
		return err
	}
	a.watcher, a.authz = w, authz
	return nil
}

// temporalClient returns a lazily connecting Temporal client.
func (a *app) temporalClient() (client.Client, error) {
	if a.temporal != nil {
		return a.temporal, nil
	}
	addr := a.cfg.TemporalAddress
	if addr == "" {
		addr = "127.0.0.1:7233"
	}
	// The tracing interceptor carries the caller's trace into workflows and
	// their activities (client and worker alike).
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{})
	if err != nil {
		return nil, fmt.Errorf("temporal tracing: %w", err)
	}
	conn, creds, err := temporalConnection(a.cfg)
	if err != nil {
		return nil, fmt.Errorf("temporal connection: %w", err)
	}
	c, err := client.NewLazyClient(client.Options{HostPort: addr, Namespace: a.cfg.TemporalNamespace,
		ConnectionOptions: conn, Credentials: creds,
		Logger:         sdklog.NewStructuredLogger(a.log.With("component", "temporal-sdk")),
		Interceptors:   []interceptor.ClientInterceptor{tracing},
		MetricsHandler: temporalmetrics.New(a.registry)})
	if err != nil {
		return nil, fmt.Errorf("temporal client: %w", err)
	}
	a.temporal = c
	return c, nil
}

func (a *app) close() {
	if a.temporal != nil {
		a.temporal.Close()
	}
	if a.watcher != nil {
		a.watcher.Close()
	}
	if a.rdb != nil {
		a.rdb.Close()
	}
	if a.db != nil {
		a.db.Close()
	}
}

func (a *app) readyChecks() map[string]httpapi.Check {
	checks := map[string]httpapi.Check{
		"postgres": a.db.Ping,
		"redis":    func(ctx context.Context) error { return a.rdb.Ping(ctx).Err() },
		"serving":  a.drain.Ready,
	}
	if c, err := a.temporalClient(); err == nil {
		checks["temporal"] = func(ctx context.Context) error {
			_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}
	}
	return checks
}

// authService builds the auth service and its HTTP server.
func (a *app) authService(ctx context.Context) (*echo.Echo, *authsvc.Service, *authsvc.KeyManager, error) {
	if err := a.initAuthz(ctx); err != nil {
		return nil, nil, nil, err
	}
	keys := authsvc.NewKeyManager(postgres.NewSigningKeyStore(a.db, a.keyring), a.cfg.AccessTTL)
	if err := keys.Init(ctx); err != nil {
		return nil, nil, nil, err
	}
	svc, err := authsvc.New(authsvc.Config{
		Tenants:       postgres.NewTenantStore(a.db),
		Users:         postgres.NewUserStore(a.db),
		RefreshTokens: postgres.NewRefreshTokenStore(a.db),
		APIKeys:       postgres.NewAPIKeyStore(a.db),
		Audit:         postgres.NewAuditLog(a.db),
		Authz:         a.authz,
		Limiter:       redisstore.NewRateLimiter(a.rdb, a.cfg.RedisPrefix+"rl:"),
		Keys:          keys,
		Log:           a.log,
		AccessTTL:     a.cfg.AccessTTL,
		Argon2: authsvc.Argon2Params{MemoryKiB: uint32(a.cfg.Argon2MemoryKiB), Time: uint32(a.cfg.Argon2Time),
			Threads: uint8(a.cfg.Argon2Threads)},
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if a.cfg.AdminEmail != "" {
		if _, err := svc.EnsureSuperAdmin(ctx, a.cfg.AdminEmail, hub.Secret(a.cfg.AdminPassword)); err != nil {
			return nil, nil, nil, err
		}
	}
	e, err := httpapi.NewEcho(httpapi.ServerConfig{Service: "authsvc", Log: a.log, Registry: a.registry})
	if err != nil {
		return nil, nil, nil, err
	}
	a.authLocal = true
	h := authsvc.NewHandler(svc, a.authz)
	routes := append(httpapi.OpsRoutes("authsvc", a.registry, map[string]httpapi.Check{
		"postgres": a.db.Ping,
		"redis":    func(ctx context.Context) error { return a.rdb.Ping(ctx).Err() },
	}), h.Routes()...)
	routes = append(routes, httpapi.Route{Method: http.MethodGet, Path: "/openapi.json", Summary: "This document", Tag: "ops", Public: true,
		Handler: func(c echo.Context) error {
			return c.JSON(http.StatusOK, httpapi.OpenAPI("BizOS Hub Auth Service", version, routes))
		}})
	httpapi.Mount(e, routes, h, a.authz)
	return e, svc, keys, nil
}

// brainServer builds the gateway.
func (a *app) brainServer(ctx context.Context) (*echo.Echo, *brain.Server, error) {
	if err := a.initAuthz(ctx); err != nil {
		return nil, nil, err
	}
	jwks := authn.NewJWKS(strings.TrimSuffix(a.cfg.AuthURL, "/")+"/.well-known/jwks.json", nil, redisstore.NewCache(a.rdb, a.cfg.RedisPrefix+"cache:"))
	conns, err := a.connectorService()
	if err != nil {
		return nil, nil, err
	}
	inboundRoutes, err := a.inboundRoutes(ctx, conns)
	if err != nil {
		return nil, nil, err
	}
	webhookRoutes, err := a.webhookRoutes()
	if err != nil {
		return nil, nil, err
	}
	inboundRoutes = append(inboundRoutes, webhookRoutes...)
	agentRoutes, err := a.agentRoutes()
	if err != nil {
		return nil, nil, err
	}
	inboundRoutes = append(inboundRoutes, agentRoutes...)
	playbookRoutes, err := a.playbookRoutes()
	if err != nil {
		return nil, nil, err
	}
	inboundRoutes = append(inboundRoutes, playbookRoutes...)
	authenticator := authn.NewAuthenticator(jwks.PublicKey, postgres.NewAPIKeyStore(a.db))
	knowledgeRoutes, err := a.knowledgeRoutes(conns, authenticator)
	if err != nil {
		return nil, nil, err
	}
	inboundRoutes = append(inboundRoutes, knowledgeRoutes...)
	healthRoutes, err := a.healthRoutes(ctx)
	if err != nil {
		return nil, nil, err
	}
	inboundRoutes = append(inboundRoutes, healthRoutes...)
	return brain.New(brain.Config{
		Routes:   append(connectors.NewHandler(conns, postgres.NewAuditLog(a.db), a.authz).Routes(), inboundRoutes...),
		Authn:    authenticator,
		Authz:    a.authz,
		Log:      a.log,
		Registry: a.registry,
		Ready:    a.readyChecks(),
		Version:  version,
	})
}

// connectorService builds the connector service from the catalogue and the
// operator's overrides.
func (a *app) connectorService() (*connectors.Service, error) {
	if a.connectors != nil {
		return a.connectors, nil
	}
	catalog, err := connectors.LoadCatalog()
	if err != nil {
		return nil, err
	}
	apps := map[string]connectors.Override{}
	if a.cfg.ProviderOverrides != "" {
		if apps, err = connectors.LoadOverrides(a.cfg.ProviderOverrides); err != nil {
			return nil, err
		}
		if err := catalog.ApplyOverrides(apps); err != nil {
			return nil, err
		}
	}
	policy, err := egress.ParsePolicy(a.cfg.EgressAllow)
	if err != nil {
		return nil, err
	}
	for _, c := range connectors.Collectors() {
		if err := a.registry.Register(c); err != nil {
			return nil, fmt.Errorf("connector metrics: %w", err)
		}
	}
	a.connectors = connectors.New(connectors.Config{
		Catalog:    catalog,
		Store:      postgres.NewConnectionStore(a.db, a.keyring),
		States:     redisstore.NewStates(a.rdb, a.cfg.RedisPrefix+"state:"),
		Locks:      redisstore.NewLocker(a.rdb, a.cfg.RedisPrefix+"lock:"),
		Egress:     policy,
		Apps:       apps,
		TenantApps: postgres.NewOAuthAppStore(a.db, a.keyring),
		PublicURL:  a.cfg.PublicURL,
		PortalURL:  a.cfg.PortalURL,
		Log:        a.log,
		Timeout:    a.cfg.UpstreamTimeout,
	})
	return a.connectors, nil
}

// inboundRoutes builds the webhook receiver and event log, and starts the
// batching event writer for the life of ctx.
func (a *app) inboundRoutes(ctx context.Context, conns *connectors.Service) ([]httpapi.Route, error) {
	for _, c := range inbound.Collectors() {
		if err := a.registry.Register(c); err != nil {
			return nil, fmt.Errorf("inbound metrics: %w", err)
		}
	}
	events := postgres.NewEventStore(a.db)
	writer := inbound.NewWriter(events)
	go writer.Run(ctx, 4)
	return inbound.NewHandler(inbound.Config{Resolver: conns, Writer: writer, Events: events, Log: a.log,
		PublicURL: a.cfg.PublicURL, MaxBody: int64(a.cfg.WebhookMaxBody)}).Routes(), nil
}

// webhookRoutes builds the outbound webhook API.
func (a *app) webhookRoutes() ([]httpapi.Route, error) {
	policy, err := egress.ParsePolicy(a.cfg.EgressAllow)
	if err != nil {
		return nil, err
	}
	tc, err := a.temporalClient()
	if err != nil {
		return nil, err
	}
	whStore := postgres.NewWebhookStore(a.db, a.keyring)
	h := webhooks.NewHandler(webhooks.NewService(webhooks.Config{Store: whStore, Egress: policy, Temporal: tc}))
	h.Audit, h.Log = postgres.NewAuditLog(a.db), a.log
	rulesSvc := automation.NewService(automation.Config{
		Rules: postgres.NewRuleStore(a.db), Connections: postgres.NewConnectionStore(a.db, a.keyring), Webhooks: whStore,
		Temporal: tc, Actions: connectorAction, Schedules: &automation.TemporalScheduler{Client: tc},
		Agents: postgres.NewAgentStore(a.db, a.keyring), Playbooks: postgres.NewPlaybookStore(a.db),
	})
	rh := automation.NewHandler(rulesSvc)
	rh.Audit, rh.Log = postgres.NewAuditLog(a.db), a.log
	return append(h.Routes(), rh.Routes()...), nil
}

// connectorAction tells the rules service about a connector action.
func connectorAction(name string) (provider string, write, ok bool) {
	act, ok := connectors.LookupAction(name)
	if !ok {
		return "", false, false
	}
	return act.Provider, act.Write, true
}

// serve runs handler on addr until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, log *slog.Logger, name, addr string, handler http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: listen %s: %w", name, addr, err)
	}
	return serveListener(ctx, log, name, ln, handler)
}

func serveListener(ctx context.Context, log *slog.Logger, name string, ln net.Listener, handler http.Handler) error {
	// Every request gets a server span (continuing the caller's W3C trace
	// context); probes and scrapes are left out.
	handler = telemetry.ServerSpans(handler, name, func(r *http.Request) bool {
		return r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics"
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "service", name, "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
	}
	// Readiness fails first; after the drain delay the listener closes and
	// in-flight requests get the drain timeout to finish.
	d := drainFrom(ctx)
	d.Begin()
	log.Info("stopping", "service", name, "timeout", d.Timeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: shutdown: %w", name, err)
	}
	return nil
}

// newLogger builds a logger writing to w only (tests, tools): the process
// handler with its ids and redaction (see telemetry.Handler), no export.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: logLevel(cfg)}
	if cfg.LogFormat == "text" {
		return slog.New(telemetry.NewHandler(slog.NewTextHandler(w, opts)))
	}
	return slog.New(telemetry.NewHandler(slog.NewJSONHandler(w, opts)))
}

// logLevel is the configured log level (info when unreadable).
func logLevel(cfg *Config) slog.Level {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return level
}

// keysChannel announces signing-key rotations to every authsvc replica.
func (a *app) keysChannel() string { return a.cfg.RedisPrefix + "signing-keys" }

// followKeyRotations reloads keys whenever a rotation is announced, and
// every interval in case an announcement was missed.
func (a *app) followKeyRotations(ctx context.Context, keys *authsvc.KeyManager) {
	sub := a.rdb.Subscribe(ctx, a.keysChannel())
	defer sub.Close()
	ticker := time.NewTicker(30 * time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Channel():
		case <-ticker.C:
		}
		if err := keys.Reload(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("signing keys reload failed", "err", err)
		}
	}
}
