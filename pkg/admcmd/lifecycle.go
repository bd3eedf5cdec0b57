package admcmd

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// DefaultWaitTimeout is --timeout's default: generous, since it bounds
// the methods of every resource of the group, each with its own
// <method>_timeout.
const DefaultWaitTimeout = 10 * time.Minute

// Group and resource lifecycle verbs, appended to the rg and rs objects.
func init() {
	for _, o := range objects {
		switch o.name {
		case "rg":
			o.verbs = append(o.verbs,
				lifecycleVerb(o.name, "manage", wire.OpRGManage, "Manage a group: Init runs for its resources; it is then OFFLINE", false),
				lifecycleVerb(o.name, "unmanage", wire.OpRGUnmanage, "Unmanage an offline group: Fini runs for its resources", false),
				lifecycleVerb(o.name, "online", wire.OpRGOnline, "Bring a group online (Prenet_start, Start, Monitor_start in dependency order)", true),
				lifecycleVerb(o.name, "offline", wire.OpRGOffline, "Take a group offline (Monitor_stop, Stop, Postnet_stop in reverse dependency order)", false),
				lifecycleVerb(o.name, "switch", wire.OpRGSwitch, "Switch a group to node NODE (Monitor_check runs there first)", true),
				lifecycleVerb(o.name, "remaster", wire.OpRGRemaster, "Move online groups back to the most preferred nodes of their Nodelist that can take them (affinities, load limits, Monitor_check)", true),
				lifecycleVerb(o.name, "quiesce", wire.OpRGQuiesce, "Stop automatic recovery of a group (as suspend) and, with --wait, wait until no method of it runs", false),
				lifecycleVerb(o.name, "restart", wire.OpRGRestart, "Take an online group offline and back online on the same node", true),
				lifecycleVerb(o.name, "suspend", wire.OpRGSuspend, "Suspend automatic recovery of a group (no failover after a failed Start)", false),
				lifecycleVerb(o.name, "resume", wire.OpRGResume, "Resume automatic recovery of a group", false),
			)
		case "rs":
			o.verbs = append(o.verbs,
				lifecycleVerb(o.name, "enable", wire.OpRSEnable, "Enable a resource: it starts if its group is online", false),
				lifecycleVerb(o.name, "disable", wire.OpRSDisable, "Disable a resource: Monitor_stop and Stop run if it is online", false),
				lifecycleVerb(o.name, "monitor", wire.OpRSMonitor, "Enable monitoring of a resource (Monitor_start if online)", false),
				lifecycleVerb(o.name, "unmonitor", wire.OpRSUnmonitor, "Disable monitoring of a resource (Monitor_stop if online)", false),
				lifecycleVerb(o.name, "clear", wire.OpRSClear, "Clear the STOP_FAILED (or START_FAILED) state of a resource", false),
			)
		}
	}
}

