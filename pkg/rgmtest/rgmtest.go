// Package rgmtest is the integration-test harness: it builds the real
// binaries once per test process and starts real rgmd daemons in temporary
// directories, so tests drive them exactly as users do.
package rgmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// RepoRoot returns the module's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Binaries builds every command under cmd/ once per test process and
// returns the directory holding them.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rgmbin")
		if err != nil {
			buildErr = err
			return
		}
		// As the Makefile builds them.
		entries, err := os.ReadDir(filepath.Join(RepoRoot(), "cmd"))
		if err != nil {
			buildErr = err
			return
		}
		pkgs := make([]string, 0, len(entries))
		for _, e := range entries {
			pkgs = append(pkgs, "./cmd/"+e.Name())
		}
		cmd := exec.Command("go", append([]string{"build", "-trimpath", "-ldflags=-s -w", "-o", dir + "/"}, pkgs...)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		binDir = dir
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// Daemon is a real rgmd started by StartDaemon.
type Daemon struct {
	t        testing.TB
	Bin      string // directory of the built binaries
	Socket   string
	StateDir string
	Node     string
	// ClusterAddr is the node's cluster port, for a node of a Cluster.
	ClusterAddr string
	frozen      bool
	netns       string // the node's network namespace, if any (netns.go)
	netnsIndex  int
	// ExtraFiles, set before a Start, are passed to rgmd from fd 3 on, as
	// whoever starts rgmd may leave descriptors open.
	ExtraFiles []*os.File
	// Wrap, set before a Start, is a command line that runs rgmd with its
	// arguments appended, such as "ip netns exec NS" or "unshare -m": it
	// must exec rgmd, so that the process started is rgmd.
	Wrap  []string
	cmd   *exec.Cmd
	log   *bytes.Buffer
	logMu *sync.Mutex
	done  chan struct{}
	// shims are the process monitor supervisors seen in the state
	// directory's records, to stop at the end (stopSupervisors).
	shims map[int]bool
}

// StartDaemon starts rgmd with a fresh state directory and socket. Extra
// arguments go to rgmd. The daemon is stopped when the test ends.
func StartDaemon(t testing.TB, extra ...string) *Daemon {
	t.Helper()
	return StartDaemonWrapped(t, nil, extra...)
}

// StartDaemonWrapped is StartDaemon with rgmd run by the command line wrap
// (see Daemon.Wrap): in a network or mount namespace of its own, say.
func StartDaemonWrapped(t testing.TB, wrap []string, extra ...string) *Daemon {
	t.Helper()
	// A short directory: sun_path holds 108 bytes and t.TempDir() can be
	// longer than that.
	dir, err := os.MkdirTemp("", "rgm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &Daemon{t: t, Bin: Binaries(t), Socket: filepath.Join(dir, "rgmd.sock"), StateDir: filepath.Join(dir, "state"), Node: "node1", Wrap: wrap}
	d.Start(extra...)
	t.Cleanup(func() {
		d.Stop()
		d.stopSupervisors()
	})
	return d
}

// stopSupervisors stops the process monitor's trees, which outlive rgmd
// by design: it sends SIGTERM to every supervisor recorded in the state
// directory (pmfadm(8); the supervisor then stops its tree, SIGKILL after
// 5 s) and waits for them, so that a test leaves no process behind.
func (d *Daemon) stopSupervisors() {
	d.noteSupervisors()
	var pids []int
	for pid := range d.shims {
		if d.isSupervisor(pid) {
			syscall.Kill(pid, syscall.SIGTERM)
			pids = append(pids, pid)
		}
	}
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		alive := 0
		for _, pid := range pids {
			if d.isSupervisor(pid) {
				alive++
			}
		}
		if alive == 0 {
			return
		}
	}
	d.t.Errorf("process monitor supervisors %v still run 15s after SIGTERM", pids)
}

// noteSupervisors adds the supervisors of the state directory's records
// to d.shims.
func (d *Daemon) noteSupervisors() {
	files, _ := filepath.Glob(filepath.Join(d.StateDir, "pmf", "*.json"))
	for _, f := range files {
		var rec struct {
			Supervisor int `json:"supervisor_pid"`
		}
		b, err := os.ReadFile(f)
		if err == nil && json.Unmarshal(b, &rec) == nil && rec.Supervisor > 0 {
			if d.shims == nil {
				d.shims = map[int]bool{}
			}
			d.shims[rec.Supervisor] = true
		}
	}
}

// isSupervisor reports whether pid is a live (not zombie: this sandbox's
// init does not reap) process monitor supervisor of this daemon (pmfadm
// puts RGM_SOCKET in every tag's environment), so that a recycled pid is
// never signalled.
func (d *Daemon) isSupervisor(pid int) bool {
	if pid <= 1 {
		return false
	}
	dir := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(dir + "/cmdline")
	if err != nil || !bytes.HasPrefix(cmdline, []byte("openrgm-pmf-shim\x00")) {
		return false
	}
	env, err := os.ReadFile(dir + "/environ")
	if err != nil || !bytes.Contains(append([]byte{0}, env...), []byte("\x00RGM_SOCKET="+d.Socket+"\x00")) {
		return false
	}
	return Alive(pid)
}

// Alive reports whether pid is a live process. A zombie counts as dead:
// an orphan waits for init to reap it, and some sandboxes' init never does.
func Alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return false
	}
	state := bytes.TrimSpace(stat[i+1:])
	return len(state) > 0 && state[0] != 'Z' && state[0] != 'X'
}

