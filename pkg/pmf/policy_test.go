package pmf

import (
	"testing"
	"time"
)

// fakeClock hands out times the test chooses.
type fakeClock struct{ t time.Time }

func (c *fakeClock) advance(d time.Duration) time.Time { c.t = c.t.Add(d); return c.t }

func TestHistoryFailed(t *testing.T) {
	type step struct {
		after time.Duration // since the previous step
		want  Decision
	}
	R, G := Restart, GiveUp
	for _, tc := range []struct {
		name   string
		policy Policy
		steps  []step
	}{
		{"no retries gives up at once", Policy{0, time.Minute}, []step{{0, G}}},
		{"two retries then give up", Policy{2, time.Minute}, []step{{0, R}, {time.Second, R}, {time.Second, G}}},
		{"old failures leave the window", Policy{2, time.Minute}, []step{{0, R}, {time.Second, R}, {time.Minute, R}, {time.Second, R}, {time.Second, G}}},
		{"exactly one period later is outside", Policy{1, time.Minute}, []step{{0, R}, {time.Minute, R}, {time.Minute - 1, G}}},
		{"unbounded window counts everything", Policy{2, 0}, []step{{0, R}, {time.Hour, R}, {24 * time.Hour, G}}},
		{"negative period is unbounded", Policy{1, -1}, []step{{0, R}, {time.Hour, G}}},
		{"unlimited retries", Policy{-1, time.Second}, []step{{0, R}, {0, R}, {0, R}, {0, R}}},
		{"slow failures never exhaust", Policy{1, time.Minute}, []step{{0, R}, {2 * time.Minute, R}, {2 * time.Minute, R}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(1000, 0)}
			var h History
			for i, s := range tc.steps {
				if got := h.Failed(tc.policy, clk.advance(s.after)); got != s.want {
					t.Fatalf("step %d: %v, want %v", i, got, s.want)
				}
			}
		})
	}
}

func TestHistoryCountAndReset(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	p := Policy{Retries: 3, Period: 10 * time.Second}
	var h History
	h.Failed(p, clk.t)
	h.Failed(p, clk.advance(4*time.Second))
	if n := h.Count(p, clk.t); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
	if n := h.Count(p, clk.advance(7*time.Second)); n != 1 {
		t.Errorf("Count after the first left the window = %d, want 1", n)
	}
	h.Reset()
	if n := h.Count(p, clk.t); n != 0 {
		t.Errorf("Count after Reset = %d", n)
	}
	// A shorter period given later (pmfadm -m) applies to the recorded
	// failures at once.
	h.Failed(p, clk.t)
	h.Failed(p, clk.advance(time.Second))
	if got := h.Failed(Policy{Retries: 1, Period: 10 * time.Second}, clk.advance(time.Second)); got != GiveUp {
		t.Errorf("after -m -n 1: %v, want give up", got)
	}
}

func TestAfterAction(t *testing.T) {
	if AfterAction(true) != Restart || AfterAction(false) != GiveUp {
		t.Error("AfterAction: exit 0 restarts, anything else drops the tag")
	}
}
