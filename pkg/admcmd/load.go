package admcmd

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// inventoryRows are rgmadm node show's lines of a node's inventory and
// loads (#22).
func inventoryRows(n wire.NodeInfo) [][2]string {
	var rows [][2]string
	if inv := n.Inventory; inv != nil {
		rows = append(rows,
			[2]string{"CPU", fmt.Sprintf("%d milli-cores", inv.MilliCPU)},
			[2]string{"Memory", loadValue("memory", inv.Memory)},
			[2]string{"Serial", orDash(inv.Serial)},
			[2]string{"BMC", orDash(inv.BMC)},
			[2]string{"Kernel", orDash(inv.Kernel)},
			[2]string{"OpenRGM", orDash(inv.Version)},
			[2]string{"Hostname", orDash(inv.Hostname)})
		if inv.At != 0 {
			rows = append(rows, [2]string{"Inventory at", time.Unix(inv.At, 0).UTC().Format(time.RFC3339)})
		}
	} else {
		rows = append(rows, [2]string{"Inventory", "- (not reported yet)"})
	}
	for _, l := range n.Loads {
		rows = append(rows, [2]string{"Load " + l.Name, loadLine(l)})
	}
	return rows
}

// loadLine is "1500 of hard 3500, soft 3000", with "(inventory)" when the
// hard limit is the node's own size, and "OVER" past a limit.
func loadLine(l wire.NodeLoad) string {
	s := loadValue(l.Name, l.Load)
	if l.Hard > 0 {
		s += " of hard " + loadValue(l.Name, l.Hard)
		if l.Default {
			s += " (inventory)"
		}
	} else {
		s += " (no hard limit)"
	}
	if l.Soft > 0 {
		s += ", soft " + loadValue(l.Name, l.Soft)
	}
	switch {
	case l.Hard > 0 && l.Load > l.Hard:
		s += ": OVER the hard limit (lowered below what is placed: nothing more goes there)"
	case l.Soft > 0 && l.Load > l.Soft:
		s += ": over the soft limit"
	}
	return s
}

// loadValue writes memory in binary units, other loads as numbers.
func loadValue(name string, v int64) string {
	if name == "memory" && v > 0 {
		for _, u := range []struct {
			s string
			m int64
		}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
			if v >= u.m {
				if v%u.m == 0 {
					return strconv.FormatInt(v/u.m, 10) + u.s
				}
				return strconv.FormatFloat(float64(v)/float64(u.m), 'f', 1, 64) + u.s
			}
		}
	}
	return strconv.FormatInt(v, 10)
}

// statusLoads is rgmadm status's LOAD column: "cpu 1500/3500 memory
// 6G/8G", each load over its hard limit followed by "OVER", over its
// soft limit by "(soft)".
func statusLoads(loads []wire.NodeLoad) string {
	if len(loads) == 0 {
		return "-"
	}
	var parts []string
	for _, l := range loads {
		s := l.Name + " " + loadValue(l.Name, l.Load)
		if l.Hard > 0 {
			s += "/" + loadValue(l.Name, l.Hard)
		}
		switch {
		case l.Hard > 0 && l.Load > l.Hard:
			s += " OVER"
		case l.Soft > 0 && l.Load > l.Soft:
			s += " (soft)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// waitTargets is --wait of rg online without -n on a cluster: each group
// waited for on the node rgmd chose for it (those without one, on the
// node answering).
func (inv *invocation) waitTargets(groups []string, targets map[string]string, timeout time.Duration, expectOnline bool) error {
	byNode := map[string][]string{}
	for _, g := range groups {
		byNode[targets[g]] = append(byNode[targets[g]], g)
	}
	for _, node := range slices.Sorted(maps.Keys(byNode)) {
		if err := inv.waitGroups(byNode[node], timeout, expectOnline, node); err != nil {
			return err
		}
	}
	return nil
}

// waitWanted is --wait of rg online for the groups that preempt others
// to get room (waiting): it waits until the leader wants each online on
// its target node, which it does once the groups it preempts stopped.
func (inv *invocation) waitWanted(waiting, targets map[string]string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, g := range slices.Sorted(maps.Keys(waiting)) {
		for {
			var rep wire.WaitReply
			if err := inv.call(wire.OpRGWait, &wire.WaitArgs{Groups: []string{g}, TimeoutMs: 1, Node: targets[g]}, &rep); err != nil {
				return err
			}
			if len(rep.Groups) == 1 && rep.Groups[0].Desired == "ONLINE" {
				break
			}
			if time.Now().After(deadline) {
				return scha.Errorf(scha.ErrTimeout, "%s still waits for room after %s: %s", g, timeout, waiting[g])
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func clusterSetFlags(fs *pflag.FlagSet, o *opts) {
	fs.StringArrayVarP(&o.props, "property", "p", nil, "set cluster property `PROP=VALUE`: Concentrate_load=TRUE|FALSE")
}

// clusterSet is rgmadm cluster set -p Concentrate_load=TRUE|FALSE.
func clusterSet(inv *invocation, o *opts, _ []string) error {
	props, err := parseAssignments("p", o.props)
	if err != nil {
		return err
	}
	if len(props) == 0 {
		return usageError("cluster set: give -p Concentrate_load=TRUE|FALSE")
	}
	return inv.call(wire.OpClusterSet, &wire.ClusterSetArgs{Props: props}, nil)
}
