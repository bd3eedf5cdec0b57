package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

func init() { moreHandlers = append(moreHandlers, (*Daemon).lifecycleHandlers) }

// lifecycleHandlers are the ops of rgmadm's lifecycle verbs, added to the
// op table through moreHandlers.
func (d *Daemon) lifecycleHandlers() map[string]Handler {
	return map[string]Handler{
		wire.OpRGManage:    d.groupRequest(engine.OpManage),
		wire.OpRGOffline:   d.groupRequest(engine.OpOffline),
		wire.OpRGOnline:    d.groupRequest(engine.OpOnline),
		wire.OpRGRestart:   d.groupRequest(engine.OpRestart),
		wire.OpRGResume:    d.groupRequest(engine.OpResume),
		wire.OpRGSuspend:   d.groupRequest(engine.OpSuspend),
		wire.OpRGSwitch:    d.groupRequest(engine.OpSwitch),
		wire.OpRGRemaster:  d.rgRemaster,
		wire.OpRGQuiesce:   d.groupRequest(engine.OpSuspend),
		wire.OpNodeEvac:    d.nodeEvacuate,
		wire.OpRGUnmanage:  d.groupRequest(engine.OpUnmanage),
		wire.OpRGWait:      d.rgWait,
		wire.OpRSClear:     d.resourceRequest(engine.OpClear),
		wire.OpRSDisable:   d.resourceRequest(engine.OpDisable),
		wire.OpRSEnable:    d.resourceRequest(engine.OpEnable),
		wire.OpRSMonitor:   d.resourceRequest(engine.OpMonitor),
		wire.OpRSUnmonitor: d.resourceRequest(engine.OpUnmonitor),
	}
}

func (d *Daemon) loop() (*lifecycle, error) {
	l := d.lc.Load()
	if l == nil {
		return nil, scha.Errorf(scha.ErrReconf, "rgmd is starting")
	}
	return l, nil
}

// groupRequest handles a group verb. The name "+" means every group, as
// in Solaris Cluster's commands; the requests then go to the engine
// together and are recorded in one log entry.
func (d *Daemon) groupRequest(op string) Handler {
	return func(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
		a, err := args[wire.LifecycleArgs](raw)
		if err != nil {
			return nil, err
		}
		l, err := d.loop()
		if err != nil {
			return nil, err
		}
		if op == engine.OpSwitch && a.Node == "" {
			return nil, scha.Errorf(scha.ErrInval, "switch: no target node given")
		}
		var names []string
		d.machine.Read(func(c *model.Config) {
			if a.Name == "+" {
				names = sortedKeys(c.Groups)
				return
			}
			if _, err = c.Group(a.Name); err == nil {
				names = []string{a.Name}
			}
		})
		if err != nil {
			return nil, err
		}
		var follow []model.StateChange
		if (op == engine.OpSwitch || op == engine.OpOnline && a.Node != "") && d.clustered() {
			// What placement refuses (choose.go), then for a move
			// Monitor_check on the target (monitorcheck.go); a switch
			// onto this node runs it through the engine.
			moves, f, err := d.switchAllowed(op, names, a.Node)
			if err != nil {
				return nil, err
			}
			follow = f
			if moves && a.Name != "+" && a.Node != d.opts.NodeName {
				if err := d.switchCheck(ctx, a.Name, a.Node); err != nil {
					return nil, err
				}
			}
		}
		var targets, waiting map[string]string
		var refused error
		if op == engine.OpOnline && a.Node == "" && d.clustered() {
			if targets, names, waiting, refused = d.onlineTargets(ctx, names); targets == nil && refused != nil { // load.go
				return nil, refused
			}
		}
		if op == engine.OpOffline {
			// The operator's offline: a group waiting for room stays
			// offline (engine/preempt.go).
			if err := d.clearPreempt(ctx, names); err != nil {
				return nil, err
			}
		}
		reqs := make([]engine.Event, len(names))
		for i, n := range names {
			node := a.Node
			if t := targets[n]; t != "" {
				node = t
			}
			reqs[i] = engine.Request{Op: op, Group: n, Node: node}
		}
		if len(reqs) > 0 {
			if err := l.requests(ctx, reqs); err != nil {
				return nil, err
			}
		}
		if len(follow) > 0 {
			// The groups tied to these by strong affinities go with them.
			if err := d.applyPlacement(ctx, engine.Decision{Changes: follow}, "rg "+op); err != nil {
				return nil, err
			}
		}
		if refused != nil {
			return nil, refused
		}
		if len(targets) == 0 {
			targets = nil
		}
		names = append(names, slices.Sorted(maps.Keys(waiting))...)
		return wire.LifecycleReply{Groups: nonNilStrings(names), Targets: targets, Waiting: waiting}, nil
	}
}

