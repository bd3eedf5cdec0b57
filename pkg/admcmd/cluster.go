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

// The cluster and node objects: several rgmd as one cluster.
func init() {
	objects = append(objects,
		&object{
			name:    "cluster",
			summary: "the cluster: join tokens, leader, raft",
			verbs: []*verb{
				{name: "token", synopsis: "[--ttl DURATION]", summary: "Print a single-use join token for a new node (rgmd --join ... --token TOKEN)", flags: tokenFlags, run: clusterToken},
				{name: "status", read: true, summary: "Show the cluster's name, leader and nodes as this node sees them", run: clusterStatus},
				{name: "set", synopsis: "-p Concentrate_load=TRUE|FALSE", summary: "Set the cluster's properties: Concentrate_load packs groups on the most loaded nodes that have room", flags: clusterSetFlags, run: clusterSet},
			},
		},
		&object{
			name:    "node",
			summary: "cluster nodes",
			verbs: []*verb{
				{name: "list", read: true, summary: "List the nodes: ID, state (UP/DOWN), raft role, leader", run: nodeList},
				{name: "show", operands: []string{"NAME"}, read: true, summary: "Show one node", run: nodeShow},
				nameVerb("node", "remove", wire.OpNodeRemove, "Take nodes out of the cluster (raft and membership); each must host no online group"),
				{name: "set", operands: []string{"NAME"}, synopsis: "[--fence-agent AGENT [--fence-param KEY=VALUE]... | --no-fence-agent] [-p loadlimit=LOAD@VALUE,...] [-p loadlimit_soft=LOAD@VALUE,...]", summary: "Set the fence agent (Pacemaker's fence_*) that turns the node off when the cluster loses it, and the node's hard and soft load limits", flags: nodeSetFlags, run: nodeSet},
				{name: "evacuate", operands: []string{"NAME"}, synopsis: "[--wait] [--timeout DURATION]", summary: "Move every group off a node, to where placement puts it (Nodelist order, affinities, load limits, Monitor_check); a group no node can take goes offline, a scalable one stays on its other nodes", flags: waitFlags, run: nodeEvacuate},
				nameVerb("node", "fence", wire.OpNodeFence, "Fence nodes now with their fence agent; their groups may then start elsewhere"),
			},
		},
	)
}

func waitFlags(fs *pflag.FlagSet, o *opts) {
	boolFlag(fs, &o.wait, "wait", "w", "wait until the change is carried out")
	fs.DurationVar(&o.timeout, "timeout", DefaultWaitTimeout, "with --wait, give up after `DURATION`")
}

func nodeEvacuate(inv *invocation, o *opts, operands []string) error {
	var rep wire.LifecycleReply
	if err := inv.call(wire.OpNodeEvac, &wire.NameArgs{Name: operands[0]}, &rep); err != nil {
		return err
	}
	for _, g := range slices.Sorted(maps.Keys(rep.Notes)) {
		fmt.Fprintf(inv.env.Stdout, "%s: %s\n", g, rep.Notes[g])
	}
	if !o.wait {
		return nil
	}
	return inv.waitGroups(rep.Groups, o.timeout, false, operands[0])
}

func nodeSetFlags(fs *pflag.FlagSet, o *opts) {
	fs.StringVar(&o.typ, "fence-agent", "", "the node's fence `AGENT`: a fence_* command (Debian's fence-agents) or an absolute path")
	fs.StringArrayVar(&o.ext, "fence-param", nil, "a `KEY=VALUE` the agent gets on stdin, as Pacemaker gives a stonith device's parameters (repeatable)")
	boolFlag(fs, &o.disabled, "no-fence-agent", "", "remove the node's fence agent")
	fs.StringArrayVarP(&o.props, "property", "p", nil, "set node property `PROP=VALUE`: loadlimit (hard) or loadlimit_soft, each LOAD@VALUE,... (repeatable)")
}

func nodeSet(inv *invocation, o *opts, operands []string) error {
	a := wire.NodeSetArgs{Name: operands[0], FenceAgent: o.typ, NoFence: o.disabled}
	props, err := parseAssignments("p", o.props)
	if err != nil {
		return err
	}
	for k, v := range props {
		switch strings.ToLower(k) {
		case "loadlimit":
			a.LoadLimit = v
		case "loadlimit_soft":
			a.LoadLimitSoft = v
		default:
			return usageError("node set: -p %s: a node's properties are loadlimit and loadlimit_soft", k)
		}
		if v == "" {
			return usageError("node set: -p %s: give LOAD@VALUE,... (a value of 0 removes that limit)", k)
		}
	}
	limits := a.LoadLimit != "" || a.LoadLimitSoft != ""
	switch {
	case a.NoFence && (a.FenceAgent != "" || len(o.ext) > 0):
		return usageError("node set: --no-fence-agent takes no --fence-agent or --fence-param")
	case !a.NoFence && a.FenceAgent == "" && len(o.ext) > 0:
		return usageError("node set: --fence-param needs --fence-agent")
	case !a.NoFence && a.FenceAgent == "" && !limits:
		return usageError("node set: give --fence-agent AGENT, --no-fence-agent or -p loadlimit=...")
	}
	for _, kv := range o.ext {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageError("node set: --fence-param %q: want KEY=VALUE", kv)
		}
		if a.FenceParams == nil {
			a.FenceParams = map[string]string{}
		}
		a.FenceParams[k] = v
	}
	return inv.call(wire.OpNodeSet, &a, nil)
}

