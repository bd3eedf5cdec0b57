// Package methods runs resource type callback methods (Start, Stop,
// Validate, ...) for rgmd: it resolves and checks method files, builds
// their argv and clean environment, runs each in a new process group with
// stdin from /dev/null, streams its output line by line, kills the whole
// group (SIGTERM, then SIGKILL) at the method's timeout or on
// cancellation, and reports how the method ended. It decides nothing: what
// to run and what a result means belong to pkg/engine.
//
// The design follows containerd's pkg/imageverifier/bindir, plus a
// process-group kill: output goes through os.Pipe so that waiting ends
// when the method exits even if a daemon it started keeps the pipe open,
// and the pipe is drained until EOF so that daemon never gets SIGPIPE.
package methods

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/execfile"
)

const (
	// DefaultGrace is the time between SIGTERM and SIGKILL when
	// Spec.Grace is zero.
	DefaultGrace = 5 * time.Second
	// drainWait is how long Run waits, after the method has exited, for
	// its output to reach EOF, so that Result.Output is complete in the
	// usual case without hanging on a daemon that holds the pipe.
	drainWait = 100 * time.Millisecond
)

// Spec says what to run. Only Path is required; Run does not modify it.
type Spec struct {
	// Path is the method file, normally from Resolve. A file without a
	// "#!" line runs through /bin/sh, as execvp does.
	Path string
	// Args follow the path in argv: Argv or ValidateArgv.
	Args []string
	// Env is the method's entire environment, normally from Env. Nil means
	// empty, never rgmd's own; NOTIFY_SOCKET and LISTEN_* are dropped even
	// if present, because they describe rgmd's sockets, not the method's.
	Env []string
	// Dir is the working directory; empty means "/", so that a method never
	// depends on where rgmd happened to be started.
	Dir string
	// Timeout ends the method (its whole process group) after this long;
	// zero means no timeout, only ctx.
	Timeout time.Duration
	// Grace is the wait between SIGTERM and SIGKILL; zero means
	// DefaultGrace.
	Grace time.Duration
	// KillOnCancel, when ctx ends first, kills the process group with
	// SIGKILL at once instead of SIGTERM then SIGKILL after Grace: a fault
	// monitor's probe stopped halfway, as the DSDL's Monitor_stop kills
	// its monitor. The timeout still gives SIGTERM first.
	KillOnCancel bool
	// Label identifies the method in Tracker.Owner, e.g. the resource name.
	Label string
	// OnLine, if set, receives each line of output; stream is "stdout" or
	// "stderr", and the newline is removed. Lines longer than MaxLine
	// arrive in pieces. Calls are never concurrent, but may continue after
	// Run returns, for as long as a process the method left running keeps
	// writing to the inherited stdout or stderr.
	OnLine func(stream, line string)
}

// Result says how a method ended. The engine decides what that means.
type Result struct {
	// ExitCode is the exit status, or -1 if the method did not exit on its
	// own (signal) or never started.
	ExitCode int
	// Signal is the signal that killed the method, or 0.
	Signal syscall.Signal
	// CoreDumped is set when the signal left a core dump.
	CoreDumped bool
	// TimedOut is set when Spec.Timeout expired and the group was killed.
	TimedOut bool
	// Canceled is set when ctx ended first and the group was killed, or
	// when ctx had ended before the method could start (Err is then set).
	Canceled bool
	// Err is set when the method could not be started at all.
	Err error
	// Duration is from start until the leader process ended.
	Duration time.Duration
	// Output is the end of the combined stdout and stderr, at most
	// MaxOutput bytes, beginning with "[truncated]" when cut.
	Output string
	// Reason is a one-line summary for people, such as "exited 3".
	Reason string
}

// OK reports whether the method succeeded: it ran and exited 0, on its own.
func (r Result) OK() bool {
	return r.Err == nil && !r.TimedOut && !r.Canceled && r.Signal == 0 && r.ExitCode == 0
}

// Runner runs methods. The zero value works.
type Runner struct {
	// Tracker, optional, has every method registered while it runs.
	Tracker *Tracker
}

