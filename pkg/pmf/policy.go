package pmf

import "time"

// Policy is a tag's restart limit: at most Retries restarts within any
// Period. Retries < 0 means no limit; Period <= 0 means the window is
// unbounded (every failure since the tag was created, or since its action
// last asked for a fresh start, counts).
type Policy struct {
	Retries int           `json:"retries"`
	Period  time.Duration `json:"period_ns"`
}

// Decision is what to do after a tree has exited on its own.
type Decision int

// Decisions of History.Failed.
const (
	Restart Decision = iota // restart the command
	GiveUp                  // the limit is reached: run the action, or drop the tag
)

func (d Decision) String() string {
	if d == Restart {
		return "restart"
	}
	return "give up"
}

// History counts a tag's failures (trees that ended without being asked
// to). It is pure logic on times it is given, so tests drive it with a
// fake clock. The zero value is an empty history.
type History struct {
	fails []time.Time
}

// Failed records a failure at now and decides: the failure is restarted
// while the failures inside the window ending at now number at most
// Retries.
func (h *History) Failed(p Policy, now time.Time) Decision {
	h.prune(p, now)
	h.fails = append(h.fails, now)
	if p.Retries < 0 || len(h.fails) <= p.Retries {
		return Restart
	}
	return GiveUp
}

// Reset forgets every failure: the action program exited 0, which asks
// for the command to be restarted with a full allowance.
func (h *History) Reset() { h.fails = nil }

// Count returns the failures inside the window ending at now, which is the
// number of restarts used of the allowance.
func (h *History) Count(p Policy, now time.Time) int {
	h.prune(p, now)
	return len(h.fails)
}

// prune drops failures older than the window. A failure exactly Period
// old has left the window.
func (h *History) prune(p Policy, now time.Time) {
	if p.Period <= 0 {
		return
	}
	i := 0
	for i < len(h.fails) && now.Sub(h.fails[i]) >= p.Period {
		i++
	}
	h.fails = h.fails[i:]
}

// After the limit is reached, the tag's fate depends on its action.
//
//	no action                 → the tag is dropped
//	action exits 0            → History.Reset, the command restarts
//	action exits non-zero,
//	is killed or cannot run   → the tag is dropped
//
// AfterAction encodes the last two rows.
func AfterAction(actionOK bool) Decision {
	if actionOK {
		return Restart
	}
	return GiveUp
}
