//go:build linux

package daemon

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/peercred"
	"github.com/openrgm/openrgm/pkg/wire"
	"golang.org/x/sys/unix"
)

// The lane is how Serve accepts on a Unix listener. Nearly every
// connection rgmd gets is a scha_* command or a program's first libscha
// call: connect, one get, hang up, all while the caller's process waits.
// Through Go's network poller that costs a wake-up of the thread in
// epoll_wait, a new goroutine, a second wake-up when the request arrives,
// and often a third thread: on the small virtual machines clusters run on,
// those wake-ups cost more than the query. So one thread, locked and
// blocked in poll(2) on the listener, accepts, reads the first request,
// and answers it at once if it is a get or a ping (fast, read-only, never
// blocking). Any other first request (an rgmadm verb) is served on the
// same thread too, as a follower: it first starts a new goroutine to lead,
// that is, to accept, then answers and carries on with the connection as
// serveConn would, so the verb waits for no wake-up either. The rest of a
// get's connection goes to a goroutine of its own; nothing a client can
// send holds the leader longer than laneWait.
const (
	// laneWait bounds the wait for a new connection's first request;
	// our clients write it right after connecting.
	laneWait = time.Millisecond
	// laneRead bounds what the lane reads of a first request; a longer
	// one is handed over unread-to-the-end.
	laneRead = 4096
)

// laneFD is ln's descriptor if ln is a Unix listener.
func laneFD(ln net.Listener) (int, bool) {
	ul, ok := ln.(*net.UnixListener)
	if !ok {
		return -1, false
	}
	rc, err := ul.SyscallConn()
	if err != nil {
		return -1, false
	}
	fd := -1
	if rc.Control(func(f uintptr) { fd = int(f) }) != nil || fd < 0 {
		return -1, false
	}
	return fd, true
}

// pollMs is d for poll(2), rounded up to whole milliseconds; -1 waits for ever.
func pollMs(d time.Duration) int {
	if d < 0 {
		return -1
	}
	return int((d + time.Millisecond - 1) / time.Millisecond)
}

// lane accepts on lfd until ctx ends (nil) or accepting fails for good.
func (s *Server) lane(ctx context.Context, lfd int, conns *sync.WaitGroup) error {
	// ctx's end is a byte in a pipe the lane polls along with lfd.
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return os.NewSyscallError("pipe2", err)
	}
	var mu sync.Mutex
	closed := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !closed {
			syscall.Write(p[1], []byte{0})
		}
	})
	defer func() {
		stop()
		mu.Lock()
		closed = true
		syscall.Close(p[0])
		syscall.Close(p[1])
		mu.Unlock()
	}()
	l := &laneConn{s: s, ctx: ctx, conns: conns, lfd: lfd, stopFD: p[0], done: make(chan error, 1)}
	go l.lead()
	return <-l.done
}

// lead accepts until ctx ends or accepting fails for good, and then says
// so on l.done; or until a connection's first request is one the lane
// does not answer (a lifecycle verb, say). Then it starts a new leader and
// carries on with that connection itself, so the request is served on the
// thread that read it, without waking another.
func (l *laneConn) lead() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	buf := make([]byte, laneRead) // first requests are read here
	var backoff time.Duration
	for {
		fds := []unix.PollFd{{Fd: int32(l.stopFD), Events: unix.POLLIN}, {Fd: int32(l.lfd), Events: unix.POLLIN}}
		wait := time.Duration(-1)
		if backoff > 0 {
			wait, fds = backoff, fds[:1]
		}
		// unix.Poll blocks this thread in the kernel, not in Go's poller.
		if _, err := unix.Poll(fds, pollMs(wait)); err != nil && err != unix.EINTR {
			l.done <- os.NewSyscallError("poll", err)
			return
		}
		if l.ctx.Err() != nil {
			l.done <- nil
			return
		}
		if len(fds) > 1 && fds[1].Revents&unix.POLLNVAL != 0 {
			l.done <- errors.New("accept: listener closed under the server")
			return
		}
		nfd, _, err := syscall.Accept4(l.lfd, syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK)
		if err != nil {
			switch {
			case err == syscall.EAGAIN, err == syscall.EINTR, err == syscall.ECONNABORTED:
			case acceptRetryable(err):
				// Out of file descriptors and the like: the daemon must
				// carry on, so wait for connections to finish.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				l.s.logger().Warn("accept failed; retrying", "err", err, "in", backoff)
			default:
				l.done <- &net.OpError{Op: "accept", Net: "unix", Err: os.NewSyscallError("accept4", err)}
				return
			}
			continue
		}
		backoff = 0
		if c := l.first(nfd, buf); c != nil {
			l.conns.Add(1)
			defer l.conns.Done()
			go l.lead()
			runtime.UnlockOSThread()
			c()
			return
		}
	}
}

