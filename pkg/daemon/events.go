package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Events is the daemon's in-process publish/subscribe of changes: the
// source of `rgmadm events`, the D-Bus signals and anything else that
// watches. Publishing never blocks: a subscriber that falls behind loses
// events and is told how many with an EventLost event.
//
// It also keeps the last EventHistory events, so that a client that
// reconnects with the last number it saw gets everything after it
// (Since): the remote API's event stream reads from there, each
// subscriber at its own pace, so one that never reads holds no memory.
type Events struct {
	mu   sync.Mutex
	seq  uint64
	subs map[*subscription]struct{}

	// epoch names this run of the daemon: numbers start again at 1 when
	// rgmd restarts, and a client resuming from another run's number is
	// told so (Since's reset).
	epoch string
	ring  []wire.Event  // the last EventHistory events; event n at ring[(n-1)%EventHistory]
	wake  chan struct{} // closed, and replaced, at every Publish
}

// EventHistory is how many events rgmd keeps for subscribers that
// reconnect: a client that asks for events after a number older than that
// is told how many it lost (a wire.EventLost first), then gets what is
// kept.
const EventHistory = 10000

type subscription struct {
	ch   chan wire.Event
	lost int
	keep func(wire.Event) bool
}

// Publish stamps e with the next sequence number and the time, and hands
// it to every subscriber that wants it.
func (b *Events) Publish(e wire.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	e.Seq = b.seq
	if e.Time == "" {
		e.Time = time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	if len(b.ring) < EventHistory {
		b.ring = append(b.ring, e)
	} else {
		b.ring[(e.Seq-1)%EventHistory] = e
	}
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
	for s := range b.subs {
		if s.keep != nil && !s.keep(e) {
			continue
		}
		if s.lost > 0 {
			select {
			case s.ch <- wire.Event{Seq: e.Seq, Time: e.Time, Kind: wire.EventLost, Count: s.lost}:
				s.lost = 0
			default:
				s.lost++
				continue
			}
		}
		select {
		case s.ch <- e:
		default:
			s.lost++
		}
	}
}

// Epoch names this run of the daemon's event numbers (random, made on
// first use).
func (b *Events) Epoch() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.epochLocked()
}

func (b *Events) epochLocked() string {
	if b.epoch == "" {
		var r [6]byte
		rand.Read(r[:])
		b.epoch = hex.EncodeToString(r[:])
	}
	return b.epoch
}

// Since returns the kept events numbered after after, at most max of them
// (all when max <= 0), oldest first; lost, how many events after after
// are no longer kept; and wake, a channel closed at the next Publish.
// reset is true when after is beyond the last number: the client counted
// another run's events.
func (b *Events) Since(after uint64, max int) (evs []wire.Event, lost uint64, reset bool, wake <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.wake == nil {
		b.wake = make(chan struct{})
	}
	wake = b.wake
	if after > b.seq {
		return nil, 0, true, wake
	}
	oldest := b.seq - uint64(len(b.ring)) + 1 // the first kept number
	if after+1 < oldest {
		lost = oldest - after - 1
		after = oldest - 1
	}
	n := b.seq - after
	if max > 0 && n > uint64(max) {
		n = uint64(max)
	}
	evs = make([]wire.Event, 0, n)
	for i := after + 1; i <= after+n; i++ {
		evs = append(evs, b.ring[(i-1)%EventHistory])
	}
	return evs, lost, false, wake
}

// Last returns the number of the last event published (0 before any).
func (b *Events) Last() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seq
}

// Subscribe returns a channel of the events keep accepts (all when keep is
// nil), buffered to buf, and a function that ends the subscription and
// closes the channel.
func (b *Events) Subscribe(buf int, keep func(wire.Event) bool) (<-chan wire.Event, func()) {
	s := &subscription{ch: make(chan wire.Event, buf), keep: keep}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*subscription]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
			close(s.ch)
		})
	}
}

// errBehind ends a stream whose subscriber fell out of the history.
var errBehind = errors.New("subscriber fell behind the event history")

// eventFilter is the keep function of a, nil when a keeps everything.
func eventFilter(a wire.EventsArgs) func(e wire.Event) bool {
	if a.Resource == "" && a.Group == "" && len(a.Kinds) == 0 {
		return nil
	}
	return func(e wire.Event) bool {
		if e.Kind == wire.EventLost || e.Kind == wire.EventReset {
			return true
		}
		if len(a.Kinds) > 0 && !slices.Contains(a.Kinds, e.Kind) {
			return false
		}
		if a.Resource != "" && !(e.Object == wire.KindResource && e.Name == a.Resource) {
			return false
		}
		if a.Group != "" && e.Group != a.Group && !(e.Object == wire.KindResourceGroup && e.Name == a.Group) {
			return false
		}
		return true
	}
}

// Follow calls send with each event a selects, in order, from the history
// (a.Since) or from now on, until ctx ends (nil) or send fails (its
// error). A start older than the history is told with a wire.EventLost
// event first, and another run's number (a.Epoch, or one past the last)
// with a wire.EventReset, after which the stream goes on from now.
// A subscriber that falls behind by more than the history while it
// follows gets an EventLost and goes on when cut is false; when cut is
// true Follow returns errBehind (the remote stream closes the
// connection, and the client resumes from its last number).
func (b *Events) Follow(ctx context.Context, a wire.EventsArgs, cut bool, send func(wire.Event) error) error {
	keep := eventFilter(a)
	epoch := b.Epoch()
	after := b.Last()
	first := true
	// A number of another run: say so, and go on from now (numbered as
	// the last event, so that a client resuming from the reset's number
	// misses nothing after it).
	reset := func() error {
		after = b.Last()
		return send(wire.Event{Kind: wire.EventReset, Seq: after, Epoch: epoch})
	}
	if a.Since != nil {
		after = *a.Since
		if a.Epoch != "" && a.Epoch != epoch {
			if err := reset(); err != nil {
				return err
			}
		}
	}
	for {
		evs, lost, isReset, wake := b.Since(after, 256)
		if isReset {
			if err := reset(); err != nil {
				return err
			}
			continue
		}
		if lost > 0 {
			if cut && !first {
				return errBehind
			}
			if err := send(wire.Event{Kind: wire.EventLost, Seq: after + lost, Count: int(lost), Epoch: epoch}); err != nil {
				return err
			}
		}
		first = false
		for _, e := range evs {
			after = e.Seq
			if keep != nil && !keep(e) {
				continue
			}
			e.Epoch = epoch
			if err := send(e); err != nil {
				return err
			}
		}
		if len(evs) > 0 {
			continue // more may be kept already
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		}
	}
}

// eventStream serves wire.OpEvents on the socket: the events from now on,
// or from a.Since, filtered, until the client hangs up.
func (d *Daemon) eventStream(ctx context.Context, _ Peer, raw json.RawMessage, send func(any) error) error {
	var a wire.EventsArgs
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a); err != nil {
			return scha.Errorf(scha.ErrInval, "bad arguments: %v", err)
		}
	}
	// Follow ends when the client hangs up (ctx) or a write fails: either
	// way nobody is left to tell.
	d.events.Follow(ctx, a, false, func(e wire.Event) error { return send(e) })
	return nil
}
