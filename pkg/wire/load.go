package wire

// NodeInventory is what a node reported it has at its last start (#22).
// Fields the system does not expose are empty.
type NodeInventory struct {
	MilliCPU int64  `json:"milli_cpu"` // CPUs × 1000
	Memory   int64  `json:"memory"`    // bytes
	Serial   string `json:"serial,omitempty"`
	BMC      string `json:"bmc,omitempty"`
	Kernel   string `json:"kernel,omitempty"`
	Version  string `json:"version,omitempty"` // OpenRGM's
	Hostname string `json:"hostname,omitempty"`
	At       int64  `json:"at,omitempty"` // Unix seconds of the report
}

// NodeLoad is one load of a node: what the groups wanted there add up
// to, against its limits (0: none). Default says the hard limit is the
// node's inventory (cpu, memory), not one the operator set.
type NodeLoad struct {
	Name    string `json:"name"`
	Load    int64  `json:"load"`
	Hard    int64  `json:"hard,omitempty"`
	Soft    int64  `json:"soft,omitempty"`
	Default bool   `json:"default,omitempty"`
}
