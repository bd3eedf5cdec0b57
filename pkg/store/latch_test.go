package store

import (
	"errors"
	"strings"
	"testing"

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
