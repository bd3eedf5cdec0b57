package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/query"
	"github.com/openrgm/openrgm/pkg/rtr"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/wire"
)

// moreHandlers lets a file that serves a facility of its own (the process
// monitor, say) add its ops in an init function instead of editing the
// table below.
var moreHandlers []func(d *Daemon) map[string]Handler

// handlers returns the op table.
func (d *Daemon) handlers() map[string]Handler {
	h := d.coreHandlers()
	for _, more := range moreHandlers {
		for op, fn := range more(d) {
			h[op] = fn
		}
	}
	return h
}

// coreHandlers is the table of the configuration's ops, sorted by op.
func (d *Daemon) coreHandlers() map[string]Handler {
	return map[string]Handler{
		wire.OpControl:      d.control,
		wire.OpGet:          d.get,
		wire.OpPing:         d.ping,
		wire.OpRGCreate:     d.rgCreate,
		wire.OpRGDelete:     d.rgDelete,
		wire.OpRGList:       d.rgList,
		wire.OpRGSet:        d.rgSet,
		wire.OpRGShow:       d.rgShow,
		wire.OpRSCreate:     d.rsCreate,
		wire.OpRSDelete:     d.rsDelete,
		wire.OpRSList:       d.rsList,
		wire.OpRSSet:        d.rsSet,
		wire.OpSetStatus:    d.setStatus,
		wire.OpRSShow:       d.rsShow,
		wire.OpRTList:       d.rtList,
		wire.OpRTRegister:   d.rtRegister,
		wire.OpRTShow:       d.rtShow,
		wire.OpRTUnregister: d.rtUnregister,
		wire.OpStatus:       d.status,
	}
}

func args[T any](raw json.RawMessage) (T, error) {
	var v T
	if len(raw) == 0 {
		return v, scha.Errorf(scha.ErrInval, "missing arguments")
	}
	if err := wire.DecodeData(raw, &v); err != nil {
		return v, scha.Errorf(scha.ErrInval, "bad arguments: %v", err)
	}
	return v, nil
}

// read runs f on the configuration and marshals its result while the read
// lock is still held, since the model's maps change under later writes.
func (d *Daemon) read(f func(c *model.Config) (any, error)) (any, error) {
	var out json.RawMessage
	var err error
	d.machine.Read(func(c *model.Config) {
		var v any
		if v, err = f(c); err == nil {
			out, err = json.Marshal(v)
		}
	})
	return out, err
}

// propose commits one command. The model's refusals come back as they are;
// the log being unavailable (not leader, shutting down) is SCHA_ERR_RECONF,
// which Solaris scripts already treat as "retry".
func (d *Daemon) propose(ctx context.Context, typ byte, body any) error {
	return d.proposeWritten(ctx, typ, body, nil)
}

// proposeWritten is propose that also calls written, if not nil, as soon
// as the command is in the log file of a single voter
// (store.ProposeWritten).
func (d *Daemon) proposeWritten(ctx context.Context, typ byte, body any, written func()) error {
	start := time.Now()
	_, err := d.store.ProposeWritten(ctx, typ, store.Encode(body), written)
	if err == nil {
		d.metrics.committed(time.Since(start)) // metrics.go
	}
	if errors.Is(err, store.ErrUnavailable) {
		return scha.Errorf(scha.ErrReconf, "%v", err)
	}
	return err
}

func (d *Daemon) ping(context.Context, Peer, json.RawMessage) (any, error) {
	var reply wire.PingReply
	d.machine.Read(func(c *model.Config) { reply.Cluster = c.ClusterName })
	reply.Node, reply.Version, reply.Protocol, reply.PID = d.opts.NodeName, d.opts.Version, wire.ProtocolVersion, os.Getpid()
	return reply, nil
}

func (d *Daemon) get(_ context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.GetArgs](raw)
	if err != nil {
		return nil, err
	}
	env := query.Env{Node: d.opts.NodeName, Facility: d.opts.Facility, Now: time.Now(), Up: d.nodeUp}
	var reply *wire.GetReply
	d.machine.Read(func(c *model.Config) { reply, err = query.Get(c, env, a) })
	return reply, err
}

func (d *Daemon) rtRegister(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.RTRegisterArgs](raw)
	if err != nil {
		return nil, err
	}
	rt, err := rtr.Load(a.Path, []byte(a.Text))
	if err != nil {
		return nil, err
	}
	if err := d.propose(ctx, store.CmdRegisterType, rt); err != nil {
		return nil, err
	}
	return d.read(func(c *model.Config) (any, error) { return c.FindType(rt.Name) })
}

