package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/openrgm/openrgm/pkg/cluster"
	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// Monitor_check on the node a group is about to move to. A switch asked
// on the target itself runs it there through the engine; a switch asked
// on another node, and a move the leader decides for a lost node's group,
// ask the target first with this request, and move the group only if
// every Monitor_check of its resources succeeded there (as Solaris runs
// Monitor_check on the new primary before a switchover or failover).

const opMonitorCheck = "monitor_check"

type monitorCheckArgs struct {
	Group string `json:"group"`
}

// monitorCheckOn runs the group's Monitor_check methods on node: here, or
// by asking it.
func (d *Daemon) monitorCheckOn(ctx context.Context, group, node string) error {
	if node == d.opts.NodeName {
		return d.monitorCheckHere(ctx, group)
	}
	var addr string
	d.machine.Read(func(c *model.Config) { n, _ := c.Node(node); addr = n.Addr })
	if addr == "" || !d.clustered() {
		return scha.Errorf(scha.ErrNode, "node %s cannot be reached to run Monitor_check", node)
	}
	err := d.cs.cl.Call(ctx, addr, opMonitorCheck, monitorCheckArgs{Group: group}, nil)
	var re *cluster.RemoteError
	if errors.As(err, &re) {
		return re.Err
	}
	if err != nil {
		return scha.Errorf(scha.ErrCluster, "Monitor_check of %s could not be run on %s: %v", group, node, err)
	}
	return nil
}

// monitorCheckHere runs, one after another, the Monitor_check method of
// every resource of group whose type declares one, each within its
// Monitor_check_timeout; the first failure is the answer
// (SCHA_ERR_CHECKS).
func (d *Daemon) monitorCheckHere(ctx context.Context, group string) error {
	l, err := d.loop()
	if err != nil {
		return err
	}
	var runs []engine.Run
	d.machine.Read(func(c *model.Config) {
		if _, ok := c.Groups[group]; !ok {
			err = scha.Errorf(scha.ErrRG, "resource group %q does not exist", group)
			return
		}
		for _, rn := range c.ResourcesOf(group) {
			r := c.Resources[rn]
			rt := c.Types[r.Type]
			if rt == nil || rt.Props[engine.MonitorCheck] == "" {
				continue
			}
			secs, _ := strconv.Atoi(r.Props[engine.MonitorCheck+"_timeout"])
			if secs <= 0 {
				secs = 3600
			}
			runs = append(runs, engine.Run{Resource: rn, Group: group, Type: r.Type, Method: engine.MonitorCheck,
				BaseDir: rt.Props["RT_basedir"], Path: rt.Props[engine.MonitorCheck], Timeout: time.Duration(secs) * time.Second})
		}
	})
	if err != nil {
		return err
	}
	for _, run := range runs {
		res := l.exec(ctx, run, methods.Argv(run.Resource, run.Type, run.Group))
		if !res.OK() {
			return scha.Errorf(scha.ErrChecks, "Monitor_check of %s failed on %s: %s", run.Resource, d.opts.NodeName, res.Reason)
		}
	}
	return nil
}

func (d *Daemon) peerMonitorCheck(ctx context.Context, body json.RawMessage) (any, error) {
	var a monitorCheckArgs
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, scha.Errorf(scha.ErrInval, "bad monitor_check request: %v", err)
	}
	if err := d.store.CatchUp(ctx); err != nil {
		return nil, scha.Errorf(scha.ErrReconf, "%v", err)
	}
	return nil, d.monitorCheckHere(ctx, a.Group)
}

// checkMoves runs Monitor_check on each node a decision moves a group to
// from another (a failover, a failback), and returns the groups whose check failed, with the node.
func (d *Daemon) checkMoves(ctx context.Context, dec engine.Decision) map[string][]string {
	refused := map[string][]string{}
	for _, m := range dec.Moves {
		if m.To == "" || m.From == "" {
			continue // not a move: a group going offline, or coming online
		}
		if err := d.monitorCheckOn(ctx, m.Group, m.To); err != nil {
			d.opts.Logger.Warn(fmt.Sprintf("placement: %s does not move to %s", m.Group, m.To), "err", err)
			refused[m.Group] = append(refused[m.Group], m.To)
		}
	}
	return refused
}

// switchCheck runs Monitor_check on target before a switch of group
// there, unless the group is already wanted there.
func (d *Daemon) switchCheck(ctx context.Context, group, target string) error {
	wanted := false
	d.machine.Read(func(c *model.Config) {
		if g, ok := c.Groups[group]; ok {
			if st, ok := g.Nodes[target]; ok && st.Desired == model.RGStateOnline {
				wanted = true
			}
		}
	})
	if wanted {
		return nil
	}
	if err := d.monitorCheckOn(ctx, group, target); err != nil {
		return scha.Errorf(scha.CodeOf(err), "switch of %s onto %s refused: %s", group, target, scha.DetailOf(err))
	}
	return nil
}

// giveoverTarget chooses where scha_control GIVEOVER moves group from
// this node: engine.Giveover's choice (Nodelist order, affinities, load
// limits, Pingpong_interval), on a node whose Monitor_check of every
// resource of the group succeeds (CHECK_GIVEOVER runs no Monitor_check).
// It also returns the changes the move makes to the groups tied to group
// by strong affinities (a +++ or ++ target or follower goes with it, a
// -- group leaves), which the caller commits once the giveover is.
func (d *Daemon) giveoverTarget(ctx context.Context, group, tag string) (string, []model.StateChange, error) {
	giveover := func(in engine.PlaceInput) (engine.Decision, error) {
		return engine.Giveover(in, group, d.opts.NodeName)
	}
	var dec engine.Decision
	var err error
	if tag == scha.ControlCheckGiveover {
		// The checks without acting: no Monitor_check (scha_control(1)).
		d.machine.Read(func(c *model.Config) {
			dec, err = giveover(engine.PlaceInput{Config: c, Nodes: d.placeNodes(c), Now: time.Now().Unix()})
		})
	} else {
		dec, err = d.decideChecked(ctx, giveover)
	}
	if err != nil {
		return "", nil, scha.Errorf(scha.CodeOf(err), "scha_control %s: %s", tag, scha.DetailOf(err))
	}
	target := wantedOnline(dec, group)
	if target == "" {
		return "", nil, scha.Errorf(scha.ErrChecks, "scha_control %s: no other node can take %s", tag, group)
	}
	var follow []model.StateChange
	for _, ch := range dec.Changes {
		if ch.Group != group {
			follow = append(follow, ch)
		}
	}
	return target, follow, nil
}
