package pmf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ShimArg0 is the argv[0] with which rgmd runs its own executable as a
// tag's supervisor (see ShimMain). A name no one types by accident.
const ShimArg0 = "openrgm-pmf-shim"

// Supervisor protocol. rgmd starts the supervisor with
//
//	argv   ShimArg0 LEVEL CMD [ARGS...]
//	env    the command's environment; cwd the command's directory
//	fd 0   control pipe from rgmd: lines "signal N"
//	fd 1   report pipe to rgmd: "started PID", or "error TEXT" when CMD
//	       cannot be executed, then "exited STATUS" when the tree is gone
//	fd 2   where the command's stdout and stderr go (rgmd logs it)
//
// and the supervisor exits once nothing it monitors remains.
const (
	shimStarted = "started"
	shimError   = "error"
	shimExited  = "exited"
	shimSignal  = "signal"
)

// shimPoll is how often a supervisor with a depth limit scans /proc.
const shimPoll = 50 * time.Millisecond

// shimOrphanGrace is how long the tree gets between SIGTERM and SIGKILL
// when rgmd has gone (the control pipe reached EOF).
const shimOrphanGrace = 5 * time.Second

// ShimMain is the supervisor of one tag's process tree, run as a child of
// rgmd. It becomes a child subreaper (PR_SET_CHILD_SUBREAPER), so every
// process the command forks, however it daemonizes (double fork, setsid),
// is re-parented to it when its parent dies instead of to init; it can
// therefore reap them all with wait4(-1), which rgmd itself must not call
// (it would steal exit statuses from os/exec), and it knows when the last
// one is gone. The command runs in a new process group.
//
// With LEVEL >= 0 (pmfadm -C) only processes down to that fork depth are
// monitored: the supervisor scans /proc every shimPoll to learn depths and
// exits once none of them remains, leaving deeper processes running.
func ShimMain(args []string) int {
	report := os.Stdout
	// A write to rgmd's closed report pipe must fail, not kill us with
	// SIGPIPE. Notify, unlike Ignore, is not inherited by the command.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	if len(args) < 2 {
		fmt.Fprintf(report, "%s usage: %s LEVEL CMD [ARGS...]\n", shimError, ShimArg0)
		return 2
	}
	level, err := strconv.Atoi(args[0])
	if err != nil {
		fmt.Fprintf(report, "%s bad level %q\n", shimError, args[0])
		return 2
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(report, "%s PR_SET_CHILD_SUBREAPER: %v\n", shimError, err)
		return 1
	}
	argv := args[1:]
	path, err := exec.LookPath(argv[0])
	if errors.Is(err, exec.ErrDot) {
		err = nil // a relative PATH entry is the user's choice, as in a shell
	}
	if err != nil {
		fmt.Fprintf(report, "%s %s: %v\n", shimError, argv[0], err)
		return 127
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintf(report, "%s %v\n", shimError, err)
		return 1
	}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{devnull.Fd(), 2, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	devnull.Close()
	if err != nil {
		fmt.Fprintf(report, "%s %s: %v\n", shimError, argv[0], err)
		return 127
	}
	fmt.Fprintf(report, "%s %d\n", shimStarted, pid)

	t := &shimTree{self: os.Getpid(), cmd: pid}
	go t.control(os.Stdin)
	status := t.reap(level)
	fmt.Fprintf(report, "%s %d\n", shimExited, status)
	return 0
}

// shimTree is the supervisor's view of its tree.
type shimTree struct {
	self, cmd int
}

// reap reaps children until nothing monitored remains and returns the
// command's own status (its exit code, or 128+signal), -1 if unknown.
func (t *shimTree) reap(level int) int {
	status := -1
	depth := map[int]int{t.cmd: 0} // pmfadm -C: fork depth of monitored processes
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
		if pid == t.cmd {
			status = exitStatus(ws)
		}
		if level < 0 {
			continue
		}
		if pid > 0 {
			delete(depth, pid)
			continue // reap everything that is ready before scanning
		}
		if !t.monitoredAlive(depth, level) {
			return status
		}
		time.Sleep(shimPoll)
	}
}

// monitoredAlive updates depth from /proc and reports whether a process of
// depth <= level is still alive. The tree is read below the supervisor,
// where the command has depth 0; an orphan re-parented to the supervisor
// before a scan saw its real parent is counted at depth 1 (it was forked
// by someone in the tree), which errs on the side of monitoring it.
func (t *shimTree) monitoredAlive(depth map[int]int, level int) bool {
	procs := allProcs()
	pids, below := descendants(t.self, procs)
	for _, pid := range pids {
		if _, known := depth[pid]; known {
			continue
		}
		p := procs[pid]
		if d, ok := depth[p.ppid]; ok && p.ppid != t.self {
			depth[pid] = d + 1
		} else if pid == t.cmd {
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

// control serves rgmd's requests. EOF means rgmd has gone: a node whose
// rgmd is down must not keep running services the cluster no longer
// watches (another node may take them over), so the tree is stopped.
func (t *shimTree) control(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == shimSignal {
			if n, err := strconv.Atoi(f[1]); err == nil && n > 0 {
				t.signal(syscall.Signal(n))
			}
		}
	}
	t.signal(syscall.SIGTERM)
	time.Sleep(shimOrphanGrace)
	t.signal(syscall.SIGKILL)
}

// signal sends sig to the command's process group and to every process
// below the supervisor, which reaches those that left the group (setsid).
func (t *shimTree) signal(sig syscall.Signal) {
	_ = syscall.Kill(-t.cmd, sig)
	pids, _ := descendants(t.self, allProcs())
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
