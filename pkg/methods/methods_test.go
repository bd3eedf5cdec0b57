package methods

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// guard is a generous timeout that only stops a broken test from hanging;
// no test asserts how long anything took.
const guard = 20 * time.Second

// script writes an executable file named name in dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// lines collects OnLine calls; safe for the calls that continue after Run.
type lines struct {
	mu  sync.Mutex
	got []string // "stream: line"
}

func (l *lines) on(stream, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, stream+": "+line)
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

// poll calls f up to n times, 10 ms apart, until it returns true.
func poll(n int, f func() bool) bool {
	for i := 0; i < n; i++ {
		if f() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// readPID waits for a method to write a pid into file.
func readPID(t *testing.T, file string) int {
	t.Helper()
	var pid int
	if !poll(1000, func() bool {
		b, err := os.ReadFile(file)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}) {
		t.Fatalf("no pid in %s", file)
	}
	return pid
}

func killInCleanup(t *testing.T, pid int) {
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
}

func TestArgvFunctions(t *testing.T) {
	if got, want := Argv("r1", "SUNW.x", "g1"), []string{"-R", "r1", "-T", "SUNW.x", "-G", "g1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Argv = %q, want %q", got, want)
	}
	got := ValidateArgv("r1", "T", "g1", false,
		map[string]string{"Start_timeout": "60", "Port_list": "80/tcp"},
		map[string]string{"Conf": "a b=c"},
		nil)
	want := []string{"-u", "-R", "r1", "-T", "T", "-G", "g1",
		"-r", "Port_list=80/tcp", "-r", "Start_timeout=60", "-x", "Conf=a b=c"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ValidateArgv = %q, want %q", got, want)
	}
	if got := ValidateArgv("r", "t", "g", true, nil, nil, map[string]string{"Nodelist": "n1,n2"}); got[0] != "-c" || got[len(got)-2] != "-g" || got[len(got)-1] != "Nodelist=n1,n2" {
		t.Errorf("ValidateArgv create = %q", got)
	}
}

func TestArgvReceived(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "argv")
	p := script(t, dir, "validate", "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" > "+out+"\n")
	args := ValidateArgv("web 1", "ACME.web", "rg-1", true,
		map[string]string{"Retry_count": "2"}, map[string]string{"Confdir": "/etc/my dir", "Log": ""}, map[string]string{"Nodelist": "a,b"})
	res := (&Runner{}).Run(context.Background(), Spec{Path: p, Args: args, Timeout: guard})
	if !res.OK() {
		t.Fatalf("Run: %s (%v)", res.Reason, res.Err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{p}, args...)
	if got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("method got argv %q, want %q", got, want)
	}
}

func TestEnvIsExactlyTheGivenOne(t *testing.T) {
	t.Setenv("OPENRGM_LEAK_CHECK", "leaked")
	want := Env("/run/test.sock", "/opt/openrgm/bin")
	if want[0] != "PATH=/opt/openrgm/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" {
		t.Errorf("Env PATH = %q", want[0])
	}
	env := append(append([]string(nil), want...), "NOTIFY_SOCKET=/run/systemd/notify", "LISTEN_FDS=1", "LISTEN_PID=1", "LISTEN_FDNAMES=x")
	var l lines
	res := (&Runner{}).Run(context.Background(), Spec{Path: "/usr/bin/env", Env: env, OnLine: l.on, Timeout: guard})
	if !res.OK() {
		t.Fatalf("Run: %s", res.Reason)
	}
	var got []string
	for _, s := range l.all() {
		got = append(got, strings.TrimPrefix(s, "stdout: "))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("method environment = %q, want %q", got, want)
	}

	// A nil Env is empty, not rgmd's.
	l = lines{}
	res = (&Runner{}).Run(context.Background(), Spec{Path: "/usr/bin/env", OnLine: l.on, Timeout: guard})
	if !res.OK() || len(l.all()) != 0 {
		t.Errorf("nil Env: %s, environment %q, want empty", res.Reason, l.all())
	}
}

func TestStdinAndDir(t *testing.T) {
	dir := t.TempDir()
	p := script(t, dir, "m", "#!/bin/sh\nreadlink /proc/$$/fd/0\npwd\n")
	var l lines
	res := (&Runner{}).Run(context.Background(), Spec{Path: p, OnLine: l.on, Timeout: guard})
	if want := []string{"stdout: /dev/null", "stdout: /"}; !res.OK() || !reflect.DeepEqual(l.all(), want) {
		t.Errorf("got %s, lines %q, want %q", res.Reason, l.all(), want)
	}
	l = lines{}
	res = (&Runner{}).Run(context.Background(), Spec{Path: p, Dir: dir, OnLine: l.on, Timeout: guard})
	if want := []string{"stdout: /dev/null", "stdout: " + dir}; !res.OK() || !reflect.DeepEqual(l.all(), want) {
		t.Errorf("with Dir: got %s, lines %q, want %q", res.Reason, l.all(), want)
	}
}

func TestOutputLines(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", MaxLine+10)
	p := script(t, dir, "m", "#!/bin/sh\necho out1\necho 'err 1' >&2\nprintf 'crlf\\r\\n'\nprintf '"+long+"\\n'\necho err2 >&2\nprintf partial\n")
	var l lines
	res := (&Runner{}).Run(context.Background(), Spec{Path: p, OnLine: l.on, Timeout: guard})
	if !res.OK() {
		t.Fatalf("Run: %s", res.Reason)
	}
	// The two streams are separate pipes: only the order within each is
	// defined.
	var stdout, stderr []string
	for _, s := range l.all() {
		if rest, ok := strings.CutPrefix(s, "stdout: "); ok {
			stdout = append(stdout, rest)
		} else {
			stderr = append(stderr, strings.TrimPrefix(s, "stderr: "))
		}
	}
	if want := []string{"out1", "crlf", long[:MaxLine], long[MaxLine:], "partial"}; !reflect.DeepEqual(stdout, want) {
		t.Errorf("stdout lines = %q\nwant %q", stdout, want)
	}
	if want := []string{"err 1", "err2"}; !reflect.DeepEqual(stderr, want) {
		t.Errorf("stderr lines = %q, want %q", stderr, want)
	}
	got := strings.Split(strings.TrimSuffix(res.Output, "\n"), "\n")
	want := append(stdout, stderr...)
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Output lines = %q, want %q", got, want)
	}
}

