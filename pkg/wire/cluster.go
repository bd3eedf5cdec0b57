package wire

// Cluster and node ops (rgmadm cluster ..., rgmadm node ...).
const (
	OpClusterToken  = "cluster.token"  // TokenArgs → TokenReply: a join token (admin)
	OpClusterStatus = "cluster.status" // no args → ClusterStatus
	OpNodeList      = "node.list"      // no args → []NodeInfo
	OpNodeRemove    = "node.remove"    // NameArgs: take a node out of the cluster
	OpClusterSet    = "cluster.set"    // ClusterSetArgs: the cluster's properties (admin)
	OpNodeSet       = "node.set"       // NodeSetArgs: a node's fence device and load limits (admin)
	OpNodeFence     = "node.fence"     // NameArgs: fence a node with its agent now (admin)
)

// NodeSetArgs sets (FenceAgent) or removes (NoFence) a node's fence
// device: a Pacemaker fence agent and its parameters.
type NodeSetArgs struct {
	Name        string            `json:"name"`
	FenceAgent  string            `json:"fence_agent,omitempty"`
	FenceParams map[string]string `json:"fence_params,omitempty"`
	NoFence     bool              `json:"no_fence,omitempty"`
	// LoadLimit and LoadLimitSoft change the node's hard and soft load
	// limits: NAME@VALUE,... (cpu@3500,memory@8G), a value of 0 removing
	// that limit; loads not named keep theirs.
	LoadLimit     string `json:"loadlimit,omitempty"`
	LoadLimitSoft string `json:"loadlimit_soft,omitempty"`
}

// TokenArgs asks for a join token valid for TTL seconds (0: the default).
type TokenArgs struct {
	TTL int64 `json:"ttl,omitempty"`
}

// TokenReply is a join token: Token is the word to give `rgmd --token`.
type TokenReply struct {
	Token   string `json:"token"`
	ID      string `json:"id"`
	Expires int64  `json:"expires"` // Unix seconds
}

// NodeInfo is one node as this rgmd sees it.
type NodeInfo struct {
	Name   string `json:"name"`
	ID     int    `json:"id"`
	Addr   string `json:"addr,omitempty"`
	State  string `json:"state"`            // UP or DOWN, as scha_cluster_get -O NODESTATE_NODE
	Role   string `json:"role,omitempty"`   // voter, nonvoter, or "" when not in raft's configuration
	Leader bool   `json:"leader,omitempty"` // leads the cluster now
	Local  bool   `json:"local,omitempty"`  // the node that answered
	// Witness: a voter that hosts no resources (rgmd --witness).
	Witness bool `json:"witness,omitempty"`
	// Incarnation counts the times the cluster fenced the node;
	// FencedBy says how it was fenced last, and FencedAt when.
	Incarnation int    `json:"incarnation,omitempty"`
	FencedBy    string `json:"fenced_by,omitempty"`
	FencedAt    int64  `json:"fenced_at,omitempty"`
	FenceAgent  string `json:"fence_agent,omitempty"` // its fence device's agent
	// Waiting, when set, says why the node's groups wait before they
	// can move (a lost node that is not fenced yet), as the leader sees it.
	Waiting string `json:"waiting,omitempty"`
	// Inventory is what the node has; Loads its loads against its
	// limits, by load name (#22).
	Inventory *NodeInventory `json:"inventory,omitempty"`
	Loads     []NodeLoad     `json:"loads,omitempty"`
}

// ClusterStatus is the cluster as this rgmd sees it.
type ClusterStatus struct {
	Cluster   string     `json:"cluster"`
	Node      string     `json:"node"`             // the node that answered
	Clustered bool       `json:"clustered"`        // rgmd has a cluster port
	Addr      string     `json:"addr,omitempty"`   // this node's cluster address
	Leader    string     `json:"leader,omitempty"` // the leader's node name, "" if none is known
	Term      string     `json:"term,omitempty"`
	Applied   string     `json:"applied,omitempty"` // raft's last applied index here
	Nodes     []NodeInfo `json:"nodes"`
	// ConcentrateLoad is the cluster's Concentrate_load (#22).
	ConcentrateLoad bool `json:"concentrate_load,omitempty"`
}

// ClusterSetArgs sets the cluster's properties: Concentrate_load.
type ClusterSetArgs struct {
	Props map[string]string `json:"props"`
}
