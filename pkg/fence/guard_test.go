package fence_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/cluster"
	"github.com/openrgm/openrgm/pkg/fence"
	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/trust"
)

// The test binary is also the guard ("guard" as its first argument, as
// rgmd's) and a stand-in for rgmd that connects to the guard and waits
// (FENCE_TEST_CLIENT=<state dir>).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "guard" {
		os.Exit(fence.GuardMain(os.Args[2:], os.Stderr))
	}
	if dir := os.Getenv("FENCE_TEST_CLIENT"); dir != "" {
		os.Exit(fakeRgmd(dir))
	}
	os.Exit(m.Run())
}

// fakeRgmd connects to the guard, asks its status, says "ready" and
// waits until its stdin closes; with FENCE_TEST_START=1 it starts the
// guard first, and then hangs up.
func fakeRgmd(dir string) int {
	if os.Getenv("FENCE_TEST_START") == "1" {
		g, err := fence.StartGuard(dir, os.Args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		g.Close()
		fmt.Println("ready")
		var b [1]byte
		os.Stdin.Read(b[:])
		return 0
	}
	c, err := net.Dial("unix", filepath.Join(dir, fence.GuardSocket))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintln(c, "status")
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	var b [1]byte
	os.Stdin.Read(b[:])
	return 0
}

// hung bounds every wait, only to fail a hung test.
const hung = 60 * time.Second

// stateDir is a short temporary directory (a Unix socket path has 108
// bytes), removed at the end, which also ends its guard.
func stateDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func startGuard(t *testing.T, dir string) *fence.GuardClient {
	t.Helper()
	g, err := fence.StartGuard(dir, os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Release(); g.Close() })
	return g
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	for end := time.Now().Add(hung); ; time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil {
				return pid
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no pid in %s", path)
		}
	}
}

// tree is the processes of a fake resource, all tagged: its top process,
// a child, a double-forked daemon in a session of its own, a stopped
// process and a shell that forks all the time.
const treeScript = `
sleep 1000 & echo $! >"$D/child.pid"
( setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! >"$D/daemon.pid" )
sleep 1000 & kill -STOP $!; echo $! >"$D/stopped.pid"
sh -c 'while :; do sleep 0.01; done' & echo $! >"$D/forker.pid"
echo $$ >"$D/top.pid"
exec sleep 1000
`

var treeNames = []string{"top", "child", "daemon", "stopped", "forker"}

// startTree starts the tree with tag and returns its pids by name.
func startTree(t *testing.T, tag string) map[string]int {
	t.Helper()
	d := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", treeScript)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "D=" + d, fence.EnvTag + "=" + tag}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	pids := map[string]int{}
	for _, n := range treeNames {
		pids[n] = readPID(t, filepath.Join(d, n+".pid"))
	}
	t.Cleanup(func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		fence.KillTagged(context.Background(), tag, nil)
	})
	return pids
}

// startPlain starts an untagged process.
func startPlain(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd.Process.Pid
}

func waitDead(t *testing.T, what string, pid int) {
	t.Helper()
	for end := time.Now().Add(hung); rgmtest.Alive(pid); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s (pid %d) is still alive", what, pid)
		}
	}
}

func mustAlive(t *testing.T, what string, pid int) {
	t.Helper()
	if !rgmtest.Alive(pid) {
		t.Fatalf("%s (pid %d) was killed", what, pid)
	}
}

func waitStatus(t *testing.T, g *fence.GuardClient, ok func(fence.GuardStatus) bool) fence.GuardStatus {
	t.Helper()
	for end := time.Now().Add(hung); ; time.Sleep(10 * time.Millisecond) {
		st, err := g.Status()
		if err != nil {
			t.Fatal(err)
		}
		if ok(st) {
			return st
		}
		if time.Now().After(end) {
			t.Fatalf("guard status stays %+v", st)
		}
	}
}

func tagOf(t *testing.T) string {
	return fmt.Sprintf("t%d-%d", os.Getpid(), time.Now().UnixNano())
}

