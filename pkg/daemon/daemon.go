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
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/paths"
	"github.com/openrgm/openrgm/pkg/store"
)

// Options configures rgmd.
type Options struct {
	Socket      string // required
	StateDir    string // required
	NodeName    string // required
	ClusterName string // "" keeps the stored name (DefaultClusterName on first start)
	Version     string
	Facility    int    // syslog facility number for SYSLOG_FACILITY; 0 means 24 (daemon)
	RaftBind    string // "" for a single voter; host:port for raft's TCP transport
	Logger      *slog.Logger
	// Ready, when set, is called once the configuration is replayed and
	// the socket accepts connections.
	Ready func()
}

// DefaultClusterName is the name of a cluster whose first rgmd was started
// without --cluster-name.
const DefaultClusterName = "openrgm"

// Daemon is a running rgmd.
type Daemon struct {
	opts    Options
	store   *store.Store
	machine *store.ConfigMachine
	tracker *methods.Tracker
	events  *Events

	// probes check that the loops rgmd depends on still turn; the systemd
	// watchdog pings only while every probe returns nil promptly. Each
	// part that runs a loop (store, engine) adds one before Serve.
	probes []func(ctx context.Context) error
}

// Run opens the state, serves ln (or a socket it makes at opts.Socket when
// ln is nil) until ctx ends, then shuts down cleanly.
func Run(ctx context.Context, opts Options, ln net.Listener) error {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Facility == 0 {
		opts.Facility = 24
	}
	log := opts.Logger
	d := &Daemon{opts: opts, machine: store.NewConfigMachine(), tracker: &methods.Tracker{}, events: &Events{}}
	d.machine.Applied = d.applied
	st, err := store.Open(store.Config{Dir: opts.StateDir, NodeID: opts.NodeName, Bind: opts.RaftBind, Machine: d.machine, Logger: log})
	if err != nil {
		if errors.Is(err, store.ErrDirInUse) {
			return fmt.Errorf("another rgmd is using state directory %s", opts.StateDir)
		}
		return err
	}
	d.store = st
	defer st.Close()

	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = st.WaitReady(readyCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("replaying the configuration log: %w", err)
	}
	if err := d.init(ctx); err != nil {
		return err
	}
	if ln == nil {
		if ln, err = Listen(opts.Socket); err != nil {
			return err
		}
	}
	srv := &Server{Handlers: d.handlers(), Authorize: d.authorize, Logger: log}
	var cluster string
	d.machine.Read(func(c *model.Config) { cluster = c.ClusterName })
	log.Info("rgmd ready", "node", opts.NodeName, "cluster", cluster, "socket", ln.Addr().String(), "state_dir", opts.StateDir)
	if opts.Ready != nil {
		opts.Ready()
	}
	err = srv.Serve(ctx, ln)
	log.Info("rgmd stopping")
	return err
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
	fs := pflag.NewFlagSet("rgmd", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	host, _ := os.Hostname()
	opts := Options{Version: version}
	fs.StringVar(&opts.Socket, "socket", paths.Socket(), "Unix socket to serve (env RGM_SOCKET)")
	fs.StringVar(&opts.StateDir, "state-dir", paths.StateDir(), "directory of the replicated log (env RGM_STATE_DIR)")
	fs.StringVar(&opts.NodeName, "node-name", host, "this node's name")
	fs.StringVar(&opts.ClusterName, "cluster-name", "", "the cluster's name (default: the stored name, or \""+DefaultClusterName+"\" on first start)")
	fs.IntVar(&opts.Facility, "syslog-facility", 24, "syslog facility number reported by scha_cluster_get -O SYSLOG_FACILITY")
	fs.StringVar(&opts.RaftBind, "raft-bind", "", "host:port for raft's TCP transport (default: single voter, no network)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
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
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
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
	if err := Run(ctx, opts, nil); err != nil {
		fmt.Fprintf(stderr, "rgmd: %v\n", err)
		return 1
	}
	return 0
}