// lifecycleVerb sends a lifecycle request for each operand; with --wait
// it then waits until nothing is in progress for the groups concerned, and
// fails unless they reached a healthy state (ONLINE when expectOnline).
func lifecycleVerb(kind, name, op, summary string, expectOnline bool) *verb {
	v := &verb{name: name, operands: []string{"NAME"}, many: true, summary: summary, synopsis: "[--wait] [--timeout DURATION]"}
	v.flags = func(fs *pflag.FlagSet, o *opts) {
		switch name {
		case "switch":
			fs.StringVarP(&o.node, "node", "n", "", "`NODE` to switch the group to (required)")
		case "online":
			fs.StringVarP(&o.node, "node", "n", "", "bring the group online on `NODE` (default: this node if in its Nodelist, else the first of its Nodelist)")
		case "enable", "disable":
			fs.StringVarP(&o.node, "node", "n", "", "on `NODE` only (the resource's per-node On_off_switch; default: every node)")
		}
		if name == "online" {
			boolFlag(fs, &o.manage, "manage", "M", "manage unmanaged groups first (Init runs), then bring them online")
		}
		boolFlag(fs, &o.wait, "wait", "w", "wait until the change is carried out (progress on a terminal)")
		fs.DurationVar(&o.timeout, "timeout", DefaultWaitTimeout, "with --wait, give up after `DURATION`")
	}
	switch name {
	case "switch":
		v.synopsis = "-n NODE " + v.synopsis
	case "online":
		v.synopsis = "[-M] [-n NODE] " + v.synopsis
	case "enable", "disable":
		v.synopsis = "[-n NODE] " + v.synopsis
	}
	v.run = func(inv *invocation, o *opts, operands []string) error {
		if name == "switch" && o.node == "" {
			return usageError("rg switch: missing -n NODE")
		}
		names := operands
		// rgmd takes "+" for every group itself, in one request.
		if kind != "rg" || len(operands) != 1 || operands[0] != "+" {
			var err error
			if names, err = inv.expand(kind, operands); err != nil {
				return err
			}
		}
		if o.manage {
			if err := inv.manageFirst(names, o.timeout); err != nil {
				return err
			}
		}
		var groups []string
		seen := map[string]bool{}
		targets, waiting, notes := map[string]string{}, map[string]string{}, map[string]string{}
		err := forEach(names, func(n string) error {
			var rep wire.LifecycleReply
			if err := inv.call(op, &wire.LifecycleArgs{Name: n, Node: o.node}, &rep); err != nil {
				return err
			}
			for _, g := range rep.Groups {
				if !seen[g] {
					seen[g] = true
					groups = append(groups, g)
				}
			}
			maps.Copy(targets, rep.Targets)
			maps.Copy(waiting, rep.Waiting)
			maps.Copy(notes, rep.Waiting)
			maps.Copy(notes, rep.Notes)
			return nil
		})
		for _, g := range slices.Sorted(maps.Keys(notes)) {
			fmt.Fprintf(inv.env.Stdout, "%s: %s\n", g, notes[g])
		}
		if err != nil || !o.wait {
			return err
		}
		if err := inv.waitWanted(waiting, targets, o.timeout); err != nil {
			return err
		}
		// rg switch -n and rg online -n wait for the groups on that node;
		// rg online without -n on a cluster for each on the node chosen.
		if o.node == "" && len(targets) > 0 {
			return inv.waitTargets(groups, targets, o.timeout, expectOnline)
		}
		return inv.waitGroups(groups, o.timeout, expectOnline, o.node)
	}
	return v
}

// manageFirst is rg online -M: it manages those of the groups that are
// unmanaged (on this node, or on the nodes of their Nodelist when this
// node is not in it) and waits until their Init methods are done here.
func (inv *invocation) manageFirst(names []string, timeout time.Duration) error {
	var st wire.StatusReply
	if err := inv.call(wire.OpStatus, nil, &st); err != nil {
		return err
	}
	all := len(names) == 1 && names[0] == "+"
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var unmanaged []string
	for _, g := range st.Groups {
		if (all || want[g.Name]) && (g.State == "UNMANAGED" || slices.Contains(slices.Collect(maps.Values(g.Nodes)), "UNMANAGED")) {
			unmanaged = append(unmanaged, g.Name)
		}
	}
	err := forEach(unmanaged, func(n string) error {
		return inv.call(wire.OpRGManage, &wire.LifecycleArgs{Name: n}, nil)
	})
	if err != nil {
		return err
	}
	return inv.waitGroups(unmanaged, timeout, false, "")
}

// waitGroups polls rg.wait until the groups settle. On a terminal it
// prints each state change as it happens; otherwise it is quiet.
//
// Waiting for groups to come online, it follows a failover group that
// Failover_mode SOFT or HARD moved on after a failed Start: it prints
// where the group went and waits for it there, so that the result is
// where the group ended, not the first node's failure.
func (inv *invocation) waitGroups(groups []string, timeout time.Duration, expectOnline bool, node string) error {
	deadline := time.Now().Add(timeout)
	gs, err := inv.settle(groups, deadline, timeout, node)
	if err != nil {
		return err
	}
	if !expectOnline {
		return verdict(gs, false)
	}
	// Each node is tried once: the engine moves a group on only to a
	// node where its Start has not failed lately, so this ends.
	on := map[string]string{}             // group → the node it was waited for on
	tried := map[string]map[string]bool{} // group → nodes it settled on
	var ended []wire.GroupStatus
	for _, g := range gs {
		on[g.Name], tried[g.Name] = node, map[string]bool{}
	}
	for len(gs) > 0 {
		var next []wire.GroupStatus
		for _, g := range gs {
			from := on[g.Name]
			tried[g.Name][from] = true
			to, err := inv.movedTo(g, tried[g.Name])
			if err != nil {
				return err
			}
			if to == "" {
				ended = append(ended, g)
				continue
			}
			what := "its Start failed"
			if parts := failedResources(g); len(parts) > 0 {
				what = strings.Join(parts, ", ")
			}
			if from != "" {
				what += " on " + from
			}
			fmt.Fprintf(inv.env.Stdout, "%s: %s; Failover_mode moves it to %s\n", g.Name, what, to)
			moved, err := inv.settle([]string{g.Name}, deadline, timeout, to)
			if err != nil {
				return err
			}
			on[g.Name] = to
			next = append(next, moved...)
		}
		gs = next
	}
	return verdict(ended, true)
}

