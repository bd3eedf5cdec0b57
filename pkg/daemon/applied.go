package daemon

import (
	"encoding/json"

	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/wire"
)

// applied turns a committed command, from this node or another, into
// events. It runs on raft's apply path, so it only decodes and publishes.
func (d *Daemon) applied(typ byte, body []byte) {
	var n struct {
		Name, Group, Resource, Node, Status, Msg string
	}
	if json.Unmarshal(body, &n) != nil {
		return
	}
	if l := d.lc.Load(); l != nil {
		d.lifecycleApplied(l, typ, body, n.Name, n.Group)
	}
	config := func(object, change string) {
		d.events.Publish(wire.Event{Kind: wire.EventConfig, Object: object, Name: n.Name, Group: n.Group, Change: change})
	}
	switch typ {
	case store.CmdInit:
		d.events.Publish(wire.Event{Kind: wire.EventConfig, Object: "cluster", Node: n.Node, Change: "changed"})
	case store.CmdRegisterType:
		config(wire.KindResourceType, "created")
	case store.CmdUnregisterType:
		config(wire.KindResourceType, "deleted")
	case store.CmdSetTypeProps:
		config(wire.KindResourceType, "changed")
	case store.CmdCreateGroup:
		config(wire.KindResourceGroup, "created")
	case store.CmdSetGroup:
		config(wire.KindResourceGroup, "changed")
	case store.CmdDeleteGroup:
		config(wire.KindResourceGroup, "deleted")
	case store.CmdCreateResource:
		config(wire.KindResource, "created")
	case store.CmdSetResource:
		config(wire.KindResource, "changed")
	case store.CmdDeleteResource:
		config(wire.KindResource, "deleted")
	case store.CmdSetState:
		d.stateEvents(body)
	case store.CmdSetStatus:
		d.events.Publish(wire.Event{Kind: wire.EventStatus, Object: wire.KindResource, Name: n.Resource, Group: n.Group, Node: n.Node, Status: n.Status, StatusMsg: n.Msg})
	}
}

// lifecycleApplied tells the engine's loop which objects a committed
// command changed, unless the loop made the change itself.
func (d *Daemon) lifecycleApplied(l *lifecycle, typ byte, body []byte, name, group string) {
	switch typ {
	case store.CmdSetStatus:
		// Status is the monitors'; the engine does not decide from it.
	case store.CmdSetState:
		var cmd store.StateCmd
		if json.Unmarshal(body, &cmd) != nil || cmd.Origin == d.opts.NodeName {
			return
		}
		for _, ch := range cmd.Changes {
			l.markDirty(ch.Group, ch.Resource)
		}
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
func (d *Daemon) stateEvents(body []byte) {
	var cmd store.StateCmd
	if json.Unmarshal(body, &cmd) != nil {
		return
	}
	for _, ch := range cmd.Changes {
		if ch.Group != "" {
			if ch.State != "" {
				d.events.Publish(wire.Event{Kind: wire.EventState, Object: wire.KindResourceGroup, Name: ch.Group, Group: ch.Group, Node: ch.Node, State: ch.State})
			}
			if ch.Desired != "" || ch.Suspend != "" {
				d.events.Publish(wire.Event{Kind: wire.EventConfig, Object: wire.KindResourceGroup, Name: ch.Group, Group: ch.Group, Node: ch.Node, Change: "changed"})
			}
			continue
		}
		if ch.State != "" {
			d.events.Publish(wire.Event{Kind: wire.EventState, Object: wire.KindResource, Name: ch.Resource, Node: ch.Node, State: ch.State})
		}
		if ch.Status != "" {
			msg := ""
			if ch.StatusMsg != nil {
				msg = *ch.StatusMsg
			}
			d.events.Publish(wire.Event{Kind: wire.EventStatus, Object: wire.KindResource, Name: ch.Resource, Node: ch.Node, Status: ch.Status, StatusMsg: msg})
		}
		if ch.OnOff != "" || ch.Monitored != "" {
			d.events.Publish(wire.Event{Kind: wire.EventConfig, Object: wire.KindResource, Name: ch.Resource, Node: ch.Node, Change: "changed"})
		}
	}
}
