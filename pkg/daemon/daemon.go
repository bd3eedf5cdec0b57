package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/api"
	"github.com/openrgm/openrgm/pkg/cluster"
	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/paths"
	"github.com/openrgm/openrgm/pkg/seqfile"
	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/wire"
)

// DefaultGCPercent is a cluster node's garbage-collection target (Go's
// GOGC) unless GOGC is set: the heap may grow by half of what is live
// between two collections, not by all of it as with Go's 100. What rgmd
// keeps live is mostly fixed (the configuration, raft's connection
// buffers: 256 KiB for each connection of the leader to each other
// node), so Go's default let a leader of 16 nodes with 1,000 resources
// reach a 32 MB heap for 16 MB live (47 MB resident, with the binary's
// pages); at 50 it stays under 40 MB. The price is twice the
// collections for the same allocations, which an idle node makes few
// of. A single node keeps Go's default: its heap is smaller, often
// under Go's 4 MB floor, which 50 would halve (a Validate-checked change
// measured about 0.25 ms slower with it). GOMEMLIMIT, as Go reads it,
// caps the total as well.
const DefaultGCPercent = 50

// setGCPercent applies DefaultGCPercent, unless GOGC says otherwise.
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(DefaultGCPercent)
	}
}

// Options configures rgmd.
type Options struct {
	Socket      string // required
	StateDir    string // required
	NodeName    string // required
	ClusterName string // "" keeps the stored name (DefaultClusterName on first start)
	Version     string
	Facility    int // syslog facility number for SYSLOG_FACILITY; 0 means 24 (daemon)
	// ClusterAddr, when set, opens the cluster port (host:port, TCP and
	// UDP) so that other nodes can join and this node's raft log has
	// peers; "" is a single node with no network port at all.
	ClusterAddr      string
	ClusterAdvertise string // the address peers dial, when not ClusterAddr
	Join             string // a cluster node's cluster address, to join through
	Token            string // the join token (rgmadm cluster token)
	Gossip           cluster.GossipTiming
	// Witness makes this node a raft voter that hosts no resources: the
	// third vote of a two-node cluster (rgmd --witness).
	Witness bool
	// Lease is the length of the node's lease (lease.go); 0: DefaultLease.
	Lease       time.Duration
	RaftTimeout time.Duration // raft's heartbeat and election timeouts; 0: store's default
	Logger      *slog.Logger
	// Ready, when set, is called once the configuration is replayed and
	// the socket accepts connections.
	Ready func()
	// Systemd, optional, is what systemd passed (SystemdFromEnv): with a
	// notify socket rgmd sends READY=1, STATUS=, WATCHDOG=1 and
	// STOPPING=1 (systemd.go). The zero value sends nothing.
	Systemd Systemd
	// Probes, optional, are liveness probes added to rgmd's own for the
	// watchdog; for tests and embedders.
	Probes []func(ctx context.Context) error
	// DBus selects the D-Bus interface (dbus.go): "system", "session", a
	// bus address, or "" / "none" for none.
	DBus string
	// StopFailedAction is --stop-failed-action: what a failed stop method
	// of a Failover_mode=HARD resource does to the node: "none" (default;
	// the resource stays STOP_FAILED), "exit" or "reboot" (lifecycle.go).
	StopFailedAction string
	// MaxParallel bounds the callback methods running at once; 0 means
	// DefaultMaxParallel().
	MaxParallel int
	// MaxConns and MaxConnsPerUID bound the socket's connections open at
	// once, in all and per uid; 0 means the defaults (connlimit.go).
	MaxConns, MaxConnsPerUID int
	// API is the remote API's configuration (api.go).
	API APIOptions
	// BootID, optional, replaces the kernel's boot ID in telling an rgmd
	// restart (services re-adopted) from a node reboot (Boot methods run);
	// for tests.
	BootID string
}

// DefaultClusterName is the name of a cluster whose first rgmd was started
// without --cluster-name.
const DefaultClusterName = "openrgm"

