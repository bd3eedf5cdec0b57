package engine

// Placement across nodes: on which nodes each resource group should be
// online, as Solaris Cluster's RGM president decides it. The cluster's
// leader calls Place when a node comes up, goes down or is fenced, when
// a group's properties change, or when an operator's verb asks (Switch,
// Giveover, node evacuate, rg remaster), and commits the Desired state
// changes it returns; each node's engine then drives its own node toward
// them (State.Handle). Placement is as pure as the rest of the engine: no
// I/O, no clock (PlaceInput.Now), no randomness, so the same input always
// gives the same decision, on any node.
//
// The rules (rg_properties(5), the reference §7.3):
//
//   - A group keeps the nodes it is wanted on (Desired ONLINE) while they
//     are up, not evacuating and its strong affinities allow it: no
//     needless moves. Failback=TRUE moves it back to a more preferred node
//     of its Nodelist when that node (re)joins (PlaceInput.Joined), and
//     only then, so an operator's switch holds; rg remaster moves it to
//     its most preferred nodes on request (PlaceInput.Remaster).
//   - Otherwise it goes to the first nodes of its Nodelist that are up,
//     not witnesses, not evacuating, not barred by Pingpong_interval (its
//     start failed there, or a giveover took it away from there, within
//     the interval) and allowed by its strong affinities; among those,
//     weak affinities (+ prefer, - avoid) come before Nodelist order.
//   - A failover group is on one node at most; a scalable group (RG_mode
//     Scalable) on Desired_primaries nodes, at most Maximum_primaries.
//   - RG_affinities: ++T only where T is wanted; +++T the same, and a
//     failover of the group is delegated to T (Giveover); --T never where
//     T is wanted; +T and -T are preferences. A target is decided before
//     the groups that have an affinity for it, so they follow it, or
//     leave its node.
//   - A group wanted on a node that is down and not known to have
//     stopped it (NodeStatus.Fenced, or the group's state recorded there
//     is neither OFFLINE nor UNMANAGED) stays there: it is never started
//     elsewhere before that node is known stopped. A group whose Stop failed somewhere
//     (ERROR_STOP_FAILED) does not move either, nor does a group whose
//     automatic recovery is suspended.
//   - Load limits (load.go): a group goes only where every hard limit
//     holds with it; with PlaceInput.Preempt, a failover group that
//     fits nowhere may push groups of lower Priority off a node, and a
//     group so preempted comes back when there is room (preempt.go).
//   - A group the operator took offline (Desired OFFLINE everywhere)
//     stays offline; when the whole cluster has just formed
//     (PlaceInput.NewCluster), Auto_start_on_new_cluster=TRUE groups are
//     placed and FALSE ones taken offline. Unmanaged groups are untouched.
//
// Every group that should be online but is not, fully, is named in
// Decision.Blocked with the reason in an operator's words; Explain says
// why a group is not on a given node (rgmadm status).
//
// Cost: only the groups named in PlaceInput.Groups and those tied to them
// by strong affinities are examined, each in time proportional to its
// Nodelist; the properties are parsed once into an Index, which a caller
// keeps across calls while the configuration's Seq stays the same.

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// NodeStatus is what the leader knows of a node. A node missing from
// PlaceInput.Nodes is down.
type NodeStatus struct {
	Up bool // a member of the cluster now
	// Fenced: the node was lost and is not yet known to have stopped its
	// groups (its lease has not expired, no fence agent has confirmed it
	// off). Its groups stay where they are until the leader marks it
	// stopped, and nothing new goes there.
	Fenced bool
	// Witness: a quorum voter that hosts no groups (rgmd --witness).
	Witness bool
	// Evacuating: rgmadm node evacuate; its groups leave, nothing comes.
	Evacuating bool
}

// PlaceInput is everything Place decides from. Only Config is required.
type PlaceInput struct {
	// Config is the replicated configuration; Place does not change it.
	Config *model.Config
	// Nodes is the membership as the leader sees it.
	Nodes map[string]NodeStatus
	// Now (Unix seconds) is what Pingpong_interval is judged against.
	Now int64
	// Groups names the groups to re-decide; nil means every group. The
	// groups with a strong affinity (++, +++, --) for one of them are
	// re-decided too, after it. For a node event, Index.OnNode gives
	// the groups that may care.
	Groups []string
	// Joined names the nodes that (re)joined in this event: Failback
	// moves a group back to them.
	Joined []string
	// NewCluster says the whole cluster has just formed:
	// Auto_start_on_new_cluster decides which groups come online.
	NewCluster bool
	// Remaster moves the named groups to their most preferred nodes
	// (rgmadm rg remaster), as Failback does on a join.
	Remaster bool
	// Operator says an operator asked for this decision (rg remaster,
	// node evacuate): Pingpong_interval and Suspend_automatic_recovery,
	// which bar automatic moves, do not apply, as for Switch.
	Operator bool
	// Refused names, by group, the nodes where its Monitor_check failed
	// in this event (reference §2: the RGM then tries the next node): the
	// group does not go there, and leaves if it was about to start there.
	Refused map[string][]string
	// Index, when not nil, is NewIndex(Config) or an Index built from an
	// earlier version of it with the same Seq; a stale one is ignored.
	Index *Index
	// Preempt lets a group that fits no node push groups of lower
	// Priority off one (preempt.go): the leader's placement, and what
	// status and simulate say of it. Other callers leave it false.
	Preempt bool
}

