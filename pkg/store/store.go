// Package store is the replicated log under rgmd: every mutation of the
// cluster configuration is proposed here as a typed command, committed to
// a hashicorp/raft log on disk (raft-wal, fsync'd), and then applied to a
// deterministic state machine. The store knows nothing of what the commands
// mean; the Machine does. By default the log has a single voter talking
// over an in-memory transport, so one node starts in milliseconds; with a
// bind address it uses raft's TCP transport, so more voters can join later
// through the same code.
//
// A log entry is one type byte followed by the body. The Machine owns the
// type numbers: they are explicit, append-only and never reused. By
// convention a type with the high bit (0x80) set is one that older nodes
// may ignore; the store does not interpret that bit, the Machine does.
//
// A snapshot is a small header (magic "RGMS" and a format version byte)
// followed by the Machine's own bytes, so the framing can evolve.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
)

// Machine is the deterministic state machine the log drives. Every node
// applies the same entries in the same order, so Apply must be a pure
// function of (current state, typ, body): no clock, no randomness, no I/O.
type Machine interface {
	// Apply applies one committed command. An error is the proposer's
	// (a validation failure, say): it is returned by Propose, is not fatal,
	// and the Machine must leave its state unchanged when it returns one.
	// A panic is a bug in a deterministic machine; the store does not
	// recover it, so it crashes rgmd loudly rather than letting nodes
	// silently diverge.
	Apply(typ byte, body []byte) (any, error)
	// Snapshot serializes the whole state. It may run concurrently with
	// readers of the Machine, never with Apply.
	Snapshot() ([]byte, error)
	// Restore replaces the whole state with one produced by Snapshot.
	Restore(data []byte) error
}

// Config says where and how to open a Store.
type Config struct {
	Dir    string // state dir; created 0700 if missing
	NodeID string // raft server ID: the node name

	// Bind is "" for a single voter on an in-memory transport (the
	// default), or "host:port" for raft's TCP transport so more voters can
	// join later. Advertise is the address other nodes dial; "" means the
	// address actually bound, which must then not be unspecified (0.0.0.0).
	Bind      string
	Advertise string

	// Stream, when set, is the network the node's raft talks over
	// (pkg/cluster's mutual-TLS stream layer); it takes the place of
	// Bind. Advertise is then this node's address in the configuration.
	Stream raft.StreamLayer
	// Join says this node joins an existing cluster: with no raft state
	// in Dir it does not bootstrap a cluster of its own but waits for a
	// leader to add it.
	Join bool
	// Forward sends a proposal made on a follower to the leader; nil
	// means a follower refuses proposals (ErrUnavailable).
	Forward ForwardFunc
	// LeaderIndex asks the leader for its commit index (CatchUp); nil
	// makes CatchUp a no-op.
	LeaderIndex IndexFunc
	// Raft timings with a network transport; 0 means the Default*.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration

	Machine Machine
	// Logger receives raft's own log at warn and above, or at info and
	// above when it has debug enabled. nil means slog.Default().
	Logger *slog.Logger
	// SnapshotThreshold is how many new log entries make raft take a
	// snapshot on its own; 0 means DefaultSnapshotThreshold.
	SnapshotThreshold uint64

	// commitTimeout replaces commitTimeout in tests; 0 means the default.
	commitTimeout time.Duration
	// nonVoterGrace replaces nonVoterGrace in tests; 0 means the default.
	nonVoterGrace time.Duration
}

// DefaultSnapshotThreshold keeps replay after a restart short (a few
// thousand pure Applies) without snapshotting on every burst of writes.
const DefaultSnapshotThreshold = 4096

// Raft timings of a single voter. Nobody else can win an election or
// miss a heartbeat, so the timeouts only decide how long a restarted node
// waits as a follower before electing itself, and how often the leader
// checks its lease: raft does that every LeaderLeaseTimeout, which wakes
// an idle rgmd each time (20 times a second at 50 ms, most of what an
// idle rgmd did). So the lease is checked twice a second, and a start
// does not wait the heartbeat timeout out: Open shortens it at once
// (ReloadConfig), which makes raft's follower loop look for a leader
// immediately, find none, and elect this node, so rgmd is ready within a
// few milliseconds. With the TCP transport real peers may exist, so
// raft's LAN defaults apply.
const (
	singleHeartbeatTimeout   = time.Second
	singleElectionTimeout    = time.Second
	singleLeaderLeaseTimeout = 500 * time.Millisecond
)