// At the lease's deadline the guard stops and kills every tagged process,
// whatever it did to escape (a new session, a double fork, a stop, a
// fork loop), and nothing else; it records the fencing and then refuses
// any lease of the fenced incarnation. Incarnation 0 is a node's first.
func TestGuardFencesAtExpiry(t *testing.T) {
	dir := stateDir(t)
	tag := tagOf(t)
	tree := startTree(t, tag)
	plain := startPlain(t)
	g := startGuard(t, dir)
	if err := g.Lease(0, fence.Now()+int64(time.Hour)); err == nil || !strings.Contains(err.Error(), "no tag") {
		t.Fatalf("a lease before the tag: %v", err)
	}
	if err := g.Tag(tag); err != nil {
		t.Fatal(err)
	}
	dl := fence.Now() + int64(200*time.Millisecond)
	if err := g.Lease(0, dl); err != nil {
		t.Fatal(err)
	}
	for fence.Now() < dl {
		time.Sleep(10 * time.Millisecond)
	}
	// A renewal after the deadline is too late, whether the guard has
	// begun to fence or not.
	if err := g.Lease(0, fence.Now()+int64(time.Hour)); !errors.Is(err, fence.ErrFenced) {
		t.Fatalf("a renewal after the deadline: %v", err)
	}
	for _, n := range treeNames {
		waitDead(t, n, tree[n])
	}
	mustAlive(t, "an untagged process", plain)
	st := waitStatus(t, g, func(s fence.GuardStatus) bool { return s.Fenced == 0 })
	if st.Armed || st.Tag != tag {
		t.Fatalf("status after fencing: %+v", st)
	}
	rec, err := fence.ReadFenced(dir)
	if err != nil || rec.Incarnation != 0 || rec.Reason != "lease expired" || rec.Killed < len(treeNames) {
		t.Fatalf("fenced record %+v, %v", rec, err)
	}
	if err := g.Lease(0, fence.Now()+int64(time.Hour)); !errors.Is(err, fence.ErrFenced) {
		t.Fatalf("a lease of the fenced incarnation: %v", err)
	}
	if err := g.Lease(1, fence.Now()+int64(time.Hour)); err != nil {
		t.Fatalf("a lease of a new incarnation: %v", err)
	}
	if err := g.Lease(0, fence.Now()+int64(time.Hour)); err == nil {
		t.Fatal("an older incarnation was taken")
	}
	if pids, _ := fence.TaggedPIDs(tag); len(pids) != 0 {
		t.Fatalf("tagged processes left: %v", pids)
	}
}

// Renewals keep everything alive; a release disarms, and nothing is
// killed after the released lease's deadline.
func TestGuardRenewalsAndRelease(t *testing.T) {
	dir := stateDir(t)
	tag := tagOf(t)
	tree := startTree(t, tag)
	g := startGuard(t, dir)
	if err := g.Tag(tag); err != nil {
		t.Fatal(err)
	}
	// Deadlines far enough ahead that a loaded machine cannot miss one.
	for i := 0; i < 20; i++ {
		if err := g.Lease(7, fence.Now()+int64(3*time.Second)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, err := g.Status(); err != nil || !st.Armed || st.Incarnation != 7 || st.Fenced != -1 {
		t.Fatalf("status %+v, %v", st, err)
	}
	dl := fence.Now() + int64(3*time.Second)
	if err := g.Lease(7, dl); err != nil {
		t.Fatal(err)
	}
	if err := g.Release(); err != nil {
		t.Fatal(err)
	}
	for fence.Now() < dl+int64(500*time.Millisecond) {
		time.Sleep(50 * time.Millisecond)
	}
	st, err := g.Status()
	if err != nil || st.Armed || st.Fenced != -1 {
		t.Fatalf("status after release %+v, %v", st, err)
	}
	for _, n := range treeNames {
		mustAlive(t, n, tree[n])
	}
}

// fence kills at once; the guard spares itself and a connected rgmd even
// when they carry the tag, and the record says why.
func TestGuardFenceNowSparesItselfAndRgmd(t *testing.T) {
	dir := stateDir(t)
	tag := tagOf(t)
	tree := startTree(t, tag)
	// A guard started with the tag in its own environment.
	gcmd := exec.Command(os.Args[0], "guard", "--state-dir", dir)
	gcmd.Env = append(os.Environ(), fence.EnvTag+"="+tag)
	gcmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := gcmd.Start(); err != nil {
		t.Fatal(err)
	}
	go gcmd.Wait()
	t.Cleanup(func() { gcmd.Process.Kill() })
	for end := time.Now().Add(hung); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, fence.GuardSocket)); err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the guard does not start")
		}
	}
	// A connected "rgmd" with the tag.
	rg := exec.Command(os.Args[0])
	rg.Env = append(os.Environ(), "FENCE_TEST_CLIENT="+dir, fence.EnvTag+"="+tag)
	in, _ := rg.StdinPipe()
	out, _ := rg.StdoutPipe()
	rg.Stderr = os.Stderr
	if err := rg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); rg.Process.Kill(); rg.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("fake rgmd: %q %v", line, err)
	}

	g := startGuard(t, dir)
	if err := g.Tag(tag); err != nil {
		t.Fatal(err)
	}
	if err := g.Lease(3, fence.Now()+int64(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := g.Fence(); err != nil {
		t.Fatal(err)
	}
	for _, n := range treeNames {
		if rgmtest.Alive(tree[n]) {
			t.Errorf("%s (pid %d) is alive after fence returned", n, tree[n])
		}
	}
	mustAlive(t, "the guard", gcmd.Process.Pid)
	mustAlive(t, "the connected rgmd", rg.Process.Pid)
	st, err := g.Status()
	if err != nil || st.Armed || st.Fenced != 3 {
		t.Fatalf("status %+v, %v", st, err)
	}
	if rec, err := fence.ReadFenced(dir); err != nil || rec.Reason != "fence command" {
		t.Fatalf("record %+v, %v", rec, err)
	}
}

// The process that started the guard (rgmd) is spared, tagged or not,
// connected or not.
func TestGuardSparesItsParent(t *testing.T) {
	dir := stateDir(t)
	tag := tagOf(t)
	tree := startTree(t, tag)
	rg := exec.Command(os.Args[0])
	rg.Env = append(os.Environ(), "FENCE_TEST_CLIENT="+dir, "FENCE_TEST_START=1", fence.EnvTag+"="+tag)
	in, _ := rg.StdinPipe()
	out, _ := rg.StdoutPipe()
	rg.Stderr = os.Stderr
	if err := rg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); rg.Process.Kill(); rg.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("fake rgmd: %q %v", line, err)
	}
	g := startGuard(t, dir)
	if err := g.Tag(tag); err != nil {
		t.Fatal(err)
	}
	if err := g.Fence(); err != nil {
		t.Fatal(err)
	}
	for _, n := range treeNames {
		waitDead(t, n, tree[n])
	}
	mustAlive(t, "the guard's parent", rg.Process.Pid)
}

