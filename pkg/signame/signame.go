// Package signame converts between signal numbers and the names people
// type on command lines (TERM, sigterm, SIGTERM, 15), for pmfadm and
// hatimerun.
package signame

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// names are the Linux signal names without their SIG prefix.
var names = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"ILL": syscall.SIGILL, "TRAP": syscall.SIGTRAP, "ABRT": syscall.SIGABRT,
	"IOT": syscall.SIGABRT, "BUS": syscall.SIGBUS, "FPE": syscall.SIGFPE,
	"KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1, "SEGV": syscall.SIGSEGV,
	"USR2": syscall.SIGUSR2, "PIPE": syscall.SIGPIPE, "ALRM": syscall.SIGALRM,
	"TERM": syscall.SIGTERM, "STKFLT": syscall.SIGSTKFLT, "CHLD": syscall.SIGCHLD,
	"CLD": syscall.SIGCHLD, "CONT": syscall.SIGCONT, "STOP": syscall.SIGSTOP,
	"TSTP": syscall.SIGTSTP, "TTIN": syscall.SIGTTIN, "TTOU": syscall.SIGTTOU,
	"URG": syscall.SIGURG, "XCPU": syscall.SIGXCPU, "XFSZ": syscall.SIGXFSZ,
	"VTALRM": syscall.SIGVTALRM, "PROF": syscall.SIGPROF, "WINCH": syscall.SIGWINCH,
	"IO": syscall.SIGIO, "POLL": syscall.SIGIO, "PWR": syscall.SIGPWR,
	"SYS": syscall.SIGSYS,
}

// maxSignal is the highest Linux signal number (SIGRTMAX).
const maxSignal = 64

// Parse reads a signal given as a name with or without the SIG prefix, in
// any case ("term", "SIGTERM"), or as a number from 1 to 64.
func Parse(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > maxSignal {
			return 0, fmt.Errorf("signal number %d out of range 1-%d", n, maxSignal)
		}
		return syscall.Signal(n), nil
	}
	u := strings.ToUpper(s)
	if sig, ok := names[strings.TrimPrefix(u, "SIG")]; ok {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// Name returns "SIGTERM" for syscall.SIGTERM and "signal N" for a signal
// without a name.
func Name(sig syscall.Signal) string {
	best := ""
	for n, s := range names {
		// Aliases (IOT, CLD, POLL) map to the same number; prefer the
		// canonical name, which sorts first only by accident, so choose
		// explicitly.
		if s == sig && (best == "" || !alias[n]) {
			best = n
		}
	}
	if best == "" {
		return "signal " + strconv.Itoa(int(sig))
	}
	return "SIG" + best
}

var alias = map[string]bool{"IOT": true, "CLD": true, "POLL": true}
