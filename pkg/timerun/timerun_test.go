package timerun

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args string
		want Options
		bad  bool
	}{
		{args: "-t 5 prog a b", want: Options{Timeout: 5 * time.Second, Code: 99, Signal: syscall.SIGKILL, Argv: []string{"prog", "a", "b"}}},
		{args: "-t 1.5 -a -d -v -e 7 -x 80 prog -t 3", want: Options{Timeout: 1500 * time.Millisecond, Abandon: true, Delay: true, Verbose: true, Code: 7, Signal: syscall.SIGKILL, WarnPct: 80, Argv: []string{"prog", "-t", "3"}}},
		{args: "-t2 -k term prog", want: Options{Timeout: 2 * time.Second, Code: 99, Signal: syscall.SIGTERM, Argv: []string{"prog"}, signalSet: true}},
		{args: "-dv -t 1 -k 15 -- prog", want: Options{Timeout: time.Second, Delay: true, Verbose: true, Code: 99, Signal: syscall.SIGTERM, Argv: []string{"prog"}, signalSet: true}},
		{args: "-t 1 -k SIGHUP prog", want: Options{Timeout: time.Second, Code: 99, Signal: syscall.SIGHUP, Argv: []string{"prog"}, signalSet: true}},
		{args: "prog", bad: true},              // no -t
		{args: "-t 0 prog", bad: true},         // not positive
		{args: "-t x prog", bad: true},         // not a number
		{args: "-t 1", bad: true},              // no program
		{args: "-t 1 -a -k TERM p", bad: true}, // -a with -k
		{args: "-t 1 -e 256 p", bad: true},
		{args: "-t 1 -e -1 p", bad: true},
		{args: "-t 1 -k NOSIG p", bad: true},
		{args: "-t 1 -x 0 p", bad: true},
		{args: "-t 1 -x 101 p", bad: true},
		{args: "-t 1 -t 2 p", bad: true},
		{args: "-t 1 -z p", bad: true},
		{args: "-t", bad: true},
	} {
		got, err := Parse(strings.Fields(tc.args))
		if tc.bad {
			if err == nil {
				t.Errorf("Parse(%q) accepted: %+v", tc.args, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.args, err)
			continue
		}
		if got.Timeout != tc.want.Timeout || got.Abandon != tc.want.Abandon || got.Delay != tc.want.Delay || got.Verbose != tc.want.Verbose ||
			got.Code != tc.want.Code || got.Signal != tc.want.Signal || got.WarnPct != tc.want.WarnPct || got.signalSet != tc.want.signalSet ||
			strings.Join(got.Argv, " ") != strings.Join(tc.want.Argv, " ") {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.args, got, tc.want)
		}
	}
}

// hatimerun runs the built binary and returns its exit status and stderr.
func hatimerun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(rgmtest.Binaries(t), "hatimerun"), args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	cmd.WaitDelay = 5 * time.Second // a program left running may hold stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, errb.String()
}

