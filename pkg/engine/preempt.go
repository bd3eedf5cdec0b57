package engine

import (
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"

	"github.com/openrgm/openrgm/pkg/model"
)

// Preemption, as Solaris Cluster 3.3's Priority and Preemption_mode
// (rg_properties(5)): when a failover group with Load_factors fits on
// no node because of hard load limits, a group of higher Priority may
// push groups of lower Priority off a node to make room there. Oracle's
// documentation says that Preemption_mode "indicates the cost of moving
// a resource group from one node to another" and names three values;
// it is silent on how the victims are chosen. OpenRGM chooses:
//
//   - Only a failover group of strictly lower Priority may be preempted,
//     one whose Preemption_mode is not Never, that is managed, whose
//     automatic recovery is not suspended, whose Stop did not fail, that
//     has Load_factors (else nothing is gained), that is not a target of
//     the preemptor's strong positive affinities, and that no group
//     wanted online has a strong positive affinity (++, +++) for.
//   - On each node of the preemptor's Nodelist that it could go to but
//     for the hard limits, the cheapest set of such groups whose leaving
//     makes room is chosen: the fewest Has_cost groups first (No_cost
//     groups are preempted before any Has_cost one), then the fewest
//     groups, then the lowest Priorities, then names. The node with the
//     cheapest set wins; on a tie, the first in Nodelist order.
//   - The victims are set Desired OFFLINE there and marked preempted in
//     the log, with the preemptor marked as waiting for that node (one
//     entry, store.CmdPreempt). The preemptor is placed only once they
//     stopped: a group weighs on a node until it is OFFLINE there
//     (NodeLoads), and the room it leaves is reserved for the preemptor
//     meanwhile, so that no other group takes it.
//   - A preempted group is placed again, as any group that should be
//     online, as soon as some node has room for it (a node comes back,
//     a limit rises, a group goes offline), and may itself preempt
//     groups of still lower Priority. rgmadm rg offline clears its mark:
//     it then stays offline.
//   - Scalable groups neither preempt nor are preempted.

// maxExact is how many candidate victims on one node are weighed in
// every combination; beyond, they are taken greedily.
const maxExact = 12

// preemptPlan is what preempting on one node costs.
type preemptPlan struct {
	node    string
	victims []*groupInfo
	// hasCost, count, prio: the cost, compared in this order.
	hasCost, count, prio int
	stopping             []string // groups whose stopping there makes room
}

func (a *preemptPlan) cheaper(b *preemptPlan) bool {
	if a.hasCost != b.hasCost {
		return a.hasCost < b.hasCost
	}
	if a.count != b.count {
		return a.count < b.count
	}
	return a.prio < b.prio
}

// loadMarks reads the configuration's marks: a group waiting to
// preempt holds room on its node (reserved), so that no other group
// takes what its victims leave. A mark of a group already wanted on an
// up node is stale (the leader clears it) and is ignored.
func (p *placer) loadMarks() {
	p.marks, p.reserved = map[string]*model.PreemptMark{}, map[string]string{}
	for name, g := range p.c.Groups {
		if g.Preempt == nil || p.onUp(name) {
			continue
		}
		p.marked = append(p.marked, name)
		p.marks[name] = g.Preempt
		if gi := p.x.groups[name]; gi != nil && g.Preempt.By == "" {
			p.reserved[name] = g.Preempt.Node
			p.addLoad(gi, g.Preempt.Node, 1)
		}
	}
	slices.Sort(p.marked)
}

// onUp reports whether group is wanted on a node that is up.
func (p *placer) onUp(group string) bool {
	return slices.ContainsFunc(p.wanted(group), func(n string) bool { return p.in.Nodes[n].Up })
}

// waiting returns group's mark when it waits for room (nil otherwise).
func (p *placer) waiting(group string) *model.PreemptMark {
	if m := p.marks[group]; m != nil && !p.onUp(group) {
		return m
	}
	return nil
}

// finishMarks puts in the decision the marks decided in this call of
// the groups still waiting at its end.
func (p *placer) finishMarks() {
	for _, g := range p.newMarks {
		if m := p.waiting(g); m != nil {
			p.dec.Preempted = append(p.dec.Preempted, model.GroupMark{Group: g, PreemptMark: *m})
		}
	}
}

