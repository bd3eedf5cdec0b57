package daemon

import (
	"encoding/json"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/wire"
)

// applied turns a committed command, from this node or another, into
// events. It runs on raft's apply path, so it only decodes and publishes.
func (d *Daemon) applied(typ byte, body []byte) {
	d.pokeFailover()
	select {
	case d.leaseWake <- struct{}{}: // the node may hold a group now (leaseNeeded)
	default:
	}
	if typ == store.CmdSetState || typ == store.CmdPreempt {
		// The lifecycle's own commits, on its critical path: decoded once
		// (a preemption's victims' changes too: PreemptCmd has the same
		// fields).
		var cmd store.StateCmd
		if json.Unmarshal(body, &cmd) != nil {
			return
		}
		if l := d.lc.Load(); l != nil && cmd.Origin != d.opts.NodeName {
			for _, ch := range cmd.Changes {
				l.markDirty(ch.Group, ch.Resource)
			}
		}
		d.stateEvents(cmd.Changes)
		return
	}
	if typ == store.CmdImport {
		d.importApplied(body) // config_io.go
		return
	}
	var n struct {
		Name, Group, Resource, Node, Status, Msg string
	}
	if json.Unmarshal(body, &n) != nil {
		return
	}
	if l := d.lc.Load(); l != nil {
		d.lifecycleApplied(l, typ, n.Name, n.Group)
	}
	if ce, ok := configEvents[typ]; ok {
		d.publish(wire.Event{Kind: wire.EventConfig, Object: ce.object, Name: n.Name, Group: n.Group, Change: ce.change})
		return
	}
	switch typ {
	case store.CmdNodeFenced, store.CmdSetFence:
		d.publish(wire.Event{Kind: wire.EventConfig, Object: "cluster", Node: n.Node, Change: "changed"})
	case store.CmdJoinNode, store.CmdRemoveNode:
		if l := d.lease; l != nil {
			go d.updateGuardPeers(l.getGuard())
		}
		d.pokeReconcile()
		if typ == store.CmdRemoveNode {
			d.nodeRemoved(n.Name)
		}
		d.publish(wire.Event{Kind: wire.EventConfig, Object: "cluster", Node: n.Node + n.Name, Change: "changed"})
	case store.CmdInit:
		d.pokeReconcile()
		d.publish(wire.Event{Kind: wire.EventConfig, Object: "cluster", Node: n.Node, Change: "changed"})
	case store.CmdSetStatus:
		d.publish(wire.Event{Kind: wire.EventStatus, Object: wire.KindResource, Name: n.Resource, Group: n.Group, Node: n.Node, Status: n.Status, StatusMsg: n.Msg})
	}
}

// statusIs reports whether resource's stored status on node is status and
// msg.
func (d *Daemon) statusIs(resource, node, status, msg string) bool {
	same := false
	d.machine.Read(func(c *model.Config) {
		if r, ok := c.Resources[resource]; ok {
			if st, ok := r.Nodes[node]; ok {
				same = st.Status == status && st.StatusMsg == msg
			}
		}
	})
	return same
}

// configEvents says which object each configuration command changes, and
// how.
var configEvents = map[byte]struct{ object, change string }{
	store.CmdRegisterType:   {wire.KindResourceType, "created"},
	store.CmdUnregisterType: {wire.KindResourceType, "deleted"},
	store.CmdSetTypeProps:   {wire.KindResourceType, "changed"},
	store.CmdCreateGroup:    {wire.KindResourceGroup, "created"},
	store.CmdSetGroup:       {wire.KindResourceGroup, "changed"},
	store.CmdDeleteGroup:    {wire.KindResourceGroup, "deleted"},
	store.CmdCreateResource: {wire.KindResource, "created"},
	store.CmdSetResource:    {wire.KindResource, "changed"},
	store.CmdDeleteResource: {wire.KindResource, "deleted"},
}

// publish sends e, first giving a resource's event its group when the
// command did not name it (rs set, state batches), so that followers of a
// group (`rgmadm events -g`) see it. A deleted resource's group is gone
// with it.
func (d *Daemon) publish(e wire.Event) {
	if e.Object == wire.KindResource && e.Group == "" {
		d.machine.Read(func(c *model.Config) {
			if r, ok := c.Resources[e.Name]; ok {
				e.Group = r.Group
			}
		})
	}
	d.events.Publish(e)
}

// lifecycleApplied tells the engine's loop which objects a committed
// command changed, unless the loop made the change itself.
func (d *Daemon) lifecycleApplied(l *lifecycle, typ byte, name, group string) {
	switch typ {
	case store.CmdSetStatus:
		// Status is the monitors'; the engine does not decide from it.
	case store.CmdCreateGroup, store.CmdSetGroup, store.CmdDeleteGroup:
		l.markDirty(name, "")
	case store.CmdCreateResource:
		l.markDirty(group, "")
	case store.CmdSetResource, store.CmdDeleteResource:
		l.markDirty("", name)
	default:
		l.markDirty("", "")
	}
}

// stateEvents publishes one event per state, desired-state or status
// change of a committed batch.
func (d *Daemon) stateEvents(changes []model.StateChange) {
	for _, ch := range changes {
		if ch.Group != "" {
			if ch.State != "" {
				d.publish(wire.Event{Kind: wire.EventState, Object: wire.KindResourceGroup, Name: ch.Group, Group: ch.Group, Node: ch.Node, State: ch.State})
			}
			if ch.Desired != "" || ch.Suspend != "" {
				d.publish(wire.Event{Kind: wire.EventConfig, Object: wire.KindResourceGroup, Name: ch.Group, Group: ch.Group, Node: ch.Node, Change: "changed"})
			}
			continue
		}
		if ch.State != "" {
			d.publish(wire.Event{Kind: wire.EventState, Object: wire.KindResource, Name: ch.Resource, Node: ch.Node, State: ch.State})
		}
		if ch.Status != "" {
			msg := ""
			if ch.StatusMsg != nil {
				msg = *ch.StatusMsg
			}
			// A default status that a method's own status overrode
			// changed nothing (r_properties(5)).
			if !ch.StatusIfUnset || d.statusIs(ch.Resource, ch.Node, ch.Status, msg) {
				d.publish(wire.Event{Kind: wire.EventStatus, Object: wire.KindResource, Name: ch.Resource, Node: ch.Node, Status: ch.Status, StatusMsg: msg})
			}
		}
		if ch.OnOff != "" || ch.Monitored != "" {
			d.publish(wire.Event{Kind: wire.EventConfig, Object: wire.KindResource, Name: ch.Resource, Node: ch.Node, Change: "changed"})
		}
	}
}
