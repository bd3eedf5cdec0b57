// Package model holds the configuration of a cluster: resource types,
// resource groups and resources, their properties, and the rules every
// value must follow. It is pure data: no I/O, no clock, no randomness, so
// the replicated store can apply the same mutations on every node.
package model

// PropType is the type of a property value.
type PropType int

const (
	TypeString PropType = iota
	TypeInt
	TypeBoolean
	TypeEnum
	TypeStringArray
	TypeUint
	TypeUintArray
)

var propTypeNames = [...]string{"STRING", "INT", "BOOLEAN", "ENUM", "STRINGARRAY", "UINT", "UINTARRAY"}

// String returns the RTR / scha spelling: STRING, INT, BOOLEAN, ENUM,
// STRINGARRAY, UINT, UINTARRAY.
func (t PropType) String() string {
	if t < 0 || int(t) >= len(propTypeNames) {
		return "UNKNOWN"
	}
	return propTypeNames[t]
}

// IsArray reports whether values of t are lists.
func (t PropType) IsArray() bool { return t == TypeStringArray || t == TypeUintArray }

// Tunable says when an administrator may change a property.
type Tunable int

const (
	TunableNone         Tunable = iota // NONE or FALSE: never after creation (and not at creation for query-only properties)
	TunableAtCreation                  // AT_CREATION: only when the resource is created
	TunableAnytime                     // ANYTIME or TRUE
	TunableWhenDisabled                // WHEN_DISABLED: only while the resource is disabled
)

var tunableNames = [...]string{"NONE", "AT_CREATION", "ANYTIME", "WHEN_DISABLED"}

func (t Tunable) String() string {
	if t < 0 || int(t) >= len(tunableNames) {
		return "UNKNOWN"
	}
	return tunableNames[t]
}

// PropDecl declares one property: a row of the standard tables below, or a
// property block of an RTR file (a system property re-declared with a new
// DEFAULT, MIN, MAX or TUNABLE, or an extension property).
//
// Values everywhere in this package are canonical strings: integers in
// decimal, booleans TRUE/FALSE, enums in the spelling of their declaration,
// arrays as their elements joined by commas (as Solaris Cluster's CLI takes
// them: an element can't contain a comma).
type PropDecl struct {
	Name         string   `json:"name"` // canonical spelling; lookups are case-insensitive
	Type         PropType `json:"type"`
	Extension    bool     `json:"extension,omitempty"`
	Default      *string  `json:"default,omitempty"` // nil: no default, so the value is required at creation
	Min          *int64   `json:"min,omitempty"`
	Max          *int64   `json:"max,omitempty"`
	MinLength    *int     `json:"minlength,omitempty"`
	MaxLength    *int     `json:"maxlength,omitempty"`
	ArrayMinSize *int     `json:"array_minsize,omitempty"`
	ArrayMaxSize *int     `json:"array_maxsize,omitempty"`
	EnumList     []string `json:"enumlist,omitempty"`
	Tunable      Tunable  `json:"tunable"`
	Description  string   `json:"description,omitempty"`
	PerNode      bool     `json:"per_node,omitempty"`
	QueryOnly    bool     `json:"query_only,omitempty"` // set by the RGM only (Resource_state, Status, ...)
}

// UpgradeFrom is one `#$upgrade_from "VERSION" WHEN` directive.
type UpgradeFrom struct {
	Version string `json:"version"` // "" means "no version"
	When    string `json:"when"`    // ANYTIME, WHEN_OFFLINE, WHEN_DISABLED, WHEN_UNMONITORED, WHEN_UNMANAGED, AT_CREATION
}

// ResourceType is a registered resource type.
type ResourceType struct {
	// Name is the full name: Vendor_id.Resource_type, plus :RT_version
	// when the RTR file has #$upgrade.
	Name string `json:"name"`
	// Props holds the resource-type properties (API_version, RT_basedir,
	// Start, Failover, Init_nodes, Installed_nodes, ...) by canonical name,
	// as canonical strings. Every standard RT property is present, with its
	// default when the RTR file did not set it.
	Props map[string]string `json:"props"`
	// Params declares the type's resource properties: the standard ones the
	// RTR file re-declared (only DEFAULT, MIN, MAX, TUNABLE may differ from
	// the standard row) and its extension properties, in file order.
	Params      []PropDecl    `json:"params"`
	Upgrade     bool          `json:"upgrade,omitempty"`
	UpgradeFrom []UpgradeFrom `json:"upgrade_from,omitempty"`
	SourceFile  string        `json:"source_file,omitempty"`
	// Seq changes on every change to this object's configuration (its
	// properties, or the membership of its Resource_list), as Solaris
	// Cluster's sequence id does: the C API answers SCHA_ERR_SEQID from
	// it. State and status changes leave it alone, since agents query
	// those continuously through open handles.
	Seq uint64 `json:"seq"`
}

// ResourceGroup is a resource group.
type ResourceGroup struct {
	Name  string            `json:"name"`
	Props map[string]string `json:"props"` // every standard RG property, canonical name → canonical value
	// Nodes holds the per-node state of the group, keyed by node name.
	Nodes map[string]*RGNode `json:"nodes"`
	Seq   uint64             `json:"seq"` // see ResourceType.Seq
	// Preempt, when set, says the group waits for room on a node: taken
	// off by a group of higher Priority, or freeing one (preempt.go).
	Preempt *PreemptMark `json:"preempt,omitempty"`
}

