package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/openrgm/openrgm/pkg/cluster"
	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The cluster side of rgmd: with --cluster-addr the node opens its
// cluster port (pkg/cluster), its raft log talks to the other voters
// over it, proposals made here go to the leader, and memberlist says
// which nodes are up. This file wires that to the store and answers the
// requests other nodes send.

// Defaults of the cluster's knobs.
const (
	DefaultTokenTTL = time.Hour
	// nodeCertTTL is a node certificate's life. Renewal is not
	// implemented: a node whose certificate expired re-joins with a
	// new token (rgmd(8)).
	nodeCertTTL = 10 * 365 * 24 * time.Hour
	// maxVoters: joining nodes become raft voters up to this many, then
	// non-voters, which follow the log without taking part in quorum.
	maxVoters = 5
)

// Cluster ops between nodes (pkg/cluster's requests).
const (
	opPropose = "propose"
	opIndex   = "index" // → the leader's last applied command (store.CatchUp)
)

type proposeArgs struct {
	Data []byte `json:"data"`
}

type proposeReply struct {
	Index     uint64       `json:"index"`
	NotLeader bool         `json:"not_leader,omitempty"`
	Code      scha.ErrCode `json:"code,omitempty"`
	Message   string       `json:"message,omitempty"`
}

// clusterSide is what the daemon keeps of the cluster.
type clusterSide struct {
	cl       *cluster.Cluster
	dir      string // the trust files: ca.pem, ca.key, node.pem, node.key
	joining  bool   // joined by --join this start: not caught up yet
	caughtUp bool

	mu    sync.Mutex
	poke  chan struct{} // node membership changed: reconcile raft's voters
	first bool          // this start made the node the first of a cluster
}

func (d *Daemon) clustered() bool { return d.cs != nil }

