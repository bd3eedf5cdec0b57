package store

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Heartbeats to non-voters. raft's leader sends every follower a
// heartbeat every HeartbeatTimeout/10 (40 to 80 ms with the defaults),
// so that a voter that stops hearing from it starts an election within
// HeartbeatTimeout. A non-voter never starts an election: all a
// heartbeat gives it is the leader's name, and it drops that name only
// after its own HeartbeatTimeout without a word from the leader. So the
// leader's transport holds back a heartbeat to a non-voter until
// nonVoterHeartbeat after the previous one, and a non-voter runs with
// nonVoterHeartbeatTimeout (Store.followSuffrage), long enough for
// several of them. At 16 nodes, 11 of them non-voters, that takes
// about 180 of the leader's 250 heartbeats a second away.
//
// A voter's heartbeats are held back too: to at least
// HeartbeatTimeout/voterHeartbeats apart (133 ms with the defaults; it
// was a fifth, and raft's own gap is a random tenth to fifth). A voter
// still hears from the leader three times within its timeout, so a
// heartbeat up to 267 ms late starts no election (320 ms at a fifth).
// Each heartbeat wakes the leader three times (raft's timer, the
// answer, and this hold), and on a VM a wake-up costs tens of
// microseconds: at 16 nodes these were a third of the leader's idle
// CPU.
//
// Nothing else is held back: entries, the commit index (CommitTimeout
// and the nudges), votes and snapshots travel at once, and a new leader
// tells every non-voter so with its first entries. A held-back
// heartbeat is sent late, never answered in the follower's place (raft
// counts heartbeat answers, also from non-voters, when it checks it
// still leads); one held back while its leader steps down still goes
// out, with the old term, as a late packet would, and a follower that
// knows a newer term refuses it.
const (
	nonVoterHeartbeat        = time.Second
	nonVoterHeartbeatTimeout = 3 * time.Second
	voterHeartbeats          = 3 // a voter's heartbeats within its HeartbeatTimeout
	// nonVoterGrace: after a change of the configuration (a node joins
	// as a non-voter, say), and on a new leader, non-voters get the
	// usual heartbeats for this long, so that they have committed that
	// configuration, and raised their own timeouts, before they thin out.
	nonVoterGrace = 5 * time.Second
)

// heartbeatTransport is raft's transport on a cluster node, holding back
// heartbeats to non-voters. It forwards the optional interfaces raft
// looks for on a NetworkTransport (WithPreVote, WithClose).
type heartbeatTransport struct {
	raft.Transport
	r          atomic.Pointer[raft.Raft] // set once raft runs
	every      time.Duration             // nonVoterHeartbeat
	grace      time.Duration             // nonVoterGrace
	voterEvery time.Duration             // HeartbeatTimeout/voterHeartbeats

	mu      sync.Mutex
	peers   map[raft.ServerID]*heartbeatPeer
	changed chan struct{} // closed and replaced when the configuration changes
	stopped bool          // shutting down: nothing is held back any more

	// sent counts the heartbeats answered, by follower, for tests.
	sent map[raft.ServerID]int
}

type heartbeatPeer struct {
	nonVoterSince time.Time // zero: a voter, or not known as a non-voter
	last          time.Time // the last heartbeat sent to it
}

var (
	_ raft.WithPreVote = (*heartbeatTransport)(nil)
	_ raft.WithClose   = (*heartbeatTransport)(nil)
)

func newHeartbeatTransport(t raft.Transport, every, grace, voterEvery time.Duration) *heartbeatTransport {
	return &heartbeatTransport{Transport: t, every: every, grace: grace, voterEvery: voterEvery,
		peers: map[raft.ServerID]*heartbeatPeer{}, changed: make(chan struct{}), sent: map[raft.ServerID]int{}}
}

// isHeartbeat is raft's own test (NetworkTransport's): an AppendEntries
// with no entries, no previous entry and no commit index.
func isHeartbeat(a *raft.AppendEntriesRequest) bool {
	return a.Term != 0 && a.PrevLogEntry == 0 && a.PrevLogTerm == 0 &&
		len(a.Entries) == 0 && a.LeaderCommitIndex == 0
}

