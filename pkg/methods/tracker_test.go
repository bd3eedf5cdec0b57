package methods

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  procStat
		valid bool
	}{
		{"1234 (sleep) S 1 1234 1234 0 -1 4194304", procStat{'S', 1, 1234}, true},
		{"77 (a) (b c)) R 12 70 70 0", procStat{'R', 12, 70}, true},
		{"77 (x) Z 5 5 5 0 -1", procStat{'Z', 5, 5}, true},
		{"77 (x) S 5", procStat{}, false},
		{"77 x S 5 6 7", procStat{}, false},
		{"77 (x) S five 6 7", procStat{}, false},
		{"", procStat{}, false},
	} {
		got, err := parseStat([]byte(tc.in))
		if (err == nil) != tc.valid || got != tc.want {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v, valid %v", tc.in, got, err, tc.want, tc.valid)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1 0 -1"))
	f.Add([]byte("9 ()) ) S 1 2 3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseStat(b)
	})
}

func TestTrackerOwner(t *testing.T) {
	dir := t.TempDir()
	// The method starts a child in its group and one in its own session
	// (found only through the ppid chain), writes the three pids, and waits.
	p := script(t, dir, "monitor_start", "#!/bin/sh\n"+
		"sleep 30 &\necho $! > "+dir+"/child.pid\n"+
		"setsid sleep 30 &\necho $! > "+dir+"/session.pid\n"+
		"echo $$ > "+dir+"/self.pid\n"+
		"wait\n")
	tr := &Tracker{}
	if _, ok := tr.Owner(os.Getpid()); ok {
		t.Error("empty Tracker owns the test")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() {
		done <- (&Runner{Tracker: tr}).Run(ctx, Spec{Path: p, Label: "web-rs", Timeout: guard, Grace: 200 * time.Millisecond})
	}()
	self := readPID(t, filepath.Join(dir, "self.pid"))
	child := readPID(t, filepath.Join(dir, "child.pid"))
	session := readPID(t, filepath.Join(dir, "session.pid"))
	killInCleanup(t, session) // outside the group: the group kill misses it
	for name, pid := range map[string]int{"method": self, "child in group": child, "child in own session": session} {
		if label, ok := tr.Owner(pid); !ok || label != "web-rs" {
			t.Errorf("Owner(%s %d) = %q, %v; want web-rs", name, pid, label, ok)
		}
	}
	if label, ok := tr.Owner(os.Getpid()); ok {
		t.Errorf("Owner(test process) = %q, want none", label)
	}
	if _, ok := tr.Owner(1 << 30); ok {
		t.Error("Owner of a nonexistent pid")
	}
	cancel()
	<-done
	if label, ok := tr.Owner(session); ok {
		t.Errorf("Owner(%d) = %q after the method ended", session, label)
	}
}

// TestTrackerAdopt: a process adopted with a label owns its descendants
// after every method has ended, until Release.
func TestTrackerAdopt(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", "sleep 30 & echo $! > "+dir+"/child.pid; wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	child := readPID(t, filepath.Join(dir, "child.pid"))
	killInCleanup(t, child)
	tr := &Tracker{}
	if _, ok := tr.Owner(child); ok {
		t.Fatal("owned before Adopt")
	}
	tr.Adopt(1, "init") // refused: would own everything
	if _, ok := tr.Owner(child); ok {
		t.Fatal("Adopt(1) took effect")
	}
	tr.Adopt(cmd.Process.Pid, "mon-rs")
	for _, pid := range []int{cmd.Process.Pid, child} {
		if label, ok := tr.Owner(pid); !ok || label != "mon-rs" {
			t.Errorf("Owner(%d) = %q, %v; want mon-rs", pid, label, ok)
		}
	}
	if _, ok := tr.Owner(os.Getpid()); ok {
		t.Error("the test process is owned")
	}
	tr.Release(cmd.Process.Pid)
	if label, ok := tr.Owner(child); ok {
		t.Errorf("Owner(%d) = %q after Release", child, label)
	}
}