func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		ok         bool
		code       int
		sig        syscall.Signal
		reason     string
	}{
		{"zero", "#!/bin/sh\nexit 0\n", true, 0, 0, "exited 0"},
		{"three", "#!/bin/sh\nexit 3\n", false, 3, 0, "exited 3"},
		// ulimit -c 0: no core file, wherever core_pattern points.
		{"segv", "#!/bin/sh\nulimit -c 0\nkill -SEGV $$\nsleep 10\n", false, -1, syscall.SIGSEGV, "killed by signal SIGSEGV"},
		{"noshebang", "echo via-sh \"$@\"\nexit 4\n", false, 4, 0, "exited 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l lines
			p := script(t, dir, tc.name, tc.body)
			res := (&Runner{}).Run(context.Background(), Spec{Path: p, Args: Argv("r", "t", "g"), Dir: dir, OnLine: l.on, Timeout: guard})
			if res.OK() != tc.ok || res.ExitCode != tc.code || res.Signal != tc.sig || res.Reason != tc.reason || res.Err != nil || res.TimedOut {
				t.Errorf("got %+v, want ok=%v code=%d signal=%v reason %q", res, tc.ok, tc.code, tc.sig, tc.reason)
			}
			if tc.name == "noshebang" && !reflect.DeepEqual(l.all(), []string{"stdout: via-sh -R r -T t -G g"}) {
				t.Errorf("script without #! printed %q", l.all())
			}
		})
	}
}

