package daemon

import (
	"context"
	"sync"
	"sync/atomic"
)

// readBarrier holds back requests while methods run whose state changes
// are in the log but not yet applied (the lifecycle starts them as soon as
// the changes are written; see store.ProposeWritten): a Start method's own
// scha_resource_get must find its resource STARTING, never the state
// before. The lifecycle holds it for one commit at a time, so a waiting
// request waits for at most that commit.
type readBarrier struct {
	n    atomic.Int32 // holders; read without mu on the fast path
	mu   sync.Mutex
	open chan struct{} // closed when the last holder lets go
}

func (b *readBarrier) hold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n.Add(1) == 1 {
		b.open = make(chan struct{})
	}
}

func (b *readBarrier) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n.Add(-1) == 0 {
		close(b.open)
	}
}

// held reports whether a request would wait now.
func (b *readBarrier) held() bool { return b != nil && b.n.Load() > 0 }

// wait returns once no holder is left, or with ctx's error.
func (b *readBarrier) wait(ctx context.Context) error {
	if !b.held() {
		return nil
	}
	b.mu.Lock()
	open := b.open
	held := b.n.Load() > 0
	b.mu.Unlock()
	if !held {
		return nil
	}
	select {
	case <-open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
