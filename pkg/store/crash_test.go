package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The child half of TestKill9KeepsAcknowledgedWrites runs in a re-exec of
// the test binary with this variable naming its state dir.
const crashDirEnv = "OPENRGM_STORE_CRASH_DIR"

const (
	crashWriters   = 4
	crashPerWriter = 5000 // far more than the parent lets it write
	crashKillAfter = 2000 // acknowledged writes before the parent kills
)

func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9KeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// Every complete "ack N" line was printed after Propose returned, so N
	// is acknowledged. The last line may be cut short by the kill; it then
	// has no newline and is ignored.
	acked := map[int]bool{}
	killed := false
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		var n int
		if _, err := fmt.Sscanf(line, "ack %d\n", &n); err == nil {
			acked[n] = true
		}
		if !killed && len(acked) >= crashKillAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d acks without being killed; stderr:\n%s", len(acked), stderr.String())
	}

	m := newKV()
	openReady(t, dir, m)
	lost := 0
	for n := range acked {
		if v, ok := m.get(crashKey(n)); !ok || v != crashValue(n) {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost after kill -9", lost, len(acked))
	}
	t.Logf("%d acknowledged writes survived kill -9 (%d keys present)", len(acked), m.len())
}

func crashKey(n int) string   { return fmt.Sprintf("k%07d", n) }
func crashValue(n int) string { return fmt.Sprintf("v%d", n) }

// crashChild writes from several goroutines, so raft batches them, and
// snapshots now and then, so the kill can land in a snapshot too. It
// prints each write only after Propose acknowledged it.
func crashChild(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	s, err := Open(Config{Dir: dir, NodeID: "node1", Machine: newKV(), Logger: quietLogger()})
	if err != nil {
		fail(err)
	}
	if err := s.WaitReady(context.Background()); err != nil {
		fail(err)
	}
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			for i := range crashPerWriter {
				n := w*crashPerWriter + i
				if _, err := s.Propose(context.Background(), cmdSet, []byte(crashKey(n)+"="+crashValue(n))); err != nil {
					fail(err)
				}
				// One write(2) of a short line: atomic on a pipe.
				os.Stdout.WriteString("ack " + fmt.Sprint(n) + "\n")
				if w == 0 && i%50 == 49 {
					if err := s.Snapshot(); err != nil && !strings.Contains(err.Error(), "in progress") {
						fail(err)
					}
				}
			}
		})
	}
	wg.Wait()
	s.Close()
	os.Exit(0)
}
