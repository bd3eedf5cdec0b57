// Package daemon wires the store, the engine, the method runner and the
// socket server into rgmd.
package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Peer is the process at the other end of a connection, as the kernel
// reports it (SO_PEERCRED) when the connection is made. A field the kernel
// could not report is -1, which no authorization check grants anything to.
// A request of the remote API (api.go) has PID and GID -1 and the UID of
// rgmd itself, its role having been checked before; its context says who
// made it (remoteOf).
type Peer struct {
	PID, UID, GID int
}

// Handler serves one operation. args is the request's Args (nil when the
// client sent none). The result is marshalled into Reply.Data (a
// json.RawMessage is sent as is; nil sends no data). An error is sent as its
// scha code and detail, so handlers return *scha.Error, wrapped as they
// like, for anything a user should see as other than SCHA_ERR_INTERNAL.
type Handler func(ctx context.Context, p Peer, args json.RawMessage) (any, error)

// Default timeouts of a Server.
const (
	DefaultIdleTimeout    = 10 * time.Minute
	DefaultMessageTimeout = 10 * time.Second
)

// Server answers requests on a listener. Its fields are read by Serve and
// must not change while it runs; one Server may Serve several listeners.
type Server struct {
	// Handlers maps an op (wire.Op*) to its handler. Required.
	Handlers map[string]Handler

	// Streams maps the ops whose answer is a stream of replies (such as
	// wire.OpEvents) to their handlers. Optional.
	Streams map[string]StreamHandler

	// Authorize decides whether p may call op; its error is sent as the
	// reply. Optional: nil means DefaultAuthorize.
	Authorize func(p Peer, op string) error
	// BeforeWrite, optional, runs before every op that is not a read: a
	// follower catches up with the cluster's log there, so the change is
	// checked against what the cluster acknowledged.
	BeforeWrite func(ctx context.Context) error
	// Audit, optional, is told of every request that is not a read, once
	// its handler returned (audit.go).
	Audit func(ctx context.Context, p Peer, req *wire.Request, err error, took time.Duration)

	// Logger receives connection and handler trouble. Optional: nil means
	// slog.Default().
	Logger *slog.Logger

	// IdleTimeout is how long a connection may wait for its next request
	// before the server closes it; clients redial transparently. Optional:
	// 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration

	// MessageTimeout bounds reading a request once its first byte has
	// arrived, and writing its reply, so a stalled peer cannot hold a
	// goroutine and a buffer forever. Optional: 0 means
	// DefaultMessageTimeout.
	MessageTimeout time.Duration

	// MaxConns and MaxConnsPerUID bound the connections open at once, in
	// all and per uid (DefaultMaxConns, DefaultMaxConnsPerUID when <= 0);
	// a connection beyond them gets a "busy" SCHA_ERR_INTERNAL reply at
	// once and is closed (connlimit.go).
	MaxConns, MaxConnsPerUID int

	conns connLimit

	// reads, when set, holds every request back while the daemon's
	// lifecycle has started methods on changes not yet applied.
	reads *readBarrier
}

// DefaultAuthorize lets any local user read (wire.IsRead) and only root or
// the daemon's own user mutate. The socket is world-writable on purpose
// (see Listen), so this check, on credentials the kernel vouches for, is
// what guards the configuration.
func DefaultAuthorize(p Peer, op string) error {
	if wire.IsRead(op) {
		return nil
	}
	euid := os.Geteuid()
	if p.UID == 0 || (p.UID >= 0 && p.UID == euid) {
		return nil
	}
	return scha.Errorf(scha.ErrAccess, "%s: only root or uid %d may change the cluster; caller has uid %d", op, euid, p.UID)
}

