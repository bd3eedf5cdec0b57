// Package cluster is what makes several rgmd one cluster, below the
// daemon: the cluster port (one TCP port, mutual TLS from the cluster CA,
// carrying raft, memberlist's streams and peer requests), memberlist for
// liveness (its packets on the same port number over UDP, encrypted with
// the cluster's gossip key), the requests nodes send each other
// (forwarded proposals, joins), and the joining node's side of a join.
//
// It holds no configuration of its own: the daemon says who may talk
// (Allow), answers requests (Handler) and decides what a join means.
package cluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/openrgm/openrgm/pkg/trust"
)

// The first byte a client sends after the TLS handshake says what the
// connection carries. Values are part of the protocol between nodes:
// append-only.
const (
	connRaft   byte = 'R' // a raft transport stream
	connGossip byte = 'G' // a memberlist stream
	connRPC    byte = 'C' // requests between nodes, and joins
)

// handshakeTimeout bounds the TLS handshake and the first byte: a peer
// that connects and says nothing holds a goroutine no longer than this.
const handshakeTimeout = 5 * time.Second

// maxPending bounds the connections still in their handshake: beyond it
// new ones are closed at once, so a flood of silent connections costs a
// bounded amount of memory.
const maxPending = 256

// mux accepts connections on the cluster port and hands each to the
// protocol its first byte names.
type mux struct {
	ln      net.Listener
	tls     func() *tls.Config // nil while the node has no certificate
	log     *slog.Logger
	raft    chan net.Conn
	gossip  chan net.Conn
	rpc     func(c *tls.Conn, peer string)
	pending chan struct{}

	closeOnce sync.Once
	closed    chan struct{}
}

func newMux(ln net.Listener, cfg func() *tls.Config, log *slog.Logger, rpc func(*tls.Conn, string)) *mux {
	return &mux{
		ln: ln, tls: cfg, log: log, rpc: rpc,
		raft:    make(chan net.Conn, 16),
		gossip:  make(chan net.Conn, 16),
		pending: make(chan struct{}, maxPending),
		closed:  make(chan struct{}),
	}
}

func (m *mux) serve() {
	for {
		c, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.closed:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			m.log.Warn("cluster port: accept", "err", err)
			time.Sleep(50 * time.Millisecond) // EMFILE and the like: do not spin
			continue
		}
		select {
		case m.pending <- struct{}{}:
			go m.handle(c)
		default:
			c.Close()
		}
	}
}

// handle does the handshake and reads the first byte. Only a verified
// node certificate may open a raft or gossip stream; a request
// connection without one may only ask to join (rpc checks that).
func (m *mux) handle(raw net.Conn) {
	release := func() { <-m.pending }
	cfg := m.tls()
	if cfg == nil {
		release()
		raw.Close()
		return
	}
	raw.SetDeadline(time.Now().Add(handshakeTimeout))
	c := tls.Server(raw, cfg)
	if err := c.Handshake(); err != nil {
		release()
		m.log.Debug("cluster port: refused a connection", "from", raw.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		release()
		c.Close()
		return
	}
	raw.SetDeadline(time.Time{})
	release()
	peer, isNode := trust.PeerNode(c.ConnectionState())
	switch {
	case b[0] == connRPC:
		go m.rpc(c, peer)
		return
	case !isNode:
		m.log.Warn("cluster port: a connection without a node certificate of this cluster asked for a stream", "from", raw.RemoteAddr().String())
	case b[0] == connRaft:
		if m.deliver(m.raft, c) {
			return
		}
	case b[0] == connGossip:
		if m.deliver(m.gossip, c) {
			return
		}
	default:
		m.log.Debug("cluster port: unknown connection type", "from", raw.RemoteAddr().String(), "type", b[0])
	}
	c.Close()
}

func (m *mux) deliver(ch chan net.Conn, c net.Conn) bool {
	select {
	case ch <- c:
		return true
	case <-m.closed:
		return false
	}
}

func (m *mux) close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.closed)
		err = m.ln.Close()
	})
	return err
}

// dial opens a connection of the given kind to a node's cluster port.
func dial(addr string, kind byte, cfg *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	if cfg == nil {
		return nil, errors.New("this node has no certificate of the cluster yet")
	}
	d := &net.Dialer{Timeout: timeout}
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	raw.SetDeadline(time.Now().Add(max(timeout, time.Second)))
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		raw.Close()
		return nil, fmt.Errorf("TLS with %s: %w", addr, err)
	}
	if _, err := c.Write([]byte{kind}); err != nil {
		c.Close()
		return nil, err
	}
	raw.SetDeadline(time.Time{})
	return c, nil
}

// streamLayer is raft's transport over the cluster port.
type streamLayer struct {
	m      *mux
	client func() *tls.Config
	addr   net.Addr
}

func (s *streamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-s.m.raft:
		return c, nil
	case <-s.m.closed:
		return nil, net.ErrClosed
	}
}

func (s *streamLayer) Close() error   { return s.m.close() }
func (s *streamLayer) Addr() net.Addr { return s.addr }

func (s *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return dial(string(addr), connRaft, s.client(), timeout)
}
