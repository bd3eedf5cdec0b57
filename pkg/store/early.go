package store

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"unsafe"

	"github.com/hashicorp/raft"
	"github.com/hashicorp/raft-wal/types"
)

// Early notice of a written entry. A single voter's entry is committed by
// its own append: once raft-wal has written it to the segment file, only
// the fsync that follows stands between it and durability, and what the
// fsync guards against is the machine losing power, not rgmd dying (the
// page cache outlives the process). The lifecycle uses the notice to start
// methods while the fsync runs rather than after it: if the machine does
// go down in that window, the method's process goes down with it, and
// after a reboot a resource is offline whatever the log says. With more
// than one voter the notice never comes, because commitment then needs
// other nodes.
//
// The notice comes from the segment file itself (a VFS wrapper): the
// write carrying the entry's bytes, then the Sync after it. raft hands the
// entry's Data slice down unchanged, so the proposal is known by it.
type early struct {
	mu      sync.Mutex
	waiting map[*byte]func() // by the first byte of a proposal's data
	armed   *earlyBatch      // set while StoreLogs writes a batch with waiting entries
}

type earlyBatch struct {
	last []byte   // the data of the batch's last waiting entry
	fns  []func() // to call before the Sync
	seen bool     // a write has carried last
}

func key(data []byte) *byte { return unsafe.SliceData(data) }

// wait registers fn for the entry carrying data (never empty) and returns
// the undo for when the proposal ends without it.
func (e *early) wait(data []byte, fn func()) (forget func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.waiting == nil {
		e.waiting = map[*byte]func(){}
	}
	e.waiting[key(data)] = fn
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.waiting, key(data))
	}
}

// arm is called with each batch raft is about to write.
func (e *early) arm(logs []*raft.Log) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.armed = nil
	if len(e.waiting) == 0 {
		return
	}
	var b earlyBatch
	for _, l := range logs {
		if len(l.Data) == 0 {
			continue
		}
		if fn, ok := e.waiting[key(l.Data)]; ok {
			delete(e.waiting, key(l.Data))
			b.fns, b.last = append(b.fns, fn), l.Data
		}
	}
	if b.fns != nil {
		e.armed = &b
	}
}

func (e *early) disarm() {
	e.mu.Lock()
	e.armed = nil
	e.mu.Unlock()
}

// wrote sees every successful write to a segment file. raft-wal writes a
// batch in one piece, so the piece holding the last waiting entry holds
// the others too.
func (e *early) wrote(p []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b := e.armed; b != nil && !b.seen && bytes.Contains(p, b.last) {
		b.seen = true
	}
}

// syncing runs before every Sync of a segment file.
func (e *early) syncing() {
	e.mu.Lock()
	b := e.armed
	if b == nil || !b.seen {
		e.mu.Unlock()
		return
	}
	e.armed = nil
	e.mu.Unlock()
	for _, fn := range b.fns {
		fn()
	}
	// What fn started (goroutines) would otherwise wait behind the fsync:
	// the scheduler queues a new goroutine on this thread's processor,
	// which the fsync then blocks until another thread wakes to take it
	// (about 0.2 ms on a small virtual machine). Yield, so it runs first
	// and the fsync moves to another thread instead; nothing waits for
	// the fsync sooner than for what fn started.
	runtime.Gosched()
}

// earlyVFS is raft-wal's file system with the segment files watched.
type earlyVFS struct {
	types.VFS
	e *early
}

func (v earlyVFS) Create(dir, name string, size uint64) (types.WritableFile, error) {
	f, err := v.VFS.Create(dir, name, size)
	if err != nil {
		return nil, err
	}
	return earlyFile{f, v.e}, nil
}

func (v earlyVFS) OpenWriter(dir, name string) (types.WritableFile, error) {
	f, err := v.VFS.OpenWriter(dir, name)
	if err != nil {
		return nil, err
	}
	return earlyFile{f, v.e}, nil
}

type earlyFile struct {
	types.WritableFile
	e *early
}

func (f earlyFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.WritableFile.WriteAt(p, off)
	if err == nil {
		f.e.wrote(p)
	}
	return n, err
}

func (f earlyFile) Sync() error {
	f.e.syncing()
	return f.WritableFile.Sync()
}

// ProposeWritten is Propose that also calls written (unless nil) once the
// command is in the log file of a single voter and only its fsync is
// outstanding: see early. written runs on raft's goroutine, in the middle of its write, so
// it must only start things, never wait. It is called at most once, and
// not at all with more voters or when the command never reaches the file;
// when it was called and ProposeWritten then fails, the command may or may
// not be in the log after a restart.
func (s *Store) ProposeWritten(ctx context.Context, typ byte, body []byte, written func()) (any, error) {
	data := command(typ, body)
	if s.early != nil && written != nil {
		defer s.early.wait(data, written)()
	}
	return s.propose(ctx, data)
}