func (t *heartbeatTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	if !isHeartbeat(args) {
		return t.Transport.AppendEntries(id, target, args, resp)
	}
	t.hold(id)
	err := t.Transport.AppendEntries(id, target, args, resp)
	if err == nil {
		t.mu.Lock()
		t.sent[id]++
		t.mu.Unlock()
	}
	return err
}

// hold waits until t.every after the last heartbeat sent to id when it
// is a non-voter past its grace, t.voterEvery otherwise, or until the
// configuration changes (it may have become a voter) or the transport
// stops.
func (t *heartbeatTransport) hold(id raft.ServerID) {
	for {
		nonVoter := t.nonVoter(id)
		t.mu.Lock()
		p := t.peers[id]
		if p == nil {
			p = &heartbeatPeer{}
			t.peers[id] = p
		}
		now := time.Now()
		switch {
		case !nonVoter:
			p.nonVoterSince = time.Time{}
		case p.nonVoterSince.IsZero():
			p.nonVoterSince = now
		}
		gap := t.voterEvery
		if nonVoter && now.Sub(p.nonVoterSince) >= t.grace {
			gap = t.every
		}
		if t.stopped || now.Sub(p.last) >= gap {
			p.last = now
			t.mu.Unlock()
			return
		}
		wait, changed := p.last.Add(gap).Sub(now), t.changed
		t.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-changed:
			timer.Stop()
		}
	}
}

// nonVoter says whether id is a non-voter in raft's latest configuration.
func (t *heartbeatTransport) nonVoter(id raft.ServerID) bool {
	r := t.r.Load()
	if r == nil {
		return false
	}
	for _, s := range r.GetConfiguration().Configuration().Servers {
		if s.ID == id {
			return s.Suffrage == raft.Nonvoter
		}
	}
	return false
}

// configChanged wakes the heartbeats held back, to look again at who is
// a non-voter, and starts every non-voter's grace anew.
func (t *heartbeatTransport) configChanged() {
	t.mu.Lock()
	clear(t.peers)
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
}

// stop releases every heartbeat held back and holds back none from now
// on: raft's Shutdown waits for its heartbeat goroutines.
func (t *heartbeatTransport) stop() {
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
	t.configChanged()
}

// answered is how many heartbeats id answered (tests).
func (t *heartbeatTransport) answered(id raft.ServerID) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent[id]
}

func (t *heartbeatTransport) RequestPreVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestPreVoteRequest, resp *raft.RequestPreVoteResponse) error {
	if pv, ok := t.Transport.(raft.WithPreVote); ok {
		return pv.RequestPreVote(id, target, args, resp)
	}
	return raft.ErrUnsupportedProtocol
}

func (t *heartbeatTransport) Close() error {
	t.stop()
	if c, ok := t.Transport.(raft.WithClose); ok {
		return c.Close()
	}
	return nil
}

// followSuffrage gives this node's raft the heartbeat and election
// timeouts of its role in the latest configuration: a non-voter's
// nonVoterHeartbeatTimeout, so that it keeps its leader between the
// leader's sparser heartbeats, and a voter (or a node not in the
// configuration yet) the configured ones. A non-voter made a voter gets
// the configured ones back as it commits that configuration, after the
// leader went back to the usual heartbeats to it.
func (s *Store) followSuffrage() {
	nonVoter := false
	for _, sv := range s.raft.GetConfiguration().Configuration().Servers {
		if string(sv.ID) == s.id {
			nonVoter = sv.Suffrage == raft.Nonvoter
		}
	}
	s.timeouts.Lock()
	defer s.timeouts.Unlock()
	hb, el := s.timeouts.heartbeat, s.timeouts.election
	if nonVoter {
		hb, el = max(hb, nonVoterHeartbeatTimeout), max(el, nonVoterHeartbeatTimeout)
	}
	rc := s.raft.ReloadableConfig()
	if rc.HeartbeatTimeout == hb && rc.ElectionTimeout == el {
		return
	}
	rc.HeartbeatTimeout, rc.ElectionTimeout = hb, el
	if err := s.raft.ReloadConfig(rc); err != nil {
		s.logger.Warn("raft: setting the timeouts of this node's role", "non_voter", nonVoter, "heartbeat_timeout", hb, "err", err)
	}
}