// Move is one change of a group's place.
type Move struct {
	Group string `json:"group"`
	From  string `json:"from,omitempty"` // "" when it comes online
	To    string `json:"to,omitempty"`   // "" when it goes offline
	Why   string `json:"why"`
}

// Decision is Place's answer.
type Decision struct {
	// Changes set the Desired state (ONLINE or OFFLINE) of groups on
	// nodes, and the pingpong times of a giveover: what the leader
	// commits, in one log entry.
	Changes []model.StateChange
	// Moves describe the changes for people, in the order decided.
	Moves []Move
	// Blocked names each examined group that should be online but is
	// not online anywhere (or, for a scalable group, on fewer nodes than
	// it wants, or stays on a fenced node), with the reason.
	Blocked map[string]string
	// Preempted are the marks to record with Changes (store.CmdPreempt):
	// the groups taken off a node to make room for one of higher
	// Priority (By set), and the groups waiting for that room (By
	// empty). Empty unless PlaceInput.Preempt.
	Preempted []model.GroupMark
}

// Index is the part of a configuration placement reads, parsed once:
// each group's properties, the groups with strong affinities for each
// group, and the groups of each node's Nodelists. It is valid for the
// configurations with the Seq it was built from (state changes leave Seq
// alone; property changes do not).
type Index struct {
	seq     uint64
	cluster string
	groups  map[string]*groupInfo
	sources map[string][]string // target → groups with a strong affinity for it
	onNode  map[string][]string // node → groups whose Nodelist holds it
	names   []string            // every group, sorted
	// limits are the nodes' effective load limits (model.Node.
	// EffectiveLimits), only when some group has Load_factors; soft
	// says one of them is a soft limit.
	limits map[string]map[string]model.LoadLimit
	soft   bool
	// concentrate is the cluster's Concentrate_load: the most loaded
	// node first among those under their soft limits.
	concentrate bool
}

type affinity struct {
	kind   string // +, ++, +++, -, --
	target string
}

type groupInfo struct {
	name       string
	nodelist   []string
	rank       map[string]int // position in Nodelist
	scalable   bool
	desired    int // Desired_primaries
	maximum    int // Maximum_primaries (1 for a failover group)
	failback   bool
	autoStart  bool
	pingpong   int64
	affinities []affinity
	factors    map[string]int64 // Load_factors; nil when none
	priority   int
}

// NewIndex parses c's group properties for Place.
func NewIndex(c *model.Config) *Index {
	x := &Index{seq: c.Seq, cluster: c.ClusterName, groups: make(map[string]*groupInfo, len(c.Groups)),
		sources: map[string][]string{}, onNode: map[string][]string{}}
	for name, g := range c.Groups {
		gi := &groupInfo{name: name, nodelist: model.SplitArray(g.Props["Nodelist"])}
		gi.rank = make(map[string]int, len(gi.nodelist))
		for i, n := range gi.nodelist {
			gi.rank[n] = i
		}
		gi.scalable = g.Props["RG_mode"] == "Scalable"
		gi.desired, _ = strconv.Atoi(g.Props["Desired_primaries"])
		gi.maximum, _ = strconv.Atoi(g.Props["Maximum_primaries"])
		if !gi.scalable || gi.maximum < 1 {
			gi.maximum = 1
		}
		gi.failback = g.Props["Failback"] == "TRUE"
		gi.autoStart = g.Props["Auto_start_on_new_cluster"] != "FALSE"
		gi.pingpong, _ = strconv.ParseInt(g.Props["Pingpong_interval"], 10, 64)
		for _, a := range model.SplitArray(g.Props["RG_affinities"]) {
			t := strings.TrimLeft(a, "+-")
			kind := a[:len(a)-len(t)]
			gi.affinities = append(gi.affinities, affinity{kind: kind, target: t})
			if kind == "++" || kind == "+++" || kind == "--" {
				x.sources[t] = append(x.sources[t], name)
			}
		}
		if f, err := model.ParseLoads(g.Props["Load_factors"]); err == nil && len(f) > 0 {
			gi.factors = f
		}
		gi.priority, _ = strconv.Atoi(g.Props["Priority"])
		x.groups[name] = gi
		x.names = append(x.names, name)
		for _, n := range gi.nodelist {
			x.onNode[n] = append(x.onNode[n], name)
		}
	}
	sort.Strings(x.names)
	for _, gi := range x.groups {
		if gi.factors == nil {
			continue
		}
		x.limits = map[string]map[string]model.LoadLimit{}
		x.concentrate = c.ConcentrateLoad
		for i := range c.Nodes {
			if l := c.Nodes[i].EffectiveLimits(); len(l) > 0 {
				x.limits[c.Nodes[i].Name] = l
				for _, v := range l {
					x.soft = x.soft || v.Soft > 0
				}
			}
		}
		break
	}
	for _, m := range []map[string][]string{x.sources, x.onNode} {
		for _, v := range m {
			sort.Strings(v)
		}
	}
	return x
}