// preemptible says whether o, wanted on a node, may be pushed off it by
// gi (see the comment at the top of this file).
func (p *placer) preemptible(gi, o *groupInfo) bool {
	cg := p.c.Groups[o.name]
	if o.priority >= gi.priority || o.scalable || o.factors == nil || cg == nil || !managed(cg) ||
		cg.Props["Preemption_mode"] == "Never" || cg.Props["Suspend_automatic_recovery"] == "TRUE" {
		return false
	}
	if n, _ := p.stopFailed(cg); n != "" {
		return false
	}
	for _, a := range gi.affinities {
		if a.target == o.name && (a.kind == "++" || a.kind == "+++") {
			return false
		}
	}
	for _, s := range p.x.sources[o.name] {
		for _, a := range p.x.groups[s].affinities {
			if a.target == o.name && (a.kind == "++" || a.kind == "+++") && len(p.wanted(s)) > 0 {
				return false
			}
		}
	}
	return true
}

// planOn works out how gi could get room on n, which its hard limits
// bar now: nil when no set of groups it may preempt makes enough; a
// plan without victims when the groups stopping there will.
func (p *placer) planOn(gi *groupInfo, n string) *preemptPlan {
	lim := p.x.limits[n]
	// What stays on n once everything stopping there stopped: the
	// groups wanted there and the room others reserved.
	stays := map[string]int64{}
	pl := &preemptPlan{node: n}
	var cands []*groupInfo
	for _, name := range p.x.onNode[n] {
		o := p.x.groups[name]
		if o == nil || o.factors == nil || name == gi.name {
			continue
		}
		if !slices.Contains(p.wanted(name), n) {
			if st := p.c.Groups[name].Nodes[n]; st != nil && running(st) {
				pl.stopping = append(pl.stopping, name)
			}
			continue
		}
		for k, v := range o.factors {
			stays[k] += v
		}
		if p.preemptible(gi, o) {
			cands = append(cands, o)
		}
	}
	for g, rn := range p.reserved {
		if rn == n && g != gi.name {
			for k, v := range p.x.groups[g].factors {
				stays[k] += v
			}
		}
	}
	fits := func(set []*groupInfo) bool {
		for k, f := range gi.factors {
			h := lim[k].Hard
			if h == 0 {
				continue
			}
			l := stays[k] + f
			for _, o := range set {
				l -= o.factors[k]
			}
			if l > h {
				return false
			}
		}
		return true
	}
	if fits(nil) {
		return pl // it waits for the stopping groups
	}
	if !fits(cands) {
		return nil
	}
	hasCost := func(o *groupInfo) bool { return p.c.Groups[o.name].Props["Preemption_mode"] != "No_cost" }
	slices.SortFunc(cands, func(a, b *groupInfo) int {
		if ha, hb := hasCost(a), hasCost(b); ha != hb {
			if hb {
				return -1
			}
			return 1
		}
		if a.priority != b.priority {
			return a.priority - b.priority
		}
		return strings.Compare(a.name, b.name)
	})
	price := func(set []*groupInfo) *preemptPlan {
		c := &preemptPlan{node: n, victims: set, count: len(set), stopping: pl.stopping}
		for _, o := range set {
			if hasCost(o) {
				c.hasCost++
			}
			c.prio += o.priority
		}
		return c
	}
	if len(cands) <= maxExact {
		if set := p.cheapest(gi, lim, stays, cands, hasCost); set != nil {
			return price(set)
		}
		return nil
	}
	// Greedily: the cheapest kinds first, then drop what is not needed.
	var set []*groupInfo
	for _, o := range cands {
		if set = append(set, o); fits(set) {
			break
		}
	}
	for i := len(set) - 1; i >= 0; i-- {
		if without := slices.Delete(slices.Clone(set), i, i+1); fits(without) {
			set = without
		}
	}
	return price(set)
}

