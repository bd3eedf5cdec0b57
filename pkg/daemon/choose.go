package daemon

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
)

// Operator requests that choose a node — rg switch's checks, rg
// remaster, node evacuate, and GIVEOVER's target — are decided by the
// placement engine that makes the leader's failover decisions
// (engine.Switch, engine.Place, engine.Giveover), from this node's copy
// of the log and its view of membership: Nodelist order, strong and
// weak affinities, hard and soft load limits, Pingpong_interval, fenced
// and witness nodes. Monitor_check runs on each node a group would move
// to; where it fails, the decision is made again without that node. The
// log itself refuses a Start where the group may still be online
// elsewhere (model.checkStarts), so two nodes deciding at once cannot
// break the invariant, only lose a race.

// placeNodes is the membership as this node sees it, for placement.
func (d *Daemon) placeNodes(c *model.Config) map[string]engine.NodeStatus {
	nodes := make(map[string]engine.NodeStatus, len(c.Nodes))
	for _, n := range c.Nodes {
		up := d.nodeUp(n.Name)
		nodes[n.Name] = engine.NodeStatus{Up: up, Witness: n.Witness, Fenced: !up && c.Holds(n.Name)}
	}
	return nodes
}

// checkedRounds bounds how many times an operator's decision is made
// again after a Monitor_check failure.
const checkedRounds = 4

// decideChecked makes decide's decision from the live configuration and
// runs Monitor_check wherever it moves a group from one node to another;
// where a check fails, it decides again with that node refused. A move
// whose check still fails after the last round is refused
// (SCHA_ERR_CHECKS).
func (d *Daemon) decideChecked(ctx context.Context, decide func(in engine.PlaceInput) (engine.Decision, error)) (engine.Decision, error) {
	refused := map[string][]string{}
	for round := 1; ; round++ {
		var dec engine.Decision
		var err error
		d.machine.Read(func(c *model.Config) {
			dec, err = decide(engine.PlaceInput{Config: c, Nodes: d.placeNodes(c), Now: time.Now().Unix(), Refused: refused})
		})
		if err != nil {
			return dec, err
		}
		failed := d.checkMoves(ctx, dec)
		if len(failed) == 0 {
			return dec, nil
		}
		if round == checkedRounds {
			var why []string
			for g, ns := range failed {
				why = append(why, g+" on "+strings.Join(ns, ","))
			}
			return dec, scha.Errorf(scha.ErrChecks, "Monitor_check failed: %s", strings.Join(why, "; "))
		}
		for g, ns := range failed {
			refused[g] = append(refused[g], ns...)
		}
	}
}

// applyPlacement commits an operator's placement decision: the Desired
// states in one log entry, which every node's engine then carries out.
func (d *Daemon) applyPlacement(ctx context.Context, dec engine.Decision, verb string) error {
	if len(dec.Changes) == 0 {
		return nil
	}
	engine.MarkRetry(dec.Changes)
	if err := d.propose(ctx, store.CmdSetState, store.StateCmd{Origin: originPlacement, Changes: dec.Changes}); err != nil {
		return err
	}
	for _, m := range dec.Moves {
		d.opts.Logger.Info(verb+": "+m.Why, "group", m.Group, "from", m.From, "to", m.To)
	}
	return nil
}

// moveNotes says, for each group dec moves, where to and why, or why
// it goes offline: what rgmadm prints after node evacuate and rg
// remaster.
func moveNotes(dec engine.Decision) map[string]string {
	notes := map[string]string{}
	for _, m := range dec.Moves {
		var note string
		switch {
		case m.To == "":
			note = "goes offline"
		case m.From == "":
			note = "comes online on " + m.To
		default:
			note = "moves from " + m.From + " to " + m.To
		}
		if m.Why != "" {
			note += ": " + m.Why
		}
		if notes[m.Group] != "" {
			note = notes[m.Group] + "; " + note
		}
		notes[m.Group] = note
	}
	if len(notes) == 0 {
		return nil
	}
	return notes
}

// wantedOnline is the node dec wants group ONLINE on, "" if none.
func wantedOnline(dec engine.Decision, group string) string {
	for _, ch := range dec.Changes {
		if ch.Group == group && ch.Desired == model.RGStateOnline {
			return ch.Node
		}
	}
	return ""
}

// switchAllowed refuses a switch of groups to node that placement
// refuses (engine.Switch): the node down, fenced, a witness or not in
// the Nodelist, a strong affinity, a hard load limit, a failed Stop, or
// the group possibly still online on a lost node; rg online -n (op
// online) is engine.OnlineOn, a switch when it moves a group. It says
// whether a group moves, and returns the changes placement makes to the
// other groups, those whose strong affinities make them follow (+++,
// ++) or leave (--): the caller commits them with the request.
func (d *Daemon) switchAllowed(op string, names []string, node string) (moves bool, follow []model.StateChange, err error) {
	d.machine.Read(func(c *model.Config) {
		in := engine.PlaceInput{Config: c, Nodes: d.placeNodes(c), Now: time.Now().Unix()}
		for _, n := range names {
			dec, m := engine.Decision{}, true
			if op == engine.OpOnline {
				dec, m, err = engine.OnlineOn(in, n, node)
			} else {
				dec, err = engine.Switch(in, n, []string{node})
			}
			if err != nil {
				return
			}
			moves = moves || m
			for _, ch := range dec.Changes {
				if !slices.Contains(names, ch.Group) {
					follow = append(follow, ch)
				}
			}
		}
	})
	return moves, follow, err
}