// OnNode returns the groups whose Nodelist holds node, sorted: those a
// node's joining, leaving or evacuation may concern.
func (x *Index) OnNode(node string) []string { return x.onNode[node] }

// WantedOn returns the groups of c wanted online (Desired ONLINE) on node,
// sorted: those that must move when node goes down.
func (x *Index) WantedOn(c *model.Config, node string) []string {
	var out []string
	for _, name := range x.onNode[node] {
		if g := c.Groups[name]; g != nil {
			if st := g.Nodes[node]; st != nil && st.Desired == model.RGStateOnline {
				out = append(out, name)
			}
		}
	}
	return out
}

func (x *Index) fresh(c *model.Config) bool {
	return x != nil && x.seq == c.Seq && x.cluster == c.ClusterName && len(x.groups) == len(c.Groups)
}

// placer is one call's work.
type placer struct {
	in     PlaceInput
	c      *model.Config
	x      *Index
	hosts  map[string][]string // group → nodes it is wanted on: decided, or as configured
	moved  map[string]bool     // decided with a move in this call
	leave  map[string]string   // group → node a giveover takes it away from
	joined map[string]bool
	dec    Decision
	// load is what the groups wanted on each node add up to, by load
	// name, kept only when some node has limits (load.go).
	load map[string]map[string]int64
	// marks are the groups waiting for room (model.PreemptMark): as the
	// configuration has them, and those decided in this call; reserved
	// names the node each group waiting to preempt holds room on.
	marks    map[string]*model.PreemptMark
	reserved map[string]string
	newMarks []string // groups marked in this call, in order
	marked   []string // groups the configuration marks as waiting, sorted
}

func newPlacer(in PlaceInput) *placer {
	x := in.Index
	if !x.fresh(in.Config) {
		x = NewIndex(in.Config)
	}
	p := &placer{in: in, c: in.Config, x: x, hosts: map[string][]string{},
		moved: map[string]bool{}, leave: map[string]string{}, joined: map[string]bool{}, dec: Decision{Blocked: map[string]string{}}}
	for _, n := range in.Joined {
		p.joined[n] = true
	}
	if len(x.limits) > 0 {
		p.load = NodeLoads(in.Config, x)
	}
	p.loadMarks()
	return p
}

// Place decides where the groups of in.Groups (and those tied to them by
// strong affinities) should be online; see the package comment above
// for the rules.
func Place(in PlaceInput) Decision {
	p := newPlacer(in)
	names := in.Groups
	if names == nil {
		names = p.x.names
	}
	remaster := map[string]bool{}
	if in.Remaster {
		for _, n := range names {
			remaster[n] = true
		}
	}
	if in.Preempt {
		// Groups waiting for room are looked at again each time.
		names = append(slices.Clone(names), p.marked...)
	}
	for _, name := range p.order(names, "") {
		p.decide(name, remaster[name])
	}
	p.finishMarks()
	return p.dec
}

// Switch moves group to nodes (one for a failover group), as rgmadm rg
// switch does, and re-decides the groups with strong affinities for it.
// It is refused, with nothing changed, when a node is not in the group's
// Nodelist, not up, a witness or evacuating, when the group's own strong
// affinities or a failed Stop forbid it, or when it is wanted on a fenced
// node (it may still be online there). Pingpong_interval does
// not apply: it bars automatic moves, not the operator's.
func Switch(in PlaceInput, group string, nodes []string) (Decision, error) {
	p := newPlacer(in)
	gi, cg := p.x.groups[group], p.c.Groups[group]
	switch {
	case gi == nil || cg == nil:
		return Decision{}, scha.Errorf(scha.ErrRG, "resource group %q does not exist", group)
	case !managed(cg):
		return Decision{}, scha.Errorf(scha.ErrState, "resource group %s is UNMANAGED; manage it first (rgmadm rg manage %s)", group, group)
	case len(nodes) == 0:
		return Decision{}, scha.Errorf(scha.ErrInval, "switch %s: no target node given", group)
	case len(nodes) > gi.maximum:
		return Decision{}, scha.Errorf(scha.ErrInval, "switch %s: %d nodes given, but Maximum_primaries is %d", group, len(nodes), gi.maximum)
	}
	for _, n := range nodes {
		if err := p.admit(gi, n, "switch "+group+" to "+n); err != nil {
			return Decision{}, err
		}
	}
	if n, _ := p.stopFailed(cg); n != "" {
		return Decision{}, scha.Errorf(scha.ErrState, "switch %s refused: a stop method failed on %s (ERROR_STOP_FAILED); clear it first (rgmadm rs clear)", group, n)
	}
	for _, n := range gi.nodelist {
		if !slices.Contains(nodes, n) && p.stuck(cg, n) && (!gi.scalable || slices.Contains(p.wanted(group), n)) {
			return Decision{}, scha.Errorf(scha.ErrState, "switch %s refused: it may still be online on %s: %s", group, n, p.stuckWhy(group, n))
		}
	}
	target := slices.Clone(nodes)
	slices.SortFunc(target, func(a, b string) int { return gi.rank[a] - gi.rank[b] })
	target = slices.Compact(target)
	p.commit(gi, p.wanted(group), target, nil, "rgmadm rg switch")
	for _, name := range p.order([]string{group}, group) {
		p.decide(name, false)
	}
	return p.dec, nil
}

