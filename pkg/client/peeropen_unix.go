//go:build unix

package client

import (
	"net"
	"syscall"
)

// peerOpen reports whether the daemon still holds its end of conn, by
// peeking without blocking: EOF means it closed the connection (restart,
// idle timeout), so the request must go on a new one. Checking first is
// what makes resending safe: once a request is written we cannot know
// whether the daemon read it. Connections that are not sockets (test
// pipes) are assumed open.
func peerOpen(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := true
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EINTR:
			// Nothing to read: the normal state of an idle connection.
		case err != nil || n == 0:
			open = false // reset, or EOF
		default:
			open = false // bytes nobody asked for: out of step
		}
		return true
	})
	return err == nil && open
}
