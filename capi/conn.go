package main

import (
	"context"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/paths"
)

// blockingConn is rgmd's connection for the library: a Unix socket used
// with plain blocking system calls instead of Go's network poller.
//
// Why: every libscha call runs on the C caller's thread, which cgo locks
// to its goroutine. With the poller, a read that must wait parks that
// goroutine, another thread polls for the reply and then has to wake the
// C thread to resume it: two thread switches per request, which cost more
// than the request itself (about 90 µs instead of 35 µs per get from C on
// the benchmark machine). A blocking read sleeps in the kernel on the
// caller's own thread, which the reply wakes directly, as in a C client.
//
// It serves pkg/client through Client.Dial, so the protocol, the retries
// and the errors stay pkg/client's. Deadlines become SO_RCVTIMEO and
// SO_SNDTIMEO; they are reset only when they move by more than
// deadlineSlack, since pkg/client sets one per call.
type blockingConn struct {
	fd     int
	closed atomic.Bool
	// timeout is the socket timeout last set; written only by the goroutine
	// holding pkg/client's lock.
	timeout time.Duration
}

const deadlineSlack = time.Second

// dialBlocking connects to paths.Socket(), the socket every client uses.
func dialBlocking(ctx context.Context) (net.Conn, error) {
	path := paths.Socket()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("socket", err)}
	}
	c := &blockingConn{fd: fd}
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	for {
		err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		if err == syscall.EAGAIN || err == syscall.EINPROGRESS {
			return nil, &net.OpError{Op: "dial", Net: "unix", Addr: c.RemoteAddr(), Err: timeoutError{}}
		}
		return nil, &net.OpError{Op: "dial", Net: "unix", Addr: &net.UnixAddr{Name: path, Net: "unix"}, Err: os.NewSyscallError("connect", err)}
	}
	return c, nil
}

// timeoutError is what a read or write past the deadline returns.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func (c *blockingConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(c.fd, b)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, &net.OpError{Op: "read", Net: "unix", Err: timeoutError{}}
		case err != nil:
			return 0, &net.OpError{Op: "read", Net: "unix", Err: os.NewSyscallError("read", err)}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (c *blockingConn) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := syscall.Write(c.fd, b[done:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return done, &net.OpError{Op: "write", Net: "unix", Err: timeoutError{}}
		case err != nil:
			return done, &net.OpError{Op: "write", Net: "unix", Err: os.NewSyscallError("write", err)}
		}
		done += n
	}
	return done, nil
}

func (c *blockingConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return syscall.Close(c.fd)
}

func (c *blockingConn) LocalAddr() net.Addr { return &net.UnixAddr{Net: "unix"} }
func (c *blockingConn) RemoteAddr() net.Addr {
	return &net.UnixAddr{Name: paths.Socket(), Net: "unix"}
}

// SetDeadline sets both socket timeouts to the time left until t; a zero
// t means none. A deadline already past becomes the shortest timeout.
func (c *blockingConn) SetDeadline(t time.Time) error {
	var d time.Duration
	if !t.IsZero() {
		if d = time.Until(t); d < time.Microsecond {
			d = time.Microsecond
		}
	}
	if c.timeout != 0 && d != 0 && d > deadlineSlack && (c.timeout-d).Abs() < deadlineSlack {
		return nil
	}
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	if err := syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	if err := syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		return err
	}
	c.timeout = d
	return nil
}

func (c *blockingConn) SetReadDeadline(t time.Time) error  { return c.SetDeadline(t) }
func (c *blockingConn) SetWriteDeadline(t time.Time) error { return c.SetDeadline(t) }

// SyscallConn lets pkg/client peek at the socket (MSG_DONTWAIT) to see
// whether rgmd closed it.
func (c *blockingConn) SyscallConn() (syscall.RawConn, error) { return rawConn{c.fd}, nil }

type rawConn struct{ fd int }

func (r rawConn) Control(f func(fd uintptr)) error { f(uintptr(r.fd)); return nil }
func (r rawConn) Read(f func(fd uintptr) bool) error {
	f(uintptr(r.fd))
	return nil
}
func (r rawConn) Write(f func(fd uintptr) bool) error {
	f(uintptr(r.fd))
	return nil
}
