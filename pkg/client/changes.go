package client

import (
	"github.com/openrgm/openrgm/pkg/peercred"
	"github.com/openrgm/openrgm/pkg/seqfile"
)

// Count is a daemon's change count, and which of the client's connections
// it was read on: counts read on different connections (a daemon that
// restarted between them) never compare equal.
type Count struct {
	Conn, N uint64
}

// ChangeCount returns the change counter (package seqfile) of the daemon
// on the kept connection, and false when there is none to trust: no
// connection yet, no counter file, or the file's lock not held by that
// daemon (it stopped, or another process serves the file). While it
// returns true and the same count, every answer the daemon gave since the
// count was read is still the answer it would give now; a caller that
// keeps answers reads the count before asking.
//
// It costs one system call; a failed attempt to open the file is not
// retried until the client dials again.
func (c *Client) ChangeCount() (Count, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return Count{}, false
	}
	if c.seq == nil {
		if c.seqTried {
			return Count{}, false
		}
		c.seqTried = true
		cred, err := peercred.Of(c.conn)
		if err != nil {
			return Count{}, false
		}
		if c.seq, err = seqfile.Open(seqfile.Path(c.socket()), int32(cred.PID)); err != nil {
			return Count{}, false
		}
	}
	n, ok := c.seq.Load()
	return Count{Conn: c.dials, N: n}, ok
}