func (d *Daemon) resourceRequest(op string) Handler {
	return func(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
		a, err := args[wire.LifecycleArgs](raw)
		if err != nil {
			return nil, err
		}
		l, err := d.loop()
		if err != nil {
			return nil, err
		}
		var group string
		d.machine.Read(func(c *model.Config) {
			var r *model.Resource
			if r, err = c.Resource(a.Name); err == nil {
				group = r.Group
			}
		})
		if err != nil {
			return nil, err
		}
		if err := l.request(ctx, engine.Request{Op: op, Resource: a.Name, Node: a.Node}); err != nil {
			return nil, err
		}
		return wire.LifecycleReply{Groups: []string{group}}, nil
	}
}

// requests hands several requests to the loop at once, so they share a
// turn (and a log entry); the first refusal is returned.
func (l *lifecycle) requests(ctx context.Context, evs []engine.Event) error {
	msgs := make([]requestMsg, len(evs))
	for i, ev := range evs {
		msgs[i] = requestMsg{ev: ev, reply: make(chan error, 1)}
		select {
		case l.in <- msgs[i]:
		case <-ctx.Done():
			return scha.Errorf(scha.ErrReconf, "rgmd is shutting down")
		}
	}
	var first error
	for _, m := range msgs {
		select {
		case err := <-m.reply:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			return scha.Errorf(scha.ErrTimeout, "request accepted but not yet recorded: %v", ctx.Err())
		}
	}
	return first
}

// maxWait bounds one rg.wait call, below the client's per-call timeout;
// rgmadm calls again until its own --timeout.
const maxWait = 60 * time.Second

func (d *Daemon) rgWait(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.WaitArgs](raw)
	if err != nil {
		return nil, err
	}
	l, err := d.loop()
	if err != nil {
		return nil, err
	}
	t := time.Duration(a.TimeoutMs) * time.Millisecond
	if t <= 0 {
		t = 10 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, min(t, maxWait))
	var settled bool
	if a.Node != "" && a.Node != d.opts.NodeName {
		settled = d.waitOn(wctx, a.Node, a.Groups)
	} else {
		settled = l.wait(wctx, a.Groups)
	}
	cancel()
	reply := wire.WaitReply{Settled: settled, Groups: []wire.GroupStatus{}}
	want := map[string]bool{}
	for _, g := range a.Groups {
		want[g] = true
	}
	node := a.Node
	if node == "" {
		node = d.opts.NodeName
	}
	st, err := d.statusOn(node, func(g string) bool { return want[g] })
	if err != nil {
		return nil, err
	}
	reply.Groups = st.Groups
	return reply, nil
}

