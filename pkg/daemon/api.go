package daemon

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/api"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The remote API's side of rgmd: rgmd --api-addr serves pkg/api over
// HTTPS with a server certificate from the cluster CA (a node that is not
// in a cluster makes a CA of its own in StateDir/trust on first use), and
// the cred ops issue and revoke the user certificates it accepts.

// APIOptions configures the remote API (rgmd --api-*).
type APIOptions struct {
	Addr          string        // --api-addr; "" serves no API
	MetricsAddr   string        // --metrics-addr: plain HTTP metrics, loopback only
	MaxConns      int           // --api-max-connections
	HeaderTimeout time.Duration // --api-header-timeout (hidden, for tests)
	WriteTimeout  time.Duration // --api-write-timeout (hidden, for tests)
}

// DefaultCredTTL is how long a credential lasts when cred issue is given
// no --ttl.
const DefaultCredTTL = 30 * 24 * time.Hour

// apiCertTTL is the API server certificate's life: it is made anew at
// every start, in memory.
const apiCertTTL = 365 * 24 * time.Hour

func apiFlags(fs *pflag.FlagSet, o *APIOptions) {
	fs.StringVar(&o.Addr, "api-addr", "", "serve the remote HTTPS API on `HOST:PORT` (TLS 1.3, client certificates from `rgmadm cred issue`; default: none)")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", "", "also serve Prometheus metrics over plain HTTP on `HOST:PORT`, a loopback address only (default: none)")
	fs.IntVar(&o.MaxConns, "api-max-connections", api.DefaultMaxConns, "connections to the API open at once, at most; beyond, a connection is closed at once")
	fs.DurationVar(&o.HeaderTimeout, "api-header-timeout", api.DefaultHeaderTimeout, "how long a client may take over the TLS handshake and a request's headers")
	fs.DurationVar(&o.WriteTimeout, "api-write-timeout", api.DefaultWriteTimeout, "how long one write of the event stream may stall before the subscriber is cut")
	_ = fs.MarkHidden("api-header-timeout")
	_ = fs.MarkHidden("api-write-timeout")
}

// apiOptionsError checks the API's flags before anything starts.
func apiOptionsError(o APIOptions) error {
	if o.MetricsAddr != "" {
		host, _, err := net.SplitHostPort(o.MetricsAddr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("--metrics-addr %s: want a loopback HOST:PORT (metrics for anyone else go through the API's /v1/metrics)", o.MetricsAddr)
		}
	}
	if o.Addr != "" {
		if _, _, err := net.SplitHostPort(o.Addr); err != nil {
			return fmt.Errorf("--api-addr %s: %w", o.Addr, err)
		}
	}
	return nil
}

// trustDir is where the cluster CA and this node's certificate live.
func (d *Daemon) trustDir() string { return filepath.Join(d.opts.StateDir, "trust") }

var caMu sync.Mutex

// apiCA returns the cluster CA, making one for a node outside any
// cluster on first use.
func (d *Daemon) apiCA() (*trust.CA, error) {
	caMu.Lock()
	defer caMu.Unlock()
	if d.clustered() {
		return trust.LoadCA(d.trustDir())
	}
	var cluster string
	d.machine.Read(func(c *model.Config) { cluster = c.ClusterName })
	return trust.LoadOrCreateCA(d.trustDir(), cluster)
}

