//go:build linux

package seqfile

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A process never conflicts with its own POSIX lock, so the writer runs in
// a child: this test binary again, as TestMain's helper, which creates the
// file named by $SEQFILE_HELPER, says "ready", bumps once per line on
// stdin, and closes on "close" (then waits for EOF).
func TestMain(m *testing.M) {
	if path := os.Getenv("SEQFILE_HELPER"); path != "" {
		w, err := Create(path)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			if in.Text() == "close" {
				w.Close()
				fmt.Println("closed")
				continue
			}
			w.Bump()
			fmt.Println("bumped")
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type helper struct {
	cmd *exec.Cmd
	in  *os.File
	out *bufio.Scanner
}

func startHelper(t *testing.T, path string) (*helper, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SEQFILE_HELPER="+path)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = r
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	h := &helper{cmd: cmd, in: w, out: bufio.NewScanner(out)}
	t.Cleanup(func() { w.Close(); cmd.Process.Kill(); cmd.Wait() })
	return h, h.line(t)
}

func (h *helper) line(t *testing.T) string {
	t.Helper()
	if !h.out.Scan() {
		t.Fatal("helper ended")
	}
	return h.out.Text()
}

func (h *helper) say(t *testing.T, s string) string {
	t.Helper()
	fmt.Fprintln(h.in, s)
	return h.line(t)
}

func load(t *testing.T, r *Reader) uint64 {
	t.Helper()
	n, ok := r.Load()
	if !ok {
		t.Fatal("Load: not vouched for while the writer holds the lock")
	}
	return n
}

func TestCounterFollowsTheWriter(t *testing.T) {
	path := Path(filepath.Join(t.TempDir(), "rgmd.sock"))
	h, first := startHelper(t, path)
	if first != "ready" {
		t.Fatalf("helper: %s", first)
	}
	pid := int32(h.cmd.Process.Pid)
	r, err := Open(path, pid)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n0 := load(t, r)
	if n0 == 0 {
		t.Error("Create did not raise the counter")
	}
	if n := load(t, r); n != n0 {
		t.Errorf("the counter moved from %d to %d with nothing changed", n0, n)
	}
	h.say(t, "bump")
	if n1 := load(t, r); n1 != n0+1 {
		t.Errorf("after a bump: %d, want %d", n1, n0+1)
	}

	// Another process's lock does not vouch for this connection's daemon.
	other, err := Open(path, pid+1)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, ok := other.Load(); ok {
		t.Error("Load trusted a lock held by a process other than the peer")
	}

	// Closed (as when rgmd stops): nothing is vouched for.
	h.say(t, "close")
	if _, ok := r.Load(); ok {
		t.Error("Load trusted a file nobody holds")
	}

	// A new writer on the same file starts above every count before it.
	h.in.Close()
	h.cmd.Wait()
	before := r.counterNow()
	h2, first := startHelper(t, path)
	if first != "ready" {
		t.Fatalf("second helper: %s", first)
	}
	r2, err := Open(path, int32(h2.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if n := load(t, r2); n <= before {
		t.Errorf("a new writer's counter %d is not above the old %d", n, before)
	}
	// The old reader's peer is gone: the new lock is not its daemon's.
	if _, ok := r.Load(); ok {
		t.Error("a reader trusted the lock of a daemon it is not talking to")
	}

	// A second writer while one holds the lock is refused.
	if w, err := Create(path); err == nil {
		w.Close()
		// Our own process holds no lock, so Create succeeded only if the
		// helper's lock was not seen.
		t.Error("Create succeeded while another process held the file")
	} else if !strings.Contains(err.Error(), "another process") {
		t.Errorf("Create: %v", err)
	}
}

func (r *Reader) counterNow() uint64 { return *counter(r.mem) }

func TestCreateRefusesFilesOthersControl(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.seq")
	if err := os.WriteFile(open, make([]byte, Size), 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o666) // past the umask
	if w, err := Create(open); err == nil {
		w.Close()
		t.Error("Create took a file others may write")
	}
	link := filepath.Join(dir, "link.seq")
	os.Symlink(filepath.Join(dir, "target"), link)
	if w, err := Create(link); err == nil {
		w.Close()
		t.Error("Create followed a symlink")
	}
	if w, err := Create(dir); err == nil {
		w.Close()
		t.Error("Create took a directory")
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("ORGMSEQ1"), 0o644)
	wrong := filepath.Join(dir, "wrong")
	os.WriteFile(wrong, make([]byte, Size), 0o644)
	for _, p := range []string{short, wrong, filepath.Join(dir, "missing")} {
		if r, err := Open(p, int32(os.Getpid())); err == nil {
			r.Close()
			t.Errorf("Open(%s) accepted it", filepath.Base(p))
		}
	}
}

func TestCreateKeepsCounting(t *testing.T) {
	// A file left by an earlier rgmd keeps its count: a client still
	// holding answers under it must not see the count come round again.
	path := filepath.Join(t.TempDir(), "x.seq")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		w.Bump()
	}
	n := *counter(w.mem)
	w.Close()
	w, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if m := *counter(w.mem); m <= n {
		t.Errorf("reopened at %d, was %d", m, n)
	}
	var st syscall.Stat_t
	syscall.Stat(path, &st)
	if st.Mode&0o777 != 0o644 {
		t.Errorf("mode %o, want 644", st.Mode&0o777)
	}
}
