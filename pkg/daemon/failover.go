package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Failover between nodes, the leader's side. Every node drives its own
// groups toward the Desired state the log records for it; the leader
// decides those Desired states when a node is lost, and establishes when
// a lost node's groups may start elsewhere:
//
//   - A lost node (memberlist says DOWN) that the log shows holding no
//     group (all OFFLINE or UNMANAGED there) needs nothing: it cannot start
//     one without recording it first, and it cannot record anything
//     without the quorum. Its groups simply move.
//   - A lost node that holds a group must be known to have stopped it
//     first. Its guard says so when it ended the node's processes at
//     its lease's end (opFenced, from the guard, over the node's own
//     certificate); or the node's fence agent (rgmadm node set
//     --fence-agent) confirms the node is off. Either is recorded as
//     CmdNodeFenced, which sets the node's states OFFLINE and raises its
//     incarnation, so that its old rgmd can change nothing any more.
//   - With neither, the groups stay where they are, and rgmadm status
//     says why: a node whose every process is frozen, or which is cut off
//     from the network, cannot be told from one that is off, as
//     Pacemaker will not recover without STONITH.

const opFenced = "fenced"

type fencedArgs struct {
	Node        string `json:"node"`
	Incarnation int    `json:"incarnation"`
}

// failover is the leader's bookkeeping; it lives on every node, used
// while the node leads.
type failover struct {
	poke chan struct{}

	mu       sync.Mutex
	joined   []string             // nodes that came up since the last turn (Failback)
	index    *engine.Index        // placement's index of the configuration
	indexSeq uint64               // the configuration's Seq it was made at
	why      map[string]string    // group → why placement could not place it
	fencing  map[string]int       // node → incarnation being fenced by its agent
	retryAt  map[string]time.Time // node → when its agent may be run again
	blocked  map[string]string    // node → why its groups wait
}

// fenceAgentRun runs a node's fence agent to turn it off (set when the
// fence agents are built in: fence.go).
var fenceAgentRun = func(ctx context.Context, dev model.FenceDevice, node string) error {
	return scha.Errorf(scha.ErrInternal, "fence agents are not built into this rgmd")
}

// pokeFailover asks the leader's loop to look again.
func (d *Daemon) pokeFailover() {
	if d.fo == nil {
		return
	}
	select {
	case d.fo.poke <- struct{}{}:
	default:
	}
}

