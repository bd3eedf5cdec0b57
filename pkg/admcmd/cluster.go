package admcmd

import (
	"fmt"
	"strconv"
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
			},
		},
		&object{
			name:    "node",
			summary: "cluster nodes",
			verbs: []*verb{
				{name: "list", read: true, summary: "List the nodes: ID, state (UP/DOWN), raft role, leader", run: nodeList},
				{name: "show", operands: []string{"NAME"}, read: true, summary: "Show one node", run: nodeShow},
				nameVerb("node", "remove", wire.OpNodeRemove, "Take nodes out of the cluster (raft and membership); each must host no online group"),
			},
		},
	)
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
		inv.printKV(inv.env.Stdout, kvSection{rows: [][2]string{{"Name", n.Name}, {"ID", strconv.Itoa(n.ID)}, {"State", n.State},
			{"Role", role}, {"Address", orDash(n.Addr)}, {"Local", strconv.FormatBool(n.Local)}}})
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
		{"Leader", orDash(st.Leader)}, {"Term", orDash(st.Term)}, {"Applied index", orDash(st.Applied)}}})
	fmt.Fprintln(inv.env.Stdout)
	inv.printTable(inv.env.Stdout, nodeRows(st.Nodes))
	return nil
}