// waitOn waits until each group reached, on another node, a state where
// nothing more happens by itself: ONLINE (or failed) where it is wanted
// online, OFFLINE where not. It reads the log, where that node records
// each step.
func (d *Daemon) waitOn(ctx context.Context, node string, groups []string) bool {
	// A read of the configuration every 5 ms: cheap, and it keeps a
	// switch's --wait from adding a tick to the switch.
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		settled := true
		d.machine.Read(func(c *model.Config) {
			for _, name := range groups {
				g, ok := c.Groups[name]
				if !ok {
					continue
				}
				st, ok := g.Nodes[node]
				if !ok {
					continue
				}
				switch st.State {
				case model.RGStateOnline, model.RGStateOnlineFaulted, model.RGStateErrorStopFailed, model.RGStatePendingOnlineBlocked:
					settled = settled && (st.Desired == model.RGStateOnline || st.State == model.RGStateErrorStopFailed)
				case model.RGStateOffline, model.RGStateUnmanaged:
					settled = settled && st.Desired != model.RGStateOnline
				default:
					settled = false
				}
			}
		})
		if settled {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

// validateResource runs Validate for a resource being created (create)
// or changed, before the change is proposed: the change is tried on a
// copy of the configuration, so Validate sees the values as they would
// be, and the stored state is untouched if it refuses.
func (d *Daemon) validateResource(ctx context.Context, a wire.RSArgs, create bool) error {
	l := d.lc.Load()
	if l == nil {
		return nil
	}
	var (
		c        *model.Config
		old, res *model.Resource
		err      error
	)
	d.machine.Read(func(cur *model.Config) {
		rt, terr := cur.FindType(a.Type)
		if create && (terr != nil || rt.Props[engine.Validate] == "") {
			return // no Validate, or an error CreateResource will report
		}
		if !create {
			r, ok := cur.Resources[a.Name]
			// An upgrade (Type_version) runs the new type's Validate,
			// whether the old type had one or not.
			if !ok || (!upgrades(a.Props) && (cur.Types[r.Type] == nil || cur.Types[r.Type].Props[engine.Validate] == "")) {
				return
			}
			old = r
		}
		c = cur.Clone()
		if create {
			err = c.CreateResource(a.Name, a.Group, a.Type, a.Props, a.Ext)
		} else {
			err = c.SetResource(a.Name, a.Props, a.Ext)
		}
		if err == nil {
			res = c.Resources[a.Name]
		}
	})
	if err != nil || res == nil {
		return err // the proposal reports the model's refusal the same way
	}
	g := c.Groups[res.Group]
	if create {
		return l.validate(ctx, c, res, true, res.Props, res.Ext, g.Props, perNodeArgs(c, nil, res)...)
	}
	return l.validate(ctx, c, res, false, changed(old.Props, res.Props), changed(old.Ext, res.Ext), nil, perNodeArgs(c, old, res)...)
}

// perNodeArgs are Validate's -X operands, Prop{nodeid}=value: the nodes'
// own values of per-node extension properties that res has and old
// (nil at creation) had not, sorted.
func perNodeArgs(c *model.Config, old, res *model.Resource) []string {
	var out []string
	for _, prop := range sortedKeys(res.ExtNode) {
		for _, n := range c.Nodes {
			v, ok := res.ExtNode[prop][n.Name]
			if !ok {
				continue
			}
			if old != nil {
				if ov, had := old.ExtNode[prop][n.Name]; had && ov == v {
					continue
				}
			}
			out = append(out, fmt.Sprintf("%s{%d}=%s", prop, n.ID, v))
		}
	}
	return out
}

// validateGroup runs Validate of every resource of a group whose
// properties change, with -g and only the changed properties.
func (d *Daemon) validateGroup(ctx context.Context, a wire.RGArgs) error {
	l := d.lc.Load()
	if l == nil {
		return nil
	}
	var c *model.Config
	var gprops map[string]string
	var rs []*model.Resource
	var err error
	d.machine.Read(func(cur *model.Config) {
		old, ok := cur.Groups[a.Name]
		if !ok {
			return
		}
		c = cur.Clone()
		if err = c.SetGroup(a.Name, a.Props); err != nil {
			return
		}
		gprops = changed(old.Props, c.Groups[a.Name].Props)
		for _, rn := range c.ResourcesOf(a.Name) {
			rs = append(rs, c.Resources[rn])
		}
	})
	if err != nil || len(gprops) == 0 {
		return err
	}
	for _, r := range rs {
		if err := l.validate(ctx, c, r, false, nil, nil, gprops); err != nil {
			return err
		}
	}
	return nil
}

// upgrades reports whether props set Type_version (a type upgrade).
func upgrades(props map[string]string) bool {
	for k := range props {
		if strings.EqualFold(k, "Type_version") {
			return true
		}
	}
	return false
}

func changed(old, cur map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			out[k] = v
		}
	}
	return out
}

// updated tells the engine that resources' properties changed, so that
// Update runs where they are online. It does not wait for Update, whose
// failure is only logged (reference §5.4).
func (d *Daemon) updated(ctx context.Context, resources []string) {
	if l := d.lc.Load(); l != nil && len(resources) > 0 {
		if err := l.request(ctx, engine.Updated{Resources: resources}); err != nil {
			d.opts.Logger.Warn("Update not scheduled", "err", err)
		}
	}
}

// runFini runs a deleted resource's Fini (decided by engine.FiniRun
// before the delete) aside.
func (d *Daemon) runFini(run engine.Run) {
	if l := d.lc.Load(); l != nil {
		l.launch(run)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
