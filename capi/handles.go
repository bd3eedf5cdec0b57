package main

/*
#include <stdint.h>
#include <stdlib.h>

// orgm_handle is what a scha_*_t points to: C memory holding the key of a
// handle in the Go registry, so no Go pointer ever reaches C. The
// registry, not this struct, says whether a handle is live: a pointer
// that is not in it is never dereferenced, so a closed (freed) handle or
// garbage gives SCHA_ERR_HANDLE instead of a read of freed memory, which
// a magic number alone could not promise.
struct orgm_handle {
	uint64_t magic;
	uint64_t key;
};
*/
import "C"

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/openrgm/openrgm/pkg/scha"
)

// handleMagic marks a live orgm_handle ("schaHDL1"); close clears it, so
// a debugger shows a stale handle for what it is.
const handleMagic = 0x736368614844_4c31

// handle is the Go state of one open handle.
type handle struct {
	// Immutable after open.
	kind  int
	key   uint64
	cptr  unsafe.Pointer // the C orgm_handle
	name  string         // resource, type or group; "" for the cluster
	group string         // the resource's group as given to open; may be ""
	seq   uint64         // the object's Seq at open, for SCHA_ERR_SEQID

	// mu serializes gets and close: a get holds it while it asks rgmd and
	// fills in C memory, so a concurrent close waits for it and retires
	// everything, and a get that comes after close sees closed.
	mu     sync.Mutex
	closed bool
	allocs []unsafe.Pointer // C memory returned by gets; close retires it
}

// registry holds the live handles, keyed by the address of their C
// struct. Keys (handle.key) are never reused; addresses may be, by malloc,
// after a close: like a closed file descriptor, a closed handle that is
// used after a later open got the same address reaches that later handle.
var registry struct {
	sync.Mutex
	live    map[uintptr]*handle
	lastKey uint64
}

// liveAllocs counts the C blocks of open handles (their structs and the
// values their gets returned). The C tests check it is 0 at exit: a block
// close forgot would still be referenced from the Go heap, which valgrind
// counts as reachable, not lost.
var liveAllocs atomic.Int64

// register makes a new handle and its C struct.
func register(kind int, name, group string, seq uint64) (unsafe.Pointer, scha.ErrCode) {
	p := C.malloc(C.size_t(unsafe.Sizeof(C.struct_orgm_handle{})))
	if p == nil {
		return nil, scha.ErrNoMem
	}
	liveAllocs.Add(1)
	registry.Lock()
	defer registry.Unlock()
	if registry.live == nil {
		registry.live = make(map[uintptr]*handle)
	}
	registry.lastKey++
	h := &handle{kind: kind, key: registry.lastKey, cptr: p, name: name, group: group, seq: seq}
	ch := (*C.struct_orgm_handle)(p)
	ch.magic, ch.key = handleMagic, C.uint64_t(h.key)
	registry.live[uintptr(p)] = h
	return p, scha.ErrNoErr
}

// lookup returns the live handle of kind at p, or nil.
func lookup(p unsafe.Pointer, kind int) *handle {
	if p == nil {
		return nil
	}
	registry.Lock()
	defer registry.Unlock()
	h := registry.live[uintptr(p)]
	if h == nil || h.kind != kind {
		return nil
	}
	// p is live, so reading it is safe; a mismatch means C code wrote
	// over the handle.
	if ch := (*C.struct_orgm_handle)(p); ch.magic != handleMagic || uint64(ch.key) != h.key {
		return nil
	}
	return h
}

// unregister closes the handle of kind at p: it leaves the registry at
// once, then waits for a get in progress, frees the handle's C struct
// and hands the values its gets returned to the quarantine.
func unregister(p unsafe.Pointer, kind int) scha.ErrCode {
	h := lookup(p, kind)
	if h == nil {
		return scha.ErrHandle
	}
	registry.Lock()
	if registry.live[uintptr(p)] != h {
		// Another thread closed it between lookup and here.
		registry.Unlock()
		return scha.ErrHandle
	}
	delete(registry.live, uintptr(p))
	registry.Unlock()

	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	liveAllocs.Add(-int64(len(h.allocs)) - 1)
	retire(h.allocs)
	h.allocs = nil
	ch := (*C.struct_orgm_handle)(h.cptr)
	ch.magic, ch.key = 0, 0
	C.free(h.cptr)
	return scha.ErrNoErr
}

// keptHandles is how many closed handles keep the values their gets
// returned: scha_calls(3) promises the number (MEMORY), and a test reads
// it there.
const keptHandles = 32

// quarantine keeps the values of the last keptHandles closed handles that
// returned any. Agents written for Solaris read a value after closing its
// handle (walk the group list after scha_cluster_close), which worked
// there because its free left the block's contents alone; glibc's free
// writes its list pointers over a block's first words at once, and the
// walk crashes. A closed handle's values are freed when keptHandles more
// handles with values have been closed after it, by any thread.
var quarantine struct {
	sync.Mutex
	ring [keptHandles][]unsafe.Pointer
	next int // the slot of the oldest values, freed by the next retire
}

// quarantinedAllocs counts the C blocks in the quarantine, for the C
// tests (orgm_quarantined_allocs).
var quarantinedAllocs atomic.Int64

// retire puts the values of a closed handle in the quarantine and frees
// the oldest it held. A handle that returned no memory keeps its place
// for the others.
func retire(allocs []unsafe.Pointer) {
	if len(allocs) == 0 {
		return
	}
	quarantine.Lock()
	defer quarantine.Unlock()
	old := quarantine.ring[quarantine.next]
	quarantine.ring[quarantine.next] = allocs
	quarantine.next = (quarantine.next + 1) % keptHandles
	for _, a := range old {
		C.free(a)
	}
	quarantinedAllocs.Add(int64(len(allocs) - len(old)))
}

// alloc returns n bytes of C memory owned by h (h.mu held).
func (h *handle) alloc(n uintptr) unsafe.Pointer {
	if n == 0 {
		n = 1
	}
	p := C.malloc(C.size_t(n))
	if p != nil {
		h.allocs = append(h.allocs, p)
		liveAllocs.Add(1)
	}
	return p
}
