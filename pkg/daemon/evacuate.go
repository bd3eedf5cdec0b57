package daemon

import (
	"context"
	"encoding/json"
	"time"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Admin verbs that choose a node: rg remaster, node evacuate.

// preferred is the first node of g's Nodelist, other than not, that is up,
// managed there, and not barred by Pingpong_interval.
func (d *Daemon) preferred(g *model.ResourceGroup, not string, now int64) string {
	if c := d.candidates(g, not, now); len(c) > 0 {
		return c[0]
	}
	return ""
}

// candidates are those nodes, in Nodelist order.
func (d *Daemon) candidates(g *model.ResourceGroup, not string, now int64) []string {
	pingpong := int64(atoiOr(g.Props["Pingpong_interval"], 3600))
	recent := func(t int64) bool { return t != 0 && now-t < pingpong }
	var out []string
	for _, n := range model.SplitArray(g.Props["Nodelist"]) {
		st := g.Nodes[n]
		if n == not || st == nil || st.State == model.RGStateUnmanaged || !d.nodeUp(n) || recent(st.StartFailedAt) || recent(st.GiveoverAt) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// rgRemaster is `rgmadm rg remaster`: each failover group goes to the
// most preferred node that can take it, if it is not there (a switch,
// with Monitor_check there); a scalable group is brought online.
func (d *Daemon) rgRemaster(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.LifecycleArgs](raw)
	if err != nil {
		return nil, err
	}
	l, err := d.loop()
	if err != nil {
		return nil, err
	}
	var names []string
	var reqs []engine.Event
	now := time.Now().Unix()
	d.machine.Read(func(c *model.Config) {
		if a.Name == "+" {
			names = sortedKeys(c.Groups)
		} else if _, err = c.Group(a.Name); err == nil {
			names = []string{a.Name}
		}
		for _, name := range names {
			g := c.Groups[name]
			if g.Props["RG_mode"] == "Scalable" {
				reqs = append(reqs, engine.Request{Op: engine.OpOnline, Group: name})
				continue
			}
			target := d.preferred(g, "", now)
			if target == "" {
				err = scha.Errorf(scha.ErrNode, "resource group %s: no node of its Nodelist is up and able to master it", name)
				return
			}
			if st := g.Nodes[target]; st.Desired != model.RGStateOnline {
				reqs = append(reqs, engine.Request{Op: engine.OpSwitch, Group: name, Node: target})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if err := l.requests(ctx, reqs); err != nil {
		return nil, err
	}
	return wire.LifecycleReply{Groups: nonNilStrings(names)}, nil
}

// nodeEvacuate is `rgmadm node evacuate NODE`: every failover group
// wanted or active on NODE switches to the most preferred other node
// that can take it, or goes offline if none can; scalable groups go
// offline on NODE alone.
func (d *Daemon) nodeEvacuate(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	l, err := d.loop()
	if err != nil {
		return nil, err
	}
	var groups []string
	var reqs []engine.Event
	var scalable []model.StateChange
	now := time.Now().Unix()
	d.machine.Read(func(c *model.Config) {
		if !c.HasNode(a.Name) {
			err = scha.Errorf(scha.ErrNode, "no node %q in this cluster", a.Name)
			return
		}
		for _, name := range sortedKeys(c.Groups) {
			g := c.Groups[name]
			st, ok := g.Nodes[a.Name]
			if !ok || (st.Desired != model.RGStateOnline && !c.GroupHeld(name, a.Name)) || st.State == model.RGStateUnmanaged {
				continue
			}
			groups = append(groups, name)
			if g.Props["RG_mode"] == "Scalable" {
				scalable = append(scalable, model.StateChange{Group: name, Node: a.Name, Desired: model.RGStateOffline})
				continue
			}
			if target := d.preferred(g, a.Name, now); target != "" {
				reqs = append(reqs, engine.Request{Op: engine.OpSwitch, Group: name, Node: target})
			} else {
				reqs = append(reqs, engine.Request{Op: engine.OpOffline, Group: name})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if len(scalable) > 0 {
		if err := d.propose(ctx, store.CmdSetState, store.StateCmd{Origin: originPlacement, Changes: scalable}); err != nil {
			return nil, err
		}
	}
	if err := l.requests(ctx, reqs); err != nil {
		return nil, err
	}
	return wire.LifecycleReply{Groups: nonNilStrings(groups)}, nil
}
