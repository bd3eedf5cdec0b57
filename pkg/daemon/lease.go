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
)

// Leases. In a cluster every node that hosts resources holds a lease from
// the raft leader, renewed every DefaultLease/6. The lease's deadline goes
// to the node's guard (pkg/fence), a process apart from rgmd: if the
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
	ok    chan struct{} // closed and replaced at each renewal
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
	l.guard = g
	d.machine.Read(func(c *model.Config) { n, _ := c.Node(d.opts.NodeName); l.inc = n.Incarnation })
	go d.leaseLoop(ctx)
	first, cancel := context.WithTimeout(ctx, l.length)
	defer cancel()
	d.waitLease(first)
}

func (d *Daemon) leaseLoop(ctx context.Context) {
	l := d.lease
	every := l.length / 6
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		err := d.renewLease(ctx, every)
		switch {
		case errors.Is(err, errFenced), errors.Is(err, errGuardFenced):
			d.opts.Logger.Error("this node was fenced while rgmd ran (frozen, or cut off from the others): its resources' processes were ended; rgmd stops so that its supervisor starts it afresh", "err", err)
			if l.guard != nil {
				if ferr := l.guard.Fence(); ferr != nil {
					d.opts.Logger.Error("asking the guard to fence", "err", ferr)
				}
			}
			d.stop(errFenced)
			return
		case err != nil && ctx.Err() == nil:
			d.opts.Logger.Debug("lease not renewed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// renewLease asks the leader once.
func (d *Daemon) renewLease(ctx context.Context, timeout time.Duration) error {
	l := d.lease
	l.mu.Lock()
	inc := l.inc
	l.mu.Unlock()
	sent := monoNow()
	var rep leaseReply
	addr, _ := d.store.Leader()
	switch {
	case d.store.IsLeader():
		rep = d.grantLease(leaseArgs{Node: d.opts.NodeName, Incarnation: inc})
	case addr == "":
		return errors.New("no leader")
	default:
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := d.cs.cl.Call(cctx, addr, opLease, leaseArgs{Node: d.opts.NodeName, Incarnation: inc}, &rep)
		cancel()
		if err != nil {
			return err
		}
	}
	if !rep.OK {
		return fmt.Errorf("%w: incarnation %d, the log says %d", errFenced, inc, rep.Incarnation)
	}
	until := sent + int64(l.length)
	if l.guard != nil {
		if err := l.guard.Lease(inc, until); err != nil {
			return err
		}
	}
	l.mu.Lock()
	if until > l.until {
		l.until = until
	}
	if l.ok != nil {
		close(l.ok)
	}
	l.ok = make(chan struct{})
	l.mu.Unlock()
	return nil
}

// grantLease is the leader's answer: yes, unless the node was fenced
// since it took its incarnation.
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
	if !d.store.IsLeader() {
		return nil, scha.Errorf(scha.ErrReconf, "not the leader")
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

// waitLease waits for a valid lease until ctx ends.
func (d *Daemon) waitLease(ctx context.Context) bool {
	for {
		ok, renewed := d.lease.valid()
		if ok {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-renewed:
		}
	}
}

// mayStart is asked before anything that starts a resource's processes
// runs: on a cluster node, a valid lease, waited for up to one lease
// length. Without it the node is cut off from the quorum (or fenced), and
// whatever it started might run beside the same group on another node.
func (d *Daemon) mayStart() error {
	if d.lease == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.lease.length)
	defer cancel()
	if d.waitLease(ctx) {
		return nil
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
