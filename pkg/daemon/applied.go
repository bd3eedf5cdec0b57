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
	case store.CmdSetStatus:
		d.events.Publish(wire.Event{Kind: wire.EventStatus, Object: wire.KindResource, Name: n.Resource, Group: n.Group, Node: n.Node, Status: n.Status, StatusMsg: n.Msg})
	}
}
