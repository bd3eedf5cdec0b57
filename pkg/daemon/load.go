package daemon

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/wire"
)

// setLoadLimits is the load-limit part of rgmadm node set (#22): the
// values are checked here, so that a mistake is answered before
// anything is proposed, and again by the log (model.SetLoadLimits).
func (d *Daemon) setLoadLimits(ctx context.Context, a wire.NodeSetArgs) error {
	hard, err := model.ParseLoads(a.LoadLimit)
	if err != nil {
		return scha.Errorf(scha.ErrInval, "loadlimit: %s", scha.DetailOf(err))
	}
	soft, err := model.ParseLoads(a.LoadLimitSoft)
	if err != nil {
		return scha.Errorf(scha.ErrInval, "loadlimit_soft: %s", scha.DetailOf(err))
	}
	var exists bool
	d.machine.Read(func(c *model.Config) { _, exists = c.Node(a.Name) })
	if !exists {
		return scha.Errorf(scha.ErrNode, "no node %q in this cluster", a.Name)
	}
	return d.propose(ctx, store.CmdSetLoadLimits, store.LoadLimitsCmd{Node: a.Name, Hard: hard, Soft: soft})
}

// nodeLoads is a node's inventory and loads for wire.NodeInfo: every
// load it has a limit for or that is placed on it, by name.
func nodeLoads(n model.Node, load map[string]int64) (*wire.NodeInventory, []wire.NodeLoad) {
	var inv *wire.NodeInventory
	if i := n.Inventory; i != nil {
		inv = &wire.NodeInventory{MilliCPU: i.MilliCPU, Memory: i.Memory, Serial: i.Serial, BMC: i.BMC,
			Kernel: i.Kernel, Version: i.Version, Hostname: i.Hostname, At: i.At}
	}
	lim := n.EffectiveLimits()
	names := map[string]bool{}
	for k := range lim {
		names[k] = true
	}
	for k := range load {
		names[k] = true
	}
	var out []wire.NodeLoad
	for _, k := range slices.Sorted(maps.Keys(names)) {
		l := lim[k]
		out = append(out, wire.NodeLoad{Name: k, Load: load[k], Hard: l.Hard, Soft: l.Soft, Default: l.Hard > 0 && n.Limits[k].Hard == 0})
	}
	return inv, out
}

// onlineTargets is rgmadm rg online without -n on a cluster: each
// failover group not yet wanted anywhere goes to the node placement
// chooses for it (engine.OnlineTargets: up, with room under its hard
// limits), not blindly to the first of its Nodelist. It returns the
// targets, the groups still to request (those refused left out), and
// the first refusal. A group that fits nowhere but may preempt groups
// of lower Priority (engine/preempt.go) is not requested: the victims
// are taken off with their marks here (store.CmdPreempt), and the
// leader places the group once they stopped; waiting says why it
// waits, and its target is the node it waits for.
func (d *Daemon) onlineTargets(ctx context.Context, names []string) (targets map[string]string, keep []string, waiting map[string]string, refused error) {
	var errs map[string]error
	var pre engine.Decision
	d.machine.Read(func(c *model.Config) {
		in := engine.PlaceInput{Config: c, Nodes: d.placeNodes(c), Now: time.Now().Unix(), Preempt: true}
		targets, errs, pre = engine.OnlineTargets(in, names, d.opts.NodeName)
	})
	if len(pre.Preempted) > 0 {
		if err := d.propose(ctx, store.CmdPreempt, store.PreemptCmd{Origin: originPlacement, Changes: pre.Changes, Marks: pre.Preempted}); err != nil {
			return nil, nil, nil, err
		}
		for _, m := range pre.Moves {
			d.opts.Logger.Info("rg online: "+m.Why, "group", m.Group, "from", m.From)
		}
	}
	keep = names[:0:0]
	for _, n := range names {
		if err := errs[n]; err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		if why, ok := pre.Blocked[n]; ok {
			if waiting == nil {
				waiting = map[string]string{}
			}
			waiting[n] = why
			continue
		}
		keep = append(keep, n)
	}
	return targets, keep, waiting, refused
}

// clearPreempt clears the preemption marks of those of groups that
// have one (rgmadm rg offline).
func (d *Daemon) clearPreempt(ctx context.Context, groups []string) error {
	var marked []string
	d.machine.Read(func(c *model.Config) {
		for _, g := range groups {
			if rg := c.Groups[g]; rg != nil && rg.Preempt != nil {
				marked = append(marked, g)
			}
		}
	})
	if len(marked) == 0 {
		return nil
	}
	return d.propose(ctx, store.CmdClearPreempt, store.ClearPreemptCmd{Groups: marked})
}

// statusLoads adds to rgmadm status each node's loads that matter: those
// some group wanted there puts on it, or that the operator limits (a
// node's own size alone, its inventory default, is left to node show).
func (d *Daemon) statusLoads(st *wire.StatusReply) {
	d.machine.Read(func(c *model.Config) {
		has := false
		for _, g := range c.Groups {
			has = has || g.Props["Load_factors"] != ""
		}
		for _, n := range c.Nodes {
			has = has || len(n.Limits) > 0
		}
		if !has {
			return
		}
		loads := engine.NodeLoads(c, nil)
		for i := range st.Nodes {
			n, ok := c.Node(st.Nodes[i].Name)
			if !ok {
				continue
			}
			_, all := nodeLoads(n, loads[n.Name])
			for _, l := range all {
				if l.Load > 0 || n.Limits[l.Name] != (model.LoadLimit{}) {
					st.Nodes[i].Loads = append(st.Nodes[i].Loads, l)
				}
			}
		}
	})
}

// clusterSet is rgmadm cluster set -p Concentrate_load=TRUE|FALSE.
func (d *Daemon) clusterSet(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.ClusterSetArgs](raw)
	if err != nil {
		return nil, err
	}
	if len(a.Props) == 0 {
		return nil, scha.Errorf(scha.ErrInval, "cluster set: no property given")
	}
	if err := model.NewConfig("", "").SetClusterProps(a.Props); err != nil {
		return nil, err
	}
	return nil, d.propose(ctx, store.CmdClusterProps, store.ClusterPropsCmd{Props: a.Props})
}
