package pmf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openrgm/openrgm/pkg/execfile"
	"github.com/openrgm/openrgm/pkg/peercred"
)

// ShimArg0 is the argv[0] with which rgmd runs its own executable as a
// tag's supervisor (see ShimMain). A name no one types by accident.
const ShimArg0 = "openrgm-pmf-shim"

// Supervisor protocol. rgmd starts the supervisor with
//
//	argv   ShimArg0 LEVEL UID CMD [ARGS...]
//	env    the command's environment; cwd the command's directory
//	fd 3   a unix socket rgmd has bound to the tag's abstract address and
//	       listens on; the supervisor listens on it again (so that
//	       SO_PEERCRED names it) and accepts the rgmds to come
//	fd 4   rgmd's first connection (one end of a socketpair)
//
// Every connection carries lines. Supervisor → rgmd: first "started PID
// SELF" (the command's pid and the supervisor's own; an older supervisor
// says only the first), or "error TEXT" when CMD cannot be executed at
// first launch; then "out LINE" for each line the tree writes on its
// stdout or stderr; and "exited STATUS" when the tree is gone. rgmd →
// supervisor: "signal N". Unknown lines are ignored, so that a supervisor
// left running by an older rgmd still talks to a newer one.
//
// The end of a connection does not stop the tree: the supervisor accepts
// the next one, from a restarted rgmd (only from root or UID, checked with
// SO_PEERCRED, since an abstract socket has no permissions). It exits once
// nothing it monitors remains, having reported "exited" if an rgmd was
// connected; and on SIGTERM it stops its tree (TERM, then KILL after
// shimStopGrace) and exits.
const (
	shimStarted = "started"
	shimError   = "error"
	shimExited  = "exited"
	shimOut     = "out"
	shimSignal  = "signal"
)

// shimPoll is how often a supervisor with a depth limit scans /proc.
const shimPoll = 50 * time.Millisecond

// shimStopGrace is how long the tree gets between SIGTERM and SIGKILL
// when the supervisor itself is told to stop.
const shimStopGrace = 5 * time.Second

// shimOutputGrace bounds how long the supervisor waits, once the tree is
// gone, for the last lines of its output before reporting the exit.
const shimOutputGrace = time.Second

// ShimMain is the supervisor of one tag's process tree. It becomes a child
// subreaper (PR_SET_CHILD_SUBREAPER), so every process the command forks,
// however it daemonizes (double fork, setsid), is re-parented to it when
// its parent dies instead of to init; it can therefore reap them all with
// wait4(-1), which rgmd itself must not call (it would steal exit statuses
// from os/exec), and it knows when the last one is gone. The command runs
// in a new process group. The supervisor, not rgmd, holds the tree's
// output pipe, so that the tree never blocks or gets EPIPE because rgmd
// has gone; lines written while no rgmd is connected are dropped. (An
// rgmd that is connected but hung does hold the output up, as the pipe
// to rgmd did before; systemd's watchdog restarts such an rgmd.)
//
// With LEVEL >= 0 (pmfadm -C) only processes down to that fork depth are
// monitored: the supervisor scans /proc every shimPoll to learn depths and
// reports the exit once none of them remains, leaving deeper processes
// running.
func ShimMain(args []string) int {
	first, err := fileConn(4)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: is started by rgmd only (%v)\n", ShimArg0, err)
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(first, shimError+" "+format+"\n", a...)
		return code
	}
	ln, err := fileListener(3)
	if err != nil {
		return fail(1, "listen: %v", err)
	}
	if len(args) < 3 {
		return fail(2, "usage: %s LEVEL UID CMD [ARGS...]", ShimArg0)
	}
	level, err := strconv.Atoi(args[0])
	if err != nil {
		return fail(2, "bad level %q", args[0])
	}
	peer, err := strconv.Atoi(args[1])
	if err != nil {
		return fail(2, "bad uid %q", args[1])
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fail(1, "PR_SET_CHILD_SUBREAPER: %v", err)
	}
	argv := args[2:]
	// As execvp would find and run it, executing exactly the file
	// checked; run as root, it must be root's (pkg/execfile).
	prog, err := execfile.Open(argv[0], os.Getenv("PATH"), execfile.Strict())
	if err != nil {
		return fail(127, "%v", err)
	}
	defer prog.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return fail(1, "%v", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return fail(1, "pipe: %v", err)
	}
	attr := &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{devnull.Fd(), outW.Fd(), outW.Fd()},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	path, av := prog.Argv(argv[1:])
	pid, err := syscall.ForkExec(path, av, attr)
	if errors.Is(err, syscall.ENOEXEC) {
		var sh *execfile.Program
		if sh, path, av, err = prog.Shell(argv[1:]); err == nil {
			pid, err = syscall.ForkExec(path, av, attr)
			sh.Close()
		}
	}
	devnull.Close()
	outW.Close()
	if err != nil {
		return fail(127, "%s: %v", argv[0], err)
	}

	s := &shim{self: os.Getpid(), cmd: pid, peer: peer}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM) // a handler, unlike Ignore, is not inherited by the command
	go s.stopOn(term)
	s.attach(first) // before the output is forwarded: "started" comes first
	outDone := make(chan struct{})
	go func() { s.forward(outR); close(outDone) }()
	go s.serve(first, ln)

	status := s.reap(level)
	select {
	case <-outDone:
	case <-time.After(shimOutputGrace):
	}
	s.exit(status)
	ln.Close() // a new rgmd must not find a supervisor whose tree is gone
	if level >= 0 {
		// Deeper processes may still hold the output pipe: drain it until
		// they are gone, so that they neither block nor die of SIGPIPE.
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
		go reapAll()
		<-outDone
	}
	return 0
}