func (d *Daemon) rtUnregister(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	return nil, d.propose(ctx, store.CmdUnregisterType, store.NameCmd{Name: a.Name})
}

func (d *Daemon) rtList(context.Context, Peer, json.RawMessage) (any, error) {
	return d.read(func(c *model.Config) (any, error) { return sortedValues(c.Types), nil })
}

func (d *Daemon) rtShow(_ context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	return d.read(func(c *model.Config) (any, error) { return withTypeResources(c, a.Name) })
}

// withTypeResources and withGroupResources fill in the query-only
// Resource_list, which the model derives rather than stores.
func withTypeResources(c *model.Config, name string) (any, error) {
	rt, err := c.FindType(name)
	if err != nil {
		return nil, err
	}
	cp := *rt
	cp.Props = maps.Clone(rt.Props)
	cp.Props["Resource_list"] = strings.Join(c.ResourcesOfType(rt.Name), ",")
	return &cp, nil
}

func withGroupResources(c *model.Config, name string) (any, error) {
	g, err := c.Group(name)
	if err != nil {
		return nil, err
	}
	cp := *g
	cp.Props = maps.Clone(g.Props)
	cp.Props["Resource_list"] = strings.Join(c.ResourcesOf(g.Name), ",")
	return &cp, nil
}

func (d *Daemon) rgCreate(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	return d.rgChange(ctx, raw, store.CmdCreateGroup)
}

func (d *Daemon) rgSet(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	return d.rgChange(ctx, raw, store.CmdSetGroup)
}

func (d *Daemon) rgChange(ctx context.Context, raw json.RawMessage, typ byte) (any, error) {
	a, err := args[wire.RGArgs](raw)
	if err != nil {
		return nil, err
	}
	if typ == store.CmdSetGroup {
		if err := d.validateEverywhere(ctx, validateArgs{RG: &a}, a.Name); err != nil {
			return nil, err
		}
	}
	if err := d.propose(ctx, typ, store.PropsCmd{Name: a.Name, Props: a.Props}); err != nil {
		return nil, err
	}
	if typ == store.CmdSetGroup {
		var rs []string
		d.machine.Read(func(c *model.Config) { rs = c.ResourcesOf(a.Name) })
		d.updated(ctx, rs)
	}
	return d.read(func(c *model.Config) (any, error) { return c.Group(a.Name) })
}

func (d *Daemon) rgDelete(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	return nil, d.propose(ctx, store.CmdDeleteGroup, store.NameCmd{Name: a.Name})
}

func (d *Daemon) rgList(context.Context, Peer, json.RawMessage) (any, error) {
	return d.read(func(c *model.Config) (any, error) { return sortedValues(c.Groups), nil })
}

func (d *Daemon) rgShow(_ context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	return d.read(func(c *model.Config) (any, error) { return withGroupResources(c, a.Name) })
}

func (d *Daemon) rsCreate(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	return d.rsChange(ctx, raw, store.CmdCreateResource)
}

func (d *Daemon) rsSet(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	return d.rsChange(ctx, raw, store.CmdSetResource)
}

func (d *Daemon) rsChange(ctx context.Context, raw json.RawMessage, typ byte) (any, error) {
	a, err := args[wire.RSArgs](raw)
	if err != nil {
		return nil, err
	}
	if err := d.validateEverywhere(ctx, validateArgs{RS: &a, Create: typ == store.CmdCreateResource}, a.Group); err != nil {
		return nil, err
	}
	cmd := store.ResourceCmd{Name: a.Name, Group: a.Group, Type: a.Type, Props: a.Props, Ext: a.Ext}
	if err := d.propose(ctx, typ, cmd); err != nil {
		return nil, err
	}
	if typ == store.CmdSetResource {
		d.updated(ctx, []string{a.Name})
	}
	return d.read(func(c *model.Config) (any, error) { return c.Resource(a.Name) })
}

func (d *Daemon) rsDelete(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	var fini engine.Run
	var runFini bool
	d.machine.Read(func(c *model.Config) { fini, runFini = engine.FiniRun(c, d.opts.NodeName, a.Name) })
	if err := d.propose(ctx, store.CmdDeleteResource, store.NameCmd{Name: a.Name}); err != nil {
		return nil, err
	}
	if runFini {
		d.runFini(fini)
	}
	return nil, nil
}

