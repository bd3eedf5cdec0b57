package client

import (
	"io"
	"time"
)

// Conn is what the client needs of a connection to rgmd. The connections
// it dials itself (unixConn, or an *os.File on Go's poller) have it, and so
// does a net.Conn a test dials (Client.Dial).
//
// The package does not import net: its initialisation alone costs a
// quarter of a millisecond at every start of every command, against a
// query that takes less.
type Conn interface {
	io.ReadWriteCloser
	SetDeadline(t time.Time) error
}

// timeouter is the net.Error and os.ErrDeadlineExceeded side of an error.
type timeouter interface{ Timeout() bool }
