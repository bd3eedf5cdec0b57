package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Several voters. A Store opened with a Stream takes part in a cluster:
// raft talks to the other nodes over that stream layer (pkg/cluster wraps
// it in mutual TLS), a proposal made on a follower is forwarded to the
// leader through Config.Forward, and reads stay local. The leader changes
// the configuration of voters (AddVoter, RemoveServer) when nodes join and
// leave; membership (who is up) is not the store's business.

// Default raft timings with a network transport. raft's LAN defaults
// (1 s) would make a new leader take up to about 2 s after the old one
// died; these keep it near 1 s on a LAN while leaving a CPU-starved
// leader several hundred milliseconds before followers give up on it.
const (
	DefaultHeartbeatTimeout   = 400 * time.Millisecond
	DefaultElectionTimeout    = 400 * time.Millisecond
	DefaultLeaderLeaseTimeout = 400 * time.Millisecond
)

// forwardRetry bounds how long a proposal waits for a leader to be known
// (an election in progress) when its context has no deadline.
const forwardRetry = 10 * time.Second

// ForwardFunc sends a command's data (type byte and body) to the leader,
// which proposes it and answers with the entry's log index and the
// Machine's error (applyErr). err is any other failure: the leader could
// not be reached (wrapping ErrNotSent when the command certainly did not
// reach it), or is no longer the leader (raft.ErrNotLeader).
type ForwardFunc func(ctx context.Context, leader raft.ServerAddress, data []byte) (index uint64, applyErr error, err error)

// ErrNotSent, wrapped in a ForwardFunc's err, says the command never
// left this node: the leader's port could not even be connected to.
// forward then waits for a leader and sends it again, as after
// raft.ErrNotLeader.
var ErrNotSent = errors.New("not sent to the leader")

// IndexFunc asks the leader for the index of the last command it applied
// (CatchUp).
type IndexFunc func(ctx context.Context, leader raft.ServerAddress) (uint64, error)

// CatchUp returns once this node has applied everything the leader had
// committed when CatchUp was called, so that a write checked here, or a
// read after another node's write, sees what the cluster acknowledged.
// On the leader, or a single node, it returns at once.
func (s *Store) CatchUp(ctx context.Context) error {
	if s.leaderIndex == nil {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, forwardRetry)
		defer cancel()
	}
	for {
		if s.raft.State() == raft.Leader {
			return nil
		}
		leader, _ := s.raft.LeaderWithID()
		var err error
		if leader != "" {
			var idx uint64
			if idx, err = s.leaderIndex(ctx, leader); err == nil {
				return s.WaitApplied(ctx, idx)
			}
		}
		// No leader known, or it does not answer (it may have died and
		// this node not noticed yet): wait for the election, as a
		// forwarded proposal does.
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New("no leader")
			}
			return fmt.Errorf("%w: asking the leader how far the log is: %w", ErrUnavailable, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// LastApplied is the index of the last command this node's Machine
// applied: what a follower's CatchUp waits for. Barriers and raft's own
// entries after it do not count, so a follower does not wait for the
// commit of an entry that changes nothing it could read.
func (s *Store) LastApplied() uint64 {
	i, _ := s.fsm.index.get()
	return i
}

// Server is one member of the raft configuration.
type Server struct {
	ID      string
	Address string
	Voter   bool
}

// appliedIndex is the index of the last entry the FSM applied, with a way
// to wait for it to reach a value.
type appliedIndex struct {
	mu   sync.Mutex
	idx  uint64
	next chan struct{} // closed and replaced on every set
}

func (a *appliedIndex) set(i uint64) {
	a.mu.Lock()
	if i > a.idx {
		a.idx = i
	}
	if a.next != nil {
		close(a.next)
		a.next = nil
	}
	a.mu.Unlock()
}

// get returns the index and a channel closed at the next set.
func (a *appliedIndex) get() (uint64, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next == nil {
		a.next = make(chan struct{})
	}
	return a.idx, a.next
}

// WaitApplied returns once this node's Machine has applied the entry at
// index (or a snapshot past it), so that a follower that forwarded a
// change answers reads with it.
func (s *Store) WaitApplied(ctx context.Context, index uint64) error {
	// Only the Machine's own count will do: raft's AppliedIndex moves
	// when entries are handed to the FSM, before they are applied.
	for {
		got, next := s.fsm.index.get()
		if got >= index {
			return nil
		}
		select {
		case <-next:
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for entry %d to be applied here: %w", ErrUnavailable, index, ctx.Err())
		}
	}
}

// IsLeader reports whether this node leads the cluster now.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// Leader returns the leader's address and ID, both "" when none is known.
func (s *Store) Leader() (addr, id string) {
	a, i := s.raft.LeaderWithID()
	return string(a), string(i)
}

// LeaderCh delivers true when this node gains leadership and false when
// it loses it. raft keeps only one such channel, holding the latest
// news: a single user (the daemon's failover loop) reads it.
func (s *Store) LeaderCh() <-chan bool { return s.raft.LeaderCh() }

// Servers returns the current raft configuration.
func (s *Store) Servers() ([]Server, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var out []Server
	for _, sv := range f.Configuration().Servers {
		out = append(out, Server{ID: string(sv.ID), Address: string(sv.Address), Voter: sv.Suffrage == raft.Voter})
	}
	return out, nil
}

// AddServer adds a node to the raft configuration, as a voter or not, or
// changes the address of one already in it. Only the leader can.
func (s *Store) AddServer(ctx context.Context, id, addr string, voter bool) error {
	var f raft.IndexFuture
	if voter {
		f = s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, timeoutOf(ctx))
	} else {
		f = s.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(addr), 0, timeoutOf(ctx))
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("%w: add %s at %s: %w", ErrUnavailable, id, addr, err)
	}
	s.nudge() // the others learn at once that the change is committed
	return nil
}

