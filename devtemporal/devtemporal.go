// Package devtemporal runs a Temporal development server (frontend, history,
// matching and worker services backed by SQLite) inside the current process,
// like the Temporal CLI's "temporal server start-dev".
package devtemporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const (
	defaultIP        = "127.0.0.1"
	defaultNamespace = "default"
	clusterName      = "active"
	storeName        = "sqlite-default"

	// pollInterval is the pause between readiness probes of the frontend.
	pollInterval = 50 * time.Millisecond
	// probeTimeout bounds a single readiness probe.
	probeTimeout = 2 * time.Second
)

// Config for the embedded server.
type Config struct {
	// DataFile is the SQLite file path. State survives restarts (workflows
	// resume). Empty means an in-memory database that is lost on Stop.
	DataFile string
	// IP the services listen on. Default "127.0.0.1".
	IP string
	// Port is the frontend gRPC port. 0 picks a free port.
	Port int
	// Namespace is created if missing (also on an existing DataFile).
	// Default "default".
	Namespace string
	// Logger receives the server's logs at warn level and above (the server
	// is very chatty below that). Nil discards them. Logs emitted once Stop
	// has been called (shutdown noise, stragglers) are dropped.
	Logger *slog.Logger
}

// Server is a running embedded Temporal development server.
type Server struct {
	srv       temporal.Server
	address   string
	namespace string
	muteLogs  *atomic.Bool

	stopOnce sync.Once
	stopErr  error
}

// ports are the listening ports of one server instance.
type ports struct {
	frontend, frontendHTTP             int
	history, matching, worker          int
	frontendMembership, historyMembers int
	matchingMembers, workerMembers     int
}

// Start starts the server and blocks until its frontend accepts connections
// and serves the namespace, or ctx ends.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.IP == "" {
		cfg.IP = defaultIP
	}
	if cfg.Namespace == "" {
		cfg.Namespace = defaultNamespace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if net.ParseIP(cfg.IP) == nil {
		return nil, fmt.Errorf("devtemporal: invalid IP %q", cfg.IP)
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("devtemporal: invalid port %d", cfg.Port)
	}

	p, err := pickPorts(cfg.IP, cfg.Port)
	if err != nil {
		return nil, err
	}
	sqlCfg, err := prepareDatabase(cfg)
	if err != nil {
		return nil, err
	}
	return start(ctx, cfg, sqlCfg, p)
}

// Address returns the frontend's host:port, for client.Dial.
func (s *Server) Address() string { return s.address }

// Namespace returns the namespace the server was started with.
func (s *Server) Namespace() string { return s.namespace }

// Stop shuts the server down. It is safe to call more than once. Server logs
// are dropped from the moment Stop is called: shutting down makes the server
// log many harmless warnings and errors, and some of its goroutines outlive
// Stop for a moment.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.muteLogs.Store(true)
		if err := s.srv.Stop(); err != nil {
			s.stopErr = fmt.Errorf("devtemporal: stop server: %w", err)
		}
	})
	return s.stopErr
}

