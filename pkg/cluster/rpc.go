package cluster

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Requests between nodes: a length (4 bytes, big-endian) then a JSON
// object, answered the same way, many on one connection in turn.
type request struct {
	Op   string          `json:"op"`
	Body json.RawMessage `json:"body,omitempty"`
}

type reply struct {
	Code    scha.ErrCode    `json:"code"`
	Message string          `json:"message,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// maxMessage caps one request or reply: the largest is a forwarded log
// command (an RTR file's type, a batch of state changes).
const maxMessage = 8 << 20

// OpJoin is the one request a peer without a node certificate may make.
const OpJoin = "join"

// Handler answers a request from a node (peer is its verified name) or,
// for OpJoin only, from a node that has no certificate yet (peer "").
// An error carries its scha code back to the caller.
type Handler func(ctx context.Context, peer, op string, body json.RawMessage) (any, error)

func writeMsg(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) > maxMessage {
		return fmt.Errorf("message of %d bytes is over the %d-byte limit", len(b), maxMessage)
	}
	buf := make([]byte, 4+len(b))
	binary.BigEndian.PutUint32(buf, uint32(len(b)))
	copy(buf[4:], b)
	_, err = w.Write(buf)
	return err
}

func readMsg(r io.Reader, v any) error {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxMessage {
		return fmt.Errorf("message of %d bytes is over the %d-byte limit", n, maxMessage)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// idleTimeout closes a request connection nobody used for this long.
const idleTimeout = 2 * time.Minute

// serveRPC answers requests on c until it closes or idles.
func serveRPC(ctx context.Context, c *tls.Conn, peer string, h Handler) {
	defer c.Close()
	for {
		c.SetReadDeadline(time.Now().Add(idleTimeout))
		var req request
		if err := readMsg(c, &req); err != nil {
			return
		}
		var rep reply
		if peer == "" && req.Op != OpJoin {
			rep = reply{Code: scha.ErrAccess, Message: "a node certificate of this cluster is needed for " + req.Op}
			c.SetWriteDeadline(time.Now().Add(handshakeTimeout))
			writeMsg(c, rep)
			return
		}
		out, err := safeCall(ctx, h, peer, req)
		if err != nil {
			rep.Code, rep.Message = scha.CodeOf(err), scha.DetailOf(err)
		} else if out != nil {
			if rep.Body, err = json.Marshal(out); err != nil {
				rep = reply{Code: scha.ErrInternal, Message: err.Error()}
			}
		}
		c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if writeMsg(c, rep) != nil {
			return
		}
		if peer == "" {
			return // a join is one request
		}
	}
}

func safeCall(ctx context.Context, h Handler, peer string, req request) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = scha.Errorf(scha.ErrInternal, "request %s panicked: %v", req.Op, p)
		}
	}()
	return h(ctx, peer, req.Op, req.Body)
}

// RemoteError is a peer's answer that carried an error code: the request
// was delivered and refused, as opposed to not delivered.
type RemoteError struct{ Err error }

func (e *RemoteError) Error() string { return e.Err.Error() }
func (e *RemoteError) Unwrap() error { return e.Err }

// rpcClient keeps idle request connections per address.
type rpcClient struct {
	tls  func() *tls.Config
	mu   sync.Mutex
	idle map[string][]*tls.Conn
}

// maxIdle is how many idle connections are kept per peer.
const maxIdle = 4

// call sends one request to addr and decodes the answer into out (unless
// nil). A refusal by the peer is a *RemoteError wrapping a *scha.Error.
func (r *rpcClient) call(ctx context.Context, addr, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		c, reused, err := r.get(ctx, addr)
		if err != nil {
			if attempt > 0 {
				// The first attempt's request may have reached the
				// peer (an EOF where its answer should be is retried:
				// roundTrip): the peer is no longer reachable, but it
				// is not known that it got nothing.
				return err
			}
			return unreachable{err}
		}
		rep, err := roundTrip(ctx, c, request{Op: op, Body: body})
		if err != nil {
			c.Close()
			// A kept connection may have been closed by the peer while
			// idle; a fresh one is tried once, after a write error or
			// an EOF before any answer (which an idle close gives, but
			// so does a peer that read the request and died: the
			// fresh one then finds no peer, and the failure is not
			// Unreachable).
			if reused && attempt == 0 && errors.Is(err, errBeforeSend) {
				continue
			}
			return err
		}
		r.put(addr, c)
		if rep.Code != scha.ErrNoErr {
			return &RemoteError{Err: &scha.Error{Code: rep.Code, Detail: rep.Message}}
		}
		if out != nil && len(rep.Body) > 0 {
			return json.Unmarshal(rep.Body, out)
		}
		return nil
	}
}

var errBeforeSend = errors.New("request not sent")

// unreachable is a Call's failure to connect to its peer, with the
// dialer's message unchanged.
type unreachable struct{ error }

func (u unreachable) Unwrap() error { return u.error }

// Unreachable reports whether err is a Call's failure to connect to its
// peer (refused, timed out, no TLS handshake): the request never left
// this node, so sending it again, or to another node, cannot have it
// done twice.
func Unreachable(err error) bool {
	var u unreachable
	return errors.As(err, &u)
}

func roundTrip(ctx context.Context, c *tls.Conn, req request) (reply, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(30 * time.Second)
	}
	c.SetDeadline(dl)
	var rep reply
	if err := writeMsg(c, req); err != nil {
		return rep, fmt.Errorf("%w: %w", errBeforeSend, err)
	}
	if err := readMsg(c, &rep); err != nil {
		if errors.Is(err, io.EOF) {
			return rep, fmt.Errorf("%w: %w", errBeforeSend, err)
		}
		return rep, err
	}
	return rep, nil
}

func (r *rpcClient) get(ctx context.Context, addr string) (*tls.Conn, bool, error) {
	r.mu.Lock()
	for l := r.idle[addr]; len(l) > 0; l = r.idle[addr] {
		c := l[len(l)-1]
		r.idle[addr] = l[:len(l)-1]
		if closedByPeer(c) {
			// Closed before this request was written (a peer that
			// died, or closed it idle): nothing was sent on it, and a
			// failure to reach the peer afresh is Unreachable.
			c.Close()
			continue
		}
		r.mu.Unlock()
		return c, true, nil
	}
	r.mu.Unlock()
	timeout := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	c, err := dial(addr, connRPC, r.tls(), timeout)
	return c, false, err
}

// closedByPeer reports whether a kept connection was closed, or written
// to, by its peer while idle: a peek that may not wait finds the end of
// the stream, or bytes nobody asked for, rather than nothing to read.
// (A read with a deadline already past never looks at the socket.)
func closedByPeer(c *tls.Conn) bool {
	sc, ok := c.NetConn().(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	c.SetDeadline(time.Time{}) // the last call's, perhaps past: the peek must run
	idle := false
	var b [1]byte
	rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		idle = err == syscall.EAGAIN
		return true // never wait
	})
	return !idle
}

func (r *rpcClient) put(addr string, c *tls.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.idle == nil {
		r.idle = map[string][]*tls.Conn{}
	}
	if len(r.idle[addr]) >= maxIdle {
		c.Close()
		return
	}
	r.idle[addr] = append(r.idle[addr], c)
}

func (r *rpcClient) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.idle {
		for _, c := range l {
			c.Close()
		}
	}
	r.idle = nil
}

var _ net.Conn = (*tls.Conn)(nil)

// CallOnce sends one request to the node at addr over a connection of
// its own, made with cfg (normally Identity.ClientConfig), and closes
// it: for a program that holds no Cluster, such as the fencing guard,
// which reports with the node's certificate while rgmd may be dead. A
// refusal by that node is a *RemoteError wrapping its *scha.Error;
// anything else did not reach it.
func CallOnce(ctx context.Context, addr string, cfg *tls.Config, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	timeout := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if timeout <= 0 {
		return context.DeadlineExceeded
	}
	c, err := dial(addr, connRPC, cfg, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	rep, err := roundTrip(ctx, c, request{Op: op, Body: body})
	if err != nil {
		return err
	}
	if rep.Code != scha.ErrNoErr {
		return &RemoteError{Err: &scha.Error{Code: rep.Code, Detail: rep.Message}}
	}
	if out != nil && len(rep.Body) > 0 {
		return json.Unmarshal(rep.Body, out)
	}
	return nil
}