func (d *Daemon) rsList(context.Context, Peer, json.RawMessage) (any, error) {
	return d.read(func(c *model.Config) (any, error) { return sortedValues(c.Resources), nil })
}

func (d *Daemon) rsShow(_ context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.NameArgs](raw)
	if err != nil {
		return nil, err
	}
	return d.read(func(c *model.Config) (any, error) { return c.Resource(a.Name) })
}

func (d *Daemon) status(context.Context, Peer, json.RawMessage) (any, error) {
	st, err := d.statusOf(nil)
	if err == nil && d.clustered() {
		why := d.placementWhy()
		for i := range st.Groups {
			st.Groups[i].Why = why[st.Groups[i].Name]
		}
	}
	if err == nil {
		d.statusLoads(&st) // load.go
	}
	return st, err
}

// statusOf is the status of the groups keep accepts (all when nil).
func (d *Daemon) statusOf(keep func(group string) bool) (wire.StatusReply, error) {
	return d.statusOn(d.opts.NodeName, keep)
}

// statusOn is statusOf as node has it.
func (d *Daemon) statusOn(node string, keep func(group string) bool) (wire.StatusReply, error) {
	var reply wire.StatusReply
	d.machine.Read(func(c *model.Config) {
		reply = wire.StatusReply{Cluster: c.ClusterName, Node: d.opts.NodeName, Groups: []wire.GroupStatus{}}
		for _, n := range c.Nodes {
			state := scha.NodeDown
			if d.nodeUp(n.Name) {
				state = scha.NodeUp
			}
			reply.Nodes = append(reply.Nodes, wire.Node{Name: n.Name, ID: n.ID, State: state})
		}
		byGroup := map[string][]wire.ResourceStatus{}
		groupDesired := func(name string) string {
			if g, ok := c.Groups[name]; ok {
				if st, ok := g.Nodes[node]; ok && st.Desired == model.RGStateOnline {
					return model.RGStateOnline
				}
			}
			return model.RGStateOffline
		}
		for _, r := range sortedValues(c.Resources) {
			if keep != nil && !keep(r.Group) {
				continue
			}
			rs := wire.ResourceStatus{Name: r.Name, Type: r.Type, Desired: model.RStateOffline}
			if st, ok := r.Nodes[node]; ok {
				rs.State, rs.Status, rs.StatusMsg, rs.OnOff, rs.Monitored = st.State, st.Status, st.StatusMsg, st.OnOff, st.Monitored
				if st.OnOff == model.SwitchEnabled && groupDesired(r.Group) == model.RGStateOnline {
					rs.Desired = model.RStateOnline
				}
			}
			byGroup[r.Group] = append(byGroup[r.Group], rs)
		}
		for _, g := range sortedValues(c.Groups) {
			if keep != nil && !keep(g.Name) {
				continue
			}
			gs := wire.GroupStatus{Name: g.Name, Resources: byGroup[g.Name], Desired: groupDesired(g.Name), Suspended: g.Props["Suspend_automatic_recovery"] == "TRUE"}
			if st, ok := g.Nodes[node]; ok {
				gs.State = st.State
			}
			gs.Nodes = make(map[string]string, len(g.Nodes))
			for n, st := range g.Nodes {
				gs.Nodes[n] = st.State
			}
			if gs.Resources == nil {
				gs.Resources = []wire.ResourceStatus{}
			}
			reply.Groups = append(reply.Groups, gs)
		}
	})
	return reply, nil
}

// authorize lets scha_resource_setstatus and scha_control through to their
// handlers, which also admit a callback of the named resource, and the
// process monitor's ops, whose handlers let any user act as itself on its
// own tags (pmf.go); everything else follows DefaultAuthorize.
func (d *Daemon) authorize(p Peer, op string) error {
	if op == wire.OpSetStatus || op == wire.OpControl || isPMFOp(op) {
		return nil
	}
	return DefaultAuthorize(p, op)
}

// mayActFor reports whether p may act for resource: root, rgmd's own user,
// or a process of one of that resource's running callbacks.
func (d *Daemon) mayActFor(p Peer, op, resource string) error {
	if DefaultAuthorize(p, op) == nil {
		return nil
	}
	if d.tracker != nil && p.PID > 0 {
		if label, ok := d.tracker.Owner(p.PID); ok && label == resource {
			return nil
		}
	}
	return scha.Errorf(scha.ErrAccess, "%s: uid %d is neither root, rgmd's user, nor a callback of resource %s", op, p.UID, resource)
}

