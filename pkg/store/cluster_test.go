package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// tcpStream is a plain TCP raft.StreamLayer, standing in for pkg/cluster's
// mutual-TLS one.
type tcpStream struct{ net.Listener }

func (t tcpStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", string(addr), timeout)
}

// testCluster opens n stores as one cluster over loopback, with the
// followers forwarding to the leader and learning of commits only from
// the nudges: the idle commit-index message (CommitTimeout) comes once an
// hour, so a commit the nudges miss is never applied by a follower.
func testCluster(t *testing.T, n int) ([]*Store, []*kv) {
	t.Helper()
	return testClusterOf(t, n, n, 0)
}

// testClusterOf is testCluster with only the first voters nodes voters,
// the others non-voters, and nonVoterGrace for Config.nonVoterGrace.
func testClusterOf(t *testing.T, n, voters int, nonVoterGrace time.Duration) ([]*Store, []*kv) {
	t.Helper()
	stores := make([]*Store, n)
	kvs := make([]*kv, n)
	byAddr := map[raft.ServerAddress]*Store{}
	var mu sync.Mutex
	forward := func(ctx context.Context, leader raft.ServerAddress, data []byte) (uint64, error, error) {
		mu.Lock()
		s := byAddr[leader]
		mu.Unlock()
		if s == nil || !s.IsLeader() {
			return 0, nil, raft.ErrNotLeader
		}
		return s.ApplyForwarded(ctx, data)
	}
	for i := range stores {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		kvs[i] = newKV()
		s, err := Open(Config{
			Dir: t.TempDir(), NodeID: fmt.Sprintf("node%d", i+1), Stream: tcpStream{ln},
			Advertise: ln.Addr().String(), Join: i > 0, Forward: forward,
			Machine: kvs[i], Logger: quietLogger(), commitTimeout: time.Hour, nonVoterGrace: nonVoterGrace,
		})
		if err != nil {
			t.Fatalf("Open node%d: %v", i+1, err)
		}
		t.Cleanup(func() { s.Close() })
		mu.Lock()
		byAddr[raft.ServerAddress(ln.Addr().String())] = s
		mu.Unlock()
		stores[i] = s
	}
	if err := stores[0].WaitReady(ctxFor(t)); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	for i, s := range stores[1:] {
		if err := stores[0].AddServer(ctxFor(t), fmt.Sprintf("node%d", i+2), string(s.transport.LocalAddr()), i+2 <= voters); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range stores[1:] {
		if err := s.WaitReady(ctxFor(t)); err != nil {
			t.Fatalf("WaitReady on a follower: %v", err)
		}
	}
	return stores, kvs
}

// A commit made while the nudge of an earlier one is still on its way
// reaches the followers too: the followers apply everything the leader
// acknowledged without any later change to carry it.
func TestFollowersLearnEveryCommit(t *testing.T) {
	stores, kvs := testCluster(t, 3)
	leader := stores[0]
	// Bursts of concurrent changes on the leader and on a follower, so
	// that commits land while a nudge is in flight; after each burst
	// every follower applies all of it.
	for round := 0; round < 200; round++ {
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := leader
				if w == 3 {
					s = stores[1] // forwarded
				}
				set(t, s, fmt.Sprintf("w%d", w), fmt.Sprint(round))
			}()
		}
		wg.Wait()
		last := leader.LastApplied()
		for i, s := range stores[1:] {
			if err := s.WaitApplied(ctxFor(t), last); err != nil {
				t.Fatalf("round %d: node%d never applied entry %d, the leader's last: %v", round, i+2, last, err)
			}
			for w := 0; w < 4; w++ {
				wantValue(t, kvs[i+1], fmt.Sprintf("w%d", w), fmt.Sprint(round))
			}
		}
	}
}

// A forward that did not reach the leader (ErrNotSent: its port
// refused the connection) is sent again until it does, within the
// proposal's context; any other failure of the forward is returned at
// once, since the leader may have done the command.
func TestForwardNotSentIsRetried(t *testing.T) {
	stores, kvs := testCluster(t, 2)
	follower := stores[1]
	send := follower.forwardTo
	refusals := 3
	follower.forwardTo = func(ctx context.Context, leader raft.ServerAddress, data []byte) (uint64, error, error) {
		if refusals > 0 {
			refusals--
			return 0, nil, fmt.Errorf("%w: connect: connection refused", ErrNotSent)
		}
		return send(ctx, leader, data)
	}
	set(t, follower, "k", "v")
	if refusals != 0 {
		t.Fatalf("%d refusals left", refusals)
	}
	wantValue(t, kvs[0], "k", "v")

	follower.forwardTo = func(context.Context, raft.ServerAddress, []byte) (uint64, error, error) {
		return 0, nil, errors.New("connection reset by peer")
	}
	if _, err := follower.Propose(ctxFor(t), cmdSet, []byte("k=w")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a forward that may have reached the leader: %v, want ErrUnavailable at once", err)
	}
}
