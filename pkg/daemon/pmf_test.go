package daemon_test

import (
	"bytes"
	"fmt"
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

// Process monitor facility tests against a real rgmd and the real pmfadm.

// pidAlive reports whether pid runs; a zombie counts as dead (this
// sandbox's init does not reap orphans).
func pidAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || !bytes.HasPrefix(bytes.TrimSpace(b[i+1:]), []byte("Z"))
}

// eventually polls cond every 20 ms for up to 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 750; i++ {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func lines(file string) []string {
	b, _ := os.ReadFile(file)
	return strings.Fields(string(b))
}

// readPIDFile waits for a pid written by a script and kills it at cleanup.
func readPIDFile(t *testing.T, file string) int {
	t.Helper()
	var pid int
	eventually(t, file, func() bool {
		l := lines(file)
		if len(l) == 0 {
			return false
		}
		pid, _ = strconv.Atoi(l[0])
		return pid > 0
	})
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

// TestPMFWaitsForTheWholeTree: the command exits leaving a grandchild;
// PMF restarts only once the grandchild is gone too.
func TestPMFWaitsForTheWholeTree(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := t.TempDir()
	script := `echo run >> "$D/runs"; sleep 300 & echo $! > "$D/gc.$(wc -l < "$D/runs" | tr -d ' ')"; exit 1`
	d.MustRun("pmfadm", "-c", "tree", "-n", "5", "-t", "1", "-e", "D="+dir, "sh", "-c", script)
	gc := readPIDFile(t, dir+"/gc.1")
	// The leader exits at once; give PMF every chance to restart wrongly.
	time.Sleep(300 * time.Millisecond)
	if n := len(lines(dir + "/runs")); n != 1 {
		t.Fatalf("restarted while the grandchild runs: %d runs", n)
	}
	out := d.MustRun("pmfadm", "-l", "tree")
	for _, want := range []string{"nametag: tree\n", "state: running\n", "pids: " + strconv.Itoa(gc) + "\n", "retries: 5\n", "period: 60s\n", "failures: 0\n", fmt.Sprintf("owner: %d:%d\n", os.Getuid(), os.Getgid())} {
		if !strings.Contains(out, want) {
			t.Errorf("pmfadm -l lacks %q:\n%s", want, out)
		}
	}
	if out := d.MustRun("pmfadm", "-L"); out != "tree\n" {
		t.Errorf("pmfadm -L = %q", out)
	}
	syscall.Kill(gc, syscall.SIGKILL)
	eventually(t, "the restart", func() bool { return len(lines(dir+"/runs")) == 2 })
	readPIDFile(t, dir+"/gc.2")
	if out := d.MustRun("pmfadm", "-l", "tree"); !strings.Contains(out, "failures: 1\n") {
		t.Errorf("after one restart:\n%s", out)
	}
	d.MustRun("pmfadm", "-s", "tree", "-w", "10", "KILL")
	if r := d.Run("pmfadm", "-q", "tree"); r.Code != 1 {
		t.Errorf("pmfadm -q after -s KILL: exit %d", r.Code)
	}
}

// TestPMFRetriesAndAction: failures restart the command up to -n times,
// then the action runs with "failed TAG"; exit 0 restarts again, non-zero
// drops the tag.
func TestPMFRetriesAndAction(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := t.TempDir()
	action := filepath.Join(dir, "action.sh")
	if err := os.WriteFile(action, []byte("#!/bin/sh\necho \"$@\" | tr ' ' _ >> "+dir+"/action.log\n[ $(wc -l < "+dir+"/action.log) -lt 2 ]\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	d.MustRun("pmfadm", "-c", "flaky", "-n", "2", "-t", "1", "-a", action, "sh", "-c", "echo x >> "+dir+"/runs; exit 3")
	eventually(t, "the tag to be dropped", func() bool { return d.Run("pmfadm", "-q", "flaky").Code == 1 })
	if got := lines(dir + "/action.log"); strings.Join(got, " ") != "failed_flaky failed_flaky" {
		t.Errorf("action calls: %q", got)
	}
	// 1 start + 2 restarts, the action says restart: 3 more, then the
	// action says stop.
	if n := len(lines(dir + "/runs")); n != 6 {
		t.Errorf("%d runs, want 6", n)
	}
	if r := d.Run("pmfadm", "-l", "flaky"); r.Code != 1 || !strings.Contains(r.Stderr, "no such nametag") {
		t.Errorf("pmfadm -l of a dropped tag: %+v", r)
	}
	// No action: dropped when the limit is reached; -m raised it first.
	d.MustRun("pmfadm", "-c", "once", "-t", "1", "sh", "-c", "echo y >> "+dir+"/once; sleep 0.3; exit 1")
	d.MustRun("pmfadm", "-m", "once", "-n", "1")
	eventually(t, "the tag to be dropped", func() bool { return d.Run("pmfadm", "-q", "once").Code == 1 })
	if n := len(lines(dir + "/once")); n != 2 {
		t.Errorf("%d runs with -n 1, want 2", n)
	}
	if r := d.Run("pmfadm", "-c", "bad", "/nonexistent/cmd"); r.Code != 5 {
		t.Errorf("pmfadm -c of a missing command: %+v", r)
	}
	if r := d.Run("pmfadm", "-q", "bad"); r.Code != 1 {
		t.Errorf("a command that cannot run left a tag: %+v", r)
	}
}

// TestPMFStopAndKill: -s stops restarting without a signal, -k signals the
// whole tree, including a process that left the process group.
func TestPMFStopAndKill(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := t.TempDir()
	d.MustRun("pmfadm", "-c", "svc", "-n", "-1", "sh", "-c", "setsid sleep 300 & echo $! > "+dir+"/escaped; exec sleep 300")
	escaped := readPIDFile(t, dir+"/escaped")
	if r := d.Run("pmfadm", "-c", "svc", "true"); r.Code != 1 {
		t.Errorf("second -c of a tag: %+v", r)
	}
	d.MustRun("pmfadm", "-s", "svc")
	if out := d.MustRun("pmfadm", "-l", "svc"); !strings.Contains(out, "state: stopping\n") {
		t.Errorf("after -s:\n%s", out)
	}
	d.MustRun("pmfadm", "-q", "svc") // still there: its processes run
	var pids []int
	for _, f := range strings.Fields(strings.TrimPrefix(strings.Split(d.MustRun("pmfadm", "-l", "svc"), "pids: ")[1], "")) {
		pid, _ := strconv.Atoi(f)
		pids = append(pids, pid)
	}
	if len(pids) != 2 {
		t.Fatalf("pids %v, want the command and the escaped process", pids)
	}
	d.MustRun("pmfadm", "-k", "svc", "-w", "10")
	for _, pid := range append(pids, escaped) {
		eventually(t, "pid "+strconv.Itoa(pid)+" to die", func() bool { return !pidAlive(pid) })
	}
	if r := d.Run("pmfadm", "-q", "svc"); r.Code != 1 {
		t.Errorf("-q after -k: %+v", r)
	}
	if r := d.Run("pmfadm", "-k", "svc"); r.Code != 1 {
		t.Errorf("-k of an unknown tag: %+v", r)
	}
	// -w that runs out: a tree that ignores TERM.
	d.MustRun("pmfadm", "-c", "stubborn", "sh", "-c", "trap '' TERM; while :; do sleep 0.1; done")
	if r := d.Run("pmfadm", "-k", "stubborn", "-w", "0.3"); r.Code != 4 {
		t.Errorf("-k -w of a tree ignoring TERM: %+v", r)
	}
	d.MustRun("pmfadm", "-k", "stubborn", "-w", "10", "9")
}

// TestPMFUsers: processes run as the requester; only the owner or root may
// change a tag; anyone may query.
func TestPMFUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run commands as another user")
	}
	d := rgmtest.StartDaemon(t)
	for _, p := range []string{filepath.Dir(d.Socket), d.Bin} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	asNobody := func(args ...string) rgmtest.Result {
		cmd := exec.Command(filepath.Join(d.Bin, "pmfadm"), args...)
		cmd.Env, cmd.Dir = d.Env(), "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return rgmtest.Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
	}
	d.MustRun("pmfadm", "-c", "roots", "sleep", "300")
	if r := asNobody("-k", "roots", "KILL"); r.Code != 3 {
		t.Errorf("nobody stopping root's tag: %+v", r)
	}
	if r := asNobody("-m", "roots", "-n", "4"); r.Code != 3 {
		t.Errorf("nobody changing root's tag: %+v", r)
	}
	if r := asNobody("-q", "roots"); r.Code != 0 {
		t.Errorf("nobody querying: %+v", r)
	}
	if r := asNobody("-l", "roots"); r.Code != 0 || !strings.Contains(r.Stdout, "owner: 0:0") {
		t.Errorf("nobody listing: %+v", r)
	}
	if r := asNobody("-c", "mine", "sleep", "300"); r.Code != 0 {
		t.Fatalf("nobody starting a tag: %+v", r)
	}
	out := asNobody("-l", "mine").Stdout
	if !strings.Contains(out, "owner: 65534:65534") {
		t.Errorf("nobody's tag:\n%s", out)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.Split(out, "pids: ")[1]))
	st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if !strings.Contains(string(st), "\nUid:\t65534\t65534\t65534\t65534\n") {
		t.Errorf("process %d does not run as nobody:\n%s", pid, st)
	}
	if r := asNobody("-k", "mine", "-w", "10"); r.Code != 0 {
		t.Errorf("nobody stopping its own tag: %+v", r)
	}
	d.MustRun("pmfadm", "-k", "roots", "-w", "10")
}