// startAPI serves the remote API and the metrics port if asked for; the
// returned function stops them and waits.
func (d *Daemon) startAPI(ctx context.Context, srv *Server) (stop func(), err error) {
	o := d.opts.API
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	stop = func() { cancel(); wg.Wait() }
	metrics := d.metricsHandler()
	if o.MetricsAddr != "" {
		ln, err := net.Listen("tcp", o.MetricsAddr)
		if err != nil {
			stop()
			return nil, fmt.Errorf("--metrics-addr: %w", err)
		}
		hs := &http.Server{Handler: metrics, ReadHeaderTimeout: 10 * time.Second}
		wg.Go(func() { hs.Serve(ln) })
		context.AfterFunc(ctx, func() { hs.Close() })
	}
	if o.Addr == "" {
		return stop, nil
	}
	ca, err := d.apiCA()
	if err != nil {
		stop()
		return nil, fmt.Errorf("--api-addr: the cluster CA: %w", err)
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		stop()
		return nil, fmt.Errorf("--api-addr %s: %w", o.Addr, err)
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		hosts = append(hosts, host)
	}
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	cert, err := ca.SignAPIServer(d.opts.NodeName, hosts, apiCertTTL, time.Now())
	if err != nil {
		stop()
		return nil, fmt.Errorf("--api-addr: the server certificate: %w", err)
	}
	cfg := trust.APIServerConfig(cert, ca.Certificate(), func(_ string, c *x509.Certificate) error {
		if d.revoked(trust.Serial(c)) {
			return errors.New("credential revoked")
		}
		return nil
	})
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		stop()
		return nil, fmt.Errorf("--api-addr: %w", err)
	}
	as := &api.Server{Backend: &apiBackend{d: d, srv: srv, uid: os.Geteuid()}, Logger: d.opts.Logger, Metrics: metrics,
		MaxConns: o.MaxConns, HeaderTimeout: o.HeaderTimeout, WriteTimeout: o.WriteTimeout}
	d.apiServer.Store(as)
	d.opts.Logger.Info("remote API ready", "addr", ln.Addr().String(), "ca", ca.Fingerprint())
	wg.Go(func() {
		if err := as.Serve(ctx, ln, cfg); err != nil {
			d.opts.Logger.Error("remote API stopped", "err", err)
		}
	})
	return stop, nil
}

// revoked reports whether the credential with serial was revoked. The
// API asks at every request: a search of every credential recorded (up
// to model.MaxCredentials) would cost more than the request, so it looks
// in an index of the revoked ones, made again when the configuration's
// trust record is another (the model never changes one in place).
func (d *Daemon) revoked(serial string) bool {
	var r bool
	d.machine.Read(func(c *model.Config) {
		ix := d.revokedIx.Load()
		if ix == nil || ix.trust != c.Trust {
			ix = &revokedIndex{trust: c.Trust, serials: c.RevokedSerials()}
			d.revokedIx.Store(ix)
		}
		r = ix.serials[serial]
	})
	return r
}

// revokedIndex is the revoked serials of one trust record.
type revokedIndex struct {
	trust   *model.Trust
	serials map[string]bool
}

// apiBackend is the daemon as pkg/api sees it.
type apiBackend struct {
	d   *Daemon
	srv *Server
	uid int // rgmd's effective uid: asked once, not at every request (a system call)
}

func (b *apiBackend) Call(ctx context.Context, who api.Caller, op string, args json.RawMessage) (json.RawMessage, error) {
	if err := b.srv.reads.wait(ctx); err != nil {
		return nil, scha.Errorf(scha.ErrInternal, "rgmd is shutting down")
	}
	ctx = withRemote(ctx, remoteCaller{User: who.Name, Role: string(who.Role), Addr: who.Addr})
	log := slog.New(&lazyAttrs{next: b.d.opts.Logger.Handler(), attrs: []slog.Attr{slog.String("user", who.Name), slog.String("addr", who.Addr)}})
	// As rgmd's own user: the role, checked by pkg/api, is the authority.
	p := Peer{PID: -1, UID: b.uid, GID: -1}
	return b.srv.call(ctx, log, p, &wire.Request{Version: wire.ProtocolVersion, Op: op, Args: args})
}

// lazyAttrs adds attrs to each record it handles. Logger.With would
// format them at once, for every request, when a read that succeeds logs
// nothing: a twentieth of a remote get's time in rgmd.
type lazyAttrs struct {
	next  slog.Handler
	attrs []slog.Attr
}

func (h *lazyAttrs) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *lazyAttrs) Handle(ctx context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	return h.next.Handle(ctx, r)
}