func (d *Daemon) setStatus(ctx context.Context, p Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.SetStatusArgs](raw)
	if err != nil {
		return nil, err
	}
	if err := d.mayActFor(p, wire.OpSetStatus, a.Resource); err != nil {
		return nil, err
	}
	msg := ""
	if a.Message != nil {
		msg = *a.Message
	}
	cmd := store.StatusCmd{Resource: a.Resource, Group: a.Group, Node: d.opts.NodeName, Status: a.Status, Msg: msg}
	return nil, d.propose(ctx, store.CmdSetStatus, cmd)
}

// control is scha_control. The handler checks what it can without the
// engine (the tag, that the resource exists and is in the group, the
// caller), then hands the request to the lifecycle loop, where the engine
// applies the reference's preconditions, Failover_mode, Retry_count and
// Pingpong_interval (engine.State.control documents the order and the
// codes). An accepted request that runs methods is answered only once the
// group has settled: the resource or group has gone offline and come
// back (or left this node), as the reference says. The calling monitor
// is usually killed on the way by Monitor_stop and never reads the
// answer.
func (d *Daemon) control(ctx context.Context, p Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.ControlArgs](raw)
	if err != nil {
		return nil, err
	}
	tag, ok := scha.LookupControlTag(a.Tag)
	if !ok {
		return nil, scha.Errorf(scha.ErrTag, "unknown scha_control tag %q", a.Tag)
	}
	d.machine.Read(func(c *model.Config) {
		var r *model.Resource
		if r, err = c.Resource(a.Resource); err != nil {
			return
		}
		if _, err = c.Group(a.Group); err != nil {
			return
		}
		if r.Group != a.Group {
			err = scha.Errorf(scha.ErrRG, "resource %s is in group %s, not %s", a.Resource, r.Group, a.Group)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := d.mayActFor(p, wire.OpControl, a.Resource); err != nil {
		return nil, err
	}
	l, err := d.loop()
	if err != nil {
		return nil, err
	}
	ev := engine.Control{Tag: tag, Resource: a.Resource, Group: a.Group}
	var follow []model.StateChange
	if (tag == scha.ControlGiveover || tag == scha.ControlCheckGiveover) && d.clustered() {
		// On a cluster the target is a node that is up and passes
		// Monitor_check (monitorcheck.go).
		if ev.Node, follow, err = d.giveoverTarget(ctx, a.Group, tag); err != nil {
			return nil, err
		}
	}
	if err := l.request(ctx, ev); err != nil {
		return nil, err
	}
	if tag == scha.ControlGiveover && len(follow) > 0 {
		// The groups tied to this one by strong affinities go with it,
		// as with rg switch.
		if err := d.applyPlacement(ctx, engine.Decision{Changes: follow}, "scha_control GIVEOVER"); err != nil {
			return nil, err
		}
	}
	if !engine.ControlWaits(tag) {
		return nil, nil
	}
	if !l.wait(ctx, []string{a.Group}) {
		return nil, scha.Errorf(scha.ErrReconf, "scha_control %s: accepted, but rgmd stopped before it completed", tag)
	}
	// The outcome: a stop that failed, or a restart whose Start failed, is
	// reported; the request itself was carried out.
	var rs, gs string
	d.machine.Read(func(c *model.Config) {
		if r, ok := c.Resources[a.Resource]; ok && r.Nodes[d.opts.NodeName] != nil {
			rs = r.Nodes[d.opts.NodeName].State
		}
		if g, ok := c.Groups[a.Group]; ok && g.Nodes[d.opts.NodeName] != nil {
			gs = g.Nodes[d.opts.NodeName].State
		}
	})
	switch {
	case rs == model.RStateStopFailed || gs == model.RGStateErrorStopFailed:
		return nil, scha.Errorf(scha.ErrState, "scha_control %s: a stop method failed; resource %s is %s, group %s is %s on %s", tag, a.Resource, rs, a.Group, gs, d.opts.NodeName)
	case (tag == scha.ControlResourceRestart || tag == scha.ControlRestart) && rs == model.RStateStartFailed:
		return nil, scha.Errorf(scha.ErrState, "scha_control %s: resource %s did not come back: START_FAILED on %s", tag, a.Resource, d.opts.NodeName)
	}
	return nil, nil
}

func sortedValues[V any](m map[string]V) []V {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