// Daemon is a running rgmd.
type Daemon struct {
	opts      Options
	store     *store.Store
	machine   *store.ConfigMachine
	tracker   *methods.Tracker
	events    *Events
	lc        atomic.Pointer[lifecycle]      // the engine's loop (lifecycle.go); set once at start
	cs        *clusterSide                   // nil without --cluster-addr (cluster.go)
	lease     *leaseState                    // nil unless a cluster node hosting resources (lease.go)
	leaseWake chan struct{}                  // the lease's wake, made before the log runs (lease.go)
	fo        *failover                      // the leader's side of failover (failover.go); nil on a single node
	stop      context.CancelCauseFunc        // ends Run with a cause (a removed node)
	reads     readBarrier                    // held while started methods' changes are unapplied
	seq       atomic.Pointer[seqfile.Writer] // the change counter next to the socket; nil when it could not be made
	auditLog  *auditLog                      // audit.go
	metrics   *metrics                       // metrics.go
	apiServer atomic.Pointer[api.Server]     // the remote API, when served (api.go)
	revokedIx atomic.Pointer[revokedIndex]   // the revoked credentials, asked at every API request (api.go)

	// probes check that the loops rgmd depends on still turn; the systemd
	// watchdog pings only while every probe returns nil promptly. Each
	// part that runs a loop (store, engine) adds one before Serve.
	probes []func(ctx context.Context) error
}

// MinStateSpace is the free space rgmd needs in its state directory: the
// log's first segment file, preallocated (raft-wal's default segment
// size), and a little for snapshots and records.
const MinStateSpace = 64 << 20