// RemoveServer takes a node out of the raft configuration. Only the
// leader can.
func (s *Store) RemoveServer(ctx context.Context, id string) error {
	if err := s.raft.RemoveServer(raft.ServerID(id), 0, timeoutOf(ctx)).Error(); err != nil {
		return fmt.Errorf("%w: remove %s: %w", ErrUnavailable, id, err)
	}
	s.nudge()
	return nil
}

// LeadershipTransfer asks raft to hand leadership to another voter, as a
// leader does before it is removed.
func (s *Store) LeadershipTransfer() error {
	if err := s.raft.LeadershipTransfer().Error(); err != nil {
		return fmt.Errorf("%w: leadership transfer: %w", ErrUnavailable, err)
	}
	return nil
}

// ApplyForwarded is the leader's side of a forwarded proposal: data is a
// command as a follower's Propose made it. It returns the entry's index,
// so the follower can wait until it has applied it too, and the
// Machine's error apart from the log's.
func (s *Store) ApplyForwarded(ctx context.Context, data []byte) (index uint64, applyErr error, err error) {
	if len(data) == 0 {
		return 0, nil, fmt.Errorf("%w: empty forwarded command", ErrUnavailable)
	}
	if err := s.Err(); err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	f := s.raft.Apply(data, timeoutOf(ctx))
	if err := waitFuture(ctx, f); err != nil {
		return 0, nil, err
	}
	r, ok := f.Response().(applied)
	if !ok {
		return 0, nil, fmt.Errorf("store: unexpected FSM response %T", f.Response())
	}
	s.nudge()
	return f.Index(), r.err, nil
}

// commitTimeout is raft's CommitTimeout with a network transport: how
// often the leader tells idle followers its commit index. raft's 50 ms
// costs every follower 20 requests a second for nothing; nudge makes the
// followers learn of a commit at once instead (the tests run with an
// hour), so this is only a fallback. At 1 s (raft waits a random 1 to 2)
// it was still ten requests a second from an idle leader of 16 nodes,
// each waking both ends; now every 5 to 10 s.
const commitTimeout = 5 * time.Second

// nudge makes the followers learn at once that what the leader just
// applied is committed. They receive an entry before it is committed,
// and apply it only when a later message carries the leader's commit
// index; a barrier is such a message. At most one is in flight, but a
// commit made while one is does not go unannounced: the barrier may
// have left before that commit, carrying an older index, so another
// follows it. Under a stream of changes that is one barrier per burst,
// not one per change.
func (s *Store) nudge() {
	if s.forwardTo == nil {
		return
	}
	s.nudges.Lock()
	s.nudges.again = true
	if s.nudges.running {
		s.nudges.Unlock()
		return
	}
	s.nudges.running = true
	s.nudges.Unlock()
	go func() {
		for {
			s.nudges.Lock()
			if !s.nudges.again {
				s.nudges.running = false
				s.nudges.Unlock()
				return
			}
			s.nudges.again = false
			s.nudges.Unlock()
			// Appended after every commit asked for so far: its
			// AppendEntries carry a commit index at least as high.
			if err := s.raft.Barrier(0).Error(); err != nil {
				// Not the leader any more, or shut down: the next
				// leader's own entries tell the followers.
				s.nudges.Lock()
				s.nudges.again, s.nudges.running = false, false
				s.nudges.Unlock()
				return
			}
		}
	}()
}

// forward sends data to the leader, waiting out an election when no
// leader is known, then waits until this node has applied the entry.
func (s *Store) forward(ctx context.Context, data []byte) (any, error) {
	if s.forwardTo == nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, raft.ErrNotLeader)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, forwardRetry)
		defer cancel()
	}
	var last error // the last refusal, for the error at the deadline
	for {
		leader, _ := s.raft.LeaderWithID()
		if leader != "" && s.raft.State() != raft.Leader {
			idx, applyErr, err := s.forwardTo(ctx, leader, data)
			if err == nil {
				if err := s.WaitApplied(ctx, idx); err != nil {
					return nil, err
				}
				return nil, applyErr
			}
			// A command that did not reach the leader raft names is
			// sent again once raft names one that takes it: that leader
			// may have died, and this node not heard of the next one
			// yet (a non-voter, which hears from the leader only once a
			// second, keeps a dead leader's name for up to
			// nonVoterHeartbeatTimeout). Anything else may have reached
			// it, and is not sent twice.
			if !errors.Is(err, raft.ErrNotLeader) && !errors.Is(err, ErrNotSent) {
				return nil, fmt.Errorf("%w: forwarding to the leader at %s: %w", ErrUnavailable, leader, err)
			}
			last = fmt.Errorf("forwarding to %s: %w", leader, err)
		} else if s.raft.State() == raft.Leader {
			// Became the leader while waiting: propose here.
			return s.proposeLocal(ctx, data)
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return nil, fmt.Errorf("%w: no leader: %w (last: %w)", ErrUnavailable, ctx.Err(), last)
			}
			return nil, fmt.Errorf("%w: no leader: %w", ErrUnavailable, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitFuture waits for f, or for ctx to end (raft's futures take no
// context). The error wraps ErrUnavailable.
func waitFuture(ctx context.Context, f raft.Future) error {
	var err error
	if ctx.Done() == nil {
		err = f.Error()
	} else {
		done := make(chan error, 1)
		go func() { done <- f.Error() }()
		select {
		case err = <-done:
		case <-ctx.Done():
			return fmt.Errorf("%w: outcome unknown: %w", ErrUnavailable, ctx.Err())
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}