// cheapest weighs every combination of cands and returns the cheapest
// one whose leaving makes room for gi under lim (nil when none does). At
// equal cost the combination of the earlier candidates (the cheaper
// kinds, as planOn sorts them) wins. Each combination's freed loads and
// cost are those of the combination without its lowest member plus that
// member: a few additions each, nothing allocated per combination.
func (p *placer) cheapest(gi *groupInfo, lim map[string]model.LoadLimit, stays map[string]int64, cands []*groupInfo, hasCost func(*groupInfo) bool) []*groupInfo {
	var keys []string
	var need []int64
	for _, k := range slices.Sorted(maps.Keys(gi.factors)) {
		if h := lim[k].Hard; h > 0 {
			keys = append(keys, k)
			need = append(need, stays[k]+gi.factors[k]-h)
		}
	}
	size, nk := 1<<len(cands), len(keys)
	costly, vec := make([]int, len(cands)), make([]int64, len(cands)*nk)
	for i, o := range cands {
		if hasCost(o) {
			costly[i] = 1
		}
		for j, k := range keys {
			vec[i*nk+j] = o.factors[k]
		}
	}
	freed := make([]int64, size*nk)
	hc, prio := make([]int, size), make([]int, size)
	best := 0
	cheaper := func(a, b int) bool {
		if hc[a] != hc[b] {
			return hc[a] < hc[b]
		}
		if ca, cb := bits.OnesCount(uint(a)), bits.OnesCount(uint(b)); ca != cb {
			return ca < cb
		}
		return prio[a] < prio[b]
	}
	for mask := 1; mask < size; mask++ {
		low, prev := bits.TrailingZeros(uint(mask)), mask&(mask-1)
		ok := true
		for i := range nk {
			v := freed[prev*nk+i] + vec[low*nk+i]
			freed[mask*nk+i] = v
			ok = ok && v >= need[i]
		}
		hc[mask], prio[mask] = hc[prev]+costly[low], prio[prev]+cands[low].priority
		if ok && (best == 0 || cheaper(mask, best)) {
			best = mask
		}
	}
	if best == 0 {
		return nil
	}
	var set []*groupInfo
	for i, o := range cands {
		if best&(1<<i) != 0 {
			set = append(set, o)
		}
	}
	return set
}

// preempt makes room for gi, a failover group that fits on no node,
// when Preempt is on: it chooses the cheapest plan over the nodes its
// hard limits alone bar, takes the victims off, and says why gi waits
// ("" when there is no plan).
func (p *placer) preempt(gi *groupInfo) string {
	if !p.in.Preempt || gi.scalable || gi.factors == nil || p.load == nil {
		return ""
	}
	var best *preemptPlan
	for _, n := range gi.nodelist {
		if n == p.leave[gi.name] || slices.Contains(p.in.Refused[gi.name], n) || p.bar(gi, n, true) != "" || p.loadBar(gi, n) == "" {
			continue
		}
		if pl := p.planOn(gi, n); pl != nil && (best == nil || pl.cheaper(best)) {
			best = pl
		}
	}
	if best == nil {
		return ""
	}
	n := best.node
	p.reserved[gi.name] = n
	p.addLoad(gi, n, 1)
	if len(best.victims) == 0 {
		if len(best.stopping) == 0 {
			return "it waits for room on " + n
		}
		return fmt.Sprintf("it waits for room on %s: %s stopping there", n, joinAnd(best.stopping))
	}
	var names []string
	for _, o := range best.victims {
		names = append(names, o.name)
		mode := p.c.Groups[o.name].Props["Preemption_mode"]
		p.hosts[o.name] = slices.DeleteFunc(slices.Clone(p.wanted(o.name)), func(h string) bool { return h == n })
		p.moved[o.name] = true
		p.dec.Changes = append(p.dec.Changes, model.StateChange{Group: o.name, Node: n, Desired: model.RGStateOffline})
		p.dec.Moves = append(p.dec.Moves, Move{Group: o.name, From: n,
			Why: fmt.Sprintf("preempted by %s (Priority %d above its %d; Preemption_mode %s): %s needs its room on %s", gi.name, gi.priority, o.priority, mode, gi.name, n)})
		p.mark(o.name, &model.PreemptMark{By: gi.name, Node: n, At: p.in.Now})
	}
	p.mark(gi.name, &model.PreemptMark{Node: n, At: p.in.Now})
	return fmt.Sprintf("it waits for room on %s: preempting %s (lower Priority), to start once stopped", n, joinAnd(names))
}

func (p *placer) mark(group string, m *model.PreemptMark) {
	p.marks[group] = m
	if !slices.Contains(p.newMarks, group) {
		p.newMarks = append(p.newMarks, group)
	}
}

// preemptedWhy says why a preempted group is not online.
func preemptedWhy(group string, m *model.PreemptMark, why string) string {
	return fmt.Sprintf("preempted by %s from %s: it waits for room (%s); rgmadm rg offline %s keeps it offline", m.By, m.Node, why, group)
}

func joinAnd(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