// movedTo is the node other than those tried where g, which settled
// without coming online, is now wanted online: where the engine moved it
// after a failed Start. "" when it stays.
func (inv *invocation) movedTo(g wire.GroupStatus, tried map[string]bool) (string, error) {
	if g.State == "ONLINE" || g.Desired == "ONLINE" {
		return "", nil
	}
	for _, n := range slices.Sorted(maps.Keys(g.Nodes)) {
		if tried[n] {
			continue
		}
		var rep wire.WaitReply
		if err := inv.call(wire.OpRGWait, &wire.WaitArgs{Groups: []string{g.Name}, TimeoutMs: 1, Node: n}, &rep); err != nil {
			return "", err
		}
		if len(rep.Groups) == 1 && rep.Groups[0].Desired == "ONLINE" {
			return n, nil
		}
	}
	return "", nil
}

// settle polls rg.wait on node until the groups settle or the deadline
// passes (SCHA_ERR_TIMEOUT), and returns their status.
func (inv *invocation) settle(groups []string, deadline time.Time, timeout time.Duration, node string) ([]wire.GroupStatus, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	chunk := 10 * time.Second
	if inv.env.IsTTY {
		chunk = 300 * time.Millisecond
	}
	seen := map[string]string{}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, scha.Errorf(scha.ErrTimeout, "still in progress after %s: %s", timeout, summary(nil, groups))
		}
		var rep wire.WaitReply
		if err := inv.call(wire.OpRGWait, &wire.WaitArgs{Groups: groups, TimeoutMs: int(min(left, chunk) / time.Millisecond), Node: node}, &rep); err != nil {
			return nil, err
		}
		if inv.env.IsTTY {
			inv.progress(rep.Groups, seen)
		}
		if rep.Settled {
			return rep.Groups, nil
		}
	}
}

// progress prints the states that changed since the last call.
func (inv *invocation) progress(gs []wire.GroupStatus, seen map[string]string) {
	show := func(key, label, state string) {
		if state != "" && seen[key] != state {
			seen[key] = state
			fmt.Fprintf(inv.env.Stdout, "%s %s\n", label, inv.paint(state))
		}
	}
	for _, g := range gs {
		show("g/"+g.Name, g.Name, g.State)
		for _, r := range g.Resources {
			show("r/"+r.Name, "  "+r.Name, r.State)
		}
	}
}

// verdict turns the settled groups into rgmadm's result: an error with
// SCHA_ERR_STATE naming what went wrong, or nil.
func verdict(gs []wire.GroupStatus, expectOnline bool) error {
	var bad []string
	for _, g := range gs {
		ok := true
		switch g.State {
		case "ERROR_STOP_FAILED", "ONLINE_FAULTED", "PENDING_ONLINE_BLOCKED":
			ok = false
		case "ONLINE":
		default:
			ok = !expectOnline && g.Desired != "ONLINE"
		}
		if !ok {
			bad = append(bad, describe(g))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return scha.Errorf(scha.ErrState, "%s", strings.Join(bad, "; "))
}

func describe(g wire.GroupStatus) string {
	s := fmt.Sprintf("resource group %s is %s", g.Name, g.State)
	if parts := failedResources(g); len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

// failedResources names g's resources in a failed state, each with its
// state and status message: "db-rs START_FAILED (Start failed: exit 1)".
func failedResources(g wire.GroupStatus) []string {
	var parts []string
	for _, r := range g.Resources {
		switch r.State {
		case "START_FAILED", "STOP_FAILED", "MONITOR_FAILED":
			p := r.Name + " " + r.State
			if r.StatusMsg != "" {
				p += " (" + r.StatusMsg + ")"
			}
			parts = append(parts, p)
		}
	}
	return parts
}

func summary(_ []wire.GroupStatus, groups []string) string {
	return "resource group(s) " + strings.Join(groups, ", ")
}