// RGNode is a group's state on one node.
type RGNode struct {
	State string `json:"state"` // UNMANAGED, OFFLINE, PENDING_ONLINE, ONLINE, ...
	// Desired is what the operator (or a failover) asked of the group on
	// this node: ONLINE, OFFLINE, or "" (never asked: OFFLINE). It is kept
	// apart from State, which is what the methods achieved, so that an
	// rgmd restarting after a crash knows what to drive the node back to.
	Desired string `json:"desired,omitempty"`
	// Restarts holds the Unix times (seconds) of the group's restarts on
	// this node, for NUM_RG_RESTARTS within Retry_interval.
	Restarts []int64 `json:"restarts,omitempty"`
	// GiveoverAt is the Unix time a scha_control giveover last took the
	// group away from this node, and StartFailedAt the time a Start or
	// Prenet_start of it last failed here: within Pingpong_interval of
	// either, this node is not a giveover target.
	GiveoverAt    int64 `json:"giveover_at,omitempty"`
	StartFailedAt int64 `json:"start_failed_at,omitempty"`
	// Asked counts the requests that wanted the group online here by an
	// operator or the leader's placement (StateChange.Retry): when it
	// goes up, this node's engine retries the group's START_FAILED
	// resources.
	Asked uint64 `json:"asked,omitempty"`
}

// Resource is a resource.
type Resource struct {
	Name  string            `json:"name"`
	Group string            `json:"group"`
	Type  string            `json:"type"`  // full name of the resource type
	Props map[string]string `json:"props"` // standard resource properties the type has, canonical name → value
	Ext   map[string]string `json:"ext"`   // extension properties, declared name → value
	// ExtNode holds the nodes' own values of per-node (PER_NODE) extension
	// properties: declared name → node name → value. A node without one
	// has the value in Ext.
	ExtNode map[string]map[string]string `json:"ext_node,omitempty"`
	// Nodes holds the per-node state of the resource, keyed by node name.
	Nodes map[string]*RNode `json:"nodes"`
	Seq   uint64            `json:"seq"` // see ResourceType.Seq
}

// RNode is a resource's state on one node.
type RNode struct {
	State     string `json:"state"`      // ONLINE, OFFLINE, START_FAILED, ...
	Status    string `json:"status"`     // OK, DEGRADED, FAULTED, UNKNOWN, OFFLINE
	StatusMsg string `json:"status_msg"` // "" prints as an empty line
	OnOff     string `json:"on_off"`     // ENABLED / DISABLED
	Monitored string `json:"monitored"`  // ENABLED / DISABLED
	// Restarts holds the Unix times (seconds) of the resource's restarts on
	// this node, for NUM_RESOURCE_RESTARTS within Retry_interval.
	Restarts []int64 `json:"restarts,omitempty"`
	// StatusSet says scha_resource_setstatus set Status since rgmd last
	// changed State: a StateChange with StatusIfUnset then leaves Status
	// alone (r_properties(5): the RGM sets Status on online or offline
	// only if the resource's monitor or methods have not set it).
	StatusSet bool `json:"status_set,omitempty"`
}

// Node is a cluster node.
type Node struct {
	Name string `json:"name"`
	ID   int    `json:"id"` // 1-based, as Solaris Cluster numbers nodes
	// Addr is the node's cluster address (host:port), "" for a node that
	// was never opened to peers (rgmd without --cluster-addr).
	Addr string `json:"addr,omitempty"`
	// Witness says the node is a raft voter that hosts no resources
	// (rgmd --witness): the third vote of a two-node cluster.
	Witness bool `json:"witness,omitempty"`
	// Incarnation counts the times the cluster fenced the node. State
	// changes proposed by the node's rgmd carry the incarnation it runs
	// under, and those from an older one are refused (fencing.go).
	Incarnation int `json:"incarnation,omitempty"`
	// FencedAt (Unix seconds) and FencedBy say when and how it was last
	// fenced.
	FencedAt int64  `json:"fenced_at,omitempty"`
	FencedBy string `json:"fenced_by,omitempty"`
	// Fence is the device that fences the node from outside, if any.
	Fence *FenceDevice `json:"fence,omitempty"`
	// Inventory is what the node reported it has at its last start.
	Inventory *Inventory `json:"inventory,omitempty"`
	// Limits are the node's load limits by load name (load.go).
	Limits map[string]LoadLimit `json:"limits,omitempty"`
}

// Config is the whole replicated configuration.
type Config struct {
	ClusterName string                    `json:"cluster_name"`
	Nodes       []Node                    `json:"nodes"`
	Types       map[string]*ResourceType  `json:"types"`
	Groups      map[string]*ResourceGroup `json:"groups"`
	Resources   map[string]*Resource      `json:"resources"`
	// Seq is the last sequence number handed out; each object whose
	// configuration changes gets the next one.
	Seq uint64 `json:"seq"`
	// LastNodeID is the highest node ID ever given out, so a removed
	// node's ID is not given to another.
	LastNodeID int `json:"last_node_id,omitempty"`
	// Trust holds what lets nodes join (nodes.go); never shown to clients.
	Trust *Trust `json:"trust,omitempty"`
	// ConcentrateLoad is the cluster's Concentrate_load (load.go).
	ConcentrateLoad bool `json:"concentrate_load,omitempty"`
}
