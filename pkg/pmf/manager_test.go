package pmf

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/scha"
)

// manager returns a Manager whose supervisor is the built rgmd. Its trees
// outlive Shutdown, so the test's end kills them first.
func manager(t *testing.T) *Manager {
	m := NewManager(filepath.Join(rgmtest.Binaries(t), "rgmd"), nil)
	t.Cleanup(func() {
		for _, tag := range m.List() {
			m.Stop(context.Background(), StopArgs{Tag: tag, Signal: syscall.SIGKILL, Wait: 10 * time.Second})
		}
		m.Shutdown()
	})
	return m
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 750; i++ {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func pidFrom(t *testing.T, file string) int {
	t.Helper()
	var pid int
	poll(t, file, func() bool {
		b, err := os.ReadFile(file)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return true
	})
	t.Cleanup(func() { killPID(pid) })
	return pid
}

// TestAdoptedTree: a tag created by a callback has its tree owned by the
// callback's resource in the Tracker, for as long as it runs.
func TestAdoptedTree(t *testing.T) {
	m := manager(t)
	tr := &methods.Tracker{}
	m.Adopt, m.Release = tr.Adopt, tr.Release
	dir := t.TempDir()
	_, err := m.Start(Spec{Tag: "mon", Argv: []string{"sh", "-c", "setsid sleep 300 & echo $! > " + dir + "/gc; exec sleep 300"},
		Env: []string{"PATH=" + os.Getenv("PATH")}, Dir: "/", Policy: Policy{Retries: -1}, Level: -1, Label: "web-rs"})
	if err != nil {
		t.Fatal(err)
	}
	gc := pidFrom(t, dir+"/gc")
	if label, ok := tr.Owner(gc); !ok || label != "web-rs" {
		t.Errorf("Owner(grandchild) = %q, %v", label, ok)
	}
	if err := m.Stop(context.Background(), StopArgs{Tag: "mon", Kill: true, Wait: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if label, ok := tr.Owner(gc); ok {
		t.Errorf("Owner(%d) = %q after the tag stopped", gc, label)
	}
}

// TestLevel: with -C 0 only the command itself is monitored: the tag ends
// with it and its child is left running.
func TestLevel(t *testing.T) {
	m := manager(t)
	dir := t.TempDir()
	_, err := m.Start(Spec{Tag: "lvl", Argv: []string{"sh", "-c", "sleep 300 & echo $! > " + dir + "/child; sleep 0.2"},
		Env: []string{"PATH=" + os.Getenv("PATH")}, Dir: "/", Level: 0})
	if err != nil {
		t.Fatal(err)
	}
	child := pidFrom(t, dir+"/child")
	poll(t, "the tag to end", func() bool { _, err := m.Show("lvl"); return err != nil })
	if !procAlive(child) {
		t.Error("-C 0 killed or waited for a child")
	}
	// -C 1 waits for the child.
	_, err = m.Start(Spec{Tag: "lvl1", Argv: []string{"sh", "-c", "sh -c 'exec sleep 300' & echo $! > " + dir + "/c1; sleep 0.2"},
		Env: []string{"PATH=" + os.Getenv("PATH")}, Dir: "/", Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	c1 := pidFrom(t, dir+"/c1")
	time.Sleep(500 * time.Millisecond)
	if _, err := m.Show("lvl1"); err != nil {
		t.Fatalf("-C 1 ended with its child running: %v", err)
	}
	killPID(c1)
	poll(t, "the tag to end", func() bool { _, err := m.Show("lvl1"); return err != nil })
}

func procAlive(pid int) bool {
	p, ok := readProc(pid)
	return ok && p.state != 'Z'
}

func killPID(pid int) {
	if pid > 1 {
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	}
}

func TestParseStatProc(t *testing.T) {
	for in, want := range map[string]proc{"1 (a b)) S 7 1": {7, 'S'}, "2 (x) Z 1 2": {1, 'Z'}} {
		if got, ok := parseStat([]byte(in)); !ok || got != want {
			t.Errorf("parseStat(%q) = %+v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "1 x S 1", "1 (x) S", "1 (x) SS 1", "1 (x) S y"} {
		if _, ok := parseStat([]byte(in)); ok {
			t.Errorf("parseStat(%q) accepted", in)
		}
	}
}

func TestDescendants(t *testing.T) {
	procs := map[int]proc{10: {1, 'S'}, 11: {10, 'S'}, 12: {11, 'Z'}, 13: {10, 'S'}, 20: {1, 'S'}}
	pids, depth := descendants(10, procs)
	if fmtInts(pids) != "11 13 12" || depth[12] != 2 || depth[11] != 1 {
		t.Errorf("descendants = %v, %v", pids, depth)
	}
}

func fmtInts(a []int) string {
	s := make([]string, len(a))
	for i, n := range a {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}

// TestReattach: a second Manager on the same records re-attaches to a
// tree the first one left at Shutdown; a connection from a user other
// than root or rgmd's is refused by the supervisor.
func TestReattach(t *testing.T) {
	dir := t.TempDir()
	m1 := manager(t)
	m1.Dir = dir
	if _, err := m1.Start(Spec{Tag: "svc", Argv: []string{"sleep", "300"}, Env: []string{"PATH=" + os.Getenv("PATH")},
		Dir: "/", Policy: Policy{Retries: -1}, Level: -1}); err != nil {
		t.Fatal(err)
	}
	m1.mu.Lock()
	tg := m1.tags["svc"]
	shim, cmd, socket := tg.shimPid, tg.cmdPid, tg.socket
	m1.mu.Unlock()
	m1.Shutdown()
	if os.Geteuid() == 0 {
		// The supervisor serves one rgmd at a time: this connection is
		// accepted, and refused, only now that m1 has hung up.
		if line, err := dialAs(65534, socket); line != "" || err != nil {
			t.Errorf("nobody's connection got %q, %v; want it closed at once", line, err)
		}
	} else {
		t.Log("not root: the refusal of another user is not tested")
	}
	if !procAlive(cmd) {
		t.Fatal("the tree died with its manager")
	}
	m2 := manager(t)
	m2.Dir = dir
	m2.Reattach()
	in, err := m2.Show("svc")
	if err != nil || len(in.Pids) == 0 || in.Pids[0] != cmd || in.State != "running" {
		t.Fatalf("after Reattach: %+v, %v", in, err)
	}
	if err := m2.Stop(context.Background(), StopArgs{Tag: "svc", Kill: true, Wait: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the supervisor to exit", func() bool { return !procAlive(shim) })
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("records left: %v", ents)
	}
}

// dialAs connects to an abstract socket with effective uid uid and returns
// the first line it reads ("" at EOF). setresuid as a raw system call
// changes the calling thread only, which is locked for the purpose and
// returned to root (its saved uid) before it is unlocked.
func dialAs(uid int, name string) (string, error) {
	runtime.LockOSThread()
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, ^uintptr(0), uintptr(uid), ^uintptr(0)); e != 0 {
		runtime.UnlockOSThread()
		return "", e
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		if err = unix.Connect(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
			unix.Close(fd)
		}
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, ^uintptr(0), 0, ^uintptr(0)); e == 0 {
		runtime.UnlockOSThread() // else the thread ends with this goroutine
	}
	if err != nil {
		return "", err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return line, err
}

// TestReattachPendingRestart: a restart pending at Shutdown is carried out
// by the next Manager, without counting the failure twice.
func TestReattachPendingRestart(t *testing.T) {
	dir, runs := t.TempDir(), filepath.Join(t.TempDir(), "runs")
	m1 := manager(t)
	m1.Dir, m1.RestartDelay = dir, time.Hour
	_, err := m1.Start(Spec{Tag: "r", Argv: []string{"sh", "-c", "echo x >> " + runs + "; [ $(wc -l < " + runs + ") -gt 1 ] && exec sleep 300; exit 1"},
		Env: []string{"PATH=" + os.Getenv("PATH")}, Dir: "/", Policy: Policy{Retries: 5}, Level: -1})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the failure", func() bool { in, _ := m1.Show("r"); return in != nil && in.State == "restarting" })
	m1.Shutdown()
	m2 := manager(t)
	m2.Dir = dir
	m2.Reattach()
	poll(t, "the restart", func() bool { in, _ := m2.Show("r"); return in != nil && len(in.Pids) > 0 })
	if in, _ := m2.Show("r"); in.State != "running" || in.Failures != 1 {
		t.Errorf("after the restart: %+v", in)
	}
	if b, _ := os.ReadFile(runs); strings.Count(string(b), "x") != 2 {
		t.Errorf("runs: %q", b)
	}
}

// A command file without a #! line runs through /bin/sh, as execvp runs
// it (issue 21, item 13).
func TestScriptWithoutShebang(t *testing.T) {
	m := manager(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	s := filepath.Join(dir, "svc")
	if err := os.WriteFile(s, []byte("echo $$ \"$0\" >"+dir+"/pid\nexec sleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Start(Spec{Tag: "plain", Argv: []string{"svc"}, Env: []string{"PATH=" + dir + ":/usr/bin:/bin"}, Dir: "/", Level: -1}); err != nil {
		t.Fatal(err)
	}
	var got string
	poll(t, dir+"/pid", func() bool {
		b, _ := os.ReadFile(dir + "/pid")
		got = string(b)
		return strings.HasSuffix(got, "\n")
	})
	if f := strings.Fields(got); len(f) != 2 || f[1] != s {
		t.Errorf("the script says %q; want its pid and its path", got)
	}
	if err := m.Stop(context.Background(), StopArgs{Tag: "plain", Kill: true, Wait: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
}

// TestTreeProcs: the tree read through the children files is the tree a
// scan of every process finds.
func TestTreeProcs(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 300 & (sleep 300 & sleep 300; :) & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Process.Kill()
		cmd.Wait()
	})
	var walked, scanned string
	poll(t, "the shell's four descendants", func() bool {
		all, _ := descendants(cmd.Process.Pid, allProcs())
		tree, _ := descendants(cmd.Process.Pid, treeProcs(cmd.Process.Pid))
		walked, scanned = fmtInts(tree), fmtInts(all)
		return len(all) == 4 && walked == scanned
	})
	if !haveChildren() {
		t.Log("this kernel lists no children: treeProcs scanned every process")
	}
}

// TestStartSameTagAtOnce: Starts of one tag at once (supervisors are
// started without the manager's lock) create it once; the others wait for
// the first and are told it exists. When the first fails, the next tries
// in its turn, and is not told the tag exists.
func TestStartSameTagAtOnce(t *testing.T) {
	m := manager(t)
	m.Dir = t.TempDir()
	const n = 6
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := m.Start(Spec{Tag: "svc", Argv: []string{"sleep", "300"}, Env: []string{"PATH=" + os.Getenv("PATH")},
				Dir: "/", Policy: Policy{Retries: -1}, Level: -1})
			errs <- err
		}()
	}
	ok := 0
	for i := 0; i < n; i++ {
		err := <-errs
		switch {
		case err == nil:
			ok++
		case scha.CodeOf(err) != scha.ErrState:
			t.Errorf("Start: %v, want SCHA_ERR_STATE", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d Starts succeeded, want 1", ok)
	}
	if recs, _ := filepath.Glob(filepath.Join(m.Dir, "*.json")); len(recs) != 1 {
		t.Errorf("records %v, want one", recs)
	}
	for i := 0; i < n; i++ {
		go func() {
			_, err := m.Start(Spec{Tag: "bad", Argv: []string{"/nonexistent/command"}, Env: []string{"PATH=" + os.Getenv("PATH")},
				Dir: "/", Policy: Policy{Retries: -1}, Level: -1})
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; scha.CodeOf(err) != scha.ErrMethod {
			t.Errorf("Start of a command that does not exist: %v, want SCHA_ERR_METHOD", err)
		}
	}
}
