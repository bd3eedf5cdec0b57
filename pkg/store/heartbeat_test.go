package store

import (
	"testing"
	"time"
)

// waitTrue polls cond until it holds, or fails the test after the guard.
func waitTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx := ctxFor(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("never: %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// A non-voter gets a heartbeat about once a second rather than every
// 133 ms, keeps knowing its leader between them, and forwards a
// change; made a voter, it gets the voter's timeouts and heartbeats back.
func TestNonVoterHeartbeats(t *testing.T) {
	stores, kvs := testClusterOf(t, 3, 2, time.Millisecond)
	leader, nonVoter := stores[0], stores[2]
	hbOf := func(s *Store) time.Duration { return s.raft.ReloadableConfig().HeartbeatTimeout }
	waitTrue(t, "the non-voter runs with the non-voter's heartbeat timeout", func() bool {
		return hbOf(nonVoter) == nonVoterHeartbeatTimeout
	})
	if got := hbOf(stores[1]); got != DefaultHeartbeatTimeout {
		t.Errorf("the voter's heartbeat timeout is %v, want %v", got, DefaultHeartbeatTimeout)
	}

	// Three heartbeats to the non-voter, so at least two of its
	// intervals; meanwhile the voter gets one every 133 ms.
	v0, n0 := leader.hb.answered("node2"), leader.hb.answered("node3")
	for leader.hb.answered("node3") < n0+3 {
		if addr, _ := nonVoter.Leader(); addr == "" {
			t.Fatal("the non-voter lost its leader between two heartbeats")
		}
		time.Sleep(20 * time.Millisecond)
	}
	v, n := leader.hb.answered("node2")-v0, leader.hb.answered("node3")-n0
	t.Logf("heartbeats answered meanwhile: the voter %d, the non-voter %d", v, n)
	if v < 4*n {
		t.Errorf("the voter answered %d heartbeats while the non-voter answered %d: the non-voter's are not held back", v, n)
	}
	set(t, nonVoter, "from", "nonvoter") // forwarded to the leader
	wantValue(t, kvs[0], "from", "nonvoter")
	wantValue(t, kvs[2], "from", "nonvoter")

	// Made a voter: back to the voter's timeout, and to the voter's
	// heartbeats (the next three come well within a second).
	if err := leader.AddServer(ctxFor(t), "node3", string(nonVoter.transport.LocalAddr()), true); err != nil {
		t.Fatal(err)
	}
	set(t, leader, "after", "promotion") // the followers learn the configuration is committed
	waitTrue(t, "the promoted node runs with the voter's heartbeat timeout", func() bool {
		return hbOf(nonVoter) == DefaultHeartbeatTimeout
	})
	v0, n0 = leader.hb.answered("node2"), leader.hb.answered("node3")
	waitTrue(t, "ten heartbeats to the promoted node", func() bool { return leader.hb.answered("node3") >= n0+10 })
	if v := leader.hb.answered("node2") - v0; v > 30 {
		t.Errorf("the voter answered %d heartbeats while the promoted node answered 10: its heartbeats are still held back", v)
	}
}