// Run opens the state, serves ln (or a socket it makes at opts.Socket when
// ln is nil) until ctx ends, then shuts down cleanly.
func Run(ctx context.Context, opts Options, ln net.Listener) error {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Facility == 0 {
		opts.Facility = 24
	}
	if err := clusterFlagsError(opts); err != nil {
		return err
	}
	if err := apiOptionsError(opts.API); err != nil { // api.go
		return err
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	log := opts.Logger
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	d := &Daemon{stop: stop, opts: opts, machine: store.NewConfigMachine(), tracker: &methods.Tracker{}, events: &Events{}, leaseWake: make(chan struct{}, 1)}
	d.metrics = newMetrics(d) // metrics.go
	d.machine.Applied = d.applied
	d.machine.Changed = func() {
		if w := d.seq.Load(); w != nil {
			w.Bump()
		}
	}
	if err := checkStateDir(opts.StateDir); err != nil { // ownership.go
		return err
	}
	scfg := store.Config{}
	if opts.ClusterAddr != "" {
		setGCPercent()
		var err error
		if scfg, err = d.openCluster(ctx); err != nil {
			if d.cs != nil && d.cs.cl != nil {
				d.cs.cl.Close()
			}
			return err
		}
		defer d.cs.cl.Close()
		d.fo = &failover{poke: make(chan struct{}, 1), fencing: map[string]int{}, retryAt: map[string]time.Time{}, blocked: map[string]string{}}
	}
	scfg.Dir, scfg.NodeID, scfg.Machine, scfg.Logger = opts.StateDir, opts.NodeName, d.machine, quietRepeats(log, time.Now)
	st, err := store.Open(scfg)
	if err != nil {
		if errors.Is(err, store.ErrDirInUse) {
			return fmt.Errorf("another rgmd is using state directory %s", opts.StateDir)
		}
		if errors.Is(err, syscall.ENOSPC) {
			return fmt.Errorf("%w: the log's segment files are preallocated to %d MiB, and rgmd needs at least that much free in %s (rgmd(8))", err, MinStateSpace>>20, opts.StateDir)
		}
		return err
	}
	d.store = st
	defer st.Close()

	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = st.WaitReady(readyCtx)
	cancel()
	if err != nil {
		return d.notReady(err)
	}
	if err := d.init(ctx); err != nil {
		return err
	}
	if d.clustered() {
		if err := d.finishCluster(ctx); err != nil {
			return err
		}
		defer d.cs.cl.Leave(time.Second)
	}
	d.recordInventory(ctx) // inventory.go
	// The socket exists before crash recovery runs a method: a Stop that
	// calls pmfadm or scha_* must reach this rgmd (its connection waits
	// in the backlog until Serve), not find no socket and fail.
	if ln == nil {
		if ln, err = Listen(opts.Socket); err != nil {
			return err
		}
	}
	// pmf.go: re-attach to the process monitor's trees before crash
	// recovery runs methods that call pmfadm on them; detach at exit,
	// leaving them running for the next rgmd.
	d.startPMF()
	defer d.stopPMF()
	if err := d.startLifecycle(ctx); err != nil {
		return err
	}
	d.publishSeq(ln.Addr().String())
	defer d.closeSeq()
	srv := &Server{Handlers: d.handlers(), Streams: map[string]StreamHandler{wire.OpEvents: d.eventStream}, Authorize: d.authorize, Logger: log, reads: &d.reads,
		MaxConns: opts.MaxConns, MaxConnsPerUID: opts.MaxConnsPerUID}
	if d.clustered() {
		srv.BeforeWrite = d.store.CatchUp
	}
	d.auditLog = openAudit(opts.StateDir, log)
	defer d.auditLog.close()
	srv.Audit = d.audit
	go d.metrics.watch(ctx, d)
	stopAPI, err := d.startAPI(ctx, srv) // api.go
	if err != nil {
		return err
	}
	defer stopAPI()
	var cluster string
	d.machine.Read(func(c *model.Config) { cluster = c.ClusterName })
	log.Info("rgmd ready", "node", opts.NodeName, "cluster", cluster, "socket", ln.Addr().String(), "state_dir", opts.StateDir)
	if opts.Ready != nil {
		opts.Ready()
	}
	stopDBus := d.startDBus(ctx)
	defer stopDBus()
	stopSystemd := d.startSystemd(ctx) // after Ready: READY=1 is a promise
	err = srv.Serve(ctx, ln)
	stopSystemd()
	log.Info("rgmd stopping")
	if cause := context.Cause(ctx); errors.Is(cause, errRemoved) || errors.Is(cause, errFenced) {
		return cause
	}
	return err
}

// notReady explains a log that could not be replayed: a node of a cluster
// started without its cluster port cannot reach the others.
func (d *Daemon) notReady(err error) error {
	if !d.clustered() {
		if servers, serr := d.store.Servers(); serr == nil && len(servers) > 1 {
			return fmt.Errorf("this node is one of %d nodes of a cluster: start it with its --cluster-addr", len(servers))
		}
	}
	return fmt.Errorf("replaying the configuration log: %w", err)
}

// init records the cluster name and this node in the log the first time,
// and again only when they change.
func (d *Daemon) init(ctx context.Context) error {
	var cmd store.InitCmd
	d.machine.Read(func(c *model.Config) {
		if d.opts.ClusterName != "" && d.opts.ClusterName != c.ClusterName {
			cmd.Cluster = d.opts.ClusterName
		} else if c.ClusterName == "" {
			cmd.Cluster = DefaultClusterName
		}
		if !c.HasNode(d.opts.NodeName) {
			cmd.Node = d.opts.NodeName
		}
	})
	if cmd == (store.InitCmd{}) {
		return nil
	}
	if err := d.propose(ctx, store.CmdInit, cmd); err != nil {
		return fmt.Errorf("recording node %s in the configuration: %w", d.opts.NodeName, err)
	}
	return nil
}

// Main is rgmd's command line. It returns the process exit code.
func Main(args []string, version string, stderr io.Writer) int {
	keepInheritedFromChildren() // fds.go
	fs := pflag.NewFlagSet("rgmd", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	host, _ := os.Hostname()
	opts := Options{Version: version}
	fs.StringVar(&opts.Socket, "socket", paths.Socket(), "Unix socket to serve (env RGM_SOCKET)")
	fs.StringVar(&opts.StateDir, "state-dir", paths.StateDir(), "directory of the replicated log (env RGM_STATE_DIR)")
	fs.StringVar(&opts.NodeName, "node-name", host, "this node's name")
	fs.StringVar(&opts.ClusterName, "cluster-name", "", "the cluster's name (default: the stored name, or \""+DefaultClusterName+"\" on first start)")
	fs.IntVar(&opts.Facility, "syslog-facility", 24, "syslog facility number reported by scha_cluster_get -O SYSLOG_FACILITY")
	fs.StringVar(&opts.ClusterAddr, "cluster-addr", "", "open the cluster port on `HOST:PORT` (TCP and UDP) so nodes can join (default: a single node, no network port)")
	fs.StringVar(&opts.ClusterAdvertise, "cluster-advertise", "", "the `HOST:PORT` other nodes reach this one at (default: --cluster-addr)")
	fs.StringVar(&opts.Join, "join", "", "join the cluster through the node at `HOST:PORT` (its --cluster-addr); needs --token")
	fs.StringVar(&opts.Token, "token", "", "the join `TOKEN` printed by `rgmadm cluster token` on a node of the cluster")
	fs.DurationVar(&opts.Gossip.ProbeInterval, "gossip-probe-interval", cluster.DefaultProbeInterval, "how often each node probes another")
	fs.DurationVar(&opts.Gossip.ProbeTimeout, "gossip-probe-timeout", cluster.DefaultProbeTimeout, "how long a probe waits for its answer")
	fs.IntVar(&opts.Gossip.SuspicionMult, "gossip-suspicion-mult", cluster.DefaultSuspicionMult, "probe intervals a suspected node has to refute before it is DOWN")
	fs.DurationVar(&opts.Gossip.GossipInterval, "gossip-interval", cluster.DefaultGossipInterval, "how often each node passes news (a suspicion, a death) to a few others")
	fs.DurationVar(&opts.RaftTimeout, "raft-timeout", store.DefaultHeartbeatTimeout, "raft's heartbeat and election timeout: how long followers wait for a leader before electing another")
	fs.BoolVar(&opts.Witness, "witness", false, "join as a witness: a raft voter that hosts no resources, the third vote of a two-node cluster")
	fs.DurationVar(&opts.Lease, "lease", DefaultLease, "the node's lease: cut off from the quorum this long, its guard ends its resources' processes")
	fs.StringVar(&opts.StopFailedAction, "stop-failed-action", "", "what a failed stop method of a Failover_mode=HARD resource does to this node: none, exit, reboot or fence (default: fence on a cluster node, none on a single node)")
	fs.IntVar(&opts.MaxParallel, "max-parallel-methods", DefaultMaxParallel(), "callback methods run at once, at most")
	fs.IntVar(&opts.MaxConns, "max-connections", DefaultMaxConns, "connections to the socket open at once, at most; beyond, a client is told rgmd is busy")
	fs.IntVar(&opts.MaxConnsPerUID, "max-connections-per-uid", DefaultMaxConnsPerUID, "connections one user may have open at once, at most")
	fs.StringVar(&opts.BootID, "boot-id", "", "boot ID to use instead of the kernel's (for tests)")
	_ = fs.MarkHidden("boot-id")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logMode := fs.String("log", "auto", "where to log: journal, text (stderr) or auto (the journal when stderr is connected to it)")
	fs.StringVar(&opts.DBus, "dbus", "none", "D-Bus interface org.openrgm.RGM1 on the system or session bus, or none")
	apiFlags(fs, &opts.API) // api.go
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rgmd [options]\n\nThe OpenRGM node daemon.\n\nOptions:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stderr, "rgmd", version)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rgmd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "rgmd: --log-level: %v\n", err)
		return 2
	}
	logger, err := newLogger(*logMode, level, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "rgmd: %v\n", err)
		return 2
	}
	opts.Logger = logger
	// Before anything can start a process: these variables are for rgmd
	// alone (systemd_linux.go).
	opts.Systemd, err = SystemdFromEnv()
	if err != nil {
		logger.Warn("ignoring systemd's watchdog setting", "err", err)
	}
	ln, err := ActivationListener()
	if err != nil && ln == nil {
		fmt.Fprintf(stderr, "rgmd: socket activation: %v\n", err)
		return 1
	} else if err != nil {
		logger.Warn("socket activation", "err", err)
	}
	if ln != nil {
		// The unit's ListenStream= wins over --socket: it is where clients
		// connect, and what callbacks must be told in RGM_SOCKET.
		if a := ln.Addr().String(); a != opts.Socket {
			logger.Info("serving the socket systemd passed instead of --socket", "socket", a, "flag", opts.Socket)
			opts.Socket = a
		}
	}
	if opts.NodeName == "" {
		fmt.Fprintln(stderr, "rgmd: no node name: give --node-name")
		return 2
	}
	if err := os.MkdirAll(filepath.Dir(opts.Socket), 0o755); err != nil {
		fmt.Fprintf(stderr, "rgmd: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := Run(ctx, opts, ln); err != nil {
		fmt.Fprintf(stderr, "rgmd: %v\n", err)
		return 1
	}
	return 0
}