// A second guard for the same state directory refuses to start; the
// client reconnects to a restarted guard and tells it the tag again.
func TestGuardOnePerDirAndRestart(t *testing.T) {
	dir := stateDir(t)
	g := startGuard(t, dir)
	if err := g.Tag("one"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(os.Args[0], "guard", "--state-dir", dir).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "another guard") {
		t.Fatalf("second guard: %v\n%s", err, out)
	}
	pid := readPID(t, filepath.Join(dir, fence.GuardPIDFile))
	if fi, err := os.Stat(filepath.Join(dir, fence.GuardSocket)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v", fi.Mode(), err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	waitDead(t, "the first guard", pid)
	st, err := g.Status()
	if err != nil || st.Tag != "one" {
		t.Fatalf("after a restart: %+v, %v", st, err)
	}
	if npid := readPID(t, filepath.Join(dir, fence.GuardPIDFile)); npid == pid {
		t.Fatalf("the guard was not restarted (pid %d)", npid)
	}
}

// dirGoneWithin bounds how long a guard takes to see its state
// directory gone: inotify tells it at once, and the fallback (no
// inotify) looks only every minute.
const dirGoneWithin = 10 * time.Second

// waitGone waits until the guard of dir exits, which must be prompt;
// else it fails with the guard's log.
func waitGone(t *testing.T, what string, pid int, log []byte) {
	t.Helper()
	for end := time.Now().Add(dirGoneWithin); rgmtest.Alive(pid); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the guard (pid %d) is still alive %v after %s; its log:\n%s", pid, dirGoneWithin, what, log)
		}
	}
}

// A guard whose state directory is removed exits promptly, armed or not.
func TestGuardExitsWithItsDir(t *testing.T) {
	dir := stateDir(t)
	g := startGuard(t, dir)
	if err := g.Tag("gone"); err != nil {
		t.Fatal(err)
	}
	if err := g.Lease(1, fence.Now()+int64(time.Hour)); err != nil {
		t.Fatal(err)
	}
	pid := readPID(t, filepath.Join(dir, fence.GuardPIDFile))
	log, _ := os.ReadFile(filepath.Join(dir, fence.GuardLogFile))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "its state directory was removed", pid, log)
}

