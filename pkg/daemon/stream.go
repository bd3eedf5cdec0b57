package daemon

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// StreamHandler serves an op whose answer is a stream of replies, all with
// the request's ID: it calls send once per message until it returns. Its
// ctx ends when the client hangs up or the server stops. A returned error
// is sent as a last, failing reply; the connection is then closed.
type StreamHandler func(ctx context.Context, p Peer, args json.RawMessage, send func(v any) error) error

// stream runs a StreamHandler on a connection that is its own from now on.
func (s *Server) stream(ctx context.Context, log *slog.Logger, c net.Conn, w *wire.Writer, p Peer, req *wire.Request, h StreamHandler) {
	_, msgTimeout := s.timeouts()
	reply := func(rep *wire.Reply) error {
		c.SetWriteDeadline(time.Now().Add(msgTimeout))
		return w.WriteReply(rep)
	}
	if err := s.admit(log, p, req); err != nil {
		reply(errorReply(req.ID, scha.CodeOf(err), scha.DetailOf(err)))
		return
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The client sends nothing more; a read that returns means it hung up.
	c.SetReadDeadline(time.Time{})
	go func() {
		var b [512]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				cancel()
				return
			}
		}
	}()
	send := func(v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return scha.Errorf(scha.ErrInternal, "stream message not encodable: %v", err)
		}
		return reply(&wire.Reply{Version: wire.ProtocolVersion, ID: req.ID, Data: data})
	}
	if err := h(sctx, p, req.Args, send); err != nil && sctx.Err() == nil {
		reply(errorReply(req.ID, scha.CodeOf(err), scha.DetailOf(err)))
	}
}
