package daemon

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Admin verbs that choose a node: rg remaster, node evacuate. Both are
// placement decisions (choose.go).

// rgRemaster is `rgmadm rg remaster`: each online group goes to its most
// preferred nodes that can take it (Nodelist order, affinities, load
// limits, Pingpong_interval, Monitor_check there), as Failback does when
// a node comes back. A group that is offline stays offline.
func (d *Daemon) rgRemaster(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.LifecycleArgs](raw)
	if err != nil {
		return nil, err
	}
	var names []string
	d.machine.Read(func(c *model.Config) {
		if a.Name == "+" {
			names = sortedKeys(c.Groups)
		} else if _, err = c.Group(a.Name); err == nil {
			names = []string{a.Name}
		}
	})
	if err != nil {
		return nil, err
	}
	dec, err := d.decideChecked(ctx, func(in engine.PlaceInput) (engine.Decision, error) {
		in.Groups, in.Remaster, in.Operator = names, true, true
		return engine.Place(in), nil
	})
	if err != nil {
		return nil, err
	}
	var why []string
	for _, n := range names {
		if w := dec.Blocked[n]; w != "" {
			why = append(why, n+": "+w)
		}
	}
	if len(why) > 0 {
		return nil, scha.Errorf(scha.ErrNode, "rg remaster: %s", strings.Join(why, "; "))
	}
	if err := d.applyPlacement(ctx, dec, "rg remaster"); err != nil {
		return nil, err
	}
	// The groups it concerns (those wanted online), each with a node it
	// is wanted on, for rgmadm's --wait.
	rep := wire.LifecycleReply{Groups: []string{}, Targets: map[string]string{}, Notes: moveNotes(dec)}
	d.machine.Read(func(c *model.Config) {
		for _, n := range names {
			t := wantedOnline(dec, n)
			if g, ok := c.Groups[n]; ok && t == "" {
				for _, node := range model.SplitArray(g.Props["Nodelist"]) {
					if st := g.Nodes[node]; st != nil && st.Desired == model.RGStateOnline {
						t = node
						break
					}
				}
			}
			if t != "" {
				rep.Groups = append(rep.Groups, n)
				rep.Targets[n] = t
			}
		}
	})
	return rep, nil
}

// nodeEvacuate is `rgmadm node evacuate NODE`: every group wanted or
// active on NODE leaves it, for the node placement chooses (as if NODE
// were down, with Monitor_check on the target), or goes offline if no
// node can take it; a scalable group stays on its other nodes. A group
// placement leaves there (its Stop failed, it may still run on a lost
// node) is said so, and --wait does not wait for it.
func (d *Daemon) nodeEvacuate(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	var groups []string
	wanted := map[string]bool{} // wanted ONLINE on the node before
	dec, err := d.decideChecked(ctx, func(in engine.PlaceInput) (engine.Decision, error) {
		c := in.Config
		if !c.HasNode(a.Name) {
			return engine.Decision{}, scha.Errorf(scha.ErrNode, "no node %q in this cluster", a.Name)
		}
		st := in.Nodes[a.Name]
		st.Evacuating = true
		in.Nodes[a.Name] = st
		groups = groups[:0]
		for _, name := range sortedKeys(c.Groups) {
			gs, ok := c.Groups[name].Nodes[a.Name]
			if ok && gs.State != model.RGStateUnmanaged && (gs.Desired == model.RGStateOnline || c.GroupHeld(name, a.Name)) {
				groups = append(groups, name)
				wanted[name] = gs.Desired == model.RGStateOnline
			}
		}
		in.Groups, in.Operator = groups, true
		return engine.Place(in), nil
	})
	if err != nil {
		return nil, err
	}
	if err := d.applyPlacement(ctx, dec, "node evacuate"); err != nil {
		return nil, err
	}
	notes := moveNotes(dec)
	leaving := groups[:0:0]
	for _, g := range groups {
		if !wanted[g] || slices.ContainsFunc(dec.Moves, func(m engine.Move) bool { return m.Group == g && m.From == a.Name }) {
			leaving = append(leaving, g)
			continue
		}
		if notes == nil {
			notes = map[string]string{}
		}
		notes[g] = "stays on " + a.Name + ": " + cmp.Or(dec.Blocked[g], "placement keeps it there")
	}
	return wire.LifecycleReply{Groups: nonNilStrings(leaving), Notes: notes}, nil
}
