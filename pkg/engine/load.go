package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// Load limits (model/load.go, Solaris Cluster's loadlimit): a group
// whose Load_factors name loads goes to a node only where, once its
// factors are added to those of the groups wanted there, every hard
// limit of that node holds. Among the nodes where it may go, after weak
// affinities, those where it stays under every soft limit come before
// those where it would not, each in Nodelist order. A group without
// Load_factors is not weighed; a node without limits for a load has
// room for any amount of it. Higher Priority groups are decided first
// in one call, so they take the room there is; a group that fits
// nowhere is Blocked, with each node's shortfall named. A group already
// on a node stays there even when a limit lowered since leaves the node
// over it (nothing is stopped; nothing more goes there).

// NodeLoads returns what the groups on each node add up to, by load
// name: the load placement weighs against limits. A group weighs on a
// node where it is wanted (Desired ONLINE), and also where it is still
// running or stopping (its state neither OFFLINE nor UNMANAGED): room a
// group leaves is room only once it stopped, so that a group that
// preempts it never runs beside it past a hard limit.
func NodeLoads(c *model.Config, x *Index) map[string]map[string]int64 {
	if !x.fresh(c) {
		x = NewIndex(c)
	}
	load := map[string]map[string]int64{}
	for name, gi := range x.groups {
		if gi.factors == nil {
			continue
		}
		for n, st := range c.Groups[name].Nodes {
			if !weighs(st) {
				continue
			}
			l := load[n]
			if l == nil {
				l = map[string]int64{}
				load[n] = l
			}
			for k, v := range gi.factors {
				l[k] += v
			}
		}
	}
	return load
}

// weighs reports whether a group in state st on a node counts in the
// node's load (NodeLoads).
func weighs(st *model.RGNode) bool {
	return st.Desired == model.RGStateOnline || running(st)
}

// running reports whether st is a state in which the group may still
// run something on its node.
func running(st *model.RGNode) bool {
	return st.State != model.RGStateOffline && st.State != model.RGStateUnmanaged && st.State != ""
}

// Limits returns node's effective limits as x applies them (nil when no
// group has Load_factors).
func (x *Index) Limits(node string) map[string]model.LoadLimit { return x.limits[node] }

func (p *placer) addLoad(gi *groupInfo, n string, sign int64) {
	if p.load == nil || gi.factors == nil {
		return
	}
	l := p.load[n]
	if l == nil {
		l = map[string]int64{}
		p.load[n] = l
	}
	for k, v := range gi.factors {
		l[k] += sign * v
	}
}

// loadBar says why gi does not fit on n ("" when it does): a hard limit
// its factors would pass.
func (p *placer) loadBar(gi *groupInfo, n string) string {
	if p.load == nil || gi.factors == nil {
		return ""
	}
	lim := p.x.limits[n]
	if lim == nil {
		return ""
	}
	for _, k := range slices.Sorted(maps.Keys(gi.factors)) {
		v := gi.factors[k]
		if h := lim[k].Hard; h > 0 && p.load[n][k]+v > h {
			return fmt.Sprintf("%s has no room: load %s %s placed + %s > hard limit %s", n, k,
				model.FormatLoadValue(k, p.load[n][k]), model.FormatLoadValue(k, v), model.FormatLoadValue(k, h))
		}
	}
	return ""
}

// overSoft reports whether gi on n would pass one of n's soft limits.
func (p *placer) overSoft(gi *groupInfo, n string) bool {
	if p.load == nil || gi.factors == nil {
		return false
	}
	lim := p.x.limits[n]
	for k, v := range gi.factors {
		if s := lim[k].Soft; s > 0 && p.load[n][k]+v > s {
			return true
		}
	}
	return false
}

// OnlineTargets chooses the node on which rgmadm rg online (no -n)
// brings each failover group of groups online on a cluster, the higher
// Priority first, each choice counted in the next one's loads: local
// (the node that was asked) when it may take the group and stays under
// its soft limits with it, as rg online did before load limits;
// otherwise the node Place would choose (weak affinities, then the
// nodes under their soft limits, then Nodelist order). Never a node
// past a hard limit, down, fenced, a witness, evacuating or barred by
// the group's strong affinities.
// Pingpong_interval does not apply: it bars automatic moves, not the
// operator's. A group no node can take is refused (SCHA_ERR_CHECKS) in
// errs, with each node's reason; with in.Preempt, a failover group that
// only the hard limits bar may instead preempt groups of lower Priority
// (preempt.go): pre then holds the victims' changes and the marks to
// record (store.CmdPreempt), pre.Blocked says why the group waits, its
// target is the node it waits for, and the leader places it there once
// they stopped. Scalable groups and groups already wanted somewhere are
// left out of all three.
func OnlineTargets(in PlaceInput, groups []string, local string) (targets map[string]string, errs map[string]error, pre Decision) {
	in.Operator = true // an operator's request: Pingpong_interval does not apply
	p := newPlacer(in)
	targets, errs = map[string]string{}, map[string]error{}
	groups = slices.Clone(groups)
	slices.SortStableFunc(groups, func(a, b string) int { // higher Priority first
		if ga, gb := p.x.groups[a], p.x.groups[b]; ga != nil && gb != nil {
			return gb.priority - ga.priority
		}
		return 0
	})
	for _, group := range groups {
		gi, cg := p.x.groups[group], p.c.Groups[group]
		if gi == nil || cg == nil || gi.scalable || len(p.wanted(group)) > 0 {
			continue
		}
		ok, barred := p.candidates(gi, func(string) bool { return false }, -1)
		if len(ok) == 0 {
			if !managed(cg) {
				// rg online -M manages it in the same request: it
				// preempts nothing before it is managed.
			} else if why := p.preempt(gi); why != "" {
				p.dec.Blocked[group] = why
				targets[group] = p.reserved[group]
				continue
			}
			if len(barred) == 0 {
				barred = []string{"its Nodelist is empty"}
			}
			errs[group] = scha.Errorf(scha.ErrChecks, "rg online %s refused: no node can host it: %s", group, strings.Join(barred, "; "))
			continue
		}
		if !p.x.concentrate && slices.Contains(ok, local) && !p.overSoft(gi, local) {
			ok[0] = local
		}
		targets[group] = ok[0]
		p.hosts[group] = []string{ok[0]}
		p.addLoad(gi, ok[0], 1)
	}
	p.finishMarks()
	return targets, errs, p.dec
}

// sortCandidates orders the nodes gi may go to: weak affinities first,
// then the nodes where it stays under every soft limit, then, under
// Concentrate_load, the most loaded (the highest share of a hard limit
// any of gi's loads reaches there, without gi) first; Nodelist order
// otherwise.
func (p *placer) sortCandidates(gi *groupInfo, ok []string) {
	fill := map[string]float64{}
	if p.x.concentrate && p.load != nil {
		for _, n := range ok {
			for k := range gi.factors {
				if h := p.x.limits[n][k].Hard; h > 0 {
					fill[n] = max(fill[n], float64(p.load[n][k])/float64(h))
				}
			}
		}
	}
	sort.SliceStable(ok, func(i, j int) bool {
		if si, sj := p.score(gi, ok[i]), p.score(gi, ok[j]); si != sj {
			return si > sj
		}
		if oi, oj := p.overSoft(gi, ok[i]), p.overSoft(gi, ok[j]); oi != oj {
			return oj
		}
		return fill[ok[i]] > fill[ok[j]]
	})
}
