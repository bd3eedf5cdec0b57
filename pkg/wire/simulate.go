package wire

// rgmadm simulate: what an event would do, decided by the real engine,
// nothing done.
const (
	OpSimulate = "simulate" // SimulateArgs → SimulateReply; a read
)

// Events of SimulateArgs and their operands.
const (
	SimNodeDown = "node-down" // NODE
	SimNodeUp   = "node-up"   // NODE
	SimSwitch   = "switch"    // GROUP NODE
	SimFail     = "fail"      // RESOURCE
)

// SimulateArgs asks what Event (with its Operands) would do.
type SimulateArgs struct {
	Event    string   `json:"event"`
	Operands []string `json:"operands,omitempty"`
	// Config, when set, is a saved configuration (rgmadm export, with its
	// types' RTR files' text, as import sends it; Token and Final are
	// unused) to simulate against instead of the live one. Every node is
	// then up, and every group stands where the cluster's start would put
	// it.
	Config *ImportArgs `json:"config,omitempty"`
}

// SimulateReply is what would happen, in order.
type SimulateReply struct {
	Source string   `json:"source"` // "live", or "file" for SimulateArgs.Config
	Event  string   `json:"event"`  // the event in words, "n3 down"
	Up     []string `json:"up"`     // the nodes up before the event
	// Moves are the placement decisions.
	Moves []SimMove `json:"moves"`
	// Blocked are the groups that should be online but cannot be, fully.
	Blocked []SimBlocked `json:"blocked"`
	// Preempted are the groups taken offline to make room for a group of
	// higher Priority (Preemption_mode), with the group and the node.
	Preempted []SimPreempted `json:"preempted,omitempty"`
	// Steps are the methods each node would run, in order.
	Steps []SimStep `json:"steps"`
	// Notes say what else would happen.
	Notes []string `json:"notes,omitempty"`
	// After is where the groups of Moves are online once all settled.
	After []SimPlace `json:"after"`
}

// SimMove is one change of a group's place; From or To is "" when the
// group comes online or goes offline.
type SimMove struct {
	Group string `json:"group"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Why   string `json:"why"`
}

// SimBlocked is a group that cannot be placed, and why.
type SimBlocked struct {
	Group string `json:"group"`
	Why   string `json:"why"`
}

// SimStep is one method run; steps of a node with the same Round run
// side by side.
type SimStep struct {
	Node     string `json:"node"`
	Group    string `json:"group"`
	Resource string `json:"resource"`
	Method   string `json:"method"`
	Round    int    `json:"round"`
}

// SimPlace is where a group is online after the event.
type SimPlace struct {
	Group  string   `json:"group"`
	Online []string `json:"online"`
}

// SimPreempted is a group preempted: taken off Node for By.
type SimPreempted struct {
	Group string `json:"group"`
	By    string `json:"by"`
	Node  string `json:"node"`
}