// OnlineOn is rgmadm rg online -n on a cluster: a failover group wanted
// online on another node moves, so it is a Switch (moves is true, dec
// its decision); otherwise Admit judges it, and the node's own engine
// brings the group online.
func OnlineOn(in PlaceInput, group, node string) (dec Decision, moves bool, err error) {
	p := newPlacer(in)
	if gi := p.x.groups[group]; gi != nil && !gi.scalable {
		for _, n := range p.wanted(group) {
			if n != node {
				dec, err = Switch(in, group, []string{node})
				return dec, true, err
			}
		}
	}
	return Decision{}, false, Admit(in, group, node)
}

// Admit says whether an operator may bring group online on node (rgmadm
// rg online -n): node is in its Nodelist, up, not fenced, a witness or
// evacuating, its strong affinities allow it, and its Load_factors fit
// under node's hard limits (unless it is wanted there already). nil when
// it may; otherwise the reason, as Switch gives it.
func Admit(in PlaceInput, group, node string) error {
	p := newPlacer(in)
	gi := p.x.groups[group]
	if gi == nil || p.c.Groups[group] == nil {
		return scha.Errorf(scha.ErrRG, "resource group %q does not exist", group)
	}
	return p.admit(gi, node, "online "+group+" on "+node)
}

// admit is Admit's check for gi on node n; action names the request in
// the refusal ("switch G to N").
func (p *placer) admit(gi *groupInfo, n, action string) error {
	if _, ok := gi.rank[n]; !ok {
		return scha.Errorf(scha.ErrNode, "node %q is not in the Nodelist of %s (%s)", n, gi.name, joinOr(gi.nodelist))
	}
	if why := p.nodeBar(n); why != "" {
		return scha.Errorf(scha.ErrNode, "%s refused: %s", action, why)
	}
	if why := p.affinityBar(gi, n); why != "" {
		return scha.Errorf(scha.ErrChecks, "%s refused: %s", action, why)
	}
	if !slices.Contains(p.wanted(gi.name), n) {
		if why := p.loadBar(gi, n); why != "" {
			return scha.Errorf(scha.ErrChecks, "%s refused: %s", action, why)
		}
	}
	return nil
}

// Giveover takes group away from node from, as scha_control GIVEOVER
// does or a failed Start whose Failover_mode is SOFT or HARD, and records
// the time for Pingpong_interval. A group with a +++ affinity delegates
// its failover: its target (and that target's own +++ target, and so on)
// is moved instead, and the group follows it. When no other node can
// take it the giveover is refused (SCHA_ERR_CHECKS) and nothing changes.
func Giveover(in PlaceInput, group, from string) (Decision, error) {
	p := newPlacer(in)
	gi, cg := p.x.groups[group], p.c.Groups[group]
	if gi == nil || cg == nil {
		return Decision{}, scha.Errorf(scha.ErrRG, "resource group %q does not exist", group)
	}
	if cg.Props["Suspend_automatic_recovery"] == "TRUE" {
		return Decision{}, scha.Errorf(scha.ErrChecks, "giveover of %s refused: its automatic recovery is suspended (rgmadm rg resume %s)", group, group)
	}
	root := group
	for seen := map[string]bool{group: true}; ; {
		next := ""
		for _, a := range p.x.groups[root].affinities {
			if a.kind == "+++" && p.x.groups[a.target] != nil && slices.Contains(p.wanted(a.target), from) {
				next = a.target
				break
			}
		}
		if next == "" || seen[next] {
			break
		}
		seen[next] = true
		root = next
	}
	if !slices.Contains(p.wanted(root), from) {
		return Decision{}, scha.Errorf(scha.ErrState, "giveover of %s: it is not online on %s", root, from)
	}
	p.leave[root] = from
	for _, name := range p.order([]string{root}, "") {
		p.decide(name, false)
	}
	if why, blocked := p.dec.Blocked[root]; blocked || slices.Contains(p.hosts[root], from) {
		if why == "" {
			why = "it stays on " + from
		}
		return Decision{}, scha.Errorf(scha.ErrChecks, "giveover of %s from %s refused: %s", root, from, why)
	}
	stamp := []model.StateChange{{Group: root, Node: from, GiveoverAt: in.Now}}
	if root != group {
		stamp = append(stamp, model.StateChange{Group: group, Node: from, GiveoverAt: in.Now})
	}
	p.dec.Changes = append(stamp, p.dec.Changes...)
	return p.dec, nil
}