// failoverLoop is the leader's: a turn every failoverEvery, and when
// poked. A follower has nothing to look at: it sleeps until poked or
// until raft says it leads (the store's LeaderCh, which nothing else
// reads), rather than waking every failoverEvery to ask; it counts the
// leadership's changes and wakes the reconcile loop on a new leader.
func (d *Daemon) failoverLoop(ctx context.Context) {
	t := time.NewTicker(failoverEvery)
	defer t.Stop()
	ticking := true
	was := d.store.IsLeader()
	caughtUp := false // this leadership's copy of the log is applied
	for {
		lead := d.store.IsLeader()
		if lead != was {
			d.metrics.leaderChanged()
			if lead {
				d.pokeReconcile() // it sleeps on a follower
			}
			was = lead
		}
		tickWhile(t, &ticking, lead, failoverEvery)
		if !lead {
			caughtUp = false
		} else if !caughtUp {
			// A new leader holds every entry the last one committed,
			// but may not have applied them all yet: a decision from
			// that copy could move a group the last leader had just
			// moved, or put two groups in a node's one slot. A barrier
			// (an entry of this term, applied after all the others)
			// comes first.
			bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			caughtUp = d.store.WaitReady(bctx) == nil && d.store.IsLeader()
			cancel()
		}
		if lead && caughtUp {
			d.failoverTurn(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.fo.poke:
		case <-d.store.LeaderCh():
		}
	}
}

// tickWhile keeps t ticking every `every` while on, stopped otherwise: a
// loop that has nothing to do on this node (a follower's) sleeps until
// poked. ticking says whether t runs, and is updated.
func tickWhile(t *time.Ticker, ticking *bool, on bool, every time.Duration) {
	switch {
	case on && !*ticking:
		t.Reset(every)
	case !on && *ticking:
		t.Stop()
	}
	*ticking = on
}

// failoverEvery is how often the leader looks for lost nodes' groups
// besides when a node goes down or a command is committed.
const failoverEvery = 250 * time.Millisecond

// lostNode is a node the leader sees down, as the log has it.
type lostNode struct {
	model.Node
	holds bool
}

func (d *Daemon) failoverTurn(ctx context.Context) {
	fo := d.fo
	fo.mu.Lock()
	joined := fo.joined
	fo.joined = nil
	fo.mu.Unlock()
	var lost []lostNode
	var dec engine.Decision
	var stale []string // marked groups already wanted on an up node
	refused := map[string][]string{}
	place := func(c *model.Config) {
		in := engine.PlaceInput{Config: c, Nodes: map[string]engine.NodeStatus{}, Now: time.Now().Unix(), Joined: joined, Refused: refused, Preempt: true}
		if fo.index == nil || fo.indexSeq != c.Seq {
			fo.index, fo.indexSeq = engine.NewIndex(c), c.Seq
		}
		in.Index = fo.index
		groups := map[string]bool{}
		for _, n := range c.Nodes {
			up := d.nodeUp(n.Name)
			holds := !up && c.Holds(n.Name)
			in.Nodes[n.Name] = engine.NodeStatus{Up: up, Witness: n.Witness, Fenced: holds}
			if !up && !n.Witness {
				lost = append(lost, lostNode{Node: n, holds: holds})
				for _, g := range fo.index.WantedOn(c, n.Name) {
					groups[g] = true
				}
			}
		}
		for _, n := range joined {
			for _, g := range fo.index.OnNode(n) {
				groups[g] = true
			}
		}
		// Groups waiting for room (preempted, or preempting: Place looks
		// at them each time) unless the mark is stale.
		stale = stale[:0]
		waiting := false
		for _, g := range c.Preempted() {
			if wantedUp(c, g, d.nodeUp) {
				stale = append(stale, g)
			} else {
				waiting = true
			}
		}
		if len(groups) == 0 && !waiting {
			return
		}
		in.Groups = []string{} // not nil: that would be every group
		for g := range groups {
			in.Groups = append(in.Groups, g)
		}
		sort.Strings(in.Groups)
		dec = engine.Place(in)
	}
	d.machine.Read(place)
	// Monitor_check on each node a group moves to; where it fails, decide
	// again without that node (a few rounds at most).
	for round := 0; round < 3 && len(dec.Moves) > 0; round++ {
		failed := d.checkMoves(ctx, dec)
		if len(failed) == 0 {
			break
		}
		for g, ns := range failed {
			refused[g] = append(refused[g], ns...)
		}
		lost = lost[:0]
		d.machine.Read(place)
	}
	fo.mu.Lock()
	for n := range fo.blocked {
		if !slices.ContainsFunc(lost, func(l lostNode) bool { return l.Name == n && l.holds }) {
			delete(fo.blocked, n)
		}
	}
	fo.why = dec.Blocked
	fo.mu.Unlock()
	for _, n := range lost {
		if n.holds {
			d.fenceLost(ctx, n.Node)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if len(stale) > 0 {
		if err := d.propose(pctx, store.CmdClearPreempt, store.ClearPreemptCmd{Groups: stale}); err != nil {
			d.opts.Logger.Warn("clearing preemption marks", "err", err)
		}
	}
	if len(dec.Changes) == 0 && len(dec.Preempted) == 0 {
		return
	}
	var err error
	engine.MarkRetry(dec.Changes) // the leader's placement: START_FAILED resources are retried there
	if len(dec.Preempted) > 0 {
		// The victims go with their marks, in one entry.
		err = d.propose(pctx, store.CmdPreempt, store.PreemptCmd{Origin: originPlacement, Changes: dec.Changes, Marks: dec.Preempted})
	} else {
		err = d.propose(pctx, store.CmdSetState, store.StateCmd{Origin: originPlacement, Changes: dec.Changes})
	}
	if err != nil {
		d.opts.Logger.Warn("placing groups", "err", err)
		fo.mu.Lock()
		fo.joined = append(fo.joined, joined...) // try again
		fo.mu.Unlock()
		return
	}
	for _, m := range dec.Moves {
		d.opts.Logger.Info("placement: "+m.Why, "group", m.Group, "from", m.From, "to", m.To)
	}
}

// wantedUp reports whether group is wanted online on a node that is up.
func wantedUp(c *model.Config, group string, up func(string) bool) bool {
	for n, st := range c.Groups[group].Nodes {
		if st.Desired == model.RGStateOnline && up(n) {
			return true
		}
	}
	return false
}

// originPlacement is the Origin of the leader's placement batches: not a
// node, so every node (the leader's own engine too) re-reads them.
const originPlacement = "placement"

// fenceLost fences a lost node that holds groups with its fence agent,
// once per incarnation at a time, or records why its groups wait.
func (d *Daemon) fenceLost(ctx context.Context, n model.Node) {
	fo := d.fo
	fo.mu.Lock()
	defer fo.mu.Unlock()
	if n.Fence == nil {
		fo.blocked[n.Name] = lostWaiting(n)
		return
	}
	if inc, ok := fo.fencing[n.Name]; ok && inc == n.Incarnation {
		return
	}
	if time.Now().Before(fo.retryAt[n.Name]) {
		return
	}
	fo.fencing[n.Name] = n.Incarnation
	fo.blocked[n.Name] = fmt.Sprintf("node %s is down: fencing it with %s", n.Name, n.Fence.Agent)
	go func() {
		err := d.fenceWithAgent(ctx, n, "lost from the cluster")
		fo.mu.Lock()
		delete(fo.fencing, n.Name)
		if err != nil {
			fo.retryAt[n.Name] = time.Now().Add(5 * time.Second)
			fo.blocked[n.Name] = fmt.Sprintf("node %s is down and fencing it failed (retried every 5 s): %v", n.Name, err)
		}
		fo.mu.Unlock()
		d.pokeFailover()
	}()
}

// lostWaiting says why a lost node's groups wait.
func lostWaiting(n model.Node) string {
	if n.Fence == nil {
		return fmt.Sprintf("node %s is down and may still run its groups: no fence agent is configured for it (rgmadm node set %s --fence-agent ...) and its guard has not reported that it ended them", n.Name, n.Name)
	}
	return fmt.Sprintf("node %s is down: the leader fences it with %s", n.Name, n.Fence.Agent)
}

// nodeSet is `rgmadm node set`: a node's fence device, its load
// limits, or both (load limits first).
func (d *Daemon) nodeSet(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NodeSetArgs](raw)
	if err != nil {
		return nil, err
	}
	if a.LoadLimit != "" || a.LoadLimitSoft != "" {
		if err := d.setLoadLimits(ctx, a); err != nil {
			return nil, err
		}
		if a.FenceAgent == "" && !a.NoFence {
			return nil, nil
		}
	}
	cmd := store.FenceCmd{Node: a.Name}
	if !a.NoFence {
		cmd.Device = &model.FenceDevice{Agent: a.FenceAgent, Params: a.FenceParams}
	}
	return nil, d.propose(ctx, store.CmdSetFence, cmd)
}

// fenceWithAgent runs n's fence agent, then records the node fenced.
func (d *Daemon) fenceWithAgent(ctx context.Context, n model.Node, why string) error {
	log := d.opts.Logger.With("node", n.Name, "agent", n.Fence.Agent)
	log.Warn("fencing node: " + why)
	start := time.Now()
	if err := fenceAgentRun(ctx, *n.Fence, n.Name); err != nil {
		log.Error("fencing failed", "err", err)
		return err
	}
	log.Warn("node fenced", "took", time.Since(start).Round(time.Millisecond))
	return d.recordFenced(ctx, n.Name, n.Incarnation, "fence agent "+n.Fence.Agent)
}

// recordFenced records that node, under incarnation inc, stopped
// everything. A refusal because the incarnation moved on already is
// success: somebody recorded it first.
func (d *Daemon) recordFenced(ctx context.Context, node string, inc int, how string) error {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := d.propose(pctx, store.CmdNodeFenced, store.NodeFencedCmd{Node: node, Incarnation: inc, How: how, Now: time.Now().Unix()})
	if err != nil && scha.CodeOf(err) == scha.ErrReconf && strings.Contains(err.Error(), "already fenced") {
		return nil
	}
	return err
}

// peerFenced is a node's guard saying it ended the node's processes at
// its lease's end. Only the node itself may say it (its certificate).
func (d *Daemon) peerFenced(ctx context.Context, peer string, body json.RawMessage) (any, error) {
	var a fencedArgs
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, scha.Errorf(scha.ErrInval, "bad fenced report: %v", err)
	}
	if a.Node != peer {
		return nil, scha.Errorf(scha.ErrAccess, "node %s reported node %s fenced", peer, a.Node)
	}
	inc := a.Incarnation
	d.opts.Logger.Warn("node's guard ended its resources' processes", "node", a.Node, "incarnation", inc)
	if err := d.recordFenced(ctx, a.Node, inc, "its guard, at its lease's end"); err != nil {
		return nil, err
	}
	return nil, nil
}

// fenceBlocked is why node's groups wait, as the leader sees it (this
// node when it leads), for rgmadm status.
func (d *Daemon) fenceBlocked() map[string]string {
	if d.fo == nil {
		return nil
	}
	d.fo.mu.Lock()
	defer d.fo.mu.Unlock()
	out := make(map[string]string, len(d.fo.blocked))
	for k, v := range d.fo.blocked {
		out[k] = v
	}
	return out
}

// nodeFence is `rgmadm node fence NODE`: run the node's fence agent now
// (on this node), and record the node fenced.
func (d *Daemon) nodeFence(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	var n model.Node
	var ok bool
	d.machine.Read(func(c *model.Config) { n, ok = c.Node(a.Name) })
	switch {
	case !ok:
		return nil, scha.Errorf(scha.ErrNode, "no node %q in this cluster", a.Name)
	case a.Name == d.opts.NodeName:
		return nil, scha.Errorf(scha.ErrInval, "node %s cannot fence itself from here: run rgmadm node fence on another node", a.Name)
	case n.Fence == nil:
		return nil, scha.Errorf(scha.ErrInval, "node %s has no fence agent (rgmadm node set %s --fence-agent fence_... -p key=value)", a.Name, a.Name)
	}
	return nil, d.fenceWithAgent(ctx, n, "asked by rgmadm node fence")
}

// methodEnv is the environment of every method: methods.Env and, on a
// cluster node, the node's RGM_FENCE_TAG.
func (d *Daemon) methodEnv(binDir string) []string {
	env := methods.Env(d.opts.Socket, binDir)
	if d.lease != nil {
		env = append(env, "RGM_FENCE_TAG="+d.lease.tag)
	}
	return env
}

// placementWhy says, for each group placement cannot put where it is
// wanted, why: placement's own reasons (decided here, from this node's
// view, changing nothing), and for a group held by a lost node what it
// waits for.
func (d *Daemon) placementWhy() map[string]string {
	var dec engine.Decision
	waiting := map[string]string{}
	blocked := d.fenceBlocked()
	d.machine.Read(func(c *model.Config) {
		in := engine.PlaceInput{Config: c, Nodes: d.placeNodes(c), Now: time.Now().Unix(), Preempt: true}
		for _, n := range c.Nodes {
			if d.nodeUp(n.Name) || n.Witness {
				continue
			}
			for g := range c.Groups {
				if c.GroupHeld(g, n.Name) {
					w := blocked[n.Name]
					if w == "" {
						w = lostWaiting(n)
					}
					waiting[g] = w
				}
			}
		}
		dec = engine.Place(in)
	})
	for g, w := range waiting {
		dec.Blocked[g] = w
	}
	return dec.Blocked
}
