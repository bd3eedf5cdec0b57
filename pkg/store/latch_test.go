package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// failingLog fails its appends while broken is set.
type failingLog struct {
	*raft.InmemStore
	broken bool
}

func (f *failingLog) StoreLogs(logs []*raft.Log) error {
	if f.broken {
		return errors.New("no space left on device")
	}
	return f.InmemStore.StoreLogs(logs)
}

func TestLatchLogKeepsFirstFailure(t *testing.T) {
	inner := &failingLog{InmemStore: raft.NewInmemStore()}
	l := &latchLog{LogStore: inner}
	if err := l.StoreLog(&raft.Log{Index: 1, Term: 1}); err != nil {
		t.Fatal(err)
	}
	inner.broken = true
	err := l.StoreLogs([]*raft.Log{{Index: 2, Term: 1}})
	if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), "restart rgmd") {
		t.Fatalf("failed append: %v", err)
	}
	// Even once the disk is fine again, the store stays refused: what the
	// failed append left in memory is not to be trusted.
	inner.broken = false
	if err2 := l.StoreLog(&raft.Log{Index: 2, Term: 1}); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("append after a failure: %v, want %v", err2, err)
	}
	if last, _ := inner.LastIndex(); last != 1 {
		t.Errorf("the store under the latch got appends after the failure: last index %d", last)
	}
}

func TestStoreRefusesAfterLogFailure(t *testing.T) {
	s := openReady(t, t.TempDir(), newKV())
	set(t, s, "a", "1")
	if s.Err() != nil {
		t.Fatalf("Err on a sound store: %v", s.Err())
	}
	s.latch.fail(errors.New("input/output error"))
	if s.Err() == nil {
		t.Fatal("Err is nil after a failed write")
	}
	_, err := s.Propose(ctxFor(t), cmdSet, []byte("b=2"))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "input/output error") {
		t.Errorf("Propose after a failed write: %v", err)
	}
}

// A tail truncation, then a reopen: raft-wal v0.4.0 alone leaves a log
// that cannot be opened again (hashicorp/raft-wal#31); through latchLog
// every entry kept is there after the reopen, and the new ones too.
func TestTailTruncationSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	open := func() (*latchLog, func()) {
		w, meta, err := openWAL(dir, hclog.NewNullLogger(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return &latchLog{LogStore: w}, func() { w.Close(); meta.Close() }
	}
	l, closeLog := open()
	entry := func(i, term uint64) *raft.Log {
		return &raft.Log{Index: i, Term: term, Type: raft.LogCommand, Data: []byte(fmt.Sprintf("%d@%d", i, term))}
	}
	for i := uint64(1); i <= 10; i++ {
		if err := l.StoreLog(entry(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	// Head truncation (compaction) passes through.
	if err := l.DeleteRange(1, 2); err != nil {
		t.Fatal(err)
	}
	// A new leader contradicts 8..10.
	if err := l.DeleteRange(8, 10); err != nil {
		t.Fatal(err)
	}
	for i := uint64(8); i <= 9; i++ {
		if err := l.StoreLog(entry(i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	closeLog()
	l, closeLog = open()
	defer closeLog()
	first, _ := l.FirstIndex()
	last, _ := l.LastIndex()
	if first != 3 || last != 9 {
		t.Fatalf("after reopen: first %d last %d, want 3 and 9", first, last)
	}
	for i := first; i <= last; i++ {
		var e raft.Log
		if err := l.GetLog(i, &e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		term := uint64(1)
		if i >= 8 {
			term = 2
		}
		if string(e.Data) != fmt.Sprintf("%d@%d", i, term) {
			t.Fatalf("entry %d holds %q", i, e.Data)
		}
	}
}