func (h *lazyAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	return h.next.WithAttrs(append(slices.Clip(h.attrs), as...))
}

func (h *lazyAttrs) WithGroup(name string) slog.Handler {
	return h.next.WithAttrs(h.attrs).WithGroup(name)
}

func (b *apiBackend) Follow(ctx context.Context, a wire.EventsArgs, cut bool, send func(wire.Event) error) error {
	return b.d.events.Follow(ctx, a, cut, send)
}

func (b *apiBackend) Refused(ctx context.Context, who api.Caller, op string, args json.RawMessage, err error) {
	if wire.IsRead(op) {
		return
	}
	ctx = withRemote(ctx, remoteCaller{User: who.Name, Role: string(who.Role), Addr: who.Addr})
	b.d.audit(ctx, Peer{PID: -1, UID: b.uid, GID: -1}, &wire.Request{Op: op, Args: args}, err, 0)
}

func (b *apiBackend) Revoked(serial string) bool { return b.d.revoked(serial) }

func init() {
	moreHandlers = append(moreHandlers, func(d *Daemon) map[string]Handler {
		return map[string]Handler{
			wire.OpAuditList:  d.auditList,
			wire.OpCredIssue:  d.credIssue,
			wire.OpCredList:   d.credList,
			wire.OpCredRevoke: d.credRevoke,
		}
	})
}

func (d *Daemon) credIssue(ctx context.Context, p Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.CredIssueArgs](raw)
	if err != nil {
		return nil, err
	}
	if err := trust.CheckName(a.Name); err != nil {
		return nil, scha.Errorf(scha.ErrInval, "user name: %v", err)
	}
	role, err := trust.ParseRole(a.Role)
	if err != nil {
		return nil, scha.Errorf(scha.ErrInval, "%v", err)
	}
	ttl := DefaultCredTTL
	if a.TTL < 0 {
		return nil, scha.Errorf(scha.ErrInval, "ttl %d is negative", a.TTL)
	} else if a.TTL > 0 {
		ttl = time.Duration(a.TTL) * time.Second
	}
	ca, err := d.apiCA()
	if err != nil {
		return nil, scha.Errorf(scha.ErrInternal, "the cluster CA: %v", err)
	}
	now := time.Now()
	cred, serial, notAfter, err := ca.IssueUser(a.Name, role, ttl, now)
	if err != nil {
		return nil, scha.Errorf(scha.ErrInval, "%v", err)
	}
	// Recorded before it is handed out: a credential nobody can revoke
	// is never issued.
	rec := model.Credential{Name: a.Name, Role: string(role), Serial: serial, Issued: now.Unix(), Expires: notAfter.Unix(), IssuedBy: who(ctx, p)}
	if err := d.propose(ctx, store.CmdCredIssue, store.CredIssueCmd{Cred: rec, Now: now.Unix()}); err != nil {
		return nil, err
	}
	return wire.CredIssueReply{Cred: string(cred), Serial: serial, Expires: notAfter.Unix()}, nil
}

func (d *Daemon) credRevoke(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.CredRevokeArgs](raw)
	if err != nil {
		return nil, err
	}
	var n int
	d.machine.Read(func(c *model.Config) {
		for _, cr := range c.Credentials() {
			if cr.Name == a.Name && cr.Revoked == 0 && (a.Serial == "" || cr.Serial == a.Serial) {
				n++
			}
		}
	})
	if err := d.propose(ctx, store.CmdCredRevoke, store.CredRevokeCmd{Name: a.Name, Serial: a.Serial, Now: time.Now().Unix()}); err != nil {
		return nil, err
	}
	return wire.CredRevokeReply{Revoked: n}, nil
}

func (d *Daemon) credList(context.Context, Peer, json.RawMessage) (any, error) {
	out := []wire.Credential{}
	d.machine.Read(func(c *model.Config) {
		for _, cr := range c.Credentials() {
			out = append(out, wire.Credential(cr))
		}
	})
	return out, nil
}
