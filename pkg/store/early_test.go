package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/hashicorp/raft-wal/types"
)

// walHolds reports whether some file of the log in dir holds s.
func walHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, walDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

func registered(s *Store) int {
	s.early.mu.Lock()
	defer s.early.mu.Unlock()
	return len(s.early.waiting)
}

// The notice comes when the entry is in the log file and not yet applied,
// once per proposal, also for proposals raft writes in one batch.
func TestProposeWrittenSingleVoter(t *testing.T) {
	dir := t.TempDir()
	m := newKV()
	s := openReady(t, dir, m)
	var calls atomic.Int32
	inFile, applied := false, true
	if _, err := s.ProposeWritten(ctxFor(t), cmdSet, []byte("k=early-7"), func() {
		calls.Add(1)
		inFile = walHolds(t, dir, "k=early-7")
		_, applied = m.get("k")
	}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 || !inFile || applied {
		t.Errorf("written called %d times; entry in the file then: %v; applied then: %v", calls.Load(), inFile, applied)
	}
	wantValue(t, m, "k", "early-7")

	var wg sync.WaitGroup
	counts := make([]atomic.Int32, 20)
	for i := range counts {
		wg.Go(func() {
			if _, err := s.ProposeWritten(ctxFor(t), cmdSet, fmt.Appendf(nil, "k%d=v", i), func() { counts[i].Add(1) }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range counts {
		if n := counts[i].Load(); n != 1 {
			t.Errorf("proposal %d: written called %d times", i, n)
		}
	}
	if n := registered(s); n != 0 {
		t.Errorf("%d notices left registered", n)
	}
}

// A refused proposal is still written first: the notice says "in the
// log", not "accepted".
func TestProposeWrittenThenRefused(t *testing.T) {
	s := openReady(t, t.TempDir(), newKV())
	called := false
	if _, err := s.ProposeWritten(ctxFor(t), cmdDelete, []byte("missing"), func() { called = true }); err == nil {
		t.Fatal("want the machine's refusal")
	}
	if !called {
		t.Error("written not called for a refused command")
	}
}

// With more voters possible, nothing is committed by one append.
func TestProposeWrittenNotWithTCP(t *testing.T) {
	s, err := Open(Config{Dir: t.TempDir(), NodeID: "node1", Bind: "127.0.0.1:0", Machine: newKV(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitReady(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	called := false
	if _, err := s.ProposeWritten(ctxFor(t), cmdSet, []byte("a=1"), func() { called = true }); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("written called with the TCP transport")
	}
}

// A proposal that never reaches the log leaves nothing registered.
func TestProposeWrittenAfterClose(t *testing.T) {
	s := openReady(t, t.TempDir(), newKV())
	s.Close()
	called := false
	if _, err := s.ProposeWritten(ctxFor(t), cmdSet, []byte("a=1"), func() { called = true }); err == nil {
		t.Fatal("want an error after Close")
	}
	if n := registered(s); called || n != 0 {
		t.Errorf("called %v, %d left registered", called, n)
	}
}

// fakeFile records what reaches the file under earlyFile.
type fakeFile struct {
	types.WritableFile
	log *[]string
}

func (f fakeFile) WriteAt(p []byte, _ int64) (int, error) {
	*f.log = append(*f.log, "write "+string(p))
	return len(p), nil
}

func (f fakeFile) Sync() error {
	*f.log = append(*f.log, "sync")
	return nil
}

// The notice comes before the Sync that follows the write carrying the
// batch, not at an earlier Sync (a segment made while the batch waited).
func TestEarlyFileOrder(t *testing.T) {
	e := &early{}
	var log []string
	f := earlyFile{fakeFile{log: &log}, e}
	data := []byte("\x01k=v")
	forget := e.wait(data, func() { log = append(log, "written") })
	defer forget()
	e.arm([]*raft.Log{{Data: []byte("other")}, {Data: data}})
	f.WriteAt([]byte("header"), 0)
	f.Sync()
	f.WriteAt(append([]byte("frame"), data...), 6)
	f.Sync()
	f.Sync()
	e.disarm()
	want := []string{"write header", "sync", "write frame\x01k=v", "written", "sync", "sync"}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", log, want)
	}
}