// openCluster opens the cluster port and, for a node that has no
// certificate yet, joins through --join or becomes the first node of a
// cluster (its certificate is made once the log is open, in
// finishCluster). It returns the store's cluster settings.
func (d *Daemon) openCluster(ctx context.Context) (store.Config, error) {
	o := d.opts
	cs := &clusterSide{dir: filepath.Join(o.StateDir, "trust"), poke: make(chan struct{}, 1)}
	d.cs = cs
	id, err := trust.LoadIdentity(cs.dir)
	switch {
	case err == nil:
		if id.NodeName() != o.NodeName {
			return store.Config{}, fmt.Errorf("the node certificate in %s is node %s's, not %s's: start with --node-name %s", cs.dir, id.NodeName(), o.NodeName, id.NodeName())
		}
		if o.Join != "" {
			o.Logger.Info("already a member of the cluster: --join and --token are ignored", "node", o.NodeName)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return store.Config{}, fmt.Errorf("node certificate: %w", err)
	case o.Join != "":
		id, err = d.join(ctx)
		if err != nil {
			return store.Config{}, err
		}
		cs.joining = true
	case o.Witness:
		return store.Config{}, errors.New("a witness joins a cluster that exists: give --join and --token")
	default:
		id = nil // the first node: made in finishCluster
		cs.first = true
	}
	cs.cl, err = cluster.Listen(cluster.Config{
		Addr: o.ClusterAddr, Advertise: o.ClusterAdvertise, Node: o.NodeName,
		Identity: id, Allow: d.allowPeer, Handler: d.peerRequest,
		Notify: d.nodeLiveness, Timing: o.Gossip, Logger: o.Logger,
	})
	if err != nil {
		return store.Config{}, err
	}
	return store.Config{Stream: cs.cl.Stream(), Advertise: cs.cl.Addr(), Join: cs.joining, Forward: d.forward, LeaderIndex: d.leaderIndex,
		HeartbeatTimeout: o.RaftTimeout, ElectionTimeout: o.RaftTimeout}, nil
}

// join asks a node of the cluster to let this one in, with the token.
func (d *Daemon) join(ctx context.Context) (*trust.Identity, error) {
	o := d.opts
	if o.Token == "" {
		return nil, errors.New("--join needs --token (from `rgmadm cluster token` on a node of the cluster)")
	}
	tok, err := trust.ParseToken(o.Token)
	if err != nil {
		return nil, fmt.Errorf("--token: %w", err)
	}
	if o.ClusterAdvertise == "" && o.ClusterAddr == "" {
		return nil, errors.New("--join needs --cluster-addr")
	}
	key, err := trust.NewKey()
	if err != nil {
		return nil, err
	}
	csr, err := trust.NewCSR(key, o.NodeName)
	if err != nil {
		return nil, err
	}
	addr := o.ClusterAdvertise
	if addr == "" {
		addr = o.ClusterAddr
	}
	jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rep, err := cluster.Join(jctx, o.Join, tok, cluster.JoinRequest{Node: o.NodeName, Addr: addr, CSR: csr, Witness: o.Witness})
	if err != nil {
		return nil, err
	}
	id, err := trust.NewIdentity(key, rep.Cert, rep.CACert)
	if err != nil {
		return nil, fmt.Errorf("join: the certificate received: %w", err)
	}
	if id.CAFingerprint() != tok.Fingerprint() {
		return nil, errors.New("join: the certificate received is not from the CA the token names")
	}
	ca, err := trust.ParseCA(rep.CACert, rep.CAKey)
	if err != nil {
		return nil, fmt.Errorf("join: the CA received: %w", err)
	}
	if err := ca.Save(d.cs.dir); err != nil {
		return nil, err
	}
	if err := trust.SaveIdentity(d.cs.dir, id); err != nil {
		return nil, err
	}
	o.Logger.Info("joined the cluster", "cluster", rep.Cluster, "node", o.NodeName, "id", rep.NodeID, "through", o.Join)
	return id, nil
}

// finishCluster runs once the log is replayed: the first node makes its
// CA and certificate and the gossip key, every node records its address
// and starts gossip and the leader's reconcile loop.
func (d *Daemon) finishCluster(ctx context.Context) error {
	cs := d.cs
	if err := d.propose(ctx, store.CmdInit, store.InitCmd{Node: d.opts.NodeName, Addr: cs.cl.Addr()}); err != nil {
		return fmt.Errorf("recording this node's cluster address: %w", err)
	}
	var nodeID int
	var cluster string
	var key []byte
	d.machine.Read(func(c *model.Config) {
		n, _ := c.Node(d.opts.NodeName)
		nodeID, cluster = n.ID, c.ClusterName
		if c.Trust != nil {
			key = c.Trust.GossipKey
		}
	})
	if cs.first {
		ca, err := trust.LoadOrCreateCA(cs.dir, cluster)
		if err != nil {
			return err
		}
		id, err := ca.IssueNode(d.opts.NodeName, nodeID, nodeCertTTL, time.Now())
		if err != nil {
			return err
		}
		if err := trust.SaveIdentity(cs.dir, id); err != nil {
			return err
		}
		cs.cl.SetIdentity(id)
	}
	if len(key) == 0 {
		k, err := trust.NewGossipKey()
		if err != nil {
			return err
		}
		if err := d.propose(ctx, store.CmdGossipKey, store.GossipKeyCmd{Key: k}); err != nil {
			return fmt.Errorf("recording the gossip key: %w", err)
		}
		d.machine.Read(func(c *model.Config) { key = c.Trust.GossipKey })
	}
	cs.mu.Lock()
	cs.caughtUp = true
	cs.mu.Unlock()
	if err := cs.cl.StartGossip(key, d.peerAddrs); err != nil {
		return err
	}
	go d.reconcileLoop(ctx)
	go d.failoverLoop(ctx)
	// Catch up with the leader before the engine decides anything from
	// this node's copy of the log (a restarted node's may lag: the log
	// refuses a start decided from it, model.checkStarts, but better not
	// to decide from it at all).
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if err := d.store.CatchUp(cctx); err != nil {
		d.opts.Logger.Warn("could not catch up with the leader before starting", "err", err)
	}
	cancel()
	if d.hostsResources() {
		tag, err := fenceTag(d.opts.StateDir)
		if err != nil {
			return fmt.Errorf("the node's fence tag: %w", err)
		}
		d.lease = &leaseState{length: d.opts.Lease, tag: tag, wake: d.leaseWake}
		g, err := startGuard(d)
		if err != nil {
			return fmt.Errorf("starting the node's guard: %w", err)
		}
		d.startLease(ctx, g)
	}
	return nil
}

// peerAddrs is every node's cluster address, by name.
func (d *Daemon) peerAddrs() map[string]string {
	addrs := map[string]string{}
	d.machine.Read(func(c *model.Config) {
		for _, n := range c.Nodes {
			addrs[n.Name] = n.Addr
		}
	})
	return addrs
}

// allowPeer is the TLS check of a peer node: a node of this cluster's
// configuration. A node that is still joining has no configuration yet,
// so it takes any certificate of its CA until it has caught up.
func (d *Daemon) allowPeer(node string) error {
	d.cs.mu.Lock()
	caughtUp := d.cs.caughtUp
	d.cs.mu.Unlock()
	var ok, empty bool
	d.machine.Read(func(c *model.Config) { ok, empty = c.HasNode(node), len(c.Nodes) == 0 })
	if ok || (!caughtUp && empty) {
		return nil
	}
	return fmt.Errorf("node %s is not a member of this cluster", node)
}

// forward is the store's ForwardFunc: a follower's proposal goes to the
// leader's cluster port.
func (d *Daemon) forward(ctx context.Context, leader raft.ServerAddress, data []byte) (uint64, error, error) {
	var rep proposeReply
	if err := d.cs.cl.Call(ctx, string(leader), opPropose, proposeArgs{Data: data}, &rep); err != nil {
		if cluster.Unreachable(err) {
			// Its port refused us (a leader just killed, still named
			// here): nothing was sent, and the store waits for the
			// next leader to send it there.
			return 0, nil, fmt.Errorf("%w: %w", store.ErrNotSent, err)
		}
		return 0, nil, err
	}
	if rep.NotLeader {
		return 0, nil, raft.ErrNotLeader
	}
	var applyErr error
	if rep.Code != scha.ErrNoErr {
		applyErr = &scha.Error{Code: rep.Code, Detail: rep.Message}
	}
	return rep.Index, applyErr, nil
}

// leaderIndex is the store's IndexFunc.
func (d *Daemon) leaderIndex(ctx context.Context, leader raft.ServerAddress) (uint64, error) {
	var idx uint64
	err := d.cs.cl.Call(ctx, string(leader), opIndex, nil, &idx)
	return idx, err
}

// morePeerOps lets a file that serves requests of its own between nodes
// (audit.go) add them in an init function; the cluster port has checked
// the peer is a node of the cluster.
var morePeerOps = map[string]func(d *Daemon, ctx context.Context, body json.RawMessage) (any, error){}

// peerRequest answers other nodes (and joining ones).
func (d *Daemon) peerRequest(ctx context.Context, peer, op string, body json.RawMessage) (any, error) {
	switch op {
	case opPropose:
		var a proposeArgs
		if err := json.Unmarshal(body, &a); err != nil {
			return nil, scha.Errorf(scha.ErrInval, "bad propose request: %v", err)
		}
		if !d.store.IsLeader() {
			return proposeReply{NotLeader: true}, nil
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		idx, applyErr, err := d.store.ApplyForwarded(pctx, a.Data)
		if errors.Is(err, raft.ErrNotLeader) {
			return proposeReply{NotLeader: true}, nil
		}
		if err != nil {
			return nil, scha.Errorf(scha.ErrReconf, "%v", err)
		}
		return proposeReply{Index: idx, Code: scha.CodeOf(applyErr), Message: scha.DetailOf(applyErr)}, nil
	case opIndex:
		if !d.store.IsLeader() {
			return nil, scha.Errorf(scha.ErrReconf, "not the leader")
		}
		return d.store.LastApplied(), nil
	case opValidate:
		var a validateArgs
		if err := json.Unmarshal(body, &a); err != nil {
			return nil, scha.Errorf(scha.ErrInval, "bad validate request: %v", err)
		}
		return nil, d.peerValidate(ctx, a)
	case opLease:
		return d.peerLease(peer, body)
	case opFenced:
		return d.peerFenced(ctx, peer, body)
	case opMonitorCheck:
		return d.peerMonitorCheck(ctx, body)
	case cluster.OpJoin:
		var a cluster.JoinRequest
		if err := json.Unmarshal(body, &a); err != nil {
			return nil, scha.Errorf(scha.ErrInval, "bad join request: %v", err)
		}
		return d.admit(ctx, a)
	}
	if h, ok := morePeerOps[op]; ok {
		return h(d, ctx, body)
	}
	return nil, scha.Errorf(scha.ErrInval, "unknown cluster request %q from %s", op, peer)
}

// admit lets a node in: the token is checked and used up by the log
// (CmdJoinNode, applied alike on every node), then this node signs the
// joiner's certificate with the cluster CA it holds.
func (d *Daemon) admit(ctx context.Context, a cluster.JoinRequest) (*cluster.JoinReply, error) {
	if err := model.CheckName("node", a.Node, scha.ErrNode); err != nil {
		return nil, err
	}
	ca, err := trust.LoadCA(d.cs.dir)
	if err != nil {
		return nil, scha.Errorf(scha.ErrInternal, "this node cannot sign certificates: %v", err)
	}
	// Check the request before the token is spent on it.
	if _, err := ca.SignNode(a.CSR, a.Node, 1, time.Minute, time.Now()); err != nil {
		return nil, scha.Errorf(scha.ErrInval, "certificate request: %v", err)
	}
	cmd := store.JoinNodeCmd{Node: a.Node, Addr: a.Addr, TokenHash: trust.HashSecret(a.Secret), Now: time.Now().Unix(), Witness: a.Witness}
	// A token this node does not know is refused here, so that a peer
	// without one cannot fill the log with refused joins; the log's own
	// check (CmdJoinNode) is the one that counts.
	if err := d.store.CatchUp(ctx); err != nil {
		return nil, scha.Errorf(scha.ErrReconf, "%v", err)
	}
	var known error
	d.machine.Read(func(c *model.Config) { _, known = c.Token(cmd.TokenHash, cmd.Now) })
	if known != nil {
		d.opts.Logger.Warn("refused a node's join", "node", a.Node, "addr", a.Addr, "err", known)
		return nil, known
	}
	if err := d.propose(ctx, store.CmdJoinNode, cmd); err != nil {
		d.opts.Logger.Warn("refused a node's join", "node", a.Node, "addr", a.Addr, "err", err)
		return nil, err
	}
	var rep cluster.JoinReply
	var node model.Node
	d.machine.Read(func(c *model.Config) {
		node, _ = c.Node(a.Node)
		rep.Cluster = c.ClusterName
		if c.Trust != nil {
			rep.GossipKey = c.Trust.GossipKey
		}
		for _, n := range c.Nodes {
			if n.Addr != "" {
				rep.Peers = append(rep.Peers, n.Addr)
			}
		}
	})
	cert, err := ca.SignNode(a.CSR, a.Node, node.ID, nodeCertTTL, time.Now())
	if err != nil {
		return nil, scha.Errorf(scha.ErrInternal, "signing node %s's certificate: %v", a.Node, err)
	}
	keyPEM, err := ca.KeyPEM()
	if err != nil {
		return nil, scha.Errorf(scha.ErrInternal, "%v", err)
	}
	rep.Cert, rep.CACert, rep.CAKey, rep.NodeID = cert, ca.CertPEM(), keyPEM, node.ID
	d.opts.Logger.Info("node joined", "node", a.Node, "id", node.ID, "addr", a.Addr)
	return &rep, nil
}

// nodeLiveness is memberlist's news of a node going up or down.
func (d *Daemon) nodeLiveness(node string, up bool) {
	state := scha.NodeDown
	if up {
		state = scha.NodeUp
	}
	d.opts.Logger.Info("node "+state, "node", node)
	if w := d.seq.Load(); w != nil {
		w.Bump() // NODESTATE answers changed: libscha must ask again
	}
	d.events.Publish(wire.Event{Kind: wire.EventNode, Object: "node", Name: node, Node: node, State: state})
	if up && d.fo != nil {
		d.fo.mu.Lock()
		d.fo.joined = append(d.fo.joined, node)
		d.fo.mu.Unlock()
	}
	d.pokeFailover()
}

// nodeUp says whether node is up as this node sees it.
func (d *Daemon) nodeUp(node string) bool {
	if node == d.opts.NodeName {
		return true
	}
	return d.cs != nil && d.cs.cl.Up(node)
}

// reconcileLoop is the leader's: raft's voters follow the configuration's
// nodes (a joined node becomes a voter, up to maxVoters, a removed one
// leaves), as Nomad's leader reconciles serf members into raft. It looks
// every second while this node leads; a follower sleeps until poked (the
// nodes changed, or the failover loop saw this node become the leader).
func (d *Daemon) reconcileLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	ticking := true
	for {
		lead := d.store.IsLeader()
		tickWhile(t, &ticking, lead, time.Second)
		if lead {
			if err := d.reconcile(ctx); err != nil && ctx.Err() == nil {
				d.opts.Logger.Warn("reconciling raft's voters with the cluster's nodes", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.cs.poke:
		}
	}
}

func (d *Daemon) reconcile(ctx context.Context) error {
	servers, err := d.store.Servers()
	if err != nil {
		return err
	}
	byID := map[string]store.Server{}
	voters := 0
	for _, s := range servers {
		byID[s.ID] = s
		if s.Voter {
			voters++
		}
	}
	var nodes []model.Node
	d.machine.Read(func(c *model.Config) { nodes = append(nodes, c.Nodes...) })
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	inConfig := map[string]bool{}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var errs []error
	for _, n := range nodes {
		inConfig[n.Name] = true
		if n.Addr == "" {
			continue
		}
		s, ok := byID[n.Name]
		switch {
		case !ok:
			voter := voters < maxVoters
			if voter {
				voters++
			}
			errs = append(errs, d.store.AddServer(cctx, n.Name, n.Addr, voter))
		case s.Address != n.Addr:
			errs = append(errs, d.store.AddServer(cctx, n.Name, n.Addr, s.Voter))
		}
	}
	for _, s := range servers {
		if !inConfig[s.ID] && s.ID != d.opts.NodeName {
			errs = append(errs, d.store.RemoveServer(cctx, s.ID))
		}
	}
	return errors.Join(errs...)
}

// pokeReconcile is called when a committed command changed the nodes.
func (d *Daemon) pokeReconcile() {
	if d.cs == nil {
		return
	}
	select {
	case d.cs.poke <- struct{}{}:
	default:
	}
}

// clusterToken issues a join token (rgmadm cluster token).
func (d *Daemon) clusterToken(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	var a wire.TokenArgs
	if len(raw) > 0 {
		if err := wire.DecodeData(raw, &a); err != nil {
			return nil, scha.Errorf(scha.ErrInval, "bad arguments: %v", err)
		}
	}
	if !d.clustered() {
		return nil, scha.Errorf(scha.ErrCluster, "this rgmd has no cluster port: start it with --cluster-addr HOST:PORT to let nodes join")
	}
	ttl := DefaultTokenTTL
	if a.TTL < 0 || a.TTL > int64((30*24*time.Hour)/time.Second) {
		return nil, scha.Errorf(scha.ErrInval, "token lifetime %ds is out of range (1s to 30 days)", a.TTL)
	}
	if a.TTL > 0 {
		ttl = time.Duration(a.TTL) * time.Second
	}
	ca, err := trust.LoadCA(d.cs.dir)
	if err != nil {
		return nil, scha.Errorf(scha.ErrInternal, "%v", err)
	}
	tok, err := trust.NewToken(ca.Fingerprint())
	if err != nil {
		return nil, scha.Errorf(scha.ErrInternal, "%v", err)
	}
	now := time.Now()
	rec := model.JoinToken{ID: tok.ID(), Hash: tok.SecretHash(), Expires: now.Add(ttl).Unix()}
	if err := d.propose(ctx, store.CmdJoinToken, store.JoinTokenCmd{Token: rec, Now: now.Unix()}); err != nil {
		return nil, err
	}
	d.opts.Logger.Info("join token issued", "token", tok.ID(), "expires", time.Unix(rec.Expires, 0).UTC().Format(time.RFC3339))
	return wire.TokenReply{Token: tok.String(), ID: tok.ID(), Expires: rec.Expires}, nil
}

// nodeInfos lists the nodes: configuration, raft's view and liveness.
func (d *Daemon) nodeInfos() []wire.NodeInfo {
	roles := map[string]string{}
	leaderID := ""
	if d.clustered() {
		if servers, err := d.store.Servers(); err == nil {
			for _, s := range servers {
				roles[s.ID] = "nonvoter"
				if s.Voter {
					roles[s.ID] = "voter"
				}
			}
		}
		_, leaderID = d.store.Leader()
	} else {
		roles[d.opts.NodeName] = "voter"
		leaderID = d.opts.NodeName
	}
	var out []wire.NodeInfo
	blocked := d.fenceBlocked()
	d.machine.Read(func(c *model.Config) {
		loads := engine.NodeLoads(c, nil)
		for _, n := range c.Nodes {
			state := scha.NodeDown
			up := d.nodeUp(n.Name)
			if up {
				state = scha.NodeUp
			}
			ni := wire.NodeInfo{Name: n.Name, ID: n.ID, Addr: n.Addr, State: state, Role: roles[n.Name],
				Leader: n.Name == leaderID, Local: n.Name == d.opts.NodeName, Witness: n.Witness,
				Incarnation: n.Incarnation, FencedBy: n.FencedBy, FencedAt: n.FencedAt}
			if n.Fence != nil {
				ni.FenceAgent = n.Fence.Agent
			}
			ni.Inventory, ni.Loads = nodeLoads(n, loads[n.Name])
			if !up && c.Holds(n.Name) {
				ni.Waiting = blocked[n.Name]
				if ni.Waiting == "" {
					ni.Waiting = lostWaiting(n)
				}
			}
			out = append(out, ni)
		}
	})
	return out
}

func (d *Daemon) nodeList(context.Context, Peer, json.RawMessage) (any, error) {
	return d.nodeInfos(), nil
}

func (d *Daemon) clusterStatus(context.Context, Peer, json.RawMessage) (any, error) {
	st := wire.ClusterStatus{Node: d.opts.NodeName, Clustered: d.clustered(), Nodes: d.nodeInfos()}
	d.machine.Read(func(c *model.Config) { st.Cluster, st.ConcentrateLoad = c.ClusterName, c.ConcentrateLoad })
	for _, n := range st.Nodes {
		if n.Leader {
			st.Leader = n.Name
		}
	}
	stats := d.store.Stats()
	st.Term, st.Applied = stats["term"], stats["applied_index"]
	if d.clustered() {
		st.Addr = d.cs.cl.Addr()
	}
	return st, nil
}

// nodeRemove takes a node out of the cluster: out of the configuration
// (every node stops talking to it), then, by the leader's reconcile, out
// of raft.
func (d *Daemon) nodeRemove(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	var exists bool
	d.machine.Read(func(c *model.Config) { exists = c.HasNode(a.Name) })
	if !exists {
		return nil, scha.Errorf(scha.ErrNode, "no node %q in this cluster", a.Name)
	}
	if d.clustered() {
		if _, leader := d.store.Leader(); leader == a.Name {
			return nil, scha.Errorf(scha.ErrState, "node %s leads the cluster: stop rgmd on %s first (another node takes over), then remove it", a.Name, a.Name)
		}
		if servers, err := d.store.Servers(); err == nil {
			voters, isVoter := 0, false
			for _, s := range servers {
				if s.Voter {
					voters++
					isVoter = isVoter || s.ID == a.Name
				}
			}
			if isVoter && voters == 1 {
				return nil, scha.Errorf(scha.ErrState, "node %s is the cluster's last voter", a.Name)
			}
		}
	}
	if err := d.propose(ctx, store.CmdRemoveNode, store.NameCmd{Name: a.Name}); err != nil {
		return nil, err
	}
	if d.clustered() {
		d.cs.cl.Forget(a.Name)
	}
	return nil, nil
}

// nodeRemoved runs when a committed command removed node; on the removed
// node itself rgmd stops, since it may no longer talk to the others.
func (d *Daemon) nodeRemoved(node string) {
	d.pokeReconcile()
	if node != d.opts.NodeName || d.stop == nil {
		return
	}
	d.opts.Logger.Error("this node was removed from the cluster; rgmd stops. To join again: wipe the state directory and start with --join and a new token")
	d.stop(errRemoved)
}

var errRemoved = errors.New("this node was removed from the cluster")

// clusterFlagsError checks the cluster flags together.
func clusterFlagsError(o Options) error {
	if o.ClusterAddr == "" && (o.Join != "" || o.Token != "" || o.ClusterAdvertise != "") {
		return errors.New("--join, --token and --cluster-advertise need --cluster-addr")
	}
	if o.Join != "" && o.Token == "" {
		return errors.New("--join needs --token (from `rgmadm cluster token` on a node of the cluster)")
	}
	if o.Witness && o.ClusterAddr == "" {
		return errors.New("--witness needs --cluster-addr (and --join, the first time)")
	}
	return nil
}

func init() {
	moreHandlers = append(moreHandlers, func(d *Daemon) map[string]Handler {
		return map[string]Handler{
			wire.OpClusterStatus: d.clusterStatus,
			wire.OpClusterToken:  d.clusterToken,
			wire.OpNodeList:      d.nodeList,
			wire.OpNodeRemove:    d.nodeRemove,
			wire.OpNodeSet:       d.nodeSet,
			wire.OpClusterSet:    d.clusterSet, // load.go
			wire.OpNodeFence:     d.nodeFence,
		}
	})
}

// Validate on every node. Solaris runs a type's Validate on each node of
// the resource's Init_nodes (the group's Nodelist) and refuses the change
// if any refuses: a file or device the service needs may exist on one
// node and not another. This node runs it as before; in a cluster every
// other node of the Nodelist that is UP runs it too, against its own copy
// of the configuration (once it has applied what this node had), at the
// same time as this node does: a change waits for the slowest Validate,
// not for this node's and then the slowest other's. A DOWN node is not
// asked: it checks nothing, as Solaris skips nodes out of the membership.

const opValidate = "validate"

type validateArgs struct {
	RS     *wire.RSArgs `json:"rs,omitempty"`
	RG     *wire.RGArgs `json:"rg,omitempty"`
	Create bool         `json:"create,omitempty"`
	// Index is the log index the asking node had applied when it asked:
	// the node asked waits until it has applied as much, so it validates
	// a configuration at least as new as the asking node's. 0 (a node of
	// an older version) makes it catch up with the leader instead, which
	// costs it a request to the leader.
	Index uint64 `json:"index,omitempty"`
}

// validateHere runs what a validateArgs asks for on this node.
func (d *Daemon) validateHere(ctx context.Context, a validateArgs) error {
	switch {
	case a.RS != nil:
		return d.validateResource(ctx, *a.RS, a.Create)
	case a.RG != nil:
		return d.validateGroup(ctx, *a.RG)
	}
	return scha.Errorf(scha.ErrInval, "validate: nothing to validate")
}

// peerValidate is a node's answer to another's opValidate.
func (d *Daemon) peerValidate(ctx context.Context, a validateArgs) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, catchUpTimeout)
		defer cancel()
	}
	var err error
	if a.Index > 0 {
		err = d.store.WaitApplied(ctx, a.Index)
	} else {
		err = d.store.CatchUp(ctx)
	}
	if err != nil {
		return scha.Errorf(scha.ErrReconf, "%v", err)
	}
	return d.validateHere(ctx, a)
}