// Start starts rgmd on the daemon's socket and state directory and waits
// until it answers.
func (d *Daemon) Start(extra ...string) {
	d.t.Helper()
	if err := d.TryStart(extra...); err != nil {
		d.t.Fatal(err)
	}
}

// TryStart is Start that returns rgmd's failure to start instead of
// failing the test: in a fault test a fence agent may kill a node's rgmd
// while it starts, as a fenced machine may be turned off while it boots.
func (d *Daemon) TryStart(extra ...string) error {
	d.t.Helper()
	d.noteSupervisors() // a new rgmd may discard records (--boot-id)
	args := append([]string{"--socket", d.Socket, "--state-dir", d.StateDir, "--node-name", d.Node, "--log-level", "debug"}, extra...)
	d.cmd = exec.Command(filepath.Join(d.Bin, "rgmd"), args...)
	if d.netns != "" {
		// ip execs rgmd in the namespace: the process is rgmd's.
		d.cmd = exec.Command("ip", append([]string{"netns", "exec", d.netns, filepath.Join(d.Bin, "rgmd")}, args...)...)
	}
	if len(d.Wrap) > 0 {
		d.cmd = exec.Command(d.Wrap[0], append(append(append([]string{}, d.Wrap[1:]...), d.cmd.Path), d.cmd.Args[1:]...)...)
	}
	d.log, d.logMu = &bytes.Buffer{}, &sync.Mutex{}
	w := &lockedWriter{mu: d.logMu, b: d.log}
	d.cmd.Stdout, d.cmd.Stderr = w, w
	d.cmd.Env = d.Env()
	d.cmd.ExtraFiles = d.ExtraFiles
	if err := d.cmd.Start(); err != nil {
		return err
	}
	d.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(d.cmd, d.done)
	return d.waitReady()
}

// WaitReady polls ping until rgmd answers, failing the test if rgmd exits
// or does not answer within a generous bound.
func (d *Daemon) WaitReady() {
	d.t.Helper()
	if err := d.waitReady(); err != nil {
		d.t.Fatal(err)
	}
}

func (d *Daemon) waitReady() error {
	c := &client.Client{Socket: d.Socket, Timeout: time.Second}
	defer c.Close()
	for i := 0; i < 600; i++ {
		select {
		case <-d.done:
			return fmt.Errorf("rgmd exited during start-up (%v):\n%s", d.cmd.ProcessState, d.Log())
		default:
		}
		if _, err := c.Ping(context.Background()); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("rgmd did not answer within 30s:\n%s", d.Log())
}

// Env is the environment for commands run against this daemon.
func (d *Daemon) Env() []string {
	return append(os.Environ(), "RGM_SOCKET="+d.Socket, "RGM_STATE_DIR="+d.StateDir, "PATH="+d.Bin+":"+os.Getenv("PATH"))
}

// PID returns rgmd's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Kill sends SIGKILL and waits for rgmd to die: a crash.
func (d *Daemon) Kill() {
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
}

// Stop sends SIGTERM, then SIGKILL if rgmd has not exited after 10 s.
func (d *Daemon) Stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.done
	}
}

// Exited reports whether rgmd has exited, and its exit code.
func (d *Daemon) Exited() (bool, int) {
	select {
	case <-d.done:
		return true, d.cmd.ProcessState.ExitCode()
	default:
		return false, 0
	}
}

// Log returns what rgmd has written so far.
func (d *Daemon) Log() string {
	d.logMu.Lock()
	defer d.logMu.Unlock()
	return d.log.String()
}

// LogTail returns the last n lines rgmd has written, for a failure's
// message.
func (d *Daemon) LogTail(n int) string {
	lines := strings.Split(d.Log(), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Result is a finished command.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs one of the built binaries against the daemon.
func (d *Daemon) Run(name string, args ...string) Result {
	d.t.Helper()
	cmd := exec.Command(filepath.Join(d.Bin, name), args...)
	cmd.Env = d.Env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatalf("%s: %v", name, err)
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// MustRun runs a command and fails the test unless it exits 0.
func (d *Daemon) MustRun(name string, args ...string) string {
	d.t.Helper()
	r := d.Run(name, args...)
	if r.Code != 0 {
		d.t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
