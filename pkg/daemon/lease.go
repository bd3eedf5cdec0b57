package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
)

// Leases. In a cluster every node that hosts resources holds a lease from
// the leader or a majority of the raft voters, renewed every
// DefaultLease/6 while it holds a group or its guard is armed; a node
// that holds nothing renews only when it is about to start something
// (mayStart) or the log shows it holding a group or fenced. The lease's deadline goes to the node's guard (pkg/fence), a process apart from rgmd: if the
// deadline passes (rgmd killed or frozen, or cut off from the quorum so
// that no leader answers it), the guard ends every process of the node's
// resources and reports it to the cluster, which then starts the groups
// elsewhere (failover.go). rgmd itself starts nothing (a Start,
// Prenet_start or Monitor_start method, or a process monitor restart)
// without a lease valid for a while yet (mayStart).
//
// The deadline is counted from before the request was sent (the holder's
// side of a lease), on CLOCK_MONOTONIC, which rgmd and its guard share.
// Safety does not rest on the lease: the others move a lost node's
// groups only once its guard said it ended them, or a fence agent said
// the node is off. The lease bounds how long a node cut off from the
// quorum keeps its services (Solaris' failfast; Pacemaker's
// no-quorum-policy=stop), and so how soon its guard can report.

// DefaultLease is a lease's length: well above a leader election (about
// 1 s with the default --raft-timeout), so that losing the leader fences
// nobody.
const DefaultLease = 3 * time.Second

// startMargin: mayStart wants the lease to last at least this much longer,
// so that nothing is started an instant before the guard fires.
const startMargin = 200 * time.Millisecond

const opLease = "lease"

type leaseArgs struct {
	Node        string `json:"node"`
	Incarnation int    `json:"incarnation"`
}

type leaseReply struct {
	OK          bool `json:"ok"`
	Incarnation int  `json:"incarnation"` // the node's, as the log says
}

// leaseGuard is what rgmd tells its guard (pkg/fence).
type leaseGuard interface {
	// Lease sets the deadline (CLOCK_MONOTONIC nanoseconds) by which the
	// guard fences unless renewed; an error of errGuardFenced says the
	// guard fenced this incarnation already.
	Lease(incarnation int, deadline int64) error
	// Fence ends every process of the node's resources now.
	Fence() error
	// Peers are the cluster addresses the guard reports a fencing to.
	Peers(addrs []string) error
	// Release disarms the guard: nothing of the node's is to be guarded.
	Release() error
	Close() error
}

var (
	errGuardFenced = errors.New("the guard fenced this node's resources")
	errFenced      = errors.New("this node was fenced by the cluster")
)

// leaseState is this node's side of its lease.
type leaseState struct {
	length time.Duration
	tag    string // RGM_FENCE_TAG of this node's methods

	mu    sync.Mutex
	inc   int   // the incarnation this rgmd runs under
	until int64 // CLOCK_MONOTONIC ns; 0: no lease
	guard leaseGuard
	// armed says the guard holds the lease's deadline. A node that holds
	// no group (every one OFFLINE or UNMANAGED there) keeps its guard
	// disarmed: cut off from the quorum, it has nothing to end, and no
	// reason to be fenced; the guard is armed again before anything
	// starts (mayStart).
	armed bool
	ok    chan struct{} // closed and replaced at each renewal
	// wake makes leaseLoop look again at whether the lease is needed:
	// a start waits for one, the guard was armed, or a command was
	// committed (the node may hold a group now).
	wake chan struct{}
}

// poke wakes leaseLoop.
func (l *leaseState) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// monoNow is CLOCK_MONOTONIC in nanoseconds.
func monoNow() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(fmt.Sprintf("clock_gettime(CLOCK_MONOTONIC): %v", err))
	}
	return ts.Nano()
}

// fenceTag reads the node's RGM_FENCE_TAG, making it on first use: every
// method inherits it in its environment, and whatever it starts keeps it,
// which is how the guard and the harness's fence agent find them.
func fenceTag(stateDir string) (string, error) {
	file := filepath.Join(stateDir, "fence.tag")
	if b, err := os.ReadFile(file); err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	t := hex.EncodeToString(b[:])
	if err := os.WriteFile(file, []byte(t+"\n"), 0o600); err != nil {
		return "", err
	}
	return t, nil
}