func tokenFlags(fs *pflag.FlagSet, o *opts) {
	fs.DurationVar(&o.timeout, "ttl", time.Hour, "how long the token can be used")
}

func clusterToken(inv *invocation, o *opts, _ []string) error {
	ttl := int64(o.timeout / time.Second)
	if ttl <= 0 {
		return usageError("cluster token: --ttl must be at least 1s")
	}
	var rep wire.TokenReply
	if err := inv.call(wire.OpClusterToken, &wire.TokenArgs{TTL: ttl}, &rep); err != nil {
		return err
	}
	// The token alone on stdout, so TOKEN=$(rgmadm cluster token) works.
	fmt.Fprintln(inv.env.Stdout, rep.Token)
	fmt.Fprintf(inv.env.Stderr, "rgmadm: join token %s, valid once until %s\n", rep.ID, time.Unix(rep.Expires, 0).Format(time.RFC3339))
	return nil
}

func nodeRows(nodes []wire.NodeInfo) *table {
	t := &table{paintCols: map[int]bool{2: true}}
	t.add("NAME", "ID", "STATE", "ROLE", "ADDRESS")
	for _, n := range nodes {
		role := orDash(n.Role)
		if n.Leader {
			role += " (leader)"
		}
		name := n.Name
		if n.Local {
			name += " *"
		}
		t.add(name, strconv.Itoa(n.ID), n.State, role, orDash(n.Addr))
	}
	return t
}

func nodeList(inv *invocation, o *opts, _ []string) error {
	var nodes []wire.NodeInfo
	if err := inv.call(wire.OpNodeList, nil, &nodes); err != nil {
		return err
	}
	switch inv.listMode(o) {
	case listJSON:
		return writeJSON(inv.env.Stdout, nonNil(nodes))
	case listNames:
		for _, n := range nodes {
			fmt.Fprintln(inv.env.Stdout, n.Name)
		}
		return nil
	}
	inv.printTable(inv.env.Stdout, nodeRows(nodes))
	return nil
}

func nodeShow(inv *invocation, o *opts, operands []string) error {
	var nodes []wire.NodeInfo
	if err := inv.call(wire.OpNodeList, nil, &nodes); err != nil {
		return err
	}
	for _, n := range nodes {
		if n.Name != operands[0] {
			continue
		}
		if o.output == "json" {
			return writeJSON(inv.env.Stdout, &n)
		}
		role := orDash(n.Role)
		if n.Leader {
			role += " (leader)"
		}
		rows := [][2]string{{"Name", n.Name}, {"ID", strconv.Itoa(n.ID)}, {"State", n.State},
			{"Role", role}, {"Address", orDash(n.Addr)}, {"Local", strconv.FormatBool(n.Local)},
			{"Witness", strconv.FormatBool(n.Witness)}, {"Fence agent", orDash(n.FenceAgent)}, {"Incarnation", strconv.Itoa(n.Incarnation)}}
		if n.FencedBy != "" {
			rows = append(rows, [2]string{"Last fenced", time.Unix(n.FencedAt, 0).Format(time.RFC3339) + " by " + n.FencedBy})
		}
		if n.Waiting != "" {
			rows = append(rows, [2]string{"Waiting", n.Waiting})
		}
		rows = append(rows, inventoryRows(n)...)
		inv.printKV(inv.env.Stdout, kvSection{rows: rows})
		return nil
	}
	return scha.Errorf(scha.ErrNode, "no node %q in this cluster", operands[0])
}

func clusterStatus(inv *invocation, o *opts, _ []string) error {
	var st wire.ClusterStatus
	if err := inv.call(wire.OpClusterStatus, nil, &st); err != nil {
		return err
	}
	if o.output == "json" {
		st.Nodes = nonNil(st.Nodes)
		return writeJSON(inv.env.Stdout, &st)
	}
	addr := "none (single node: rgmd has no --cluster-addr)"
	if st.Clustered {
		addr = st.Addr
	}
	inv.printKV(inv.env.Stdout, kvSection{rows: [][2]string{{"Cluster", st.Cluster}, {"Node", st.Node}, {"Cluster port", addr},
		{"Leader", orDash(st.Leader)}, {"Term", orDash(st.Term)}, {"Applied index", orDash(st.Applied)},
		{"Concentrate_load", strings.ToUpper(strconv.FormatBool(st.ConcentrateLoad))}}})
	fmt.Fprintln(inv.env.Stdout)
	inv.printTable(inv.env.Stdout, nodeRows(st.Nodes))
	return nil
}