// Serve accepts connections on ln and answers their requests until ctx is
// cancelled; it then closes ln and every connection, waits for running
// handlers (whose ctx is cancelled too) and returns nil. It takes whatever
// listener it is given (socket activation, Listen, tests). If accepting
// fails for good, it shuts down the same way and returns that error;
// running out of file descriptors is not for good, and is retried. On a
// Unix listener it accepts on a thread of its own and answers a first get
// or ping there (lane.go); what a client sees is the same either way.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// Connections close themselves when ctx ends (see converse), and
	// Serve waits for them, so no handler outlives it. The cancel also
	// covers returning on an accept error.
	ctx, cancel := context.WithCancel(ctx)
	var conns sync.WaitGroup
	defer conns.Wait()
	defer cancel()
	if lfd, ok := laneFD(ln); ok {
		defer ln.Close() // only once the lane, which polls its descriptor, has stopped
		return s.lane(ctx, lfd, &conns)
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() }) // unblocks Accept
	defer stop()
	defer ln.Close() // closed on return whichever way, not just eventually

	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !acceptRetryable(err) {
				return err
			}
			// Out of file descriptors and the like: the daemon must carry
			// on, so wait for connections to finish instead of spinning.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logger().Warn("accept failed; retrying", "err", err, "in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		backoff = 0
		peer, err := peerCred(c)
		if err != nil {
			// Reads are still safe to serve; Authorize sees uid -1.
			s.logger().Debug("no peer credentials", "err", err)
		}
		if err := s.conns.admit(peer.UID, s.MaxConns, s.MaxConnsPerUID); err != nil {
			w := wire.NewWriter(c)
			c.SetWriteDeadline(time.Now().Add(time.Second))
			w.WriteReply(errorReply(0, scha.CodeOf(err), scha.DetailOf(err)))
			c.Close()
			continue
		}
		c = &countedConn{Conn: c, release: func() { s.conns.release(peer.UID) }}
		conns.Go(func() { s.converse(ctx, c, peer, nil, nil) })
	}
}

func acceptRetryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EINTR)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) timeouts() (idle, msg time.Duration) {
	idle, msg = s.IdleTimeout, s.MessageTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	if msg <= 0 {
		msg = DefaultMessageTimeout
	}
	return idle, msg
}

// converse answers one connection's requests in order until the peer
// hangs up, breaks the protocol, idles out, or ctx ends. Nothing that
// happens on one connection reaches another or the daemon. The lane
// (lane.go) hands over a connection with the bytes it read but did not
// answer (read) and the end of a reply it could not write at once
// (unsent).
func (s *Server) converse(ctx context.Context, c net.Conn, peer Peer, read, unsent []byte) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	log := s.logger().With("pid", peer.PID, "uid", peer.UID)

	idle, msgTimeout := s.timeouts()
	if len(unsent) > 0 {
		c.SetWriteDeadline(time.Now().Add(msgTimeout))
		if _, err := c.Write(unsent); err != nil {
			return
		}
	}
	var in io.Reader = c
	if len(read) > 0 {
		in = io.MultiReader(bytes.NewReader(read), c)
	}
	r := wire.NewReader(in)
	w := wire.NewWriter(c)
	for {
		c.SetReadDeadline(time.Now().Add(idle))
		if err := r.WaitMessage(); err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				log.Debug("connection closed while idle", "err", err)
			}
			return
		}
		c.SetReadDeadline(time.Now().Add(msgTimeout))
		req, err := r.ReadRequest()
		if err == nil {
			if sh, ok := s.Streams[req.Op]; ok {
				s.stream(ctx, log, c, w, peer, req, sh)
				return
			}
		}
		var rep *wire.Reply
		switch {
		case err == nil:
			rep = s.handle(ctx, log, peer, req)
		case errors.Is(err, wire.ErrTooLong):
			log.Warn("request too long; closing connection", "limit", wire.MaxMessage)
			rep = errorReply(0, scha.ErrInval, "message exceeds 1 MiB")
		case errors.Is(err, wire.ErrMalformed):
			log.Warn("malformed request; closing connection", "err", err)
			rep = errorReply(0, scha.ErrInval, strings.TrimPrefix(err.Error(), "wire: "))
		default:
			// Hung up or stalled mid-message: nobody to answer.
			if ctx.Err() == nil {
				log.Debug("connection lost mid-request", "err", err)
			}
			return
		}

		c.SetWriteDeadline(time.Now().Add(msgTimeout))
		if err != nil { // the request was unreadable: answer and close
			w.WriteReply(rep)
			return
		}
		if s.writeReply(log, w, req.Op, rep) != nil {
			return
		}
	}
}