// waitPID reads a pid a script writes, within a generous bound.
func waitPID(t *testing.T, file string) int {
	t.Helper()
	for i := 0; i < 500; i++ {
		if b, err := os.ReadFile(file); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil {
				t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
				return pid
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s not written", file)
	return 0
}

func waitDead(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 500 && rgmtest.Alive(pid); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if rgmtest.Alive(pid) {
		t.Errorf("pid %d still alive", pid)
	}
}

func TestTimeoutKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	// The grandchild ignores SIGTERM; the default SIGKILL still gets it.
	script := `sh -c 'trap "" TERM; echo $$ > ` + dir + `/gc.pid; while :; do sleep 1; done' & sleep 30`
	code, stderr := hatimerun(t, "-v", "-t", "0.5", "sh", "-c", script)
	if code != 99 {
		t.Fatalf("exit %d, want 99; stderr: %s", code, stderr)
	}
	if !strings.Contains(stderr, "SIGKILL") {
		t.Errorf("-v said nothing of the kill: %s", stderr)
	}
	waitDead(t, waitPID(t, dir+"/gc.pid"))
}

func TestExitCodeOnTimeout(t *testing.T) {
	if code, _ := hatimerun(t, "-e", "7", "-t", "0.2", "sleep", "30"); code != 7 {
		t.Errorf("-e 7: exit %d", code)
	}
}

func TestKillSignal(t *testing.T) {
	dir := t.TempDir()
	code, _ := hatimerun(t, "-k", "usr1", "-t", "0.5", "sh", "-c", `trap "echo got > `+dir+`/usr1; exit 0" USR1; while :; do sleep 0.05; done`)
	if code != 99 {
		t.Fatalf("exit %d, want 99", code)
	}
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(dir + "/usr1"); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("the program never got SIGUSR1")
}

func TestAbandonLeavesTheProgram(t *testing.T) {
	dir := t.TempDir()
	code, _ := hatimerun(t, "-a", "-t", "0.3", "sh", "-c", "echo $$ > "+dir+"/pid; exec sleep 30 2>/dev/null")
	if code != 99 {
		t.Fatalf("exit %d, want 99", code)
	}
	pid := waitPID(t, dir+"/pid")
	if !rgmtest.Alive(pid) {
		t.Error("-a killed the program")
	}
}

func TestStatusPassedThrough(t *testing.T) {
	for script, want := range map[string]int{"exit 0": 0, "exit 3": 3, "kill -9 $$": 137} {
		if code, stderr := hatimerun(t, "-t", "20", "sh", "-c", script); code != want {
			t.Errorf("%s: exit %d, want %d (%s)", script, code, want, stderr)
		}
	}
	if code, stderr := hatimerun(t, "-t", "5", "/nonexistent/prog"); code != 98 || !strings.Contains(stderr, "cannot execute") {
		t.Errorf("missing program: exit %d, %s", code, stderr)
	}
	if code, _ := hatimerun(t, "-a", "-k", "TERM", "-t", "5", "true"); code != 98 {
		t.Errorf("bad usage: exit %d, want 98", code)
	}
}

func TestWarnPercent(t *testing.T) {
	code, stderr := hatimerun(t, "-d", "-x", "10", "-t", "5", "sleep", "1")
	if code != 0 || !strings.Contains(stderr, "warning") {
		t.Errorf("exit %d, stderr %q; want 0 and a warning", code, stderr)
	}
	if _, stderr := hatimerun(t, "-x", "90", "-t", "20", "true"); stderr != "" {
		t.Errorf("warned below the threshold: %q", stderr)
	}
}

func TestSIGTERMKillsAndExits98(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join(rgmtest.Binaries(t), "hatimerun"), "-t", "30", "sh", "-c", "echo $$ > "+dir+"/pid; sleep 30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := waitPID(t, dir+"/pid")
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 98 {
		t.Fatalf("after SIGTERM: %v, want exit 98", err)
	}
	waitDead(t, pid)
}

// A program file without a #! line runs through /bin/sh, as execvp runs
// it (issue 21, item 13): old agents ship such scripts. As root, a
// program in a directory another user owns is refused (exit 98).
func TestScriptWithoutShebang(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	s := filepath.Join(dir, "probe")
	if err := os.WriteFile(s, []byte("[ \"$1\" = x ] || exit 1\nexit 7\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, stderr := hatimerun(t, "-t", "20", s, "x"); code != 7 {
		t.Errorf("by path: exit %d, want 7 (%s)", code, stderr)
	}
	cmd := exec.Command(filepath.Join(rgmtest.Binaries(t), "hatimerun"), "-t", "20", "probe", "x")
	cmd.Env = append(os.Environ(), "PATH="+dir+":/usr/bin:/bin")
	if err := cmd.Run(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 7 {
		t.Errorf("found in PATH: %v, want exit 7", err)
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the ownership rules are not tried")
		return
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if code, stderr := hatimerun(t, "-t", "20", s, "x"); code != 98 || !strings.Contains(stderr, "not owned by root") {
		t.Errorf("in another user's directory, as root: exit %d, %s", code, stderr)
	}
}
