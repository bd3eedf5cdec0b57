// Package client is the one Go client of rgmd. Every scha_* command,
// rgmadm and the C API talk to the daemon through it; nothing else dials
// the socket.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/paths"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/seqfile"
	"github.com/openrgm/openrgm/pkg/wire"
)

// DefaultTimeout bounds one Call when Client.Timeout is zero. It is long
// because mutations wait for the replicated log; queries answer in
// microseconds.
const DefaultTimeout = 30 * time.Second

// Client calls rgmd over its Unix socket. The zero value is ready to use
// and talks to paths.Socket(). It keeps one connection open between calls
// (a scha_* command or a fault monitor using libscha asks many questions),
// and is safe for concurrent use: calls share that connection one at a
// time.
//
// Errors returned by its methods carry a scha code (scha.CodeOf):
//   - the daemon's own code for a request it refused or failed;
//   - SCHA_ERR_INTERNAL when rgmd cannot be reached, with a detail naming
//     the socket and how to start rgmd. SCHA_ERR_RECONF would tell a
//     Solaris script to retry, and a script retrying "cluster is
//     reconfiguring" would spin forever when no rgmd was ever started;
//     INTERNAL is what such scripts treat as "the framework is broken";
//   - SCHA_ERR_ACCESS when the socket's permissions refuse us;
//   - SCHA_ERR_TIMEOUT when rgmd does not answer within Timeout or the
//     context's deadline;
//   - SCHA_ERR_INTERNAL for a connection lost mid-call or a reply that
//     breaks the protocol.
type Client struct {
	// Socket is the daemon's socket path. Optional: "" means
	// paths.Socket(). Set before the first call.
	Socket string

	// Dial opens a connection in place of dialing Socket. Optional, for
	// tests and for pkg/client/remote's TLS connections. An error of
	// type *scha.Error that it, or the connection's Read or Write,
	// returns is returned by the call as is. Set before the first call.
	Dial func(ctx context.Context) (Conn, error)

	// Blocking talks over a plain blocking socket instead of Go's network
	// poller (see unixConn): for processes that make a call or two and
	// exit (the commands), and for calls made on a C caller's thread (the
	// C library). Processes with many concurrent goroutines leave it
	// false: the poller serves them with few threads. Optional.
	Blocking bool

	// Timeout bounds each call, connecting included. Optional: 0 means
	// DefaultTimeout. A shorter context deadline wins.
	Timeout time.Duration

	mu     sync.Mutex
	conn   Conn
	r      *wire.Reader
	w      *wire.Writer
	peek   *peeker
	lastID uint64
	// lastReply is when the connection last answered: a connection that
	// answered within peekIdle is taken as open without a peek.
	lastReply time.Time
	// seq is the daemon's change counter for this connection
	// (ChangeCount); seqTried, that opening it was attempted.
	seq      *seqfile.Reader
	seqTried bool
	dials    uint64 // connections made, which tells a Count's apart
}

// peekIdle is how long a connection may rest before the client checks it
// is still open. The daemon closes connections only after minutes idle
// (or when it stops), and on a Unix socket a write to a closed peer fails
// before anything is sent, which is safe to resend; the peek costs a
// system call and a wake-up per call, a fifth of a C get's time.
const peekIdle = time.Second

// Call sends op with args (marshalled to JSON; nil sends none) and waits for
// the reply, whose data it unmarshals into out (ignored if nil). A reply
// with a non-zero code is returned as a *scha.Error with the daemon's code
// and message; this is the one place where replies become errors.
//
// If the kept connection turns out to be closed (rgmd restarted, or closed
// it after its idle timeout) before the request went out, Call redials once.
// A request that may have reached the daemon is sent again only if it
// merely reads.
func (c *Client) Call(ctx context.Context, op string, args any, out any) error {
	var raw json.RawMessage
	if args != nil {
		var err error
		if raw, err = marshalArgs(args); err != nil {
			return &scha.Error{Code: scha.ErrInval, Detail: fmt.Sprintf("encoding arguments of %s: %v", op, err)}
		}
	}
	return c.call(ctx, op, raw, out)
}

// call is Call with the arguments encoded.
func (c *Client) call(ctx context.Context, op string, raw json.RawMessage, out any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastID++
	req := wire.Request{Version: wire.ProtocolVersion, ID: c.lastID, Op: op, Args: raw}
	rep, err := c.roundTrip(ctx, &req)
	if err != nil {
		return err
	}
	if rep.Code != scha.ErrNoErr {
		return &scha.Error{Code: rep.Code, Detail: rep.Message}
	}
	if out != nil && len(rep.Data) > 0 {
		if err := unmarshalData(rep.Data, out); err != nil {
			return &scha.Error{Code: scha.ErrInternal, Detail: fmt.Sprintf("decoding rgmd's reply to %s: %v", op, err)}
		}
	}
	return nil
}