// TestPMFSurvivesRgmd: a tree outlives rgmd's crash (kill -9) and its
// clean stop (SIGTERM); the next rgmd on the state directory re-attaches
// to it: same pid, its output logged again, stopped for real by -s.
func TestPMFSurvivesRgmd(t *testing.T) {
	for _, how := range []string{"kill", "stop"} {
		t.Run(how, func(t *testing.T) {
			d := rgmtest.StartDaemon(t)
			dir := t.TempDir()
			// One line every 20 ms, and a count in a file: the tree must
			// go on writing, neither blocked nor killed by SIGPIPE, while
			// no rgmd reads its output.
			d.MustRun("pmfadm", "-c", "svc", "-n", "-1", "-e", "D="+dir, "sh", "-c",
				`echo $$ > "$D/pid"; i=0; while :; do i=$((i+1)); echo "line $i"; echo $i > "$D/count"; sleep 0.02; done`)
			pid := readPIDFile(t, dir+"/pid")
			if pids := tagPids(t, d, "svc"); len(pids) == 0 || pids[0] != pid {
				t.Fatalf("pmfadm -l pids %v, want %d first", pids, pid)
			}
			count := func() int { // the file is rewritten: retry an empty read
				for {
					if l := lines(dir + "/count"); len(l) > 0 {
						n, _ := strconv.Atoi(l[0])
						return n
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			eventually(t, "output logged", func() bool { return strings.Contains(d.Log(), `line="line 3"`) })
			if how == "kill" {
				d.Kill()
			} else {
				d.Stop()
				if exited, code := d.Exited(); !exited || code != 0 {
					t.Errorf("rgmd exit %v %d:\n%s", exited, code, d.Log())
				}
			}
			n := count()
			eventually(t, "the tree to go on without rgmd", func() bool { return count() >= n+5 })
			if !pidAlive(pid) {
				t.Fatalf("pid %d died with rgmd", pid)
			}
			d.Start()
			out := d.MustRun("pmfadm", "-l", "svc")
			for _, want := range []string{"state: running\n", "failures: 0\n", "retries: unlimited\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("after the restart pmfadm -l lacks %q:\n%s", want, out)
				}
			}
			if p := tagPid(t, d, "svc"); p != pid {
				t.Errorf("after the restart the command is pid %d, was %d", p, pid)
			}
			n = count()
			eventually(t, "output in the new rgmd's log", func() bool {
				return strings.Contains(d.Log(), `tag=svc line="line `+strconv.Itoa(n+2)+`"`)
			})
			d.MustRun("pmfadm", "-s", "svc", "-w", "10", "KILL")
			if pidAlive(pid) {
				t.Errorf("pid %d survived pmfadm -s KILL", pid)
			}
			if recs, _ := filepath.Glob(filepath.Join(d.StateDir, "pmf", "*")); len(recs) != 0 {
				t.Errorf("records left after the tag was dropped: %v", recs)
			}
		})
	}
}

// TestPMFEndedWhileRgmdAway: a tree that ends while no rgmd runs is
// handled by the next rgmd after the tag's policy: restarted while
// retries remain, dropped when they are used up; a tag being stopped
// stays so.
func TestPMFEndedWhileRgmdAway(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := t.TempDir()
	d.MustRun("pmfadm", "-c", "again", "-n", "1", "-e", "D="+dir, "sh", "-c", `echo $$ >> "$D/again"; exec sleep 300`)
	d.MustRun("pmfadm", "-c", "once", "-e", "D="+dir, "sh", "-c", `echo $$ >> "$D/once"; exec sleep 300`)
	d.MustRun("pmfadm", "-c", "halt", "-e", "D="+dir, "sh", "-c", `echo $$ >> "$D/halt"; exec sleep 300`)
	again, once, halt := readPIDFile(t, dir+"/again"), readPIDFile(t, dir+"/once"), readPIDFile(t, dir+"/halt")
	d.MustRun("pmfadm", "-s", "halt") // stopping, but running on
	d.Kill()
	for _, pid := range []int{again, once} {
		syscall.Kill(pid, syscall.SIGKILL)
		eventually(t, "the kill", func() bool { return !pidAlive(pid) })
	}
	d.Start()
	eventually(t, "the restart", func() bool { return len(lines(dir+"/again")) == 2 })
	if out := d.MustRun("pmfadm", "-l", "again"); !strings.Contains(out, "failures: 1\n") || tagPid(t, d, "again") == again {
		t.Errorf("restarted tag:\n%s", out)
	}
	readPIDFile(t, dir+"/again") // killed at the end with the others
	if r := d.Run("pmfadm", "-q", "once"); r.Code != 1 {
		t.Errorf("a tag without retries left was kept: %+v", r)
	}
	if n := len(lines(dir + "/once")); n != 1 {
		t.Errorf("a tag without retries left ran %d times", n)
	}
	if out := d.MustRun("pmfadm", "-l", "halt"); !strings.Contains(out, "state: stopping\n") || !strings.Contains(out, "pids: "+strconv.Itoa(halt)+"\n") {
		t.Errorf("stopping tag after the restart:\n%s", out)
	}
	d.MustRun("pmfadm", "-k", "halt", "-w", "10", "KILL")
	d.MustRun("pmfadm", "-k", "again", "-w", "10", "KILL")
}
