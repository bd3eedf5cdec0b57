package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"

	"github.com/openrgm/openrgm/pkg/trust"
)

// Config says how a node opens its cluster port.
type Config struct {
	Addr      string // host:port to listen on (TCP, and UDP for gossip); required
	Advertise string // address peers dial; "" means Addr, which must then name a host
	Node      string // this node's name; required
	// Identity is the node's certificate and key, signed by the cluster
	// CA. It may be nil at first (the first node of a cluster makes its
	// own once its log is open): until SetIdentity, every connection is
	// refused.
	Identity *trust.Identity
	// Allow says whether a node (by the name in its verified certificate)
	// may still talk to this one: the daemon refuses removed nodes.
	Allow func(node string) error
	// Handler answers peers' requests; required.
	Handler Handler
	// Notify, optional, is told of every change of another node's
	// liveness as memberlist sees it.
	Notify func(node string, up bool)
	Timing GossipTiming
	Logger *slog.Logger
}

// Cluster is a node's open cluster port.
type Cluster struct {
	cfg    Config
	id     atomic.Pointer[trust.Identity]
	mux    *mux
	udp    *net.UDPConn
	adv    string
	rpc    *rpcClient
	live   *liveness
	ctx    context.Context
	cancel context.CancelFunc

	mu sync.Mutex
	ml *memberlist.Memberlist
}

// Listen opens the cluster port: the TCP listener (mutual TLS) and the
// UDP socket gossip uses, on the same port number. Requests are served
// at once; gossip starts with StartGossip, once the key is known.
func Listen(cfg Config) (*Cluster, error) {
	if cfg.Addr == "" || cfg.Node == "" || cfg.Handler == nil {
		return nil, errors.New("cluster: Config needs Addr, Node and Handler")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Allow == nil {
		cfg.Allow = func(string) error { return nil }
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("cluster port %s: %w", cfg.Addr, err)
	}
	tcpAddr := ln.Addr().(*net.TCPAddr)
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: tcpAddr.IP, Port: tcpAddr.Port})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("cluster port %s (UDP, for gossip): %w", cfg.Addr, err)
	}
	adv := cfg.Advertise
	if adv == "" {
		adv = tcpAddr.String()
		if tcpAddr.IP.IsUnspecified() {
			ln.Close()
			udp.Close()
			return nil, fmt.Errorf("cluster address %s names no host that peers can dial: give a host's address", cfg.Addr)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cluster{cfg: cfg, udp: udp, adv: adv, ctx: ctx, cancel: cancel,
		live: &liveness{up: map[string]bool{}, notify: cfg.Notify, down: make(chan struct{}, 1)}}
	if cfg.Identity != nil {
		c.id.Store(cfg.Identity)
	}
	c.rpc = &rpcClient{tls: c.clientTLS}
	c.mux = newMux(ln, c.serverTLS, cfg.Logger, func(conn *tls.Conn, peer string) {
		serveRPC(ctx, conn, peer, cfg.Handler)
	})
	go c.mux.serve()
	return c, nil
}

// allow is the TLS check of a peer's verified certificate.
func (c *Cluster) allow(name string, _ *x509.Certificate) error { return c.cfg.Allow(name) }

// SetIdentity gives the node its certificate: from now on it accepts and
// makes connections.
func (c *Cluster) SetIdentity(id *trust.Identity) { c.id.Store(id) }

// serverTLS and clientTLS are nil while the node has no identity.
func (c *Cluster) serverTLS() *tls.Config {
	if id := c.id.Load(); id != nil {
		return id.ServerConfig(c.allow)
	}
	return nil
}

func (c *Cluster) clientTLS() *tls.Config {
	if id := c.id.Load(); id != nil {
		return id.ClientConfig("", c.allow)
	}
	return nil
}

// Addr is the address peers reach this node at.
func (c *Cluster) Addr() string { return c.adv }

// Stream is raft's transport over the cluster port.
func (c *Cluster) Stream() raft.StreamLayer {
	a, _ := net.ResolveTCPAddr("tcp", c.adv)
	return &streamLayer{m: c.mux, client: c.clientTLS, addr: a}
}

// Call sends a request to the node at addr. A refusal by that node is a
// *RemoteError wrapping its *scha.Error; anything else did not reach it.
func (c *Cluster) Call(ctx context.Context, addr, op string, in, out any) error {
	return c.rpc.call(ctx, addr, op, in, out)
}

// StartGossip starts memberlist with the cluster's gossip key. peers
// gives the other nodes' cluster addresses by name, as the configuration
// has them now; a node that memberlist does not see alive is asked to
// join again every second, since memberlist itself never probes a node it
// declared dead: without it, two sides of a healed network cut would stay
// DOWN to each other for ever.
func (c *Cluster) StartGossip(key []byte, peers func() map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ml != nil {
		return nil
	}
	host, port, err := splitHostPort(c.adv)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return fmt.Errorf("cluster address %s: %v", c.adv, err)
		}
		ip = ips[0]
	}
	t := newGossipTransport(c.udp, &net.UDPAddr{IP: ip, Port: port}, c.mux, c.clientTLS)
	ml, err := newMemberlist(c.cfg.Node, key, t, c.cfg.Timing, c.live, c.cfg.Logger)
	if err != nil {
		t.Shutdown()
		return fmt.Errorf("cluster: start memberlist: %w", err)
	}
	c.ml = ml
	c.live.set(c.cfg.Node, true)
	go c.rejoin(ml, peers)
	return nil
}