// hostsResources says whether this node holds a lease at all: a cluster
// node that is not a witness.
func (d *Daemon) hostsResources() bool {
	if !d.clustered() {
		return false
	}
	var witness bool
	d.machine.Read(func(c *model.Config) { n, _ := c.Node(d.opts.NodeName); witness = n.Witness })
	return !witness
}

// incarnation is the one this rgmd runs under (0 on a single node).
func (d *Daemon) incarnation() int {
	if d.lease == nil {
		return 0
	}
	d.lease.mu.Lock()
	defer d.lease.mu.Unlock()
	return d.lease.inc
}

// startLease takes this node's incarnation from the log, starts the
// renewals and waits a little for the first, so that crash recovery's
// methods usually find a lease.
func (d *Daemon) startLease(ctx context.Context, g leaseGuard) {
	l := d.lease
	if guardFencedBefore != nil {
		guardFencedBefore(ctx, d)
	}
	var inc int
	d.machine.Read(func(c *model.Config) { n, _ := c.Node(d.opts.NodeName); inc = n.Incarnation })
	l.mu.Lock()
	// Armed, as far as this rgmd knows: a guard left armed by the last
	// rgmd is released at the first renewal if the node holds nothing.
	l.guard, l.inc, l.armed = g, inc, true
	l.mu.Unlock()
	go d.leaseLoop(ctx)
	first, cancel := context.WithTimeout(ctx, l.length)
	defer cancel()
	d.waitLease(first)
}

// leaseLoop renews the lease every length/6 while leaseNeeded, and
// otherwise sleeps until poked: an idle node (one that holds nothing,
// its guard disarmed) sends nobody anything, and a start waits for one
// renewal.
func (d *Daemon) leaseLoop(ctx context.Context) {
	l := d.lease
	every := l.length / 6
	t := time.NewTicker(every)
	defer t.Stop()
	ticking, renew := true, true
	// asked: a start is waiting for a lease (woken with none valid);
	// retry: a renewal it asked for failed (no leader yet, say), so the
	// loop keeps renewing every length/6 until one succeeds rather than
	// leave the start waiting for the next poke.
	asked, retry := false, false
	for {
		if renew {
			err := d.renewLease(ctx, every)
			retry = err != nil && (asked || retry)
			asked = false
			switch {
			case errors.Is(err, errFenced), errors.Is(err, errGuardFenced):
				d.opts.Logger.Error("this node was fenced while rgmd ran (frozen, or cut off from the others): its resources' processes were ended; rgmd stops so that its supervisor starts it afresh", "err", err)
				if g := l.getGuard(); g != nil {
					if ferr := g.Fence(); ferr != nil {
						d.opts.Logger.Error("asking the guard to fence", "err", ferr)
					}
				}
				d.stop(errFenced)
				return
			case err != nil && ctx.Err() == nil:
				d.opts.Logger.Debug("lease not renewed", "err", err)
			}
		}
		tickWhile(t, &ticking, retry || d.leaseNeeded(), every)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			renew = true
		case <-l.wake:
			// A start waiting for a lease, or a node that holds a
			// group since the last look, renews now; a renewal every
			// length/6 is enough for the rest.
			valid, _ := l.valid()
			asked = asked || !valid
			renew = !valid || !ticking && d.leaseNeeded()
		}
	}
}

// leaseNeeded says whether the lease is renewed every length/6: while
// the guard is armed (it holds the deadline), or the log shows this
// node holding a group (the next renewal arms the guard) or fenced
// since this rgmd took its incarnation (the next renewal says so, and
// rgmd starts afresh). A node that holds nothing needs no lease until
// it starts something, and mayStart asks for one then.
func (d *Daemon) leaseNeeded() bool {
	l := d.lease
	l.mu.Lock()
	armed, inc := l.armed, l.inc
	l.mu.Unlock()
	if armed {
		return true
	}
	var need bool
	d.machine.Read(func(c *model.Config) {
		n, _ := c.Node(d.opts.NodeName)
		need = n.Incarnation != inc || c.Holds(d.opts.NodeName)
	})
	return need
}