func TestCannotExecute(t *testing.T) {
	dir := t.TempDir()
	noexec := script(t, dir, "noexec", "#!/bin/sh\n")
	if err := os.Chmod(noexec, 0o644); err != nil {
		t.Fatal(err)
	}
	// Even root cannot exec a file without any execute bit.
	for _, p := range []string{filepath.Join(dir, "missing"), noexec} {
		res := (&Runner{}).Run(context.Background(), Spec{Path: p})
		if res.OK() || res.Err == nil || res.ExitCode != -1 || !strings.HasPrefix(res.Reason, "cannot execute: ") || !strings.Contains(res.Reason, p) {
			t.Errorf("%s: got %+v", p, res)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := (&Runner{}).Run(ctx, Spec{Path: "/bin/true"}); res.OK() || !res.Canceled || res.Err == nil {
		t.Errorf("canceled ctx: got %+v", res)
	}
}

// TestTimeoutKillsGroup: the method hangs, and its child ignores SIGTERM;
// both must be gone after Run.
func TestTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	p := script(t, dir, "stop", "#!/bin/sh\n(trap '' TERM; exec sleep 30) &\necho $! > "+pidFile+".tmp\nmv "+pidFile+".tmp "+pidFile+"\nsleep 30\n")
	tr := &Tracker{}
	res := (&Runner{Tracker: tr}).Run(context.Background(), Spec{Path: p, Timeout: 500 * time.Millisecond, Grace: 200 * time.Millisecond})
	child := readPID(t, pidFile)
	killInCleanup(t, child)
	if res.OK() || !res.TimedOut || res.Reason != "timed out after 500ms; process group killed" {
		t.Errorf("got %+v", res)
	}
	if !poll(500, func() bool { return !rgmtest.Alive(child) }) {
		t.Errorf("child %d that ignores SIGTERM survived the timeout", child)
	}
	if _, ok := tr.Owner(child); ok {
		t.Errorf("Owner(%d) still true after Run", child)
	}
}

func TestCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	p := script(t, dir, "start", "#!/bin/sh\nsleep 30 &\necho $! > "+pidFile+".tmp\nmv "+pidFile+".tmp "+pidFile+"\nwait\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- (&Runner{}).Run(ctx, Spec{Path: p, Timeout: guard, Grace: 200 * time.Millisecond}) }()
	child := readPID(t, pidFile)
	killInCleanup(t, child)
	cancel()
	res := <-done
	if res.OK() || !res.Canceled || res.TimedOut || res.Reason != "canceled; process group killed" {
		t.Errorf("got %+v", res)
	}
	if !poll(500, func() bool { return !rgmtest.Alive(child) }) {
		t.Errorf("child %d survived cancellation", child)
	}
}

// TestKillOnCancel: with KillOnCancel a canceled method's group gets
// SIGKILL, not SIGTERM first: a leader that ignores SIGTERM dies of
// SIGKILL (with SIGTERM its child, which does not ignore it, would die
// and the leader exit 0).
func TestKillOnCancel(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	p := script(t, dir, "probe", "#!/bin/sh\nsleep 30 &\ntrap '' TERM\necho $! > "+pidFile+".tmp\nmv "+pidFile+".tmp "+pidFile+"\nwait\nwait\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() {
		done <- (&Runner{}).Run(ctx, Spec{Path: p, Timeout: guard, Grace: guard, KillOnCancel: true})
	}()
	child := readPID(t, pidFile)
	killInCleanup(t, child)
	cancel()
	res := <-done
	if !res.Canceled || res.Signal != syscall.SIGKILL {
		t.Errorf("got %+v, want canceled by SIGKILL", res)
	}
	if !poll(500, func() bool { return !rgmtest.Alive(child) }) {
		t.Errorf("child %d survived", child)
	}
}

// TestNormalExitLeavesServices: a Start method that leaves processes
// behind, with or without their own session, with or without redirecting
// their output, returns and leaves them running.
func TestNormalExitLeavesServices(t *testing.T) {
	for _, tc := range []struct{ name, launch string }{
		{"setsid-redirected", "setsid sleep 30 >/dev/null 2>&1 </dev/null &"},
		{"setsid-holding-pipes", "setsid sleep 30 &"},
		{"same-group-holding-pipes", "sleep 30 &"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pidFile := filepath.Join(dir, "svc.pid")
			p := script(t, dir, "start", "#!/bin/sh\n"+tc.launch+"\necho $! > "+pidFile+"\necho started\nexit 0\n")
			var l lines
			res := (&Runner{}).Run(context.Background(), Spec{Path: p, OnLine: l.on, Timeout: guard, Grace: 200 * time.Millisecond})
			svc := readPID(t, pidFile)
			killInCleanup(t, svc)
			if !res.OK() || res.Output != "started\n" {
				t.Errorf("got %+v", res)
			}
			time.Sleep(50 * time.Millisecond) // give a wrong kill time to land
			if !rgmtest.Alive(svc) {
				t.Errorf("service %d was killed after a normal exit", svc)
			}
		})
	}
}