// laneConn is what successive lane leaders share.
type laneConn struct {
	s      *Server
	ctx    context.Context
	conns  *sync.WaitGroup
	lfd    int        // the listener
	stopFD int        // readable once ctx has ended
	done   chan error // the last leader's result
}

// first reads nfd's first request and answers it if it is a get or a
// ping; the connection then goes to a goroutine of its own. Otherwise it
// returns the rest of the connection, first request included, for the
// caller to carry on with once another leads.
func (l *laneConn) first(nfd int, buf []byte) (rest func()) {
	peer := Peer{PID: -1, UID: -1, GID: -1}
	if cred, err := peercred.OfFD(nfd); err == nil {
		peer = Peer(cred)
	} else {
		l.s.logger().Debug("no peer credentials", "err", err)
	}
	// Counted from here until closed; beyond the limits refused at once,
	// before any wait for a request (connlimit.go).
	if err := l.s.conns.admit(peer.UID, l.s.MaxConns, l.s.MaxConnsPerUID); err != nil {
		busy(nfd, err)
		return nil
	}
	released := false
	release := func() {
		if !released {
			released = true
			l.s.conns.release(peer.UID)
		}
	}
	n, line := 0, []byte(nil)
	deadline := time.Now().Add(laneWait) // for the whole request: a trickle must not hold the lane
	for n < len(buf) {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		fds := []unix.PollFd{{Fd: int32(nfd), Events: unix.POLLIN}}
		if ready, err := unix.Poll(fds, pollMs(left)); err == unix.EINTR {
			continue
		} else if err != nil || ready == 0 {
			break // slow or odd peer: serveConn waits for it, not the lane
		}
		m, err := syscall.Read(nfd, buf[n:])
		if err == syscall.EINTR || err == syscall.EAGAIN {
			continue
		}
		if err != nil || m == 0 {
			// Gone before a whole request: nobody to answer.
			syscall.Close(nfd)
			release()
			return nil
		}
		n += m
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			if i == n-1 { // more than one request at once: keep their order
				line = buf[:i]
			}
			break
		}
	}
	var req *wire.Request
	if line != nil {
		req, _ = wire.DecodeRequest(line) // a bad one is converse's to answer
	}
	switch {
	case req != nil && (req.Op == wire.OpGet || req.Op == wire.OpPing) && !l.s.reads.held():
		if c, unsent := l.answer(nfd, peer, req, release); c != nil {
			l.conns.Go(func() { l.s.converse(l.ctx, c, peer, nil, unsent) })
		}
		return nil
	case req != nil && l.s.Streams[req.Op] == nil:
		return func() {
			if c, unsent := l.answer(nfd, peer, req, release); c != nil {
				l.s.converse(l.ctx, c, peer, nil, unsent)
			}
		}
	default:
		read := bytes.Clone(buf[:n])
		return func() {
			if c := l.conn(nfd, release); c != nil {
				l.s.converse(l.ctx, c, peer, read, nil)
			}
		}
	}
}

// answer serves req, a connection's first request, on nfd itself, and
// then makes the connection one on Go's poller for converse, with the end
// of the reply that did not fit in the socket at once. The reply goes
// first: the poller's bookkeeping is not what the client waits for.
func (l *laneConn) answer(nfd int, peer Peer, req *wire.Request, release func()) (net.Conn, []byte) {
	log := l.s.logger().With("pid", peer.PID, "uid", peer.UID)
	rep := l.s.handle(l.ctx, log, peer, req)
	fw := &fdWriter{fd: nfd}
	if err := l.s.writeReply(log, wire.NewWriter(fw), req.Op, rep); err != nil {
		syscall.Close(nfd)
		release()
		return nil, nil
	}
	return l.conn(nfd, release), fw.unsent
}

// fdWriter writes to a non-blocking socket what fits now and keeps the
// rest (a big reply to a slow reader) for serveConn's goroutine to write.
type fdWriter struct {
	fd     int
	unsent []byte
}

func (w *fdWriter) Write(p []byte) (int, error) {
	for done := 0; done < len(p); {
		m, err := syscall.Write(w.fd, p[done:])
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			w.unsent = append(w.unsent, p[done:]...)
			return len(p), nil
		case err != nil:
			return done, err
		default:
			done += m
		}
	}
	return len(p), nil
}

// conn turns nfd into a connection on Go's poller, for converse; closing
// it calls release (the connection's count).
func (l *laneConn) conn(nfd int, release func()) net.Conn {
	f := os.NewFile(uintptr(nfd), "rgmd-client")
	c, err := net.FileConn(f) // a dup registered with the poller
	f.Close()
	if err != nil {
		l.s.logger().Warn("cannot serve a connection", "err", err)
		release()
		return nil
	}
	return &countedConn{Conn: c, release: release}
}
