//go:build linux

package client

import (
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/peercred"
	"github.com/openrgm/openrgm/pkg/scha"
)

// unixConn is a Unix stream socket driven by plain blocking system calls
// instead of Go's network poller (Client.Blocking). With the poller, a
// scha_* command, which starts once per query, would set up epoll and an
// eventfd and take its reply on a second thread woken from epoll_wait; and
// a C program's call into libscha, which runs on the caller's thread,
// would park it while another thread polls and then wakes it: both cost
// more than the query. A blocking read sleeps on the caller's own thread
// and the reply wakes it directly.
//
// Deadlines become SO_RCVTIMEO/SO_SNDTIMEO, set again only when they move
// by more than deadlineSlack, since the client sets one per call. A
// deadline in the past (how the client cancels a call) shuts the socket
// down, the one thing that wakes a read already blocked in the kernel.
type unixConn struct {
	fd   int
	path string

	mu      sync.Mutex
	closed  bool
	expired bool             // shut down by a past deadline: reads report a timeout
	timeout [2]time.Duration // last SO_RCVTIMEO, SO_SNDTIMEO set
}

const deadlineSlack = time.Second

// dialSocket connects to the daemon's socket: a unixConn when c.Blocking,
// else a non-blocking socket in an *os.File, which Go's poller serves
// (deadlines included) with few threads for many goroutines.
func (c *Client) dialSocket() (Conn, error) {
	path := c.socket()
	flags := syscall.SOCK_STREAM | syscall.SOCK_CLOEXEC
	if !c.Blocking {
		flags |= syscall.SOCK_NONBLOCK
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, flags, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	for {
		err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		// A full backlog is EAGAIN on a non-blocking Unix socket, at once:
		// a local daemon that busy is as good as not answering.
		syscall.Close(fd)
		return nil, &os.PathError{Op: "connect", Path: path, Err: err}
	}
	if err := checkServer(fd, path); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if !c.Blocking {
		return os.NewFile(uintptr(fd), path), nil
	}
	return &unixConn{fd: fd, path: path}, nil
}

// checkServer refuses a daemon that is neither root nor the client's own
// user, from the credentials the kernel recorded when it listened
// (SO_PEERCRED): whoever could put a socket of theirs at the path (a
// directory they own, a socket moved away) would otherwise hear root's
// rgmadm and every callback's questions, and answer them. The error is
// SCHA_ERR_ACCESS.
func checkServer(fd int, path string) error {
	cred, err := peercred.OfFD(fd)
	if err != nil {
		return &scha.Error{Code: scha.ErrInternal, Detail: fmt.Sprintf("cannot tell who serves %s: %v", path, err)}
	}
	if cred.UID != 0 && cred.UID != os.Geteuid() {
		return &scha.Error{Code: scha.ErrAccess, Detail: fmt.Sprintf("the process serving %s (pid %d) runs as uid %d, neither root nor you (uid %d); refusing to talk to it: it is not an rgmd you can trust", path, cred.PID, cred.UID, os.Geteuid())}
	}
	return nil
}

// timeoutError is what a read or write past its deadline returns; it has
// Timeout, as net's and os's deadline errors do.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func (c *unixConn) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(c.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, timeoutError{}
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0 && len(p) > 0:
			if c.isExpired() {
				return 0, timeoutError{}
			}
			return 0, io.EOF
		}
		return n, nil
	}
}

func (c *unixConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := syscall.Write(c.fd, p[done:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return done, timeoutError{}
		case err != nil:
			if c.isExpired() {
				return done, timeoutError{}
			}
			return done, os.NewSyscallError("write", err)
		}
		done += n
	}
	return done, nil
}

func (c *unixConn) isExpired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.expired
}

func (c *unixConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return syscall.Close(c.fd)
}

func (c *unixConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *unixConn) SetReadDeadline(t time.Time) error { return c.setTimeout(0, syscall.SO_RCVTIMEO, t) }
func (c *unixConn) SetWriteDeadline(t time.Time) error {
	return c.setTimeout(1, syscall.SO_SNDTIMEO, t)
}

func (c *unixConn) setTimeout(i, opt int, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return os.ErrClosed
	}
	var tv syscall.Timeval // zero: no timeout
	var d time.Duration
	if !t.IsZero() {
		d = time.Until(t)
		if d <= 0 {
			c.expired = true
			return syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
		}
		if delta := d - c.timeout[i]; c.timeout[i] != 0 && delta < deadlineSlack && delta > -deadlineSlack {
			return nil
		}
		tv = syscall.NsecToTimeval(d.Nanoseconds())
		if tv.Sec == 0 && tv.Usec == 0 {
			tv.Usec = 1 // a zero timeval would mean "block forever"
		}
	}
	if err := syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, opt, &tv); err != nil {
		return err
	}
	c.timeout[i] = d
	return nil
}

// SyscallConn gives the peeker the descriptor; the socket is blocking, so
// callers pass MSG_DONTWAIT themselves.
func (c *unixConn) SyscallConn() (syscall.RawConn, error) { return rawConn{c}, nil }

type rawConn struct{ c *unixConn }

func (r rawConn) Control(f func(fd uintptr)) error { f(uintptr(r.c.fd)); return nil }
func (r rawConn) Read(f func(fd uintptr) bool) error {
	f(uintptr(r.c.fd))
	return nil
}
func (r rawConn) Write(f func(fd uintptr) bool) error {
	f(uintptr(r.c.fd))
	return nil
}
