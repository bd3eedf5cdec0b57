package daemon

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/openrgm/openrgm/pkg/fence"
	"github.com/openrgm/openrgm/pkg/model"
)

// The guard and the fence agents (pkg/fence), wired to leases
// (lease.go) and failover (failover.go).

func init() {
	startGuard = startFenceGuard
	guardFencedBefore = recordGuardFencing
	fenceAgentRun = func(ctx context.Context, dev model.FenceDevice, node string) error {
		return fence.Agent{Name: dev.Agent, Params: dev.Params, Timeout: fenceAgentTimeout}.Fence(ctx, node)
	}
}

// fenceAgentTimeout bounds one fencing by an agent: off, then status
// until off (Pacemaker's default stonith-timeout is 60 s).
const fenceAgentTimeout = 60 * time.Second

// guardClient adapts fence.GuardClient to leaseGuard.
type guardClient struct{ c *fence.GuardClient }

func (g guardClient) Lease(inc int, deadline int64) error {
	err := g.c.Lease(inc, deadline)
	if errors.Is(err, fence.ErrFenced) {
		return errors.Join(errGuardFenced, err)
	}
	return err
}

func (g guardClient) Fence() error               { return g.c.Fence() }
func (g guardClient) Peers(addrs []string) error { return g.c.Peers(addrs) }
func (g guardClient) Release() error             { return g.c.Release() }
func (g guardClient) Close() error               { return g.c.Close() }

// startFenceGuard starts (or finds) the node's guard and tells it the
// node's fence tag and where to report.
func startFenceGuard(d *Daemon) (leaseGuard, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c, err := fence.StartGuard(d.opts.StateDir, exe)
	if err != nil {
		return nil, err
	}
	if err := c.Tag(d.lease.tag); err != nil {
		c.Close()
		return nil, err
	}
	g := guardClient{c}
	d.updateGuardPeers(g)
	return g, nil
}

// updateGuardPeers gives the guard the other nodes' cluster addresses.
func (d *Daemon) updateGuardPeers(g leaseGuard) {
	if g == nil {
		return
	}
	var peers []string
	d.machine.Read(func(cfg *model.Config) {
		for _, n := range cfg.Nodes {
			if n.Name != d.opts.NodeName && n.Addr != "" {
				peers = append(peers, n.Addr)
			}
		}
	})
	if err := g.Peers(peers); err != nil {
		d.opts.Logger.Warn("telling the guard the other nodes", "err", err)
	}
}

// recordGuardFencing is run as rgmd starts on a cluster node: if the
// guard fenced the node's present incarnation while no rgmd ran (its
// lease ran out after rgmd died) and its report never got through, this
// rgmd says so itself before anything trusts the states the log holds
// for this node: they are OFFLINE once recorded.
func recordGuardFencing(ctx context.Context, d *Daemon) {
	rec, err := fence.ReadFenced(d.opts.StateDir)
	if err != nil {
		return
	}
	var inc int
	d.machine.Read(func(c *model.Config) { n, _ := c.Node(d.opts.NodeName); inc = n.Incarnation })
	if rec.Incarnation < inc {
		return
	}
	d.opts.Logger.Warn("this node's guard ended its resources' processes while rgmd was away; recording it", "incarnation", inc, "at", rec.Time, "reason", rec.Reason)
	if err := d.recordFenced(ctx, d.opts.NodeName, inc, "its guard ("+rec.Reason+"), recorded at rgmd's start"); err != nil {
		d.opts.Logger.Error("recording this node's fencing", "err", err)
	}
}
