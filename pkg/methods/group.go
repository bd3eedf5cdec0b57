package methods

import (
	"strconv"
	"syscall"
	"time"
)

// pollGroup is how often killGroup checks whether the group has gone.
const pollGroup = 10 * time.Millisecond

// killGroup ends every process in process group pgid: SIGTERM, then, if
// any member (including one that ignores TERM or has not been reaped yet)
// is still there after grace, SIGKILL. exec.Cmd.WaitDelay and Cancel only
// reach the leader, which is why this exists. Members that moved to
// another process group (setsid, setpgid) are out of reach; methods must
// not do that with processes they expect rgmd to clean up.
func killGroup(pgid int, grace time.Duration) {
	if pgid <= 1 {
		return // never signal -1 or -0: that would hit far more than the method
	}
	if syscall.Kill(-pgid, syscall.SIGTERM) == syscall.ESRCH {
		return
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		time.Sleep(min(pollGroup, time.Until(deadline)))
		if syscall.Kill(-pgid, 0) == syscall.ESRCH {
			return
		}
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// signalNames are the Linux names; syscall.Signal.String gives
// descriptions ("segmentation fault"), which grep poorly in logs.
var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGILL: "SIGILL", syscall.SIGTRAP: "SIGTRAP", syscall.SIGABRT: "SIGABRT",
	syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE", syscall.SIGKILL: "SIGKILL",
	syscall.SIGUSR1: "SIGUSR1", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM",
	syscall.SIGCHLD: "SIGCHLD", syscall.SIGCONT: "SIGCONT", syscall.SIGSTOP: "SIGSTOP",
	syscall.SIGTSTP: "SIGTSTP", syscall.SIGTTIN: "SIGTTIN", syscall.SIGTTOU: "SIGTTOU",
	syscall.SIGURG: "SIGURG", syscall.SIGXCPU: "SIGXCPU", syscall.SIGXFSZ: "SIGXFSZ",
	syscall.SIGVTALRM: "SIGVTALRM", syscall.SIGPROF: "SIGPROF", syscall.SIGWINCH: "SIGWINCH",
	syscall.SIGIO: "SIGIO", syscall.SIGPWR: "SIGPWR", syscall.SIGSYS: "SIGSYS",
}

// SignalName returns "SIGSEGV" for syscall.SIGSEGV, and "signal N" for a
// signal without a name (real-time signals).
func SignalName(sig syscall.Signal) string {
	if n, ok := signalNames[sig]; ok {
		return n
	}
	return "signal " + strconv.Itoa(int(sig))
}