// prepareDatabase builds the SQLite config, creates the schema when the data
// file is new, and creates the namespace if it is missing.
func prepareDatabase(cfg Config) (*config.SQL, error) {
	sqlCfg := &config.SQL{PluginName: sqliteplugin.PluginName}
	if cfg.DataFile == "" {
		// The sqlite plugin creates the schema itself for in-memory databases.
		// The name must be unique: the plugin pools connections per DSN for the
		// life of the process, and "cache=shared" shares a database by name.
		sqlCfg.DatabaseName = "devtemporal-" + primitives.NewUUID().String()
		sqlCfg.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
	} else {
		sqlCfg.DatabaseName = cfg.DataFile
		// Dev-server pragmas: WAL journal with synchronous=NORMAL (1): every
		// commit survives a crash of the process (the fault tests kill
		// processes); only an operating-system crash or power loss may roll
		// back the last commits, and the database stays consistent. FULL
		// would fsync every workflow and activity transition, several
		// milliseconds each here. Production runs a Temporal cluster.
		sqlCfg.ConnectAttributes = map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "1",
		}
		isNew, err := isNewDataFile(cfg.DataFile)
		if err != nil {
			return nil, err
		}
		if isNew {
			if err := sqliteschema.SetupSchema(sqlCfg); err != nil {
				return nil, fmt.Errorf("devtemporal: set up schema in %s: %w", cfg.DataFile, err)
			}
		}
	}

	nsCfg, err := sqliteschema.NewNamespaceConfig(clusterName, cfg.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("devtemporal: namespace config for %q: %w", cfg.Namespace, err)
	}
	// CreateNamespaces is a no-op for a namespace that already exists.
	if err := sqliteschema.CreateNamespaces(sqlCfg, nsCfg); err != nil {
		return nil, fmt.Errorf("devtemporal: create namespace %q: %w", cfg.Namespace, err)
	}
	return sqlCfg, nil
}

// isNewDataFile reports whether path still needs a schema: it does not exist
// or is empty. SetupSchema fails on a file that already has the schema.
func isNewDataFile(path string) (bool, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("devtemporal: stat data file: %w", err)
	case fi.IsDir():
		return false, fmt.Errorf("devtemporal: data file %s is a directory", path)
	default:
		return fi.Size() == 0, nil
	}
}

// pickPorts asks the OS for every port the server needs, holding all the
// listeners open until the last one is chosen so that they are distinct.
// A fixed frontend port is checked to be free the same way: the server does
// not report a port it cannot bind as an error, it logs a fatal message.
func pickPorts(ip string, frontend int) (ports, error) {
	if frontend != 0 {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(frontend)))
		if err != nil {
			return ports{}, fmt.Errorf("devtemporal: frontend port %d not free: %w", frontend, err)
		}
		defer l.Close()
	}
	need := 8
	if frontend == 0 {
		need++
	}
	got := make([]int, 0, need)
	for range need {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return ports{}, fmt.Errorf("devtemporal: pick free port: %w", err)
		}
		defer l.Close()
		got = append(got, l.Addr().(*net.TCPAddr).Port)
	}
	if frontend == 0 {
		frontend, got = got[0], got[1:]
	}
	return ports{
		frontend:           frontend,
		frontendHTTP:       got[0],
		history:            got[1],
		matching:           got[2],
		worker:             got[3],
		frontendMembership: got[4],
		historyMembers:     got[5],
		matchingMembers:    got[6],
		workerMembers:      got[7],
	}, nil
}

