package daemon

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Events is the daemon's in-process publish/subscribe of changes: the
// source of `rgmadm events`, the D-Bus signals and anything else that
// watches. Publishing never blocks: a subscriber that falls behind loses
// events and is told how many with an EventLost event.
type Events struct {
	mu   sync.Mutex
	seq  uint64
	subs map[*subscription]struct{}
}

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

// eventStream serves wire.OpEvents: the events from now on, filtered by
// resource or group, until the client hangs up.
func (d *Daemon) eventStream(ctx context.Context, _ Peer, raw json.RawMessage, send func(any) error) error {
	var a wire.EventsArgs
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a); err != nil {
			return scha.Errorf(scha.ErrInval, "bad arguments: %v", err)
		}
	}
	keep := func(e wire.Event) bool {
		if a.Resource != "" && !(e.Object == wire.KindResource && e.Name == a.Resource) {
			return false
		}
		if a.Group != "" && e.Group != a.Group && !(e.Object == wire.KindResourceGroup && e.Name == a.Group) {
			return false
		}
		return true
	}
	ch, stop := d.events.Subscribe(1024, keep)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-ch:
			if err := send(e); err != nil {
				return nil // the client is gone
			}
		}
	}
}