// fileConn and fileListener turn an inherited descriptor into a net one
// (a close-on-exec duplicate) and close the original, which the command
// must not inherit.
func fileConn(fd uintptr) (net.Conn, error) {
	f := os.NewFile(fd, "rgmd")
	if f == nil {
		return nil, fmt.Errorf("no descriptor %d", fd)
	}
	defer f.Close()
	return net.FileConn(f)
}

func fileListener(fd uintptr) (net.Listener, error) {
	f := os.NewFile(fd, "listener")
	defer f.Close()
	if err := unix.Listen(int(fd), shimBacklog); err != nil {
		return nil, err
	}
	return net.FileListener(f)
}

// shim is the supervisor's state.
type shim struct {
	self, cmd int
	peer      int // rgmd's uid: besides root, the only user that may connect

	mu     sync.Mutex
	conn   net.Conn // the rgmd being served; nil while none is
	exited bool     // the exit has been reported (or there was no one to tell)
}

// send writes one line to the connected rgmd, if any. A failed write is
// ignored: the reader in serve sees the connection end too.
func (s *shim) send(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		_, _ = io.WriteString(s.conn, line)
	}
}

// attach makes c the connection served and says "started". It is false
// once the exit has been reported: that rgmd then reads EOF at once and
// treats the tree as ended.
func (s *shim) attach(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited {
		return false
	}
	s.conn = c
	fmt.Fprintf(c, "%s %d %d\n", shimStarted, s.cmd, s.self)
	return true
}

func (s *shim) detach(c net.Conn) {
	s.mu.Lock()
	if s.conn == c {
		s.conn = nil
	}
	s.mu.Unlock()
	c.Close()
}

// exit reports the tree's status to the connected rgmd, if any; after it
// no connection is served.
func (s *shim) exit(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		fmt.Fprintf(s.conn, "%s %d\n", shimExited, status)
		s.conn.Close()
		s.conn = nil
	}
	s.exited = true
}

// serve serves rgmd's connections one at a time: first c, the one it was
// started with (already attached), then each one accepted, until the
// listener is closed.
func (s *shim) serve(c net.Conn, ln net.Listener) {
	for {
		s.control(c)
		s.detach(c)
		var err error
		if c, err = s.accept(ln); err != nil {
			return
		}
		if !s.attach(c) {
			c.Close()
			return
		}
	}
}

