package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Stream sends one request whose answer is a stream of replies (such as
// wire.OpEvents) on a connection of its own, and calls fn with the data of
// each reply. It returns nil when ctx ends, fn's error if fn fails, and an
// *scha.Error when the daemon refuses the request or the stream breaks.
// c.Timeout bounds only the connection, not the stream.
func (c *Client) Stream(ctx context.Context, op string, args any, fn func(data json.RawMessage) error) error {
	var raw json.RawMessage
	if args != nil {
		var err error
		if raw, err = marshalArgs(args); err != nil {
			return &scha.Error{Code: scha.ErrInval, Detail: fmt.Sprintf("encoding arguments of %s: %v", op, err)}
		}
	}
	var conn Conn
	var err error
	if c.Dial != nil {
		conn, err = c.Dial(ctx)
	} else {
		conn, err = c.dialSocket()
	}
	if err != nil {
		return c.dialError(ctx, err, time.Now().Add(time.Hour))
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	req := wire.Request{Version: wire.ProtocolVersion, ID: 1, Op: op, Args: raw}
	if err := wire.NewWriter(conn).WriteRequest(&req); err != nil {
		return c.streamError(ctx, op, err)
	}
	r := wire.NewReplyReader(conn)
	for {
		rep, err := r.ReadReply()
		if err != nil {
			return c.streamError(ctx, op, err)
		}
		if rep.Code != scha.ErrNoErr {
			return &scha.Error{Code: rep.Code, Detail: rep.Message}
		}
		if err := fn(rep.Data); err != nil {
			return err
		}
	}
}

func (c *Client) streamError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrTooLong) {
		return &scha.Error{Code: scha.ErrInternal, Detail: fmt.Sprintf("%s stream from rgmd: %v", op, err)}
	}
	return &scha.Error{Code: scha.ErrInternal, Detail: fmt.Sprintf("%s stream from rgmd at %s ended: %v", op, c.socket(), err)}
}