// A guard exits when its state directory is moved away, directly or
// with a directory above it, even with another one put in its place;
// not when other entries beside it come and go.
func TestGuardExitsWhenItsDirMoves(t *testing.T) {
	for _, tc := range []struct {
		name string
		move func(t *testing.T, base, dir string)
	}{
		{"renamed, another in its place", func(t *testing.T, base, dir string) {
			mustDo(t, os.Rename(dir, filepath.Join(base, "old")))
			mustDo(t, os.Mkdir(dir, 0o700))
		}},
		{"its parent renamed", func(t *testing.T, base, dir string) {
			mustDo(t, os.Rename(filepath.Dir(dir), filepath.Join(base, "moved")))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := stateDir(t)
			dir := filepath.Join(base, "p", "s")
			mustDo(t, os.MkdirAll(dir, 0o700))
			g, err := fence.StartGuard(dir, os.Args[0])
			mustDo(t, err)
			t.Cleanup(func() { g.Close() }) // not Release: it would start a guard in the new directory
			pid := readPID(t, filepath.Join(dir, fence.GuardPIDFile))
			// Entries beside it come and go: the guard stays.
			for i := range 20 {
				other := filepath.Join(filepath.Dir(dir), fmt.Sprint("other", i))
				mustDo(t, os.Mkdir(other, 0o700))
				mustDo(t, os.Rename(other, other+".x"))
				mustDo(t, os.Remove(other+".x"))
			}
			time.Sleep(100 * time.Millisecond)
			mustAlive(t, "the guard", pid)
			log, _ := os.ReadFile(filepath.Join(dir, fence.GuardLogFile))
			tc.move(t, base, dir)
			waitGone(t, "its state directory was moved ("+tc.name+")", pid, log)
		})
	}
}

