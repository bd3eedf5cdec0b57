package remote

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Reads over the socket's protocol (pkg/api/wire.go): a read over HTTPS
// costs several times one over the Unix socket, in net/http's goroutine
// hand-offs; over the same TLS port speaking pkg/wire (1.3 times),
// pkg/client's Client drives it as it drives the socket: the request
// written and the reply read on the caller's goroutine, the connection
// kept, redialed when rgmd closed it, a read resent when the connection
// turned out closed.

// wireServer is the kept wire-protocol connection to one server.
type wireServer struct {
	c *client.Client
	// none is set when the server answered the handshake with HTTP/1.1:
	// an rgmd that does not serve the wire protocol. Its reads go over
	// HTTPS from then on.
	none atomic.Bool
}

// errNoWire is the dial's answer when the server chose HTTP/1.1.
var errNoWire = &scha.Error{Code: scha.ErrInternal, Detail: "rgmd does not serve the wire protocol on its API port"}

// newWireServer returns the wire connection to base (https://HOST:PORT),
// dialed on first use with cfg (which asks for wire.ALPN).
func (c *Client) newWireServer(base string, cfg *tls.Config) *wireServer {
	ws := &wireServer{}
	host := strings.TrimPrefix(base, "https://")
	dial := func(ctx context.Context) (client.Conn, error) {
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}, Config: cfg}
		nc, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			return nil, c.transportError(ctx, base, "connect", err)
		}
		tc := nc.(*tls.Conn)
		if tc.ConnectionState().NegotiatedProtocol != wire.ALPN {
			tc.Close()
			ws.none.Store(true)
			return nil, errNoWire
		}
		return &wireConn{Conn: tc, base: base}, nil
	}
	// Socket only names the server in pkg/client's messages.
	ws.c = &client.Client{Socket: base, Dial: dial, Timeout: DefaultTimeout}
	return ws
}

// callWire runs the read op with its encoded arguments over the wire
// protocol, trying the servers in turn as Call does. done is false when
// the server to try speaks only HTTP: the caller then goes over HTTPS.
func (c *Client) callWire(ctx context.Context, timeout time.Duration, op string, args []byte, out any) (err error, done bool) {
	if timeout != DefaultTimeout || len(c.servers) > 1 {
		// One bound for the whole call, over every server; else the
		// wire client's own Timeout is that bound, with no timer to set.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var raw any // none
	if len(args) > 0 {
		raw = json.RawMessage(args)
	}
	c.mu.Lock()
	start := c.cur
	c.mu.Unlock()
	for i := range c.servers {
		k := (start + i) % len(c.servers)
		ws := c.wires[k]
		if ws.none.Load() {
			return nil, false
		}
		err = ws.c.Call(ctx, op, raw, out)
		switch {
		case err == nil:
			c.mu.Lock()
			c.cur = k
			c.mu.Unlock()
			return nil, true
		case err == errNoWire:
			return nil, false
		case scha.CodeOf(err) != scha.ErrInternal || ctx.Err() != nil:
			// rgmd's answer, a refusal or a timeout: final. INTERNAL
			// is a server that cannot be reached or failed: a read may
			// go to the next.
			return err, true
		}
	}
	return err, true
}

// wireConn is a TLS connection speaking the wire protocol, as pkg/client
// needs it.
type wireConn struct {
	*tls.Conn
	base string
}

// Read and Write report a TLS alert from rgmd (in TLS 1.3 a refused
// client certificate is told after the client's handshake ended, at its
// first read) as SCHA_ERR_ACCESS, which pkg/client returns as is.
func (w *wireConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	return n, w.refusal(err)
}

func (w *wireConn) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	return n, w.refusal(err)
}

func (w *wireConn) refusal(err error) error {
	var oe *net.OpError
	if err != nil && errors.As(err, &oe) && oe.Op == "remote error" {
		return scha.Errorf(scha.ErrAccess, "rgmd at %s refused the connection: %v (is the credential expired, revoked, or of another cluster?)", w.base, err)
	}
	return err
}

// SyscallConn is the TCP socket's, for pkg/client's check that rgmd has
// not closed a connection left idle (a peek that finds its close_notify
// or end of stream) before it writes a request on it.
func (w *wireConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := w.NetConn().(syscall.Conn)
	if !ok {
		return nil, errors.New("not a socket")
	}
	return sc.SyscallConn()
}