// renewLease renews the lease when the leader, or a majority of the raft
// voters (this node counting for itself), says yes within timeout: a
// node on the minority side of a partition gets neither, and one the
// cluster fenced is told so. The leader is asked alone first, and every
// voter at once only when it does not say yes within half the timeout
// (or no leader is known): a majority as well as the leader, so that
// electing a new leader (about a second) costs nobody their lease.
// Asking every voter every time cost each node a request per voter at
// each renewal, and each voter one from every node.
func (d *Daemon) renewLease(ctx context.Context, timeout time.Duration) error {
	l := d.lease
	l.mu.Lock()
	inc, guard := l.inc, l.guard
	l.mu.Unlock()
	sent := monoNow()
	servers, err := d.store.Servers()
	if err != nil {
		return err
	}
	addrs := map[string]string{}
	d.machine.Read(func(c *model.Config) {
		for _, n := range c.Nodes {
			addrs[n.Name] = n.Addr
		}
	})
	// The leader needs nobody: raft steps it down when it has not heard
	// from a majority for its leader lease (400 ms).
	if d.store.IsLeader() {
		if rep := d.grantLease(leaseArgs{Node: d.opts.NodeName, Incarnation: inc}); !rep.OK {
			return fmt.Errorf("%w: incarnation %d, the log says %d", errFenced, inc, rep.Incarnation)
		}
		return d.leaseRenewed(sent, inc, guard)
	}
	_, leader := d.store.Leader()
	args := leaseArgs{Node: d.opts.NodeName, Incarnation: inc}
	if addr := addrs[leader]; addr != "" && isVoter(servers, leader) {
		start := time.Now()
		lctx, cancel := context.WithTimeout(ctx, timeout/2)
		var rep leaseReply
		err := d.cs.cl.Call(lctx, addr, opLease, args, &rep)
		cancel()
		switch {
		case err == nil && rep.OK:
			return d.leaseRenewed(sent, inc, guard)
		case err == nil && rep.Incarnation > inc:
			return fmt.Errorf("%w: incarnation %d, the log says %d", errFenced, inc, rep.Incarnation)
		}
		timeout -= time.Since(start)
		if timeout <= 0 {
			if err == nil {
				err = errors.New("it refused")
			}
			return fmt.Errorf("the leader %s did not renew the lease: %w", leader, err)
		}
	}
	voters, yes := 0, 0
	type answer struct {
		from string
		rep  leaseReply
		err  error
	}
	answers := make(chan answer, len(servers))
	asked := 0
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, s := range servers {
		if !s.Voter {
			continue
		}
		voters++
		if s.ID == d.opts.NodeName {
			if rep := d.grantLease(args); rep.OK {
				yes++
			} else {
				return fmt.Errorf("%w: incarnation %d, the log says %d", errFenced, inc, rep.Incarnation)
			}
			continue
		}
		addr := addrs[s.ID]
		if addr == "" {
			continue
		}
		asked++
		go func(id string) {
			var rep leaseReply
			err := d.cs.cl.Call(cctx, addr, opLease, args, &rep)
			answers <- answer{id, rep, err}
		}(s.ID)
	}
	// The leader's yes is enough (it has a majority behind it); so is a
	// majority's, while there is no leader.
	byLeader := false
	var fenced *leaseReply
	for ; asked > 0 && yes <= voters/2 && !byLeader; asked-- {
		a := <-answers
		switch {
		case a.err != nil:
		case a.rep.OK:
			yes++
			byLeader = a.from == leader
		case a.rep.Incarnation > inc:
			fenced = &a.rep
		}
	}
	if fenced != nil {
		return fmt.Errorf("%w: incarnation %d, the log says %d", errFenced, inc, fenced.Incarnation)
	}
	if yes <= voters/2 && !byLeader {
		return fmt.Errorf("%d of %d voters renewed the lease, not the leader: no majority", yes, voters)
	}
	return d.leaseRenewed(sent, inc, guard)
}

// isVoter says whether node is a voter of servers.
func isVoter(servers []store.Server, node string) bool {
	for _, s := range servers {
		if s.ID == node {
			return s.Voter
		}
	}
	return false
}

// leaseRenewed extends the lease to sent + its length, the guard first.
func (d *Daemon) leaseRenewed(sent int64, inc int, guard leaseGuard) error {
	l := d.lease
	until := sent + int64(l.length)
	var holds bool
	d.machine.Read(func(c *model.Config) { holds = c.Holds(d.opts.NodeName) })
	l.mu.Lock()
	armed := l.armed
	l.mu.Unlock()
	if guard != nil {
		switch {
		case holds || armed && d.busy():
			if err := guard.Lease(inc, until); err != nil {
				return err
			}
			armed = true
		case armed:
			if err := guard.Release(); err != nil {
				return err
			}
			armed = false
		}
	}
	l.mu.Lock()
	l.armed = armed
	if until > l.until {
		l.until = until
	}
	if l.ok != nil {
		close(l.ok)
	}
	l.ok = make(chan struct{})
	l.mu.Unlock()
	d.metrics.leaseRenewed()
	return nil
}

