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
// unmanaged on this node and waits until their Init methods are done.
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
		if (all || want[g.Name]) && g.State == "UNMANAGED" {
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
func (inv *invocation) waitGroups(groups []string, timeout time.Duration, expectOnline bool, node string) error {
	if len(groups) == 0 {
		return nil
	}
	deadline := time.Now().Add(timeout)
	chunk := 10 * time.Second
	if inv.env.IsTTY {
		chunk = 300 * time.Millisecond
	}
	seen := map[string]string{}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return scha.Errorf(scha.ErrTimeout, "still in progress after %s: %s", timeout, summary(nil, groups))
		}
		var rep wire.WaitReply
		if err := inv.call(wire.OpRGWait, &wire.WaitArgs{Groups: groups, TimeoutMs: int(min(left, chunk) / time.Millisecond), Node: node}, &rep); err != nil {
			return err
		}
		if inv.env.IsTTY {
			inv.progress(rep.Groups, seen)
		}
		if rep.Settled {
			return verdict(rep.Groups, expectOnline)
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
	s := fmt.Sprintf("resource group %s is %s", g.Name, g.State)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

func summary(_ []wire.GroupStatus, groups []string) string {
	return "resource group(s) " + strings.Join(groups, ", ")
}