// A state directory given through a symbolic link: removing the real
// directory ends the guard at once (the watch is on the real path).
func TestGuardExitsWithItsDirThroughALink(t *testing.T) {
	base := stateDir(t)
	real, link := filepath.Join(base, "real"), filepath.Join(base, "link")
	mustDo(t, os.Mkdir(real, 0o700))
	mustDo(t, os.Symlink(real, link))
	g, err := fence.StartGuard(link, os.Args[0])
	mustDo(t, err)
	t.Cleanup(func() { g.Close() })
	pid := readPID(t, filepath.Join(link, fence.GuardPIDFile))
	log, _ := os.ReadFile(filepath.Join(link, fence.GuardLogFile))
	mustDo(t, os.RemoveAll(real))
	waitGone(t, "the directory its link names was removed", pid, log)
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A guard asked to stop while disarmed exits; while armed, it stays
// until released.
func TestGuardSIGTERM(t *testing.T) {
	dir := stateDir(t)
	g := startGuard(t, dir)
	if err := g.Tag("term"); err != nil {
		t.Fatal(err)
	}
	if err := g.Lease(1, fence.Now()+int64(time.Hour)); err != nil {
		t.Fatal(err)
	}
	pid := readPID(t, filepath.Join(dir, fence.GuardPIDFile))
	syscall.Kill(pid, syscall.SIGTERM)
	if st, err := g.Status(); err != nil || !st.Armed {
		t.Fatalf("armed guard after SIGTERM: %+v, %v", st, err)
	}
	mustAlive(t, "the armed guard", pid)
	g.Release()
	waitDead(t, "the released guard", pid)
}

// The report reaches a real cluster port with the node's certificate,
// and is retried until that port listens.
func TestGuardReports(t *testing.T) {
	dir := stateDir(t)
	now := time.Now()
	ca, err := trust.NewCA("fencetest", now)
	if err != nil {
		t.Fatal(err)
	}
	id1, err := ca.IssueNode("n1", 1, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := ca.IssueNode("n2", 2, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := trust.SaveIdentity(filepath.Join(dir, "trust"), id1); err != nil {
		t.Fatal(err)
	}
	addr := rgmtest.FreeAddr(t)
	g := startGuard(t, dir)
	if err := g.Tag(tagOf(t)); err != nil {
		t.Fatal(err)
	}
	if err := g.Peers([]string{addr}); err != nil {
		t.Fatal(err)
	}
	if err := g.Lease(5, fence.Now()+int64(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := g.Fence(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a few failed attempts
	if st, err := g.Status(); err != nil || st.Reported || st.Fenced != 5 {
		t.Fatalf("before the peer listens: %+v, %v", st, err)
	}

	type got struct {
		peer, op string
		body     fence.FencedReport
	}
	reports := make(chan got, 10)
	c, err := cluster.Listen(cluster.Config{Addr: addr, Node: "n2", Identity: id2,
		Handler: func(ctx context.Context, peer, op string, body json.RawMessage) (any, error) {
			var r fence.FencedReport
			json.Unmarshal(body, &r)
			reports <- got{peer, op, r}
			return nil, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case r := <-reports:
		if r.peer != "n1" || r.op != fence.OpFenced || r.body != (fence.FencedReport{Node: "n1", Incarnation: 5}) {
			t.Fatalf("report %+v", r)
		}
	case <-time.After(hung):
		t.Fatal("no report")
	}
	waitStatus(t, g, func(s fence.GuardStatus) bool { return s.Reported })
	if rec, err := fence.ReadFenced(dir); err != nil || !rec.Reported {
		t.Fatalf("record %+v, %v", rec, err)
	}
}

// rgmd's hidden mode "guard" is the guard: built as rgmd is built.
func TestRgmdGuardMode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rgmd")
	}
	bin := filepath.Join(t.TempDir(), "rgmd")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/rgmd")
	build.Dir = rgmtest.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := stateDir(t)
	g, err := fence.StartGuard(dir, bin)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	tag := tagOf(t)
	tree := startTree(t, tag)
	if err := g.Tag(tag); err != nil {
		t.Fatal(err)
	}
	if err := g.Lease(1, fence.Now()+int64(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	for _, n := range treeNames {
		waitDead(t, n, tree[n])
	}
	waitStatus(t, g, func(s fence.GuardStatus) bool { return s.Fenced == 1 })
	b, _ := os.ReadFile(filepath.Join(dir, fence.GuardLogFile))
	if !strings.Contains(string(b), "fenced") {
		t.Fatalf("guard.log:\n%s", b)
	}
}

// cgroup2Dir returns a new cgroup v2 directory below this process's own
// cgroup, removed at the end; the test is skipped when there is none to
// write (not root, no cgroup v2).
func cgroup2Dir(t *testing.T) (dir, own string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making a cgroup and moving processes into it needs root")
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	mount := ""
	for _, l := range strings.Split(string(mi), "\n") {
		pre, post, ok := strings.Cut(l, " - ")
		if f := strings.Fields(pre); ok && len(f) > 4 && strings.HasPrefix(post, "cgroup2 ") && f[3] == "/" {
			mount = f[4]
			break
		}
	}
	cg, _ := os.ReadFile("/proc/self/cgroup")
	rel := ""
	for _, l := range strings.Split(string(cg), "\n") {
		if r, ok := strings.CutPrefix(l, "0::"); ok {
			rel = r
		}
	}
	if mount == "" || rel == "" {
		t.Skip("no cgroup v2 hierarchy mounted")
	}
	own = filepath.Join(mount, rel)
	dir = filepath.Join(own, fmt.Sprintf("orgm-fence-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cgroup v2 not writable here: %v", err)
	}
	t.Cleanup(func() {
		fence.KillCgroup(context.Background(), dir, nil)
		os.Remove(filepath.Join(dir, "sub"))
		os.Remove(dir)
	})
	return dir, own
}

// startIn starts a process in the cgroup dir from its first instruction
// (clone3's CLONE_INTO_CGROUP), with an empty environment: no tag.
func startIn(t *testing.T, dir string, script string) *exec.Cmd {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = []string{}
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(f.Fd())}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process into a cgroup: %v", err)
	}
	go cmd.Wait()
	return cmd
}

// A process without the tag (its environment cleared) in the node's
// cgroup, or a cgroup below it, is killed too.
func TestGuardCgroup(t *testing.T) {
	cg, own := cgroup2Dir(t)
	if err := os.Mkdir(filepath.Join(cg, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	top := startIn(t, cg, "/bin/sleep 1000 & echo $! >"+d+"/child.pid; exec /bin/sleep 1000")
	sub := startIn(t, filepath.Join(cg, "sub"), "exec /bin/sleep 1000")
	child := readPID(t, filepath.Join(d, "child.pid"))
	plain := startPlain(t)

	dir := stateDir(t)
	g := startGuard(t, dir)
	if err := g.Tag(tagOf(t)); err != nil {
		t.Fatal(err)
	}
	if err := g.Cgroup(own); err == nil || !strings.Contains(err.Error(), "holds") {
		t.Fatalf("a cgroup holding the guard or rgmd: %v", err)
	}
	if err := g.Cgroup(filepath.Join(cg, "nonexistent")); err == nil {
		t.Fatal("a missing cgroup was taken")
	}
	if err := g.Cgroup(dir); err == nil || !strings.Contains(err.Error(), "cgroup v2") {
		t.Fatalf("a plain directory: %v", err)
	}
	if err := g.Cgroup(cg); err != nil {
		t.Fatal(err)
	}
	if err := g.Lease(1, fence.Now()+int64(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	waitDead(t, "the cgroup's process", top.Process.Pid)
	waitDead(t, "its child", child)
	waitDead(t, "the process of the cgroup below", sub.Process.Pid)
	mustAlive(t, "an unrelated process", plain)
	if st := waitStatus(t, g, func(s fence.GuardStatus) bool { return s.Fenced == 1 }); st.Cgroup != cg {
		t.Fatalf("status %+v", st)
	}
}
