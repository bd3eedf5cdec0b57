package pmf

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// manager returns a Manager whose supervisor is the built rgmd.
func manager(t *testing.T) *Manager {
	m := NewManager(filepath.Join(rgmtest.Binaries(t), "rgmd"), nil)
	t.Cleanup(func() { m.Shutdown(10 * time.Second) })
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
	_, err = m.Start(Spec{Tag: "lvl1", Argv: []string{"sh", "-c", "sh -c 'sleep 300' & echo $! > " + dir + "/c1; sleep 0.2"},
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