// Explain says why group is not wanted on node, in an operator's words;
// "" when it is wanted there. It judges the configuration as it stands
// (no decision is made).
func Explain(in PlaceInput, group, node string) string {
	p := newPlacer(in)
	gi, cg := p.x.groups[group], p.c.Groups[group]
	if gi == nil || cg == nil {
		return fmt.Sprintf("there is no resource group %q", group)
	}
	if _, ok := gi.rank[node]; !ok {
		return fmt.Sprintf("%s is not in its Nodelist (%s)", node, joinOr(gi.nodelist))
	}
	if !managed(cg) {
		return "it is unmanaged (rgmadm rg manage " + group + ")"
	}
	hosts := p.wanted(group)
	if slices.Contains(hosts, node) {
		return ""
	}
	if n, why := p.stopFailed(cg); n != "" {
		return why
	}
	why := p.bar(gi, node, true)
	if why == "" {
		why = p.loadBar(gi, node)
	}
	if m := p.waiting(group); m != nil {
		what := fmt.Sprintf("it was preempted by %s from %s and waits for room", m.By, m.Node)
		if m.By == "" {
			what = fmt.Sprintf("it waits for the room it preempted groups from on %s", m.Node)
		}
		if why != "" {
			what += ": " + why
		}
		return what
	}
	if why != "" {
		return why
	}
	if len(hosts) == 0 {
		return "it is offline by the operator's request (rgmadm rg online " + group + ")"
	}
	if cg.Props["Suspend_automatic_recovery"] == "TRUE" {
		return fmt.Sprintf("its automatic recovery is suspended; it stays on %s (rgmadm rg resume %s)", joinOr(hosts), group)
	}
	if !gi.scalable {
		why := fmt.Sprintf("it is a failover group, wanted on %s", hosts[0])
		if gi.rank[node] < gi.rank[hosts[0]] {
			if gi.failback {
				why += fmt.Sprintf("; Failback moves it to %s when %s (re)joins, or rgmadm rg remaster", node, node)
			} else {
				why += " (Failback is FALSE: it stays where it is; rgmadm rg remaster moves it back)"
			}
		}
		return why
	}
	return fmt.Sprintf("it is wanted on %d nodes (%s): Desired_primaries is %d, Maximum_primaries %d", len(hosts), joinOr(hosts), gi.desired, gi.maximum)
}

// order returns names, the groups with strong affinities for them (to
// any depth), in an order that decides a target before the groups with
// an affinity for it; skip is left out.
func (p *placer) order(names []string, skip string) []string {
	in := make(map[string]bool, len(names))
	queue := make([]string, 0, len(names))
	for _, n := range names {
		if !in[n] && p.x.groups[n] != nil {
			in[n] = true
			queue = append(queue, n)
		}
	}
	for i := 0; i < len(queue); i++ {
		for _, s := range p.x.sources[queue[i]] {
			if !in[s] {
				in[s] = true
				queue = append(queue, s)
			}
		}
	}
	// Higher Priority first, so that it takes the room there is.
	sort.Slice(queue, func(i, j int) bool {
		a, b := p.x.groups[queue[i]], p.x.groups[queue[j]]
		if a.priority != b.priority {
			return a.priority > b.priority
		}
		return a.name < b.name
	})
	out := make([]string, 0, len(queue))
	state := make(map[string]int8, len(queue))
	var visit func(string)
	visit = func(n string) {
		if state[n] != 0 {
			return // done, or a cycle: decided in name order
		}
		state[n] = 1
		for _, a := range p.x.groups[n].affinities {
			if in[a.target] {
				visit(a.target)
			}
		}
		state[n] = 2
		if n != skip {
			out = append(out, n)
		}
	}
	for _, n := range queue {
		visit(n)
	}
	return out
}

func managed(g *model.ResourceGroup) bool {
	for _, st := range g.Nodes {
		if st.State != model.RGStateUnmanaged && st.State != "" {
			return true
		}
	}
	return false
}

// wanted returns the nodes group is wanted on, in Nodelist order: as
// decided in this call, or as configured.
func (p *placer) wanted(group string) []string {
	if h, ok := p.hosts[group]; ok {
		return h
	}
	var h []string
	gi, cg := p.x.groups[group], p.c.Groups[group]
	if gi != nil && cg != nil {
		for _, n := range gi.nodelist {
			if st := cg.Nodes[n]; st != nil && st.Desired == model.RGStateOnline {
				h = append(h, n)
			}
		}
	}
	p.hosts[group] = h
	return h
}

// stopFailed names a node where a stop method of g failed and that may
// still run it (up, or fenced), with the operator's explanation.
func (p *placer) stopFailed(g *model.ResourceGroup) (string, string) {
	for n, st := range g.Nodes {
		if st.State != model.RGStateErrorStopFailed {
			continue
		}
		if ns := p.in.Nodes[n]; ns.Up || ns.Fenced {
			return n, fmt.Sprintf("a stop method failed on %s (ERROR_STOP_FAILED): it can't move until the operator clears it (rgmadm rs clear)", n)
		}
	}
	return "", ""
}

// stuck reports whether group g may still be running on node n, which
// is not up: n is fenced (lost, not known stopped), or g's recorded state
// there is neither OFFLINE nor UNMANAGED (the leader records a lost
// node's states OFFLINE once it is known stopped). Such a group stays
// put: it is never started elsewhere before.
func (p *placer) stuck(g *model.ResourceGroup, n string) bool {
	st := p.in.Nodes[n]
	if st.Up {
		return false
	}
	if st.Fenced {
		return true
	}
	ns := g.Nodes[n]
	return ns != nil && ns.State != model.RGStateOffline && ns.State != model.RGStateUnmanaged && ns.State != ""
}

