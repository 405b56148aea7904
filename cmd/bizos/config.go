package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the bizos binary. Each setting can be given as
// a flag or as the environment variable named in its definition; a flag wins.
type Config struct {
	DatabaseURL       string
	RedisURL          string
	RedisPrefix       string
	TemporalAddress   string
	TemporalNamespace string
	// TemporalTLS and the fields after it configure a TLS connection to
	// Temporal (see temporalConnection).
	TemporalTLS           bool
	TemporalTLSCert       string
	TemporalTLSKey        string
	TemporalTLSCA         string
	TemporalTLSServerName string
	TemporalAPIKey        string
	DataDir               string
	MasterKeys            string
	AuthAddr              string
	BrainAddr             string
	PortalAddr            string
	MetricsAddr           string
	AuthURL               string
	BrainURL              string
	PublicURL             string
	PortalURL             string
	ProviderOverrides     string
	EgressAllow           string
	OllamaHost            string
	AdminEmail            string
	AdminPassword         string
	LogLevel              string
	LogFormat             string
	AccessTTL             time.Duration
	UpstreamTimeout       time.Duration
	WebhookMaxBody        uint
	EventRetention        time.Duration
	ShutdownDelay         time.Duration
	ShutdownTimeout       time.Duration
	DevWorker             bool
	Argon2MemoryKiB       uint
	Argon2Time            uint
	Argon2Threads         uint
}

// setting describes one configuration value.
type setting struct {
	flag, env, def, help string
	str                  *string
	dur                  *time.Duration
	num                  *uint
	boolean              *bool

	// only, when set, is the command def applies to; the others default to empty.
	only string
}

