//go:build unix

package client

import "syscall"

// peeker tells whether the daemon still holds its end of a connection, by
// peeking without blocking: EOF means it closed the connection (restart,
// idle timeout), so the next request must go on a new one. Checking before
// writing is what makes resending safe: once a request is written we cannot
// know whether the daemon read it. It is made once per connection so that
// the check allocates nothing per call.
type peeker struct {
	raw  syscall.RawConn
	fn   func(fd uintptr) bool
	open bool
	b    [1]byte
}

// newPeeker returns nil for a connection that is not a socket (a test
// pipe); such connections are assumed open.
func newPeeker(conn Conn) *peeker {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	p := &peeker{raw: raw}
	p.fn = func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), p.b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EINTR:
			p.open = true // nothing to read: the normal idle state
		case err != nil || n == 0:
			p.open = false // reset, or EOF
		default:
			p.open = false // bytes nobody asked for: out of step
		}
		return true
	}
	return p
}

func (p *peeker) peerOpen() bool {
	if p == nil {
		return true
	}
	p.open = false
	if err := p.raw.Read(p.fn); err != nil {
		return false
	}
	return p.open
}
