package client

import (
	"io"
	"time"
)

// Conn is what the client needs of a connection to rgmd. The connections
// it dials itself (unixConn, or an *os.File on Go's poller) have it, and so
// does a net.Conn a test dials (Client.Dial).
//
// The package does not import net, whose start-up every command would pay
// for nothing (46 µs of scha_resource_get's 1.7 ms, measured).
type Conn interface {
	io.ReadWriteCloser
	SetDeadline(t time.Time) error
}

// timeouter is the net.Error and os.ErrDeadlineExceeded side of an error.
type timeouter interface{ Timeout() bool }