// rejoin asks every configured node that memberlist does not see alive to
// join, at once and then every second while there is one; once every
// node is up it sleeps until memberlist sees one go down. A node added
// to the configuration later joins this one itself.
func (c *Cluster) rejoin(ml *memberlist.Memberlist, peers func() map[string]string) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	ticking := true
	for {
		var addrs []string
		for name, addr := range peers() {
			if name != c.cfg.Node && addr != "" && !c.Up(name) {
				addrs = append(addrs, addr)
			}
		}
		if len(addrs) > 0 {
			sort.Strings(addrs)
			if _, err := ml.Join(addrs); err != nil {
				c.cfg.Logger.Debug("gossip: nodes not reached yet", "peers", addrs, "err", err)
			}
		}
		switch {
		case len(addrs) > 0 && !ticking:
			t.Reset(time.Second)
		case len(addrs) == 0 && ticking:
			t.Stop()
		}
		ticking = len(addrs) > 0
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		case <-c.live.down:
		}
	}
}

// Up reports whether memberlist sees node alive. This node is up once
// gossip runs.
func (c *Cluster) Up(node string) bool {
	c.live.mu.Lock()
	defer c.live.mu.Unlock()
	return c.live.up[node]
}

// Members returns the nodes memberlist knows of, with whether each is up.
func (c *Cluster) Members() map[string]bool {
	c.live.mu.Lock()
	defer c.live.mu.Unlock()
	out := make(map[string]bool, len(c.live.up))
	for k, v := range c.live.up {
		out[k] = v
	}
	return out
}

// Forget drops a removed node from memberlist's view here, so it is not
// probed (and reported down) any more.
func (c *Cluster) Forget(node string) {
	c.live.mu.Lock()
	delete(c.live.up, node)
	c.live.mu.Unlock()
}

// Leave tells the other nodes this one is leaving (a clean stop or a
// removal), so they mark it down at once instead of suspecting it.
func (c *Cluster) Leave(timeout time.Duration) {
	c.mu.Lock()
	ml := c.ml
	c.mu.Unlock()
	if ml != nil {
		ml.Leave(timeout)
	}
}

// Close stops gossip and the cluster port.
func (c *Cluster) Close() error {
	c.cancel()
	c.mu.Lock()
	ml := c.ml
	c.ml = nil
	c.mu.Unlock()
	var errs []error
	if ml != nil {
		errs = append(errs, ml.Shutdown())
	} else {
		c.udp.Close()
	}
	errs = append(errs, c.mux.close())
	c.rpc.close()
	return errors.Join(errs...)
}
