package fence

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/openrgm/openrgm/pkg/peercred"
)

// Files of the guard in the state directory.
const (
	GuardSocket  = "guard.sock" // the protocol's socket, mode 0600
	GuardPIDFile = "guard.pid"  // the running guard's pid, locked while it runs
	GuardLogFile = "guard.log"  // its stderr when StartGuard started it
)

// sweepTimeout bounds one sweep's wait for processes to go after
// SIGKILL (one in uninterruptible sleep can take long); the guard then
// tries again, and reports only once they are gone.
const sweepTimeout = 30 * time.Second

// guard is the state of a running guard.
type guard struct {
	dir  string
	dirs os.FileInfo // the state directory as it was at start
	log  *slog.Logger

	mu      sync.Mutex
	st      GuardStatus
	peers   []string
	clients map[int]uint64 // connected rgmd: pid -> start time (never killed)
	exiting bool           // SIGTERM came while armed: exit once disarmed
	// fencingInc is the incarnation being fenced, before st.Fenced says
	// it is done: its leases are refused from the moment fencing starts.
	fencingInc int // -1: none

	wake         chan struct{} // the lease changed
	peersChanged chan struct{} // for the reporter
	done         chan struct{} // closed to stop the guard
	doneOnce     sync.Once

	fencing      sync.Mutex // one sweep at a time
	reportCancel context.CancelFunc
}