// Ping asks the daemon who it is; rgmadm and test harnesses use it to wait
// for a starting rgmd.
func (c *Client) Ping(ctx context.Context) (*wire.PingReply, error) {
	var rep wire.PingReply
	if err := c.Call(ctx, wire.OpPing, nil, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// Get runs one scha_*_get query.
func (c *Client) Get(ctx context.Context, args wire.GetArgs) (*wire.GetReply, error) {
	// Encoded here rather than by Call, whose test for a hand-written
	// encoder is a dynamic interface conversion: the runtime's first one
	// of a kind writes to its itab table, a page fault a fresh scha_*
	// command would pay for nothing.
	var rep wire.GetReply
	if err := c.call(ctx, wire.OpGet, args.AppendJSON(make([]byte, 0, wire.SmallMessage)), &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// Close closes the kept connection. The Client stays usable: the next call
// dials again.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.drop()
	return err
}

func (c *Client) socket() string {
	if c.Socket != "" {
		return c.Socket
	}
	return paths.Socket()
}

// roundTrip sends req and reads its reply, redialing as Call describes.
// c.mu is held.
func (c *Client) roundTrip(ctx context.Context, req *wire.Request) (*wire.Reply, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.ctxError(req.Op, err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}

	for retried := false; ; retried = true {
		reused := c.conn != nil
		if reused && (c.r.Buffered() > 0 || (time.Since(c.lastReply) > peekIdle && !c.peerOpen())) {
			c.closeConn()
			reused = false
		}
		if c.conn == nil {
			if err := c.dial(ctx, deadline); err != nil {
				return nil, err
			}
		}
		rep, sent, err := c.exchange(ctx, req, deadline)
		if err == nil {
			if rep.ID != req.ID {
				c.closeConn()
				if rep.ID == 0 && rep.Code != scha.ErrNoErr {
					// Said before the request was read: rgmd busy, or
					// the request unreadable.
					return nil, &scha.Error{Code: rep.Code, Detail: rep.Message}
				}
				return nil, &scha.Error{Code: scha.ErrInternal, Detail: fmt.Sprintf("rgmd answered request %d to %s with reply %d; protocol out of step", req.ID, req.Op, rep.ID)}
			}
			c.lastReply = time.Now()
			return rep, nil
		}
		if errors.Is(err, wire.ErrTooLong) && !sent {
			// Refused before writing a byte: the connection is fine.
			return nil, &scha.Error{Code: scha.ErrInval, Detail: req.Op + " request exceeds 1 MiB"}
		}
		c.closeConn()
		// The daemon closed a kept connection just as we used it. If the
		// write failed, it read nothing; if the reply ended before its
		// first byte, it may have acted, so only a read is safe to resend.
		if reused && !retried && ctx.Err() == nil && !isTimeout(err) &&
			(!sent || (err == io.EOF && wire.IsRead(req.Op))) {
			continue
		}
		return nil, c.ioError(ctx, req.Op, err)
	}
}

// exchange writes req and reads one reply on the current connection; sent
// reports whether the write succeeded.
func (c *Client) exchange(ctx context.Context, req *wire.Request, deadline time.Time) (rep *wire.Reply, sent bool, err error) {
	conn := c.conn
	conn.SetDeadline(deadline)
	if ctx.Done() != nil {
		// Interrupt blocked I/O when ctx ends; the connection is then
		// out of step, and dropped by the caller.
		stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	if err := c.w.WriteRequest(req); err != nil {
		// rgmd may have said why it hung up before reading anything
		// (busy: too many connections); the reply waits to be read.
		if rep, rerr := c.r.ReadReply(); rerr == nil && rep.ID == 0 && rep.Code != scha.ErrNoErr {
			return rep, false, nil
		}
		return nil, false, err
	}
	rep, err = c.r.ReadReply()
	return rep, true, err
}

func (c *Client) dial(ctx context.Context, deadline time.Time) error {
	var conn Conn
	var err error
	if c.Dial == nil {
		// No context.WithDeadline here: its timer would start the
		// runtime's poller thread, a tenth of a scha_* command's time.
		// A local connect does not block.
		conn, err = c.dialSocket()
	} else {
		dctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		conn, err = c.Dial(dctx)
	}
	if err != nil {
		return c.dialError(ctx, err, deadline)
	}
	c.conn = conn
	c.dials++
	if uc, ok := conn.(*unixConn); ok {
		// From the concrete type, the compiler knows the io.Reader and
		// io.Writer; from the Conn interface, the runtime would look
		// them up (see Get).
		c.r, c.w = wire.NewReplyReader(uc), wire.NewWriter(uc)
	} else {
		c.r, c.w = wire.NewReplyReader(conn), wire.NewWriter(conn)
	}
	return nil
}

// peerOpen peeks at the connection (see peeker), made on first need: a
// command that asks once never needs it, and making it costs a dynamic
// interface conversion (see Get).
func (c *Client) peerOpen() bool {
	if c.peek == nil {
		c.peek = newPeeker(c.conn)
	}
	return c.peek.peerOpen()
}

func (c *Client) closeConn() {
	if c.conn != nil {
		c.conn.Close()
	}
	c.drop()
}

func (c *Client) drop() {
	if c.seq != nil {
		c.seq.Close()
	}
	c.conn, c.r, c.w, c.peek, c.seq, c.seqTried = nil, nil, nil, nil, nil, false
}

func (c *Client) dialError(ctx context.Context, err error, deadline time.Time) error {
	if se, ok := err.(*scha.Error); ok {
		return se // checkServer's refusal
	}
	if ctx.Err() != nil {
		return c.ctxError("connect", ctx.Err())
	}
	if isTimeout(err) || !time.Now().Before(deadline) {
		return &scha.Error{Code: scha.ErrTimeout, Detail: fmt.Sprintf("cannot connect to rgmd at %s: timed out", c.socket())}
	}
	reason := err.Error()
	var errno syscall.Errno
	if errors.As(err, &errno) {
		reason = errno.Error()
	}
	if errors.Is(err, os.ErrPermission) {
		return &scha.Error{Code: scha.ErrAccess, Detail: fmt.Sprintf("cannot connect to rgmd at %s: %s", c.socket(), reason)}
	}
	hint := "`rgmd &` or `systemctl start rgmd`"
	if exe, err := os.Executable(); err == nil && c.socket() == paths.Socket() {
		hint = startHint(exe)
	}
	return &scha.Error{Code: scha.ErrInternal, Detail: fmt.Sprintf("cannot connect to rgmd at %s: %s (is rgmd running? start it with %s)", c.socket(), reason, hint)}
}

// startHint says how to start rgmd for a client whose program is exe and
// who asks for the default socket: `rgmd &` or `systemctl start rgmd`,
// and first `make start` in the source tree when exe is in a tree's bin
// (beside its scripts/start.sh), since that rgmd serves the same socket.
func startHint(exe string) string {
	const hint = "`rgmd &` or `systemctl start rgmd`"
	bin := filepath.Dir(exe)
	if filepath.Base(bin) != "bin" {
		return hint
	}
	root := filepath.Dir(bin)
	if fi, err := os.Stat(filepath.Join(root, "scripts", "start.sh")); err != nil || !fi.Mode().IsRegular() {
		return hint
	}
	return "`make start` in " + root + ", " + hint
}

func (c *Client) ioError(ctx context.Context, op string, err error) error {
	if se, ok := err.(*scha.Error); ok {
		return se // a Dial'ed connection's own verdict (pkg/client/remote: a TLS refusal)
	}
	if ctx.Err() != nil {
		return c.ctxError(op, ctx.Err())
	}
	if isTimeout(err) {
		return &scha.Error{Code: scha.ErrTimeout, Detail: fmt.Sprintf("rgmd at %s did not answer %s in time", c.socket(), op)}
	}
	if errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrTooLong) {
		return &scha.Error{Code: scha.ErrInternal, Detail: fmt.Sprintf("bad reply from rgmd to %s: %v", op, err)}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return &scha.Error{Code: scha.ErrInternal, Detail: fmt.Sprintf("rgmd at %s closed the connection during %s (did it stop?)", c.socket(), op)}
	}
	return &scha.Error{Code: scha.ErrInternal, Detail: fmt.Sprintf("talking to rgmd at %s: %v", c.socket(), err)}
}

func (c *Client) ctxError(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &scha.Error{Code: scha.ErrTimeout, Detail: fmt.Sprintf("rgmd at %s did not answer %s in time", c.socket(), op)}
	}
	return &scha.Error{Code: scha.ErrInternal, Detail: op + " cancelled: " + err.Error()}
}

func isTimeout(err error) bool {
	var te timeouter
	return errors.As(err, &te) && te.Timeout()
}
