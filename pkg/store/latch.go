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

// DeleteRange passes head truncations (log compaction after a snapshot)
// on, but makes a tail truncation (raft dropping a follower's entries
// that a new leader's log contradicts) out of supported parts: raft-wal
// v0.4.0 seals the old tail segment without writing its index block
// (hashicorp/raft-wal#31, fixed after the last release), and the log can
// then never be opened again ("sealed segment has no index block"; seen
// when a node cut off while it led restarted). So the entries before lo
// are read, the whole log is deleted (a head truncation) and they are
// stored again. Tail truncations are rare and the log is short (raft
// compacts it at each snapshot); a crash between the delete and the
// store leaves this node with its snapshot and no tail, which it then
// catches up from the leader like a new node.
func (l *latchLog) DeleteRange(lo, hi uint64) error {
	first, err := l.LogStore.FirstIndex()
	if err != nil {
		return err
	}
	last, err := l.LogStore.LastIndex()
	if err != nil {
		return err
	}
	if lo <= first || lo > last || hi < last {
		return l.LogStore.DeleteRange(lo, hi)
	}
	keep := make([]*raft.Log, 0, lo-first)
	for i := first; i < lo; i++ {
		e := new(raft.Log)
		if err := l.LogStore.GetLog(i, e); err != nil {
			return fmt.Errorf("truncating the log's tail from %d: reading %d: %w", lo, i, err)
		}
		keep = append(keep, e)
	}
	if err := l.LogStore.DeleteRange(first, last); err != nil {
		return err
	}
	for len(keep) > 0 {
		n := min(len(keep), 1024)
		if err := l.LogStore.StoreLogs(keep[:n]); err != nil {
			return l.fail(err)
		}
		keep = keep[n:]
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