// GuardMain runs the guard: "rgmd guard --state-dir DIR" (cmd/rgmd hands
// it the arguments after "guard"). It returns the exit status: 0 when it
// ends because its state directory is gone or it was asked to stop while
// disarmed, 1 when it cannot start (another guard holds the directory),
// 2 for bad arguments.
func GuardMain(args []string, stderr io.Writer) int {
	flags := pflag.NewFlagSet("rgmd guard", pflag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("state-dir", "", "the node's state directory (required)")
	flags.Usage = func() {
		fmt.Fprintf(stderr, "usage: rgmd guard --state-dir DIR\n\nThe fencing guard of the node whose state directory is DIR; rgmd starts it (rgmd(8), FENCING).\n")
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *dir == "" || flags.NArg() != 0 {
		flags.Usage()
		return 2
	}
	d, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "rgmd guard: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("guard", os.Getpid())
	if err := runGuard(d, log); err != nil {
		log.Error("guard: "+err.Error(), "state_dir", d)
		return 1
	}
	return 0
}

func runGuard(dir string, log *slog.Logger) error {
	unix.Umask(0o077)
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	// The pid file is locked while the guard runs: a second one fails
	// here, and the lock goes with the process, however it ends.
	pidPath := filepath.Join(dir, GuardPIDFile)
	pf, err := os.OpenFile(pidPath, os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer pf.Close()
	if err := unix.Flock(int(pf.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b, _ := os.ReadFile(pidPath)
		return fmt.Errorf("another guard (pid %s) already guards %s", strings.TrimSpace(string(b)), dir)
	}
	pf.Truncate(0)
	pf.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)

	g := &guard{dir: dir, dirs: fi, log: log, clients: map[int]uint64{}, fencingInc: -1,
		wake: make(chan struct{}, 1), peersChanged: make(chan struct{}, 1), done: make(chan struct{})}
	g.st.Incarnation, g.st.Fenced = -1, -1
	if r, err := ReadFenced(dir); err == nil {
		g.st.Fenced, g.st.Reported = r.Incarnation, r.Reported
		g.st.Incarnation = r.Incarnation
	} else if !errors.Is(err, fs.ErrNotExist) {
		log.Warn("guard: cannot read the record of the last fencing", "err", err)
	}
	if os.Geteuid() == 0 {
		// The guard must outlive what the kernel kills first.
		_ = os.WriteFile("/proc/self/oom_score_adj", []byte("-1000"), 0)
	}

	// The socket: any file there is stale, since the lock is ours.
	sock := filepath.Join(dir, GuardSocket)
	os.Remove(sock)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return err
	}
	defer ln.Close()
	if err := os.Chmod(sock, 0o600); err != nil {
		return err
	}
	os.Chdir("/")
	log.Info("guard: started", "state_dir", dir)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	go g.accept(ln)
	if g.st.Fenced >= 0 && !g.st.Reported {
		g.startReport(g.st.Fenced)
	}
	g.watch(sigs)
	g.mu.Lock()
	if g.reportCancel != nil {
		g.reportCancel()
	}
	g.mu.Unlock()
	return nil
}

// stop ends the guard.
func (g *guard) stop() { g.doneOnce.Do(func() { close(g.done) }) }

// watch fences when the lease's deadline passes, and ends the guard when
// its state directory goes or it is asked to stop while disarmed.
func (g *guard) watch(sigs chan os.Signal) {
	// inotify, and a look a minute for what it cannot see: see
	// dirwatch.go.
	dw := watchDir(g.dir, g.log)
	defer dw.Close()
	slow := time.NewTicker(dirCheckSlow)
	defer slow.Stop()
	if g.dirGone() { // it went, or was replaced, before the watch began
		return
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		g.mu.Lock()
		armed, dl := g.st.Armed, g.st.Deadline
		g.mu.Unlock()
		if armed {
			if rem := dl - Now(); rem <= 0 {
				g.fence("lease expired")
				continue
			} else {
				timer.Reset(time.Duration(rem))
			}
		} else {
			timer.Stop()
		}
		select {
		case <-g.done:
			return
		case <-g.wake:
		case <-timer.C:
		case <-dw.C:
			if g.dirGone() {
				return
			}
			dw.Renew()
		case <-slow.C:
			if g.dirGone() {
				return
			}
		case s := <-sigs:
			g.mu.Lock()
			armed := g.st.Armed
			g.exiting = true
			g.mu.Unlock()
			if !armed {
				g.log.Info("guard: exiting", "signal", s.String())
				return
			}
			g.log.Warn("guard: asked to exit while armed; it stays until the lease is released or expires", "signal", s.String())
		}
	}
}

// dirGone reports, and logs, whether the state directory is gone:
// removed, moved away, or another in its place.
func (g *guard) dirGone() bool {
	if fi, err := os.Stat(g.dir); err == nil && os.SameFile(fi, g.dirs) {
		return false
	}
	g.log.Info("guard: the state directory is gone; exiting", "state_dir", g.dir)
	return true
}

func (g *guard) accept(ln *net.UnixListener) {
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			select {
			case <-g.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go g.serve(c)
	}
}

// serve answers one client: rgmd, of this guard's uid only.
func (g *guard) serve(c *net.UnixConn) {
	defer c.Close()
	cred, err := peercred.Of(c)
	if err != nil || cred.UID != os.Geteuid() {
		if err == nil {
			err = fmt.Errorf("uid %d is not the guard's uid %d", cred.UID, os.Geteuid())
		}
		fmt.Fprintf(c, "err refused: %v\n", err)
		g.log.Warn("guard: refused a connection", "err", err)
		return
	}
	if st := startTime(cred.PID); st != 0 {
		g.mu.Lock()
		for pid, st := range g.clients {
			if startTime(pid) != st {
				delete(g.clients, pid) // gone: its pid may name another process now
			}
		}
		g.clients[cred.PID] = st
		g.mu.Unlock()
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 512), maxLine+1)
	w := bufio.NewWriter(c)
	for sc.Scan() {
		answer := g.do(sc.Text())
		w.WriteString(answer + "\n")
		if w.Flush() != nil {
			return
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		fmt.Fprintf(c, "err line over the %d-byte limit\n", maxLine)
	}
}

// do executes one command line and returns the answer line.
func (g *guard) do(line string) string {
	cmd, err := ParseCommand(line)
	if err != nil {
		return "err " + err.Error()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch cmd.Op {
	case OpLease:
		switch {
		case g.st.Tag == "":
			return "err no tag yet: send tag before the first lease"
		case cmd.Incarnation <= max(g.st.Fenced, g.fencingInc):
			return fmt.Sprintf("err fenced: incarnation %d was fenced; a lease of a later incarnation is needed", max(g.st.Fenced, g.fencingInc))
		case cmd.Incarnation < g.st.Incarnation:
			return fmt.Sprintf("err stale: incarnation %d is older than the lease held (%d)", cmd.Incarnation, g.st.Incarnation)
		case g.st.Armed && Now() >= g.st.Deadline:
			// Too late: the lease expired before this renewal came, and
			// the other nodes may count on the fencing already.
			g.fencingInc = max(g.fencingInc, g.st.Incarnation)
			g.poke(g.wake)
			return fmt.Sprintf("err fenced: the lease of incarnation %d expired before this renewal", g.st.Incarnation)
		}
		if !g.st.Armed {
			g.log.Info("guard: armed", "incarnation", cmd.Incarnation, "in", time.Duration(cmd.Deadline-Now()).String())
		}
		g.st.Armed, g.st.Incarnation, g.st.Deadline = true, cmd.Incarnation, cmd.Deadline
		g.poke(g.wake)
	case OpTag:
		if g.st.Armed && g.st.Tag != cmd.Tag {
			return "err armed: the tag cannot change while a lease is held"
		}
		g.st.Tag = cmd.Tag
	case OpCgroup:
		if g.st.Armed && g.st.Cgroup != cmd.Cgroup {
			return "err armed: the cgroup cannot change while a lease is held"
		}
		if cmd.Cgroup != "" {
			if err := checkCgroup(cmd.Cgroup, g.isClient); err != nil {
				return "err " + err.Error()
			}
		}
		g.st.Cgroup = cmd.Cgroup
	case OpPeers:
		g.peers = cmd.Peers
		g.poke(g.peersChanged)
	case OpRelease:
		if g.st.Armed {
			g.log.Info("guard: released", "incarnation", g.st.Incarnation)
		}
		g.st.Armed = false
		g.poke(g.wake)
		if g.exiting {
			g.stop()
		}
	case OpFence:
		if g.st.Tag == "" {
			return "err no tag yet: nothing to fence"
		}
		g.mu.Unlock()
		killed, err := g.fence("fence command")
		g.mu.Lock()
		if err != nil {
			return "err " + err.Error()
		}
		return fmt.Sprintf("ok fenced=%d killed=%d", g.st.Fenced, killed)
	case OpStatus:
		return g.st.String()
	}
	return "ok"
}

func (g *guard) poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (g *guard) peerList() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.peers...)
}

// exclude reports whether pid is a connected rgmd (the same process it
// was at connect time) or the guard's parent, which are never killed.
func (g *guard) exclude(pid int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.isClient(pid)
}

// isClient is exclude with g.mu held. The guard's parent counts: rgmd
// started it, and stays its parent while it lives.
func (g *guard) isClient(pid int) bool {
	if pid == os.Getppid() {
		return true
	}
	st, ok := g.clients[pid]
	return ok && startTime(pid) == st
}

// fence disarms, kills every tagged process, records the fencing and
// starts reporting it. It returns how many processes it signalled.
func (g *guard) fence(reason string) (int, error) {
	g.fencing.Lock()
	defer g.fencing.Unlock()
	g.mu.Lock()
	tag, inc, cg := g.st.Tag, g.st.Incarnation, g.st.Cgroup
	wasArmed := g.st.Armed
	g.st.Armed = false
	// From now on no lease of this incarnation is taken: its processes
	// are being killed.
	g.fencingInc = max(g.fencingInc, inc)
	g.mu.Unlock()
	g.log.Warn("guard: fencing: stopping and killing every process of the node", "reason", reason, "incarnation", inc, "tag", tag, "cgroup", cg, "was_armed", wasArmed)
	var killed int
	for {
		ctx, cancel := context.WithTimeout(context.Background(), sweepTimeout)
		var n int
		var err error
		if cg != "" {
			n, err = KillCgroup(ctx, cg, g.exclude)
		}
		if err == nil {
			var m int
			m, err = KillTagged(ctx, tag, g.exclude)
			n += m
		}
		cancel()
		killed += n
		if err == nil {
			break
		}
		// Never record a fencing that left a process alive.
		g.log.Error("guard: fencing incomplete; trying again", "err", err)
		select {
		case <-g.done:
			return killed, err
		default:
		}
	}
	rec := FencedRecord{Incarnation: inc, Time: time.Now().UTC(), Reason: reason, Killed: killed}
	if err := writeFenced(g.dir, rec); err != nil {
		g.log.Error("guard: cannot record the fencing", "err", err)
	}
	g.log.Warn("guard: fenced", "incarnation", inc, "killed", killed)
	g.mu.Lock()
	if inc >= g.st.Fenced {
		g.st.Fenced, g.st.Reported = inc, false
	}
	g.mu.Unlock()
	if inc >= 0 {
		g.startReport(inc)
	}
	g.mu.Lock()
	if g.exiting && !g.st.Armed {
		g.stop()
	}
	g.mu.Unlock()
	return killed, nil
}

// startReport reports incarnation inc's fencing in the background,
// instead of any report still running.
func (g *guard) startReport(inc int) {
	ctx, cancel := context.WithCancel(context.Background())
	g.mu.Lock()
	if g.reportCancel != nil {
		g.reportCancel()
	}
	g.reportCancel = cancel
	g.mu.Unlock()
	go func() {
		select {
		case <-g.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	go g.report(ctx, inc)
}

// reported records that a peer acknowledged incarnation inc's fencing.
func (g *guard) reported(inc int, peer string) {
	g.log.Info("guard: fencing reported", "incarnation", inc, "peer", peer)
	if r, err := ReadFenced(g.dir); err == nil && r.Incarnation == inc {
		r.Reported = true
		if err := writeFenced(g.dir, r); err != nil {
			g.log.Warn("guard: cannot record the report", "err", err)
		}
	}
	g.mu.Lock()
	if g.st.Fenced == inc {
		g.st.Reported = true
	}
	g.mu.Unlock()
}
