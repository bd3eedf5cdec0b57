package daemon

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/openrgm/openrgm/pkg/wire"
)

func TestEventsFanOutAndLoss(t *testing.T) {
	var b Events
	all, stopAll := b.Subscribe(10, nil)
	defer stopAll()
	rs, stopRS := b.Subscribe(10, func(e wire.Event) bool { return e.Name == "r1" })
	defer stopRS()
	slow, stopSlow := b.Subscribe(1, nil)
	for _, n := range []string{"r1", "r2", "r1"} {
		b.Publish(wire.Event{Kind: wire.EventStatus, Name: n})
	}
	if len(all) != 3 || len(rs) != 2 {
		t.Fatalf("all got %d, filtered got %d", len(all), len(rs))
	}
	if e := <-all; e.Seq != 1 || e.Time == "" {
		t.Errorf("first event %+v", e)
	}
	<-slow // frees room: the next publish first reports the loss
	b.Publish(wire.Event{Kind: wire.EventStatus, Name: "r3"})
	if e := <-slow; e.Kind != wire.EventLost || e.Count != 2 {
		t.Errorf("slow subscriber got %+v, want a lost event for 2", e)
	}
	stopSlow()
	stopSlow()
	if _, open := <-slow; open {
		t.Error("channel open after stop")
	}
	b.Publish(wire.Event{Name: "r4"}) // no panic on a closed subscriber
}

func TestEventsHistory(t *testing.T) {
	var b Events
	for i := 0; i < EventHistory+5; i++ {
		b.Publish(wire.Event{Kind: wire.EventConfig, Name: "g"})
	}
	evs, lost, reset, _ := b.Since(0, 0)
	if lost != 5 || reset || len(evs) != EventHistory || evs[0].Seq != 6 || evs[len(evs)-1].Seq != EventHistory+5 {
		t.Fatalf("Since(0): %d events from %d, lost %d, reset %v", len(evs), evs[0].Seq, lost, reset)
	}
	evs, lost, _, _ = b.Since(EventHistory, 3)
	if lost != 0 || len(evs) != 3 || evs[0].Seq != EventHistory+1 {
		t.Fatalf("Since(history, 3): %+v, lost %d", evs, lost)
	}
	if _, _, reset, _ := b.Since(EventHistory+6, 0); !reset {
		t.Error("a number past the last is not a reset")
	}
	_, _, _, wake := b.Since(EventHistory+5, 0)
	select {
	case <-wake:
		t.Fatal("woken before a publish")
	default:
	}
	b.Publish(wire.Event{})
	<-wake
}

func TestEventsFollow(t *testing.T) {
	var b Events
	for i := 0; i < 3; i++ {
		b.Publish(wire.Event{Kind: wire.EventConfig, Object: wire.KindResourceGroup, Name: fmt.Sprint("g", i)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	follow := func(a wire.EventsArgs, n int) []wire.Event {
		var got []wire.Event
		errDone := errors.New("done")
		err := b.Follow(ctx, a, true, func(e wire.Event) error {
			got = append(got, e)
			if len(got) == n {
				return errDone
			}
			return nil
		})
		if err != errDone {
			t.Fatalf("Follow: %v", err)
		}
		return got
	}
	zero := uint64(0)
	if got := follow(wire.EventsArgs{Since: &zero}, 3); got[0].Seq != 1 || got[2].Name != "g2" || got[0].Epoch != b.Epoch() {
		t.Errorf("from 0: %+v", got)
	}
	one := uint64(1)
	if got := follow(wire.EventsArgs{Since: &one, Epoch: "other"}, 1); got[0].Kind != wire.EventReset || got[0].Seq != 3 {
		t.Errorf("another epoch: %+v", got)
	}
	if got := follow(wire.EventsArgs{Since: &zero, Group: "g1"}, 1); got[0].Name != "g1" {
		t.Errorf("filtered: %+v", got)
	}
	// Waiting for what is published next.
	three := uint64(3)
	go b.Publish(wire.Event{Kind: wire.EventStatus, Name: "r"})
	if got := follow(wire.EventsArgs{Since: &three, Kinds: []string{wire.EventStatus}}, 1); got[0].Seq != 4 {
		t.Errorf("live: %+v", got)
	}
}
