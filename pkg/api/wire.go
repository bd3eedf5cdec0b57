package api

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The socket's protocol on the API port. A get over HTTP/1.1 on loopback
// took 90 µs or more where the same get over the Unix socket took 12 µs
// (make bench ONLY=apireads, 2 CPUs): most of it in net/http's goroutine
// hand-offs on both sides (the client transport's read and write loops,
// the server's background read per request), which a bare net/http
// client and server pay too (42 µs for what a TLS connection carries in
// 8 µs), not in TLS nor in the checks. So a client that asks for
// wire.ALPN in the handshake gets pkg/wire's framing instead, on the same
// port, after the same handshake (TLS 1.3, a client certificate of the
// cluster CA, not revoked): one goroutine per connection reads a request,
// answers it and reads the next, as the socket server does. Every
// request is checked as an HTTP one is: the credential not revoked (nor
// expired, for a connection kept past its end), the role allowed the op.
// Only reads are served this way; a change gets SCHA_ERR_INVAL (after
// SCHA_ERR_ACCESS if the role may not make it at all), and goes over
// HTTP, POST /v1/ops/OP. A request line over wire.MaxMessage or not a
// JSON request is answered with SCHA_ERR_INVAL and the connection is
// closed, as the socket does.

// wireProto serves the wire protocol on a connection net/http handed over
// after the handshake chose wire.ALPN (Serve's TLSNextProto).
func (s *Server) wireProto(ctx context.Context) func(*http.Server, *tls.Conn, http.Handler) {
	return func(_ *http.Server, tc *tls.Conn, _ http.Handler) {
		cs := tc.ConnectionState()
		s.serveWire(ctx, tc, &cs)
	}
}

// serveWire answers the requests of one connection, whose TLS state is
// cs, until the client hangs up, breaks the protocol, idles out, is
// refused for good (revoked, expired), or ctx ends.
func (s *Server) serveWire(ctx context.Context, c net.Conn, cs *tls.ConnectionState) {
	// At ctx's end the socket is closed under TLS at once: closing the
	// TLS connection would first wait to write its close_notify behind
	// a reply stuck on a client that does not read.
	raw := c
	if tc, ok := c.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	defer c.Close()
	idle := or(s.IdleTimeout, DefaultIdleTimeout)
	msgTimeout := or(s.HeaderTimeout, DefaultHeaderTimeout)
	writeTimeout := or(s.WriteTimeout, DefaultWriteTimeout)
	r := wire.NewReader(c)
	w := wire.NewWriter(c)
	addr := ""
	if a := c.RemoteAddr(); a != nil {
		addr = a.String()
	}
	who, notAfter, err := s.callerOf(cs, addr)
	if err != nil {
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
		w.WriteReply(errorReply(0, err))
		return
	}
	for {
		c.SetReadDeadline(time.Now().Add(idle))
		if r.WaitMessage() != nil {
			return
		}
		c.SetReadDeadline(time.Now().Add(msgTimeout))
		req, err := r.ReadRequest()
		var rep *wire.Reply
		last := true // the connection is closed after rep
		switch {
		case err == nil:
			rep, last = s.wireCall(ctx, who, notAfter, req)
		case errors.Is(err, wire.ErrTooLong):
			rep = errorReply(0, scha.Errorf(scha.ErrInval, "message exceeds 1 MiB"))
		case errors.Is(err, wire.ErrMalformed):
			rep = errorReply(0, scha.Errorf(scha.ErrInval, "%s", strings.TrimPrefix(err.Error(), "wire: ")))
		default:
			return // hung up or stalled mid-request: nobody to answer
		}
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
		err = w.WriteReply(rep)
		if errors.Is(err, wire.ErrTooLong) && req != nil {
			err = w.WriteReply(errorReply(rep.ID, scha.Errorf(scha.ErrInternal, "reply to %s exceeds 256 MiB", req.Op)))
		}
		if err != nil || last {
			return
		}
	}
}

// wireCall answers one request of who, whose certificate ends at
// notAfter; last reports that the connection must close after the reply
// (the credential is no longer good).
func (s *Server) wireCall(ctx context.Context, who Caller, notAfter time.Time, req *wire.Request) (rep *wire.Reply, last bool) {
	if req.Version > wire.ProtocolVersion {
		return errorReply(req.ID, scha.Errorf(scha.ErrInval, "protocol version %d not supported (max %d); upgrade rgmd", req.Version, wire.ProtocolVersion)), false
	}
	if err := s.revoked(who); err != nil {
		return errorReply(req.ID, err), true
	}
	if err := s.expired(who, notAfter); err != nil {
		return errorReply(req.ID, err), true
	}
	op := req.Op
	if !Allowed(who.Role, op) {
		err := denied(who, op)
		s.Backend.Refused(ctx, who, op, req.Args, err)
		return errorReply(req.ID, err), false
	}
	switch {
	case op == wire.OpEvents:
		return errorReply(req.ID, scha.Errorf(scha.ErrInval, "events: use GET /v1/events")), false
	case !wire.IsRead(op):
		return errorReply(req.ID, scha.Errorf(scha.ErrInval, "%s changes the cluster: send it as POST /v1/ops/%s", op, op)), false
	}
	args, err := checkArgs(op, req.Args)
	if err != nil {
		return errorReply(req.ID, err), false
	}
	data, err := s.Backend.Call(ctx, who, op, args)
	if err != nil {
		return errorReply(req.ID, err), false
	}
	return &wire.Reply{Version: wire.ProtocolVersion, ID: req.ID, Data: data}, false
}

// errorReply is the reply carrying err's code and detail.
func errorReply(id uint64, err error) *wire.Reply {
	c := scha.CodeOf(err)
	if c == scha.ErrNoErr {
		c = scha.ErrInternal
	}
	return &wire.Reply{Version: wire.ProtocolVersion, ID: id, Code: c, Message: scha.DetailOf(err)}
}