// accept returns the next connection from root or rgmd's user. Anyone can
// connect to an abstract socket; anyone else is hung up on.
func (s *shim) accept(ln net.Listener) (net.Conn, error) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return nil, err
		}
		if cred, err := peercred.Of(c); err == nil && (cred.UID == 0 || cred.UID == s.peer) {
			return c, nil
		}
		c.Close()
	}
}

// control serves one rgmd's requests until it hangs up. rgmd going away
// leaves the tree running: the next rgmd re-attaches to it.
func (s *shim) control(c net.Conn) {
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == shimSignal {
			if n, err := strconv.Atoi(f[1]); err == nil && n > 0 {
				s.signal(syscall.Signal(n))
			}
		}
	}
}

// forward sends the tree's output line by line to the connected rgmd,
// until every process holding the pipe has closed it. A line longer than
// the buffer is sent in pieces.
func (s *shim) forward(r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			s.send(shimOut + " " + strings.TrimSuffix(string(line), "\n") + "\n")
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// stopOn stops the tree when the supervisor gets SIGTERM: TERM, then KILL
// to what is left after shimStopGrace. reap then sees the tree gone.
func (s *shim) stopOn(term <-chan os.Signal) {
	<-term
	s.signal(syscall.SIGTERM)
	time.Sleep(shimStopGrace)
	s.signal(syscall.SIGKILL)
}

// reap reaps children until nothing monitored remains and returns the
// command's own status (its exit code, or 128+signal), -1 if unknown.
func (s *shim) reap(level int) int {
	status := -1
	depth := map[int]int{s.cmd: 0} // pmfadm -C: fork depth of monitored processes
	for {
		var ws syscall.WaitStatus
		flags := 0
		if level >= 0 {
			flags = syscall.WNOHANG
		}
		pid, err := syscall.Wait4(-1, &ws, flags, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.ECHILD):
			return status // no child left at all
		case err != nil:
			return status
		}
		if pid == s.cmd {
			status = exitStatus(ws)
		}
		if level < 0 {
			continue
		}
		if pid > 0 {
			delete(depth, pid)
			continue // reap everything that is ready before scanning
		}
		if !s.monitoredAlive(depth, level) {
			return status
		}
		time.Sleep(shimPoll)
	}
}

// reapAll reaps what is left for as long as the supervisor lingers.
func reapAll() {
	for {
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(-1, &ws, 0, nil); errors.Is(err, syscall.ECHILD) {
			time.Sleep(time.Second)
		}
	}
}

// monitoredAlive updates depth from /proc and reports whether a process of
// depth <= level is still alive. The tree is read below the supervisor,
// where the command has depth 0; an orphan re-parented to the supervisor
// before a scan saw its real parent is counted at depth 1 (it was forked
// by someone in the tree), which errs on the side of monitoring it.
func (s *shim) monitoredAlive(depth map[int]int, level int) bool {
	procs := allProcs()
	pids, below := descendants(s.self, procs)
	for _, pid := range pids {
		if _, known := depth[pid]; known {
			continue
		}
		p := procs[pid]
		if d, ok := depth[p.ppid]; ok && p.ppid != s.self {
			depth[pid] = d + 1
		} else if pid == s.cmd {
			depth[pid] = 0
		} else {
			depth[pid] = max(below[pid]-1, 1)
		}
	}
	alive := false
	for pid, d := range depth {
		p, ok := procs[pid]
		if !ok {
			delete(depth, pid)
			continue
		}
		if d <= level && p.state != 'Z' {
			alive = true
		}
	}
	return alive
}

// signal sends sig to the command's process group and to every process
// below the supervisor, which reaches those that left the group (setsid).
func (s *shim) signal(sig syscall.Signal) {
	_ = syscall.Kill(-s.cmd, sig)
	pids, _ := descendants(s.self, allProcs())
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
}

// exitStatus is a shell's $?: the exit code, or 128+N for signal N.
func exitStatus(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return -1
}
