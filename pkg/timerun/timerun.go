// Package timerun is hatimerun(8): run a program in its own process group
// with a time limit, and kill the group when the limit passes.
package timerun

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/execfile"
	"github.com/openrgm/openrgm/pkg/getopt"
	"github.com/openrgm/openrgm/pkg/signame"
)

// Exit statuses of hatimerun besides the program's own.
const (
	ExitTimeout  = 99 // the time limit passed (default of -e)
	ExitInternal = 98 // bad usage, the program cannot be executed, or hatimerun got SIGTERM
)

// Options is a parsed command line.
type Options struct {
	Timeout   time.Duration  // -t
	Abandon   bool           // -a: on timeout, exit and leave the program running
	Delay     bool           // -d: start the clock once the program executes
	Verbose   bool           // -v
	Code      int            // -e: exit status on timeout
	Signal    syscall.Signal // -k: sent to the group on timeout
	WarnPct   int            // -x: warn when more than this % of the limit was used; 0: never
	Argv      []string
	signalSet bool
}

const usage = "usage: hatimerun -t seconds [-a] [-d] [-v] [-e exitcode] [-k signal] [-x percent] program [args...]\n"

// Parse reads hatimerun's arguments.
func Parse(args []string) (*Options, error) {
	opts, rest, err := getopt.Parse(args, "t:adve:k:x:")
	if err != nil {
		return nil, err
	}
	o := &Options{Code: ExitTimeout, Signal: syscall.SIGKILL}
	seen := map[byte]bool{}
	for _, op := range opts {
		if seen[op.Name] {
			return nil, fmt.Errorf("-%c given twice", op.Name)
		}
		seen[op.Name] = true
		switch op.Name {
		case 't':
			f, err := strconv.ParseFloat(op.Arg, 64)
			if err != nil || math.IsNaN(f) || f <= 0 || f > math.MaxInt32 {
				return nil, fmt.Errorf("-t %q: want a positive number of seconds", op.Arg)
			}
			o.Timeout = time.Duration(f * float64(time.Second))
		case 'a':
			o.Abandon = true
		case 'd':
			o.Delay = true
		case 'v':
			o.Verbose = true
		case 'e':
			n, err := strconv.Atoi(op.Arg)
			if err != nil || n < 0 || n > 255 {
				return nil, fmt.Errorf("-e %q: want an exit status from 0 to 255", op.Arg)
			}
			o.Code = n
		case 'k':
			sig, err := signame.Parse(op.Arg)
			if err != nil {
				return nil, fmt.Errorf("-k: %v", err)
			}
			o.Signal, o.signalSet = sig, true
		case 'x':
			n, err := strconv.Atoi(op.Arg)
			if err != nil || n < 1 || n > 100 {
				return nil, fmt.Errorf("-x %q: want a percentage from 1 to 100", op.Arg)
			}
			o.WarnPct = n
		}
	}
	if !seen['t'] {
		return nil, errors.New("-t is required")
	}
	if o.Abandon && o.signalSet {
		return nil, errors.New("-a and -k cannot be combined")
	}
	if len(rest) == 0 {
		return nil, errors.New("no program given")
	}
	o.Argv = rest
	return o, nil
}

// Main is hatimerun's command line; the program inherits hatimerun's
// standard input, output and error.
func Main(args []string, stderr io.Writer) int {
	o, err := Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "hatimerun: %v\n%s", err, usage)
		return ExitInternal
	}
	return Run(o, os.Stdin, os.Stdout, stderr)
}

// Run runs o.Argv and returns hatimerun's exit status: the program's own
// (128+N if signal N killed it, as shells report it) when it finished in
// time, o.Code on timeout, ExitInternal on trouble or when hatimerun is
// asked to stop by SIGTERM, SIGINT or SIGHUP (the program's group is then
// killed as on a timeout).
func Run(o *Options, stdin io.Reader, stdout, stderr io.Writer) int {
	verbose := func(format string, a ...any) {
		if o.Verbose {
			fmt.Fprintf(stderr, "hatimerun: "+format+"\n", a...)
		}
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(stop)

	start := time.Now()
	cmd, err := startProgram(o.Argv, stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "hatimerun: cannot execute %s: %v\n", o.Argv[0], err)
		return ExitInternal
	}
	// Start returns once the program has been executed (exec reports its
	// failure through a close-on-exec pipe), so -d starts the clock here.
	if o.Delay {
		start = time.Now()
	}
	pgid := cmd.Process.Pid
	verbose("started %s, pid %d, time limit %v", o.Argv[0], pgid, o.Timeout)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	timer := time.NewTimer(o.Timeout - time.Since(start))
	defer timer.Stop()

	select {
	case err := <-exited:
		used := time.Since(start)
		if o.WarnPct > 0 && used*100 > o.Timeout*time.Duration(o.WarnPct) {
			fmt.Fprintf(stderr, "hatimerun: warning: %s used %v, more than %d%% of its time limit %v\n", o.Argv[0], used.Round(time.Millisecond), o.WarnPct, o.Timeout)
		}
		status := exitStatus(cmd.ProcessState, err)
		verbose("%s exited with status %d after %v", o.Argv[0], status, used.Round(time.Millisecond))
		return status
	case <-timer.C:
		if o.Abandon {
			verbose("time limit %v passed; leaving pid %d running", o.Timeout, pgid)
			return o.Code
		}
		verbose("time limit %v passed; sending %s to process group %d", o.Timeout, signame.Name(o.Signal), pgid)
		_ = syscall.Kill(-pgid, o.Signal)
		return o.Code
	case sig := <-stop:
		fmt.Fprintf(stderr, "hatimerun: got %v; killing process group %d\n", sig, pgid)
		_ = syscall.Kill(-pgid, o.Signal)
		return ExitInternal
	}
}

// startProgram starts argv in a new process group as execvp would find and run
// it (a file that is neither a script nor a binary runs through /bin/sh),
// executing exactly the file it checked; as root, the file and the
// directories above it must be root's (pkg/execfile).
func startProgram(argv []string, stdin io.Reader, stdout, stderr io.Writer) (*exec.Cmd, error) {
	prog, err := execfile.Open(argv[0], os.Getenv("PATH"), execfile.Strict())
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	return prog.Start(argv[1:], 0, func(path string, av []string) *exec.Cmd {
		return &exec.Cmd{Path: path, Args: av, Stdin: stdin, Stdout: stdout, Stderr: stderr,
			SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
	})
}

// exitStatus is the program's status as a shell reports it.
func exitStatus(ps *os.ProcessState, err error) int {
	if ps == nil {
		return ExitInternal
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