// grantLease is a voter's answer: yes, unless the node was fenced since
// it took its incarnation (as far as this voter's log goes).
func (d *Daemon) grantLease(a leaseArgs) leaseReply {
	var rep leaseReply
	d.machine.Read(func(c *model.Config) {
		n, ok := c.Node(a.Node)
		rep.Incarnation = n.Incarnation
		rep.OK = ok && n.Incarnation == a.Incarnation && !n.Witness
	})
	return rep
}

func (d *Daemon) peerLease(peer string, body json.RawMessage) (any, error) {
	var a leaseArgs
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, scha.Errorf(scha.ErrInval, "bad lease request: %v", err)
	}
	if a.Node != peer {
		return nil, scha.Errorf(scha.ErrAccess, "node %s asked a lease for node %s", peer, a.Node)
	}
	return d.grantLease(a), nil
}

// valid says whether the lease lasts at least startMargin more, and
// gives the channel closed at the next renewal.
func (l *leaseState) valid() (bool, chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ok == nil {
		l.ok = make(chan struct{})
	}
	return l.until != 0 && monoNow()+int64(startMargin) < l.until, l.ok
}

// waitLease waits for a valid lease until ctx ends, asking leaseLoop
// for a renewal (an idle node renews none of its own).
func (d *Daemon) waitLease(ctx context.Context) bool {
	for {
		ok, renewed := d.lease.valid()
		if ok {
			return true
		}
		d.lease.poke()
		select {
		case <-ctx.Done():
			return false
		case <-renewed:
		}
	}
}

// mayStart is asked before anything that starts a resource's processes
// runs: on a cluster node, a valid lease, waited for up to one lease
// length, and the guard armed with it. Without it the node is cut off
// from the quorum (or fenced), and whatever it started might run beside
// the same group on another node.
func (d *Daemon) mayStart() error {
	if d.lease == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.lease.length)
	defer cancel()
	if d.waitLease(ctx) {
		return d.arm()
	}
	return scha.Errorf(scha.ErrCluster, "node %s holds no lease from the cluster (it lost contact with the quorum, or was fenced): nothing is started", d.opts.NodeName)
}

// startsProcesses says whether method starts a resource's processes.
func startsProcesses(method string) bool {
	switch method {
	case "Start", "Prenet_start", "Monitor_start":
		return true
	}
	return false
}

func (l *leaseState) getGuard() leaseGuard {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.guard
}

// leaseOK is mayStart without waiting, for the process monitor's
// restarts, decided under its lock.
func (d *Daemon) leaseOK() error {
	if d.lease == nil {
		return nil
	}
	if ok, _ := d.lease.valid(); ok {
		return nil
	}
	return scha.Errorf(scha.ErrCluster, "node %s holds no lease from the cluster: nothing is restarted", d.opts.NodeName)
}

// startGuard starts (or finds) the node's guard. Set by guard.go once the
// guard is built in; until then a node has no guard, and says so.
var startGuard = func(d *Daemon) (leaseGuard, error) {
	d.opts.Logger.Warn("this rgmd has no guard: a node cut off from the cluster keeps its resources' processes running")
	return nil, nil
}

// guardFencedBefore, set by guard.go, records a fencing the guard did
// while no rgmd ran.
var guardFencedBefore func(ctx context.Context, d *Daemon)

// arm gives the guard the lease's deadline if it does not hold it yet.
func (d *Daemon) arm() error {
	l := d.lease
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.armed || l.guard == nil {
		return nil
	}
	if err := l.guard.Lease(l.inc, l.until); err != nil {
		return scha.Errorf(scha.ErrCluster, "node %s: its guard refuses the lease: %v", d.opts.NodeName, err)
	}
	l.armed = true
	l.poke() // renewed every length/6 from now on
	return nil
}

// busy says whether a method runs on this node (a group may hold nothing
// in the log yet while its Start runs: keep the guard armed meanwhile).
func (d *Daemon) busy() bool {
	return d.tracker != nil && d.tracker.Running() > 0
}