// writeReply writes the reply to op; one too long for the wire is
// replaced by SCHA_ERR_INTERNAL, so the client is not left waiting.
func (s *Server) writeReply(log *slog.Logger, w *wire.Writer, op string, rep *wire.Reply) error {
	err := w.WriteReply(rep)
	if errors.Is(err, wire.ErrTooLong) {
		log.Error("reply too long", "op", op, "limit", wire.MaxReply)
		err = w.WriteReply(errorReply(rep.ID, scha.ErrInternal, "reply to "+op+" exceeds 256 MiB"))
	}
	return err
}

// handle turns a request into a reply. It is the one place where a
// handler's error becomes a code and a message.
func (s *Server) handle(ctx context.Context, log *slog.Logger, p Peer, req *wire.Request) *wire.Reply {
	if err := s.reads.wait(ctx); err != nil {
		return errorReply(req.ID, scha.ErrInternal, "rgmd is shutting down")
	}
	data, err := s.call(ctx, log, p, req)
	if err != nil {
		return errorReply(req.ID, scha.CodeOf(err), scha.DetailOf(err))
	}
	return &wire.Reply{Version: wire.ProtocolVersion, ID: req.ID, Data: data}
}

// admit checks the version and the caller of a request.
func (s *Server) admit(log *slog.Logger, p Peer, req *wire.Request) error {
	// Version 0 is a hand-typed request (socat) without "v"; treat it
	// as the first version rather than make debugging harder.
	if req.Version > wire.ProtocolVersion {
		return scha.Errorf(scha.ErrInval, "protocol version %d not supported (max %d); upgrade rgmd", req.Version, wire.ProtocolVersion)
	}
	authorize := s.Authorize
	if authorize == nil {
		authorize = DefaultAuthorize
	}
	if err := authorize(p, req.Op); err != nil {
		log.Info("request refused", "op", req.Op, "err", err)
		return err
	}
	return nil
}

func (s *Server) call(ctx context.Context, log *slog.Logger, p Peer, req *wire.Request) (json.RawMessage, error) {
	h, ok := s.Handlers[req.Op]
	if !ok {
		if req.Version > wire.ProtocolVersion {
			return nil, s.admit(log, p, req)
		}
		return nil, scha.Errorf(scha.ErrInval, "unknown operation %q", req.Op)
	}
	if err := s.admit(log, p, req); err != nil {
		if s.Audit != nil && !wire.IsRead(req.Op) {
			s.Audit(ctx, p, req, err, 0)
		}
		return nil, err
	}
	if s.BeforeWrite != nil && !wire.IsRead(req.Op) {
		if err := s.BeforeWrite(ctx); err != nil {
			return nil, scha.Errorf(scha.ErrReconf, "%v", err)
		}
	}
	start := time.Now()
	v, err := runHandler(ctx, log, h, p, req)
	if s.Audit != nil && !wire.IsRead(req.Op) {
		s.Audit(ctx, p, req, err, time.Since(start))
	}
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if len(v) == 0 {
			return nil, nil
		}
		if !json.Valid(v) {
			log.Error("handler returned invalid JSON", "op", req.Op)
			return nil, scha.Errorf(scha.ErrInternal, "reply to %s not encodable", req.Op)
		}
		return v, nil
	}
	data, err := wire.Encode(v)
	if err != nil {
		log.Error("reply not encodable", "op", req.Op, "err", err)
		return nil, scha.Errorf(scha.ErrInternal, "reply to %s not encodable: %v", req.Op, err)
	}
	return data, nil
}

// runHandler calls h, turning a panic into SCHA_ERR_INTERNAL: one bad
// handler must not take the daemon, and every resource it runs, down.
func runHandler(ctx context.Context, log *slog.Logger, h Handler, p Peer, req *wire.Request) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("handler panicked", "op", req.Op, "panic", r, "stack", string(debug.Stack()))
			v, err = nil, scha.Errorf(scha.ErrInternal, "%s failed: internal error (panic: %v); see the rgmd log", req.Op, r)
		}
	}()
	return h(ctx, p, req.Args)
}

func errorReply(id uint64, code scha.ErrCode, msg string) *wire.Reply {
	if code == scha.ErrNoErr {
		// A handler returned a *scha.Error with code 0; it still failed.
		code = scha.ErrInternal
	}
	return &wire.Reply{Version: wire.ProtocolVersion, ID: id, Code: code, Message: msg}
}
