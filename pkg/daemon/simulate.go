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

// simulate answers rgmadm simulate: the event applied to a copy of the
// configuration (the live one, or a saved one the client sent), decided
// by the engine's placement and run through every involved node's engine
// (engine.Simulate). Nothing is proposed, run or changed; it is a read,
// open to any local user.
func init() {
	moreHandlers = append(moreHandlers, func(d *Daemon) map[string]Handler {
		return map[string]Handler{wire.OpSimulate: d.simulate}
	})
}

func (d *Daemon) simulate(_ context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.SimulateArgs](raw)
	if err != nil {
		return nil, err
	}
	ev, words, err := simEvent(a)
	if err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	var c *model.Config
	d.machine.Read(func(cur *model.Config) { c = cur.Clone() })
	nodes := map[string]engine.NodeStatus{}
	reply := &wire.SimulateReply{Source: "live", Event: words, Up: []string{}}
	if a.Config != nil {
		reply.Source = "file"
		if c, err = savedConfig(c, a.Config, now); err != nil {
			return nil, err
		}
		for _, n := range c.Nodes {
			nodes[n.Name] = engine.NodeStatus{Up: true, Witness: n.Witness}
		}
	} else {
		// A node that is down and still holds a group (not yet fenced)
		// keeps it: Place reads that from the recorded states.
		for _, n := range c.Nodes {
			nodes[n.Name] = engine.NodeStatus{Up: d.nodeUp(n.Name), Witness: n.Witness}
		}
	}
	for _, n := range c.NodeNames() {
		if nodes[n].Up {
			reply.Up = append(reply.Up, n)
		}
	}
	res, err := engine.Simulate(engine.PlaceInput{Config: c, Nodes: nodes, Now: now, Preempt: true}, ev)
	if err != nil {
		return nil, err
	}
	return simReply(reply, res), nil
}

// simEvent checks the event's operands.
func simEvent(a wire.SimulateArgs) (engine.SimEvent, string, error) {
	want := map[string]int{wire.SimNodeDown: 1, wire.SimNodeUp: 1, wire.SimSwitch: 2, wire.SimFail: 1}
	n, ok := want[a.Event]
	if !ok {
		return engine.SimEvent{}, "", scha.Errorf(scha.ErrInval, "simulate: unknown event %q (node-down NODE, node-up NODE, switch GROUP NODE, fail RESOURCE)", a.Event)
	}
	if len(a.Operands) != n {
		return engine.SimEvent{}, "", scha.Errorf(scha.ErrInval, "simulate %s: takes %d operand(s), got %d", a.Event, n, len(a.Operands))
	}
	op := a.Operands
	switch a.Event {
	case wire.SimNodeDown:
		return engine.SimEvent{Kind: engine.SimNodeDown, Node: op[0]}, op[0] + " down", nil
	case wire.SimNodeUp:
		return engine.SimEvent{Kind: engine.SimNodeUp, Node: op[0]}, op[0] + " up", nil
	case wire.SimSwitch:
		return engine.SimEvent{Kind: engine.SimSwitch, Group: op[0], Node: op[1]}, "switch " + op[0] + " to " + op[1], nil
	}
	return engine.SimEvent{Kind: engine.SimFail, Resource: op[0]}, op[0] + " fails", nil
}

// savedConfig builds the configuration of a saved file on the live
// cluster's nodes (and any other node its Nodelists name), every group
// managed and placed as a cluster start would place it, its enabled
// resources online there.
func savedConfig(live *model.Config, f *wire.ImportArgs, now int64) (*model.Config, error) {
	c := model.NewConfig(live.ClusterName, "")
	c.Nodes = slices.Clone(live.Nodes)
	id := live.LastNodeID
	for _, n := range c.Nodes {
		id = max(id, n.ID)
	}
	for _, g := range f.Groups {
		for _, n := range model.SplitArray(lookupFold(g.Props, "Nodelist")) {
			if !c.HasNode(n) {
				id++
				c.Nodes = append(c.Nodes, model.Node{Name: n, ID: id})
			}
		}
	}
	cmd, _, err := importCommand(f, nil)
	if err != nil {
		return nil, err
	}
	if err := store.ApplyImport(c, &cmd); err != nil {
		return nil, err
	}
	// Managed, then placed as at a cluster's start.
	var ch []model.StateChange
	nodes := map[string]engine.NodeStatus{}
	for _, n := range c.Nodes {
		nodes[n.Name] = engine.NodeStatus{Up: true, Witness: n.Witness}
	}
	for _, g := range sortedValues(c.Groups) {
		for n := range g.Nodes {
			ch = append(ch, model.StateChange{Group: g.Name, Node: n, State: model.RGStateOffline, Desired: model.RGStateOffline})
		}
	}
	if err := c.ApplyStates(ch); err != nil {
		return nil, err
	}
	dec := engine.Place(engine.PlaceInput{Config: c, Nodes: nodes, Now: now, NewCluster: true})
	if err := c.ApplyStates(dec.Changes); err != nil {
		return nil, err
	}
	ch = ch[:0]
	for _, g := range sortedValues(c.Groups) {
		for n, st := range g.Nodes {
			if st.Desired != model.RGStateOnline {
				continue
			}
			ch = append(ch, model.StateChange{Group: g.Name, Node: n, State: model.RGStateOnline})
			for _, rn := range c.ResourcesOf(g.Name) {
				rst := c.Resources[rn].Nodes[n]
				if rst == nil || rst.OnOff != model.SwitchEnabled {
					continue
				}
				state := model.RStateOnline
				if rst.Monitored != model.SwitchEnabled {
					state = model.RStateOnlineNotMonitored
				}
				ch = append(ch, model.StateChange{Resource: rn, Node: n, State: state, Status: "OK"})
			}
		}
	}
	return c, c.ApplyStates(ch)
}

func simReply(reply *wire.SimulateReply, res engine.SimResult) *wire.SimulateReply {
	reply.Moves, reply.Blocked, reply.Steps, reply.After = []wire.SimMove{}, []wire.SimBlocked{}, []wire.SimStep{}, []wire.SimPlace{}
	moved := map[string]bool{}
	for _, m := range res.Decision.Moves {
		reply.Moves = append(reply.Moves, wire.SimMove{Group: m.Group, From: m.From, To: m.To, Why: m.Why})
		moved[m.Group] = true
	}
	for _, g := range slices.Sorted(maps.Keys(res.Decision.Blocked)) {
		reply.Blocked = append(reply.Blocked, wire.SimBlocked{Group: g, Why: res.Decision.Blocked[g]})
	}
	for _, m := range res.Decision.Preempted {
		if m.By != "" {
			reply.Preempted = append(reply.Preempted, wire.SimPreempted{Group: m.Group, By: m.By, Node: m.Node})
		}
	}
	for _, s := range res.Steps {
		reply.Steps = append(reply.Steps, wire.SimStep{Node: s.Node, Group: s.Group, Resource: s.Resource, Method: s.Method, Round: s.Round})
		moved[s.Group] = true
	}
	reply.Notes = res.Notes
	for _, g := range slices.Sorted(maps.Keys(moved)) {
		p := wire.SimPlace{Group: g, Online: []string{}}
		if cg := res.Config.Groups[g]; cg != nil {
			for _, n := range model.SplitArray(cg.Props["Nodelist"]) {
				if st := cg.Nodes[n]; st != nil && (st.State == model.RGStateOnline || st.State == model.RGStateOnlineFaulted) {
					p.Online = append(p.Online, n)
				}
			}
		}
		reply.After = append(reply.After, p)
	}
	return reply
}
