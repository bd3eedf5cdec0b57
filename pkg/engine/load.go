package engine

import (
	"fmt"
	"maps"
	"slices"

	"github.com/openrgm/openrgm/pkg/model"
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

// NodeLoads returns what the groups wanted (Desired ONLINE) on each node
// add up to, by load name: the load placement weighs against limits.
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
			if st.Desired != model.RGStateOnline {
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