// start builds and starts the server on the given ports and waits until it
// is ready.
func start(ctx context.Context, cfg Config, sqlCfg *config.SQL, p ports) (*Server, error) {
	muted := new(atomic.Bool)
	logger := slog.New(minLevelHandler{min: slog.LevelWarn, muted: muted, next: cfg.Logger.Handler()})

	dialHost := cfg.IP
	if ip := net.ParseIP(cfg.IP); ip.IsUnspecified() {
		dialHost = defaultIP
	}
	hostPort := func(port int) string { return net.JoinHostPort(dialHost, strconv.Itoa(port)) }
	address := hostPort(p.frontend)

	conf := serverConfig(cfg.IP, dialHost, sqlCfg, p)

	dc := dynamicconfig.NewMemoryClient()
	// Same tweaks as the Temporal CLI dev server.
	dc.OverrideSetting(dynamicconfig.HistoryCacheHostLevelMaxSize, 8096)
	dc.OverrideSetting(dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance, 100)
	// Newly added search attributes are visible immediately.
	dc.OverrideSetting(dynamicconfig.ForceSearchAttributesCacheRefreshOnRead, true)
	// History reads its task queues at most 20 times a second by default
	// (a limit sized for a shared cluster's database); past a short burst
	// every workflow task and activity dispatch then waits up to 50 ms for
	// the next read. One process with its own database needs no such pacing.
	dc.OverrideSetting(dynamicconfig.TransferProcessorMaxPollRPS, 1000)
	dc.OverrideSetting(dynamicconfig.TimerProcessorMaxPollRPS, 1000)
	dc.OverrideSetting(dynamicconfig.VisibilityProcessorMaxPollRPS, 1000)

	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		// Static membership: a single process hosts every service, so no
		// ringpop gossip is needed.
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(hostPort(p.frontend)),
			primitives.HistoryService:  static.SingleLocalHost(hostPort(p.history)),
			primitives.MatchingService: static.SingleLocalHost(hostPort(p.matching)),
			primitives.WorkerService:   static.SingleLocalHost(hostPort(p.worker)),
		}),
		temporal.WithLogger(newServerLogger(logger)),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("devtemporal: create server: %w", err)
	}

	// temporal.Server.Start ignores ctx, so run it aside and honour ctx here.
	startErr := make(chan error, 1)
	go func() { startErr <- srv.Start() }()
	select {
	case err := <-startErr:
		if err != nil {
			muted.Store(true)
			_ = srv.Stop() // best effort: release whatever did start
			return nil, fmt.Errorf("devtemporal: start server: %w", err)
		}
	case <-ctx.Done():
		muted.Store(true)
		go func() {
			if <-startErr == nil {
				_ = srv.Stop()
			}
		}()
		return nil, fmt.Errorf("devtemporal: start server: %w", ctx.Err())
	}

	s := &Server{srv: srv, address: address, namespace: cfg.Namespace, muteLogs: muted}
	if err := waitReady(ctx, address, cfg.Namespace, logger); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// serverConfig is the static server configuration: SQLite persistence, one
// history shard, every service on its own port, archival off.
func serverConfig(ip, dialHost string, sqlCfg *config.SQL, p ports) *config.Config {
	hostPort := func(port int) string { return net.JoinHostPort(dialHost, strconv.Itoa(port)) }
	service := func(grpcPort, membershipPort int) config.Service {
		return config.Service{RPC: config.RPC{
			GRPCPort:       grpcPort,
			MembershipPort: membershipPort,
			BindOnIP:       ip,
		}}
	}
	frontend := service(p.frontend, p.frontendMembership)
	frontend.RPC.HTTPPort = p.frontendHTTP

	var conf config.Config
	conf.Global.Membership = config.Membership{
		MaxJoinDuration:  30 * time.Second,
		BroadcastAddress: dialHost,
	}
	conf.Persistence = config.Persistence{
		DefaultStore:     storeName,
		VisibilityStore:  storeName,
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{storeName: {SQL: sqlCfg}},
	}
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             hostPort(p.frontend),
				HTTPAddress:            hostPort(p.frontendHTTP),
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{
		string(primitives.FrontendService): frontend,
		string(primitives.HistoryService):  service(p.history, p.historyMembers),
		string(primitives.MatchingService): service(p.matching, p.matchingMembers),
		string(primitives.WorkerService):   service(p.worker, p.workerMembers),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = hostPort(p.frontend)
	return &conf
}

// waitReady polls the frontend until it answers a health check and describes
// the namespace, or ctx ends.
func waitReady(ctx context.Context, address, namespace string, logger *slog.Logger) error {
	opts := client.Options{
		HostPort:  address,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(logger),
	}
	nc, err := client.NewNamespaceClient(opts)
	if err != nil {
		return fmt.Errorf("devtemporal: create namespace client: %w", err)
	}
	defer nc.Close()

	var lastErr error
	for {
		if lastErr = probe(ctx, opts, nc, namespace); lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devtemporal: wait for frontend at %s: %w (last error: %v)", address, ctx.Err(), lastErr)
		case <-time.After(pollInterval):
		}
	}
}

// probe makes one readiness check: dial, health check, describe namespace.
func probe(ctx context.Context, opts client.Options, nc client.NamespaceClient, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	_, err = nc.Describe(ctx, namespace)
	return err
}
