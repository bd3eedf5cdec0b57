package store

import (
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/raft"
)

// latchLog is the log store raft writes through. After the first failed
// append (a full disk, an I/O error) it refuses every later one with that
// error, which Store.Err then reports: raft-wal v0.4.0 keeps a failed
// append's entries in its in-memory index, so later appends would fail
// anyway with a misleading "non-monotonic" error until the log is
// reopened. A single voter re-elects itself after each failure, so raft's
// own state does not show the fault; rgmd's watchdog probe asks Err.
type latchLog struct {
	raft.LogStore
	failed atomic.Pointer[error]
	early  *early // nil unless a single voter
}

func (l *latchLog) StoreLog(log *raft.Log) error { return l.StoreLogs([]*raft.Log{log}) }

func (l *latchLog) StoreLogs(logs []*raft.Log) error {
	if err := l.err(); err != nil {
		return err
	}
	if l.early != nil {
		l.early.arm(logs)
		defer l.early.disarm()
	}
	if err := l.LogStore.StoreLogs(logs); err != nil {
		return l.fail(err)
	}
	return nil
}

// IsMonotonic passes on what the store under it says: raft treats a
// monotonic store differently when it restores a snapshot.
func (l *latchLog) IsMonotonic() bool {
	m, ok := l.LogStore.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}

func (l *latchLog) fail(cause error) error {
	err := fmt.Errorf("cannot write the replicated log: %w; restart rgmd to reopen it", cause)
	l.failed.CompareAndSwap(nil, &err)
	return *l.failed.Load()
}

func (l *latchLog) err() error {
	if p := l.failed.Load(); p != nil {
		return *p
	}
	return nil
}