// TestLateOutputIsDrained: a service that keeps the method's stdout keeps
// being read after Run returns, so it never gets SIGPIPE.
func TestLateOutputIsDrained(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "svc.pid")
	p := script(t, dir, "start", "#!/bin/sh\n(while [ ! -e "+dir+"/go ]; do sleep 0.02; done; echo late; exec sleep 30) &\necho $! > "+pidFile+"\nexit 0\n")
	var l lines
	res := (&Runner{}).Run(context.Background(), Spec{Path: p, OnLine: l.on, Timeout: guard})
	svc := readPID(t, pidFile)
	killInCleanup(t, svc)
	if !res.OK() {
		t.Fatalf("Run: %s", res.Reason)
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if !poll(1000, func() bool { return len(l.all()) > 0 }) {
		t.Fatal("late line never arrived")
	}
	if got := l.all(); !reflect.DeepEqual(got, []string{"stdout: late"}) {
		t.Errorf("lines = %q", got)
	}
	time.Sleep(50 * time.Millisecond)
	if !rgmtest.Alive(svc) {
		t.Errorf("service %d died after writing to the drained pipe", svc)
	}
}

func TestHugeOutputIsCapped(t *testing.T) {
	const size = 10 << 20
	dir := t.TempDir()
	p := script(t, dir, "m", "#!/bin/sh\nhead -c "+strconv.Itoa(size)+" /dev/zero | tr '\\0' a\necho tail-line\n")
	var mu sync.Mutex
	total, longest := 0, 0
	onLine := func(_, line string) {
		mu.Lock()
		defer mu.Unlock()
		total += len(line)
		longest = max(longest, len(line))
	}
	res := (&Runner{}).Run(context.Background(), Spec{Path: p, OnLine: onLine, Timeout: guard})
	if !res.OK() {
		t.Fatalf("Run: %s", res.Reason)
	}
	if !strings.HasPrefix(res.Output, truncatedMark) || len(res.Output) > MaxOutput+len(truncatedMark) || !strings.HasSuffix(res.Output, "tail-line\n") {
		t.Errorf("Output: %d bytes, starts %.20q, ends %q", len(res.Output), res.Output, res.Output[max(0, len(res.Output)-20):])
	}
	want := size + len("tail-line")
	if !poll(1000, func() bool { mu.Lock(); defer mu.Unlock(); return total == want }) {
		t.Errorf("OnLine got %d bytes, want %d", total, want)
	}
	if longest > MaxLine {
		t.Errorf("longest line %d > MaxLine", longest)
	}
}

func TestCaptureSnapshot(t *testing.T) {
	c := newCapture(nil)
	c.line("stdout", "short")
	if got := c.snapshot(); got != "short\n" {
		t.Errorf("snapshot = %q", got)
	}
	if c.line("stdout", "after"); c.snapshot() != "short\n" {
		t.Error("lines kept after the snapshot")
	}

	c = newCapture(nil)
	line := strings.Repeat("y", 99)
	for i := 0; i < 3*MaxOutput/100; i++ {
		c.line("stderr", line)
	}
	c.line("stdout", "last")
	got := c.snapshot()
	if !strings.HasPrefix(got, truncatedMark+line+"\n") || !strings.HasSuffix(got, "\nlast\n") || len(got) > MaxOutput+len(truncatedMark) {
		t.Errorf("snapshot: %d bytes, starts %.40q", len(got), got)
	}
}
