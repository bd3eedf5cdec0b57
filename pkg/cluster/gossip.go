package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Liveness is memberlist's (SWIM with Lifeguard): each node probes
// another every ProbeInterval; one that answers neither directly nor
// through others within ProbeTimeout is suspected, and declared dead when
// it has not refuted the suspicion within SuspicionMult probe intervals
// (in a small cluster, where Lifeguard has few others to confirm, that is
// the whole of it). A node that is merely slow refutes in time; one that
// is gone does not.
//
// A suspicion and a death spread by gossip, each node telling a few
// others every GossipInterval (and on its probes). Each tick wakes the
// node whether or not it has news, and on a small VM a wake-up costs
// tens of microseconds: at 16 nodes on one 2-core VM these defaults cost
// memberlist alone about 6% of a core. Longer intervals cost less and
// find a death later (rgmd(8), Liveness).
const (
	DefaultProbeInterval  = 200 * time.Millisecond
	DefaultProbeTimeout   = 150 * time.Millisecond
	DefaultSuspicionMult  = 3
	DefaultGossipInterval = 100 * time.Millisecond
)

// GossipTiming tunes failure detection; zero values take the defaults.
type GossipTiming struct {
	ProbeInterval  time.Duration
	ProbeTimeout   time.Duration
	SuspicionMult  int
	GossipInterval time.Duration
}

// gossipTransport is memberlist's transport: packets over UDP on the
// cluster port's number (encrypted by memberlist with the gossip key),
// streams over the cluster port's mutual TLS.
type gossipTransport struct {
	udp     *net.UDPConn
	adv     *net.UDPAddr
	m       *mux
	client  func() *tls.Config
	packets chan *memberlist.Packet
	done    chan struct{}
	once    sync.Once
}

func newGossipTransport(udp *net.UDPConn, adv *net.UDPAddr, m *mux, client func() *tls.Config) *gossipTransport {
	t := &gossipTransport{udp: udp, adv: adv, m: m, client: client, packets: make(chan *memberlist.Packet, 256), done: make(chan struct{})}
	go t.readPackets()
	return t
}

func (t *gossipTransport) readPackets() {
	// One buffer for the largest datagram, and each packet copied out at
	// its size: a probe or an ack is a few hundred bytes, and a fresh
	// 64 KiB buffer for each (memberlist's own transport does that) made
	// an idle node allocate megabytes a second, which the garbage
	// collector then ran for.
	buf := make([]byte, 65536)
	for {
		n, from, err := t.udp.ReadFrom(buf)
		ts := time.Now()
		if err != nil {
			select {
			case <-t.done:
				return
			default:
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if n < 1 {
			continue
		}
		select {
		case t.packets <- &memberlist.Packet{Buf: append([]byte(nil), buf[:n]...), From: from, Timestamp: ts}:
		case <-t.done:
			return
		}
	}
}

func (t *gossipTransport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return t.adv.IP, t.adv.Port, nil
}

func (t *gossipTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return time.Time{}, err
	}
	_, err = t.udp.WriteTo(b, ua)
	return time.Now(), err
}

func (t *gossipTransport) PacketCh() <-chan *memberlist.Packet { return t.packets }

func (t *gossipTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return dial(addr, connGossip, t.client(), timeout)
}

func (t *gossipTransport) StreamCh() <-chan net.Conn { return t.m.gossip }

func (t *gossipTransport) Shutdown() error {
	t.once.Do(func() { close(t.done) })
	return t.udp.Close()
}

// liveness keeps which nodes memberlist sees alive, and tells the daemon
// of every change.
type liveness struct {
	mu     sync.Mutex
	up     map[string]bool
	notify func(node string, up bool)
	down   chan struct{} // a node went down: Cluster.rejoin looks again
}

func (l *liveness) set(node string, up bool) {
	l.mu.Lock()
	old, known := l.up[node]
	l.up[node] = up
	l.mu.Unlock()
	if !up {
		select {
		case l.down <- struct{}{}:
		default:
		}
	}
	if (!known || old != up) && l.notify != nil {
		l.notify(node, up)
	}
}

func (l *liveness) NotifyJoin(n *memberlist.Node)   { l.set(n.Name, true) }
func (l *liveness) NotifyLeave(n *memberlist.Node)  { l.set(n.Name, false) }
func (l *liveness) NotifyUpdate(n *memberlist.Node) {}

// newMemberlist starts memberlist for node on transport t.
func newMemberlist(node string, key []byte, t *gossipTransport, timing GossipTiming, live *liveness, logger *slog.Logger) (*memberlist.Memberlist, error) {
	mc, err := GossipConfig(node, timing)
	if err != nil {
		return nil, err
	}
	mc.Transport = t
	mc.AdvertiseAddr = t.adv.IP.String()
	mc.AdvertisePort = t.adv.Port
	mc.SecretKey = key
	mc.Events = live
	mc.Logger = log.New(slogLineWriter{logger}, "", 0)
	return memberlist.Create(mc)
}

// GossipConfig is memberlist's configuration for node with timing: every
// setting that decides how often a node wakes and how fast a death is
// known, without the transport, key and callbacks. The bench runs bare
// memberlist with it, as the floor of an idle cluster's CPU.
func GossipConfig(node string, timing GossipTiming) (*memberlist.Config, error) {
	mc := memberlist.DefaultLANConfig()
	mc.Name = node
	mc.GossipVerifyIncoming = true
	mc.GossipVerifyOutgoing = true
	mc.ProbeInterval = orDuration(timing.ProbeInterval, DefaultProbeInterval)
	mc.ProbeTimeout = orDuration(timing.ProbeTimeout, DefaultProbeTimeout)
	if mc.ProbeTimeout >= mc.ProbeInterval {
		return nil, fmt.Errorf("gossip probe timeout %v must be shorter than the probe interval %v", mc.ProbeTimeout, mc.ProbeInterval)
	}
	mc.SuspicionMult = DefaultSuspicionMult
	if timing.SuspicionMult > 0 {
		mc.SuspicionMult = timing.SuspicionMult
	}
	mc.SuspicionMaxTimeoutMult = 2
	mc.GossipInterval = orDuration(timing.GossipInterval, DefaultGossipInterval)
	mc.PushPullInterval = 30 * time.Second
	mc.TCPTimeout = 2 * time.Second
	// Messages are a few hundred bytes on a LAN: LZW saves nothing there,
	// and its tables cost an idle node an allocation of tens of KiB per
	// message. Compressed messages from older nodes are still read.
	mc.EnableCompression = false
	return mc, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// slogLineWriter passes memberlist's log lines to slog at debug level,
// warnings and errors at their own.
type slogLineWriter struct{ l *slog.Logger }

func (w slogLineWriter) Write(p []byte) (int, error) {
	s := string(p)
	level := slog.LevelDebug
	switch {
	case len(s) > 7 && s[:7] == "[ERR] m":
		level = slog.LevelWarn
	case len(s) > 8 && s[:8] == "[WARN] m":
		level = slog.LevelDebug // suspicion chatter during faults
	}
	w.l.Log(context.Background(), level, "memberlist: "+trimNL(s))
	return len(p), nil
}

func trimNL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

var _ io.Writer = slogLineWriter{}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	return h, n, nil
}
