package daemon

import (
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