func (p *placer) stuckWhy(group, n string) string {
	if p.in.Nodes[n].Fenced {
		return p.nodeBar(n)
	}
	return fmt.Sprintf("%s is down and not yet known to have stopped %s (waiting for its lease to expire or a fence agent)", n, group)
}

// nodeBar says why no group may go to node n now ("" when one may).
func (p *placer) nodeBar(n string) string {
	st := p.in.Nodes[n]
	switch {
	case st.Fenced:
		return n + " was lost and is not yet known to have stopped its groups (waiting for its lease to expire or a fence agent)"
	case !st.Up:
		return n + " is down"
	case st.Witness:
		return n + " is a witness (it hosts no groups)"
	case st.Evacuating:
		return n + " is being evacuated"
	}
	return ""
}

// bar says why gi may not come online on n now ("" when it may);
// pingpong: Pingpong_interval counts (automatic moves).
func (p *placer) bar(gi *groupInfo, n string, pingpong bool) string {
	if why := p.nodeBar(n); why != "" {
		return why
	}
	if pingpong {
		if why := p.pingpong(gi, n); why != "" {
			return why
		}
	}
	return p.affinityBar(gi, n)
}

func (p *placer) pingpong(gi *groupInfo, n string) string {
	st := p.c.Groups[gi.name].Nodes[n]
	if st == nil || gi.pingpong <= 0 {
		return ""
	}
	at, what := st.StartFailedAt, "it failed to start there"
	if at == 0 || p.in.Now-at >= gi.pingpong {
		at, what = st.GiveoverAt, "it was given over from there"
	}
	if at != 0 && p.in.Now-at < gi.pingpong {
		return fmt.Sprintf("%s is barred by Pingpong_interval until %s (%s at %s)", n, stamp(at+gi.pingpong), what, stamp(at))
	}
	return ""
}