// Run runs s and returns when its leader process has exited (and, if it was
// killed, after its process group was killed). On a normal exit the
// process group is left alone: a Start method may rightly leave its
// service running.
func (r *Runner) Run(ctx context.Context, s Spec) Result {
	start := time.Now()
	res := Result{ExitCode: -1}
	if err := ctx.Err(); err != nil {
		res.Canceled, res.Err = true, err
		res.Reason = "canceled before start: " + err.Error()
		return res
	}
	c := newCapture(s.OnLine)
	cmd, err := startMethod(s, c)
	if err != nil {
		res.Err = err
		res.Duration = time.Since(start)
		res.Reason = "cannot execute: " + err.Error()
		return res
	}
	pgid := cmd.Process.Pid // Setpgid with Pgid 0 makes the leader's pid the pgid
	if r.Tracker != nil {
		r.Tracker.add(pgid, s.Label)
		defer r.Tracker.remove(pgid)
	}

	exited := make(chan struct{})
	var waitErr error
	var end time.Time
	go func() {
		waitErr = cmd.Wait()
		end = time.Now()
		close(exited)
	}()
	var timeout <-chan time.Time
	if s.Timeout > 0 {
		t := time.NewTimer(s.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-exited:
	case <-timeout:
		res.TimedOut = true
	case <-ctx.Done():
		res.Canceled = true
	}
	if res.TimedOut || res.Canceled {
		select {
		case <-exited:
			// The method finished on its own just as the timer or ctx fired:
			// its exit decides, and its group must not be killed.
			res.TimedOut, res.Canceled = false, false
		default:
			grace := s.Grace
			if grace <= 0 {
				grace = DefaultGrace
			}
			if res.Canceled && s.KillOnCancel && pgid > 1 {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			} else {
				killGroup(pgid, grace)
			}
		}
	}
	<-exited
	res.Duration = end.Sub(start)

	drain := time.NewTimer(drainWait)
	select {
	case <-c.eof:
	case <-drain.C:
	}
	drain.Stop()
	res.Output = c.snapshot()

	var ws syscall.WaitStatus
	ok := false
	if cmd.ProcessState != nil {
		ws, ok = cmd.ProcessState.Sys().(syscall.WaitStatus)
	}
	if ok {
		switch {
		case ws.Exited():
			res.ExitCode = ws.ExitStatus()
		case ws.Signaled():
			res.Signal = ws.Signal()
			res.CoreDumped = ws.CoreDump()
		}
	} else if waitErr != nil {
		res.Err = waitErr
	}
	res.Reason = reason(res, s.Timeout)
	return res
}

func reason(r Result, timeout time.Duration) string {
	switch {
	case r.TimedOut:
		return fmt.Sprintf("timed out after %s; process group killed", timeout)
	case r.Canceled:
		return "canceled; process group killed"
	case r.Err != nil:
		return "cannot execute: " + r.Err.Error()
	case r.Signal != 0 && r.CoreDumped:
		return "killed by signal " + SignalName(r.Signal) + " (core dumped)"
	case r.Signal != 0:
		return "killed by signal " + SignalName(r.Signal)
	default:
		return fmt.Sprintf("exited %d", r.ExitCode)
	}
}

// startMethod starts s with its output going to c.
func startMethod(s Spec, c *capture) (*exec.Cmd, error) {
	if s.Path == "" {
		return nil, errors.New("empty method path")
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	// Stdin is opened here, not by os/exec, so that the program's
	// descriptor can be put clear of the child's (execfile.Above).
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		return nil, err
	}
	// Exactly the file checked: opened, checked through the descriptor,
	// executed through it (pkg/execfile).
	prog, err := execfile.Open(s.Path, "", execfile.Strict())
	var cmd *exec.Cmd
	if err == nil {
		cmd, err = prog.Start(s.Args, execfile.AboveFiles(stdin, outW, errW), func(path string, argv []string) *exec.Cmd {
			return command(s, stdin, outW, errW, path, argv)
		})
	}
	prog.Close() // nil-safe
	// The child has its own copies; ours must go so that EOF comes when the
	// last process holding them exits.
	stdin.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, err
	}
	c.start(map[string]*os.File{"stdout": outR, "stderr": errR})
	return cmd, nil
}

func command(s Spec, stdin, stdout, stderr *os.File, path string, argv []string) *exec.Cmd {
	dir := s.Dir
	if dir == "" {
		dir = "/"
	}
	return &exec.Cmd{
		Path: path,
		Args: argv,
		Env:  cleanEnv(s.Env),
		Dir:  dir,
		// /dev/null. *os.File inputs and outputs are handed to the child
		// as they are, so exec starts no copying goroutine for Wait to
		// wait on.
		Stdin:       stdin,
		Stdout:      stdout,
		Stderr:      stderr,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
}

// cleanEnv never returns nil: exec.Cmd would take nil as "inherit rgmd's".
func cleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES":
			continue
		}
		out = append(out, kv)
	}
	return out
}