// validates reports whether a asks for a Validate method to run, as c
// has the types: when not, no other node is asked (they would only
// answer that there is nothing to run). A type upgrade is assumed to.
func validates(c *model.Config, a validateArgs) bool {
	has := func(typ string) bool { rt := c.Types[typ]; return rt != nil && rt.Props[engine.Validate] != "" }
	switch {
	case a.RS != nil && a.Create:
		rt, err := c.FindType(a.RS.Type)
		return err == nil && rt.Props[engine.Validate] != ""
	case a.RS != nil:
		r, ok := c.Resources[a.RS.Name]
		return ok && (upgrades(a.RS.Props) || has(r.Type))
	case a.RG != nil:
		for _, name := range c.ResourcesOf(a.RG.Name) {
			if has(c.Resources[name].Type) {
				return true
			}
		}
	}
	return false
}

// catchUpTimeout bounds how long a node asked to validate waits to have
// applied what the asking node had.
const catchUpTimeout = 10 * time.Second

// validateEverywhere runs Validate here and on the other nodes of group's
// Nodelist that are UP, all at once; this node's refusal is the answer,
// or else the first other node's.
func (d *Daemon) validateEverywhere(ctx context.Context, a validateArgs, group string) error {
	if !d.clustered() {
		return d.validateHere(ctx, a)
	}
	if a.RS != nil && !a.Create {
		d.machine.Read(func(c *model.Config) {
			if r, ok := c.Resources[a.RS.Name]; ok {
				group = r.Group
			}
		})
	}
	var peers []model.Node
	d.machine.Read(func(c *model.Config) {
		g, ok := c.Groups[group]
		if !ok || !validates(c, a) {
			return
		}
		for _, name := range model.SplitArray(g.Props["Nodelist"]) {
			if n, ok := c.Node(name); ok && name != d.opts.NodeName && n.Addr != "" && d.nodeUp(name) {
				peers = append(peers, n)
			}
		}
	})
	if len(peers) == 0 {
		return d.validateHere(ctx, a)
	}
	// The others wait to have applied what this node has, no more: they
	// then check the change against what this node checks it against.
	a.Index = d.store.LastApplied()
	errs := make(chan error, len(peers)) // buffered: a refusal here does not wait for them
	for _, n := range peers {
		go func(n model.Node) {
			err := d.cs.cl.Call(ctx, n.Addr, opValidate, a, nil)
			if err != nil && !cluster.IsRemote(err) {
				err = scha.Errorf(scha.ErrCluster, "Validate could not be run on node %s: %v", n.Name, err)
			}
			errs <- err
		}(n)
	}
	if err := d.validateHere(ctx, a); err != nil {
		return err
	}
	var first error
	for range peers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	var re *cluster.RemoteError
	if errors.As(first, &re) {
		return re.Err
	}
	return first
}