var (
	// ErrUnavailable wraps every error from Propose (and WaitReady) that is
	// not the Machine's: this node is not the leader, the store is shut
	// down, a timeout, or the context ended. With a timeout or a context
	// that ended while waiting, the command may still be committed later.
	// The Machine's own errors are returned unwrapped.
	ErrUnavailable = errors.New("store: replicated log unavailable")
	// ErrDirInUse is returned by Open when another process holds the state
	// directory's lock.
	ErrDirInUse = errors.New("state dir is used by another rgmd")
)

// Store is an open replicated log driving one Machine.
type Store struct {
	raft        *raft.Raft
	logs        *wal.WAL
	meta        *metadb.BoltMetaDB // the log's metadata; its Close does not close it
	latch       *latchLog
	early       *early // nil unless a single voter
	transport   raft.Transport
	hb          *heartbeatTransport // nil unless Config.Stream
	id          string              // this node's raft server ID
	logger      *slog.Logger
	fsm         *fsm
	forwardTo   ForwardFunc
	leaderIndex IndexFunc
	nudges      struct {
		sync.Mutex
		running bool // a barrier is on its way to the followers
		again   bool // a commit came since it left: another must follow
	}
	// timeouts are the configured raft timeouts, a voter's
	// (followSuffrage).
	timeouts struct {
		sync.Mutex
		heartbeat, election time.Duration
	}
	lock *os.File

	closeOnce sync.Once
	closeErr  error
}