func (c *Config) settings() []setting {
	return []setting{
		{flag: "database-url", env: "BIZOS_DATABASE_URL", def: "postgres://bizos:bizos@127.0.0.1:5432/bizos?sslmode=disable",
			help: "PostgreSQL connection URL", str: &c.DatabaseURL},
		{flag: "redis-url", env: "BIZOS_REDIS_URL", def: "redis://127.0.0.1:6379/0", help: "Redis connection URL", str: &c.RedisURL},
		{flag: "redis-prefix", env: "BIZOS_REDIS_PREFIX", def: "bizos:", help: "prefix of every Redis key and channel, so deployments can share a Redis", str: &c.RedisPrefix},
		{flag: "temporal-address", env: "TEMPORAL_ADDRESS", def: "",
			help: "Temporal frontend host:port; when empty, `dev` starts an embedded server and the other commands use 127.0.0.1:7233", str: &c.TemporalAddress},
		{flag: "temporal-namespace", env: "TEMPORAL_NAMESPACE", def: "default", help: "Temporal namespace", str: &c.TemporalNamespace},
		{flag: "temporal-tls", env: "TEMPORAL_TLS", def: "false", help: "connect to Temporal over TLS (implied by the other TEMPORAL_TLS_* settings and TEMPORAL_API_KEY)", boolean: &c.TemporalTLS},
		{flag: "temporal-tls-cert", env: "TEMPORAL_TLS_CERT", def: "", help: "PEM client certificate file for mTLS to Temporal (with TEMPORAL_TLS_KEY)", str: &c.TemporalTLSCert},
		{flag: "temporal-tls-key", env: "TEMPORAL_TLS_KEY", def: "", help: "PEM private key file of TEMPORAL_TLS_CERT", str: &c.TemporalTLSKey},
		{flag: "temporal-tls-ca", env: "TEMPORAL_TLS_CA", def: "", help: "PEM CA bundle the Temporal server's certificate must chain to (default: the system roots)", str: &c.TemporalTLSCA},
		{flag: "temporal-tls-server-name", env: "TEMPORAL_TLS_SERVER_NAME", def: "", help: "name the Temporal server's certificate must carry (default: the host of TEMPORAL_ADDRESS)", str: &c.TemporalTLSServerName},
		{flag: "temporal-api-key", env: "TEMPORAL_API_KEY", def: "", help: "Temporal Cloud API key (sent as a bearer token over TLS)", str: &c.TemporalAPIKey},
		{flag: "data-dir", env: "BIZOS_DATA_DIR", def: ".data", help: "directory for local state: the embedded Temporal database and, in development, the master key file", str: &c.DataDir},
		{flag: "master-keys", env: "BIZOS_MASTER_KEYS", def: "",
			help: "AES-256 master keys that seal secrets at rest, as VERSION:BASE64KEY[,VERSION:BASE64KEY...]; the highest version seals. When empty, DATA_DIR/master.key is used (`dev` creates it)", str: &c.MasterKeys},
		{flag: "auth-addr", env: "BIZOS_AUTH_ADDR", def: ":8008", help: "listen address of authsvc", str: &c.AuthAddr},
		{flag: "brain-addr", env: "BIZOS_BRAIN_ADDR", def: ":8000", help: "listen address of brain", str: &c.BrainAddr},
		{flag: "portal-addr", env: "BIZOS_PORTAL_ADDR", def: ":3000", help: "listen address of the portal", str: &c.PortalAddr},
		{flag: "metrics-addr", env: "BIZOS_METRICS_ADDR", def: ":9090", only: "worker",
			help: "listen address of the worker's /metrics, /healthz and /readyz (empty: none; `dev` has none unless set, its brain serves /metrics)", str: &c.MetricsAddr},
		{flag: "auth-url", env: "BIZOS_AUTH_URL", def: "http://127.0.0.1:8008", help: "base URL at which brain and the portal reach authsvc", str: &c.AuthURL},
		{flag: "brain-url", env: "BIZOS_BRAIN_URL", def: "http://127.0.0.1:8000", help: "base URL at which the portal reaches brain", str: &c.BrainURL},
		{flag: "public-url", env: "BIZOS_PUBLIC_URL", def: "http://localhost:8000", help: "externally visible base URL of brain (OAuth redirects, webhook URLs)", str: &c.PublicURL},
		{flag: "portal-url", env: "BIZOS_PORTAL_URL", def: "http://localhost:3000", help: "externally visible base URL of the portal, where the OAuth callback sends the browser back (to its return_to path)", str: &c.PortalURL},
		{flag: "provider-overrides", env: "BIZOS_PROVIDER_OVERRIDES", def: "",
			help: "YAML file mapping provider id to api_base_url, authorization_url, token_url and the operator's OAuth client_id/client_secret", str: &c.ProviderOverrides},
		{flag: "egress-allow", env: "BIZOS_EGRESS_ALLOW", def: "",
			help: "comma-separated CIDRs that tenant-supplied URLs may reach although private (e.g. 127.0.0.0/8 for a local WordPress)", str: &c.EgressAllow},
		{flag: "ollama-host", env: "OLLAMA_HOST", def: "", help: "the operator's Ollama server (host:port or URL) for agents that name no base URL; empty means none", str: &c.OllamaHost},
		{flag: "admin-email", env: "BIZOS_ADMIN_EMAIL", def: "", help: "email of the first super admin, created at start when absent", str: &c.AdminEmail},
		{flag: "admin-password", env: "BIZOS_ADMIN_PASSWORD", def: "", help: "password of the first super admin (at least 10 characters)", str: &c.AdminPassword},
		{flag: "log-level", env: "BIZOS_LOG_LEVEL", def: "info", help: "debug, info, warn or error", str: &c.LogLevel},
		{flag: "log-format", env: "BIZOS_LOG_FORMAT", def: "json", help: "json or text", str: &c.LogFormat},
		{flag: "access-ttl", env: "BIZOS_ACCESS_TTL", def: "15m", help: "lifetime of access tokens", dur: &c.AccessTTL},
		{flag: "upstream-timeout", env: "BIZOS_UPSTREAM_TIMEOUT", def: "30s", help: "longest time one call to a connected platform may take", dur: &c.UpstreamTimeout},
		{flag: "webhook-max-body", env: "BIZOS_WEBHOOK_MAX_BODY", def: "1048576", help: "largest inbound webhook body accepted, bytes", num: &c.WebhookMaxBody},
		{flag: "dev-worker", env: "BIZOS_DEV_WORKER", def: "true", help: "run the Temporal worker inside `dev`; false to run `bizos worker` processes beside it", boolean: &c.DevWorker},
		{flag: "shutdown-delay", env: "BIZOS_SHUTDOWN_DELAY", def: "0s", help: "on SIGTERM, how long readiness fails before listeners stop accepting (let load balancers notice; 5s on Kubernetes)", dur: &c.ShutdownDelay},
		{flag: "shutdown-timeout", env: "BIZOS_SHUTDOWN_TIMEOUT", def: "25s", help: "on SIGTERM, how long in-flight requests and activities may take to finish", dur: &c.ShutdownTimeout},
		{flag: "event-retention", env: "BIZOS_EVENT_RETENTION", def: "720h", help: "how long events are kept (the hourly purge deletes older ones; 0 keeps them)", dur: &c.EventRetention},
		{flag: "argon2-memory-kib", env: "BIZOS_ARGON2_MEMORY_KIB", def: "65536", help: "argon2id memory cost of new password hashes, KiB", num: &c.Argon2MemoryKiB},
		{flag: "argon2-time", env: "BIZOS_ARGON2_TIME", def: "2", help: "argon2id passes of new password hashes", num: &c.Argon2Time},
		{flag: "argon2-threads", env: "BIZOS_ARGON2_THREADS", def: "2", help: "argon2id parallelism of new password hashes", num: &c.Argon2Threads},
	}
}

// parseConfig reads settings from the environment, then from args.
func parseConfig(command string, args []string, stderr io.Writer) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("bizos "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	settings := c.settings()
	for _, s := range settings {
		val := s.def
		if s.only != "" && s.only != command {
			val = ""
		}
		if v, ok := os.LookupEnv(s.env); ok {
			val = v
		}
		help := fmt.Sprintf("%s (env %s)", s.help, s.env)
		switch {
		case s.str != nil:
			fs.StringVar(s.str, s.flag, val, help)
		case s.dur != nil:
			d, err := time.ParseDuration(val)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: %w", s.env, val, err)
			}
			fs.DurationVar(s.dur, s.flag, d, help)
		case s.boolean != nil:
			b, err := strconv.ParseBool(val)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: %w", s.env, val, err)
			}
			fs.BoolVar(s.boolean, s.flag, b, help)
		case s.num != nil:
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: %w", s.env, val, err)
			}
			fs.UintVar(s.num, s.flag, uint(n), help)
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: bizos %s [flags]\n\nSettings (flag, or the environment variable in brackets):\n", command)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.Argon2Threads == 0 || c.Argon2Threads > 255 || c.Argon2Time == 0 || c.Argon2MemoryKiB < 8*c.Argon2Threads {
		return nil, fmt.Errorf("argon2 settings out of range")
	}
	return c, nil
}