func stamp(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

// affinityBar applies gi's strong affinities to node n.
func (p *placer) affinityBar(gi *groupInfo, n string) string {
	for _, a := range gi.affinities {
		switch a.kind {
		case "++", "+++":
			hosts := p.wanted(a.target)
			switch {
			case len(hosts) == 0:
				return fmt.Sprintf("strong affinity %s%s: %s is offline", a.kind, a.target, a.target)
			case !slices.Contains(hosts, n):
				return fmt.Sprintf("strong affinity %s%s: %s is not on %s (it is on %s)", a.kind, a.target, a.target, n, joinOr(hosts))
			}
		case "--":
			if slices.Contains(p.wanted(a.target), n) {
				return fmt.Sprintf("strong negative affinity --%s: %s is on %s", a.target, a.target, n)
			}
		}
	}
	return ""
}

// score is n's weak-affinity preference for gi: one for each +target
// wanted there, minus one for each -target.
func (p *placer) score(gi *groupInfo, n string) int {
	s := 0
	for _, a := range gi.affinities {
		switch a.kind {
		case "+":
			if slices.Contains(p.wanted(a.target), n) {
				s++
			}
		case "-":
			if slices.Contains(p.wanted(a.target), n) {
				s--
			}
		}
	}
	return s
}

// candidates returns the nodes of gi's Nodelist outside skip that it
// may come online on, best first, and why each node before the last
// candidate (or every node, when there is none) may not. It stops at
// enough candidates (< 0: all) when weak affinities do not reorder them.
func (p *placer) candidates(gi *groupInfo, skip func(string) bool, enough int) (ok []string, barred []string) {
	weak := false
	for _, a := range gi.affinities {
		weak = weak || a.kind == "+" || a.kind == "-"
	}
	// Soft limits reorder the candidates too: those that stay under
	// them come first.
	soft := (p.x.soft || p.x.concentrate) && gi.factors != nil
	// An operator's move is not barred by Pingpong_interval, but goes
	// to a node where the group failed lately only when no other is
	// left: those come last.
	var lately []string
	for _, n := range gi.nodelist {
		if !weak && !soft && enough >= 0 && len(ok) >= enough {
			break
		}
		if skip(n) {
			continue
		}
		if n == p.leave[gi.name] {
			barred = append(barred, n+" is the node it is given over from")
			continue
		}
		if slices.Contains(p.in.Refused[gi.name], n) {
			barred = append(barred, "Monitor_check failed on "+n)
			continue
		}
		if why := p.bar(gi, n, !p.in.Operator); why != "" {
			barred = append(barred, why)
			continue
		}
		if why := p.loadBar(gi, n); why != "" {
			barred = append(barred, why)
			continue
		}
		if p.in.Operator && p.pingpong(gi, n) != "" {
			lately = append(lately, n)
			continue
		}
		ok = append(ok, n)
	}
	if weak || soft {
		p.sortCandidates(gi, ok)
		p.sortCandidates(gi, lately)
	}
	return append(ok, lately...), barred
}

// decide re-decides one group; remaster moves it to its most preferred
// nodes as Failback does.
func (p *placer) decide(name string, remaster bool) {
	gi, cg := p.x.groups[name], p.c.Groups[name]
	if gi == nil || cg == nil || !managed(cg) {
		return
	}
	cur := p.wanted(name)
	if p.in.NewCluster && !gi.autoStart {
		p.commit(gi, cur, nil, nil, "Auto_start_on_new_cluster is FALSE: it stays offline when the cluster starts")
		return
	}
	mark := p.waiting(name)
	if len(cur) == 0 && !(p.in.NewCluster && gi.autoStart) && mark == nil {
		return // offline by the operator
	}
	if n := p.reserved[name]; n != "" {
		// Its own reservation is no obstacle to it.
		p.addLoad(gi, n, -1)
		delete(p.reserved, name)
	}
	live := func(hosts []string) int {
		k := 0
		for _, n := range hosts {
			if p.in.Nodes[n].Up {
				k++
			}
		}
		return k
	}
	if cg.Props["Suspend_automatic_recovery"] == "TRUE" && !p.in.Operator {
		if live(cur) == 0 {
			p.dec.Blocked[name] = "its automatic recovery is suspended (rgmadm rg resume " + name + "): nothing moves it"
		}
		return
	}
	if n, why := p.stopFailed(cg); n != "" {
		p.dec.Blocked[name] = why
		return
	}
	// What stays, and why the rest goes.
	var keep, fenced, lost []string
	leaving := map[string]string{}
	for _, n := range cur {
		st := p.in.Nodes[n]
		switch {
		case p.stuck(cg, n):
			keep = append(keep, n)
			fenced = append(fenced, n)
		case !st.Up:
			lost = append(lost, n)
			leaving[n] = n + " is down"
		case n == p.leave[name]:
			leaving[n] = "given over from " + n
		case slices.Contains(p.in.Refused[name], n):
			leaving[n] = "Monitor_check failed on " + n
		default:
			if why := p.bar(gi, n, false); why != "" {
				leaving[n] = why
			} else {
				keep = append(keep, n)
			}
		}
	}
	for len(keep) > gi.maximum {
		i := len(keep) - 1
		for i >= 0 && slices.Contains(fenced, keep[i]) {
			i--
		}
		if i < 0 {
			break
		}
		leaving[keep[i]] = fmt.Sprintf("Maximum_primaries is %d", gi.maximum)
		keep = slices.Delete(keep, i, i+1)
	}
	if len(fenced) > 0 && !gi.scalable {
		keep = fenced[:1]
		p.dec.Blocked[name] = fmt.Sprintf("it stays on %s: %s", fenced[0], p.stuckWhy(name, fenced[0]))
		p.commit(gi, cur, keep, leaving, "")
		return
	}
	want := min(gi.desired, gi.maximum)
	if !gi.scalable {
		want = 1
	}
	want = max(want, min(len(cur), gi.maximum))
	inKeep := func(n string) bool { return slices.Contains(keep, n) }
	arrival := map[string]string{}
	// Failback and remaster: a more preferred node replaces the least
	// preferred one kept.
	if remaster || (gi.failback && p.joinedIn(gi)) {
		ok, _ := p.candidates(gi, inKeep, -1)
		for _, c := range ok {
			if !remaster && !p.joined[c] {
				continue // Failback goes to the node that came back
			}
			w := -1
			for i, n := range keep {
				if !slices.Contains(fenced, n) && gi.rank[n] > gi.rank[c] && (w < 0 || gi.rank[n] > gi.rank[keep[w]]) {
					w = i
				}
			}
			if w < 0 {
				break
			}
			why := "rg remaster: "
			if !remaster {
				why = "Failback: "
			}
			leaving[keep[w]] = why + c + " is more preferred in its Nodelist"
			arrival[c] = why + c + " is more preferred in its Nodelist"
			keep[w] = c
			slices.SortFunc(keep, func(a, b string) int { return gi.rank[a] - gi.rank[b] })
		}
	}
	need := want - (len(keep) - len(fenced))
	room := gi.maximum - len(keep)
	var barred []string
	if need > 0 && room > 0 {
		ok, why := p.candidates(gi, func(n string) bool { return inKeep(n) || leaving[n] != "" }, min(need, room))
		barred = why
		for _, n := range ok[:min(need, room, len(ok))] {
			arrival[n] = p.arrivalWhy(gi, n, why)
			if mark != nil && mark.By != "" {
				arrival[n] = fmt.Sprintf("room again (preempted by %s from %s): %s", mark.By, mark.Node, arrival[n])
			}
			keep = append(keep, n)
		}
		slices.SortFunc(keep, func(a, b string) int { return gi.rank[a] - gi.rank[b] })
	}
	// A lost node keeps the group's intent while nothing replaces it:
	// the group comes back with the node.
	for short := want - live(keep); short > 0 && len(lost) > 0 && len(keep) < gi.maximum; short-- {
		keep = append(keep, lost[0])
		delete(leaving, lost[0])
		lost = lost[1:]
	}
	slices.SortFunc(keep, func(a, b string) int { return gi.rank[a] - gi.rank[b] })
	if got := live(keep); got < want {
		p.dec.Blocked[name] = p.blockedWhy(gi, got, want, barred, fenced)
		if mark != nil && mark.By != "" {
			p.dec.Blocked[name] = preemptedWhy(name, mark, p.dec.Blocked[name])
		}
		if got == 0 {
			if why := p.preempt(gi); why != "" {
				p.dec.Blocked[name] = why
			}
		}
	} else if len(fenced) > 0 {
		p.dec.Blocked[name] = fmt.Sprintf("it stays on %s: %s", fenced[0], p.stuckWhy(name, fenced[0]))
	} else if !gi.scalable {
		// Wanted on an up node, but still held by a lost one (a switch
		// or failover under way when it was lost): it starts once that
		// node is known stopped.
		for _, n := range gi.nodelist {
			if !slices.Contains(keep, n) && p.stuck(cg, n) {
				p.dec.Blocked[name] = fmt.Sprintf("it waits to start on %s: %s", joinOr(keep), p.stuckWhy(name, n))
				break
			}
		}
	}
	p.commitArrivals(gi, cur, keep, leaving, arrival)
}

func (p *placer) joinedIn(gi *groupInfo) bool {
	for n := range p.joined {
		if _, ok := gi.rank[n]; ok {
			return true
		}
	}
	return false
}

// arrivalWhy says why n was chosen for gi.
func (p *placer) arrivalWhy(gi *groupInfo, n string, barred []string) string {
	for _, a := range gi.affinities {
		if (a.kind == "++" || a.kind == "+++") && p.moved[a.target] {
			return fmt.Sprintf("it follows %s (strong affinity %s%s)", a.target, a.kind, a.target)
		}
	}
	if s := p.score(gi, n); s > 0 {
		return "weak positive affinity: it prefers a node where its + targets are"
	}
	if gi.rank[n] == 0 {
		return "first node of its Nodelist"
	}
	why := "first node of its Nodelist that can host it"
	var before []string
	for _, b := range barred {
		if len(before) < 3 {
			before = append(before, b)
		}
	}
	if len(before) > 0 {
		why += ": " + strings.Join(before, "; ")
		if len(barred) > len(before) {
			why += "; ..."
		}
	}
	return why
}

func (p *placer) blockedWhy(gi *groupInfo, got, want int, barred, fenced []string) string {
	allDown := len(gi.nodelist) > 0
	for _, n := range gi.nodelist {
		if st := p.in.Nodes[n]; st.Up || st.Fenced {
			allDown = false
		}
	}
	var why string
	switch {
	case allDown:
		why = "no node of its Nodelist (" + joinOr(gi.nodelist) + ") is up"
	case len(barred) == 0:
		why = "no other node of its Nodelist can host it"
	default:
		why = "no node can host it: " + strings.Join(slices.Compact(barred), "; ")
	}
	if gi.scalable && got > 0 {
		why = fmt.Sprintf("online on %d of the %d nodes it wants: %s", got, want, why)
	}
	if len(fenced) > 0 {
		why = fmt.Sprintf("it stays on %s: %s; %s", fenced[0], p.stuckWhy(gi.name, fenced[0]), why)
	}
	return why
}

// commit records the change of gi from cur to next (both in Nodelist
// order): Desired OFFLINE where it leaves, ONLINE where it arrives, and
// the moves; why explains every departure not in leaving.
func (p *placer) commit(gi *groupInfo, cur, next []string, leaving map[string]string, why string) {
	arrival := map[string]string{}
	for _, n := range next {
		arrival[n] = why
	}
	if leaving == nil {
		leaving = map[string]string{}
	}
	for _, n := range cur {
		if leaving[n] == "" {
			leaving[n] = why
		}
	}
	p.commitArrivals(gi, cur, next, leaving, arrival)
}

func (p *placer) commitArrivals(gi *groupInfo, cur, next []string, leaving, arrival map[string]string) {
	p.hosts[gi.name] = next
	var from, to []string
	for _, n := range cur {
		if !slices.Contains(next, n) {
			p.addLoad(gi, n, -1)
			from = append(from, n)
			p.dec.Changes = append(p.dec.Changes, model.StateChange{Group: gi.name, Node: n, Desired: model.RGStateOffline})
		}
	}
	for _, n := range next {
		if !slices.Contains(cur, n) {
			p.addLoad(gi, n, 1)
			to = append(to, n)
			p.dec.Changes = append(p.dec.Changes, model.StateChange{Group: gi.name, Node: n, Desired: model.RGStateOnline})
		}
	}
	if len(from) == 0 && len(to) == 0 {
		return
	}
	p.moved[gi.name] = true
	for i := 0; i < max(len(from), len(to)); i++ {
		m := Move{Group: gi.name}
		var why []string
		if i < len(from) {
			m.From = from[i]
			why = append(why, leaving[m.From])
		}
		if i < len(to) {
			m.To = to[i]
			if a := arrival[m.To]; a != "" && a != leaving[m.From] {
				why = append(why, a)
			}
		} else if len(next) == 0 {
			why = append(why, "it goes offline")
		}
		m.Why = strings.Join(slices.DeleteFunc(why, func(s string) bool { return s == "" }), "; ")
		p.dec.Moves = append(p.dec.Moves, m)
	}
}