// Open locks cfg.Dir, opens the raft log in it and starts raft. When the
// directory holds no raft state yet it bootstraps a cluster whose only
// voter is this node. Open does not wait for leadership or replay; call
// WaitReady for that.
func Open(cfg Config) (s *Store, err error) {
	if cfg.Dir == "" || cfg.NodeID == "" || cfg.Machine == nil {
		return nil, errors.New("store: Config needs Dir, NodeID and Machine")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// The lock comes first: the log's own flock on its metadata file would
	// block forever instead of telling the operator what is wrong.
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	st := &Store{lock: lock, forwardTo: cfg.Forward, leaderIndex: cfg.LeaderIndex}
	defer func() {
		// Every error return sets s to nil, so release through st.
		if err != nil {
			st.release()
		}
	}()
	s = st

	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s.id, s.logger = cfg.NodeID, logger
	single := cfg.Bind == "" && cfg.Stream == nil
	hl := newHclog(logger, single)

	if err := migrateBolt(cfg.Dir, logger); err != nil {
		return nil, err
	}
	// raft-wal rather than raft-boltdb: an append is one write and one
	// fsync, where bolt's copy-on-write commit needs two fdatasyncs (data
	// pages, then the meta page); every acknowledged change and every
	// state transition waits for it.
	if err := os.MkdirAll(filepath.Join(cfg.Dir, walDir), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if single {
		s.early = &early{}
	}
	s.logs, s.meta, err = openWAL(filepath.Join(cfg.Dir, walDir), hl, s.early)
	if err != nil {
		return nil, fmt.Errorf("store: open the log in %s: %w", filepath.Join(cfg.Dir, walDir), err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 2, hl)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// Recent entries are served from memory when raft reads them back
	// (replication, FSM apply on followers).
	s.latch = &latchLog{LogStore: s.logs, early: s.early}
	logs, err := raft.NewLogCache(512, s.latch)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hl
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	if rc.SnapshotThreshold == 0 {
		rc.SnapshotThreshold = DefaultSnapshotThreshold
	}
	var addr raft.ServerAddress
	switch {
	case cfg.Stream != nil:
		rc.HeartbeatTimeout = orDefault(cfg.HeartbeatTimeout, DefaultHeartbeatTimeout)
		rc.ElectionTimeout = orDefault(cfg.ElectionTimeout, DefaultElectionTimeout)
		rc.LeaderLeaseTimeout = min(orDefault(cfg.LeaderLeaseTimeout, DefaultLeaderLeaseTimeout), rc.HeartbeatTimeout)
		rc.CommitTimeout = orDefault(cfg.commitTimeout, commitTimeout)
		t := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream: cfg.Stream, MaxPool: tcpMaxPool, Timeout: tcpTimeout, Logger: hl,
		})
		s.hb = newHeartbeatTransport(t, nonVoterHeartbeat, orDefault(cfg.nonVoterGrace, nonVoterGrace), rc.HeartbeatTimeout/voterHeartbeats)
		s.transport = s.hb
		s.timeouts.heartbeat, s.timeouts.election = rc.HeartbeatTimeout, rc.ElectionTimeout
		addr = raft.ServerAddress(cfg.Advertise)
		if addr == "" {
			addr = t.LocalAddr()
		}
	case single:
		rc.HeartbeatTimeout = singleHeartbeatTimeout
		rc.ElectionTimeout = singleElectionTimeout
		rc.LeaderLeaseTimeout = singleLeaderLeaseTimeout
		var t *raft.InmemTransport
		addr, t = raft.NewInmemTransport(raft.ServerAddress(cfg.NodeID))
		s.transport = t
	default:
		t, err := newTCPTransport(cfg.Bind, cfg.Advertise, hl)
		if err != nil {
			return nil, err
		}
		s.transport = t
		addr = t.LocalAddr()
	}
	if err := raft.ValidateConfig(rc); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}

	existing, err := raft.HasExistingState(logs, s.logs, snaps)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if !existing && !cfg.Join {
		// The configuration lives in the log, so on later starts it is read
		// back from there (a changed TCP address included: this node still
		// elects itself by ID).
		boot := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter, ID: rc.LocalID, Address: addr,
		}}}
		if err := raft.BootstrapCluster(rc, logs, s.logs, snaps, s.transport, boot); err != nil {
			return nil, fmt.Errorf("store: bootstrap: %w", err)
		}
	}

	// NewRaft restores the newest snapshot; the log tail is replayed once
	// this node leads and commits, which WaitReady waits for.
	s.fsm = &fsm{m: cfg.Machine, snaps: snaps}
	var ready atomic.Bool // s.raft is set: the FSM may look at raft's configuration
	if s.hb != nil {
		s.fsm.configChanged = func() {
			if ready.Load() {
				s.hb.configChanged()
				s.followSuffrage()
			}
		}
	}
	s.raft, err = raft.NewRaft(rc, s.fsm, logs, s.logs, snaps, s.transport)
	if err != nil {
		return nil, fmt.Errorf("store: start raft: %w", err)
	}
	if s.hb != nil {
		s.hb.r.Store(s.raft)
		ready.Store(true)
		s.followSuffrage()
	}
	if single {
		if err := electNow(s.raft); err != nil {
			s.raft.Shutdown()
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	return s, nil
}

// electNow makes a single voter, just started with the single*
// timings, look for a leader at once rather than after its heartbeat
// timeout: raft's follower loop checks again when the timeout is
// shortened, and finding none, this voter elects itself.
func electNow(r *raft.Raft) error {
	rl := r.ReloadableConfig()
	rl.HeartbeatTimeout = singleLeaderLeaseTimeout
	return r.ReloadConfig(rl)
}

// WaitReady returns once this node is the leader and the Machine has
// applied every entry in the log, so after a restart its state is fully
// rebuilt; in a cluster (Config.Forward set), also once it follows a
// known leader and has applied what that leader committed. The error
// wraps ErrUnavailable.
func (s *Store) WaitReady(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		switch s.raft.State() {
		case raft.Shutdown:
			return fmt.Errorf("%w: %w", ErrUnavailable, raft.ErrRaftShutdown)
		case raft.Leader:
			// A barrier is a log entry: once it is applied, so is
			// everything before it, including the replayed tail.
			err := s.raft.Barrier(timeoutOf(ctx)).Error()
			switch {
			case err == nil:
				// The followers learn that the last leader's tail is
				// committed from the next message that carries the
				// commit index: send one now, not at the commit
				// timeout's next turn.
				s.nudge()
				return nil
			case errors.Is(err, raft.ErrRaftShutdown):
				return fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
			// Otherwise leadership moved during the barrier; wait again.
		case raft.Follower:
			// In a cluster, a follower is ready once it knows a leader
			// and has applied everything the leader told it is
			// committed.
			if s.forwardTo != nil {
				if a, _ := s.raft.LeaderWithID(); a != "" {
					if ci := s.raft.CommitIndex(); ci > 0 && s.raft.AppliedIndex() >= ci {
						return nil
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for leadership: %w", ErrUnavailable, ctx.Err())
		case <-tick.C:
		}
	}
}

// Propose appends the command typ+body to the log and returns once it is
// committed (fsync'd on a quorum) and applied, with what Machine.Apply
// returned. Errors that are not the Machine's wrap ErrUnavailable.
// Concurrent proposals are batched into one disk write by raft.
func (s *Store) Propose(ctx context.Context, typ byte, body []byte) (any, error) {
	return s.propose(ctx, command(typ, body))
}

// command is a log entry's data: the type, then the body.
func command(typ byte, body []byte) []byte {
	data := make([]byte, 1+len(body))
	data[0] = typ
	copy(data[1:], body)
	return data
}

func (s *Store) propose(ctx context.Context, data []byte) (any, error) {
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if s.forwardTo != nil && s.raft.State() != raft.Leader {
		// A follower: the leader proposes it (cluster.go).
		return s.forward(ctx, data)
	}
	return s.proposeLocal(ctx, data)
}

func (s *Store) proposeLocal(ctx context.Context, data []byte) (any, error) {
	f := s.raft.Apply(data, timeoutOf(ctx))
	if err := waitFuture(ctx, f); err != nil {
		if s.forwardTo != nil && errors.Is(err, raft.ErrNotLeader) {
			// Lost leadership before raft took it: nothing was written.
			return s.forward(ctx, data)
		}
		return nil, err
	}
	s.nudge()
	r, ok := f.Response().(applied)
	if !ok {
		return nil, fmt.Errorf("store: unexpected FSM response %T", f.Response())
	}
	return r.val, r.err
}

// Err reports a failed write of the log, after which the store accepts
// no command until it is reopened (see latchLog); nil while it is sound.
func (s *Store) Err() error { return s.latch.err() }

// Snapshot makes raft snapshot the Machine now and compact the log. It is
// not an error when nothing was applied since the last snapshot.
func (s *Store) Snapshot() error {
	err := s.raft.Snapshot().Error()
	if err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return fmt.Errorf("store: snapshot: %w", err)
	}
	return nil
}

// Stats is raft's own view of this node, for debugging.
func (s *Store) Stats() map[string]string {
	return s.raft.Stats()
}

// Close stops raft, closes the log and releases the directory lock. It
// takes no snapshot; call Snapshot first for that. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.hb != nil {
			s.hb.stop() // raft's Shutdown waits for the heartbeats it holds back
		}
		if err := s.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("raft shutdown: %w", err))
		}
		errs = append(errs, s.release())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("store: close: %w", err)
		}
	})
	return s.closeErr
}

// release closes what Open opened besides raft, the lock last so no other
// rgmd can open the log while this one still has it.
func (s *Store) release() error {
	var errs []error
	if c, ok := s.transport.(interface{ Close() error }); ok {
		errs = append(errs, c.Close())
	}
	if s.logs != nil {
		errs = append(errs, s.logs.Close())
	}
	if s.meta != nil {
		errs = append(errs, s.meta.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close()) // closing the fd drops the flock
	}
	return errors.Join(errs...)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// timeoutOf turns ctx's deadline into raft's enqueue timeout; 0 is none.
func timeoutOf(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	if t := time.Until(d); t > 0 {
		return t
	}
	return time.Nanosecond // already past: fail rather than wait forever
}
