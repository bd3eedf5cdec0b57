// Package wire defines the socket protocol between rgmd and its clients:
// JSON lines over a Unix stream socket, one request and one reply per line,
// many per connection. The protocol version lives here and nowhere else.
// The remote API's TLS port speaks it too, to clients that ask for it by
// ALPN (see ALPN).
package wire

import (
	"encoding/json"

	"github.com/openrgm/openrgm/pkg/scha"
)

// ProtocolVersion is carried by every request and reply. Fields may be
// added but never renamed or given a new meaning; decoders ignore unknown
// fields. The daemon refuses a request whose version is newer than its own.
//
// History:
//
//	1 (2026-11-22): first version.
const ProtocolVersion = 1

// ALPN is the TLS application protocol name under which rgmd's remote API
// port (rgmd --api-addr) speaks this protocol instead of HTTP/1.1, after
// the same mutually authenticated TLS 1.3 handshake: one request and one
// reply per line, as on the socket, with the certificate's role and
// revocation checked at every request. pkg/client/remote reads over it:
// a read costs a fifth of what it costs over HTTP. A server that does
// not offer it answers such a client with HTTP/1.1.
const ALPN = "openrgm-wire"

// MaxMessage bounds one request line, newline included: what any local
// user may send the daemon.
const MaxMessage = 1 << 20

// MaxReply bounds one reply line. Replies come from the daemon, which
// clients trust, and a listing of a large cluster (10,000 resources) runs
// to megabytes; the bound only stops a broken stream from eating memory.
const MaxReply = 256 << 20

// Request is one line from a client.
type Request struct {
	Version int             `json:"v"`
	ID      uint64          `json:"id"`
	Op      string          `json:"op"`
	Args    json.RawMessage `json:"args,omitempty"`
}

// Reply answers the request with the same ID. Code is a scha_err_t value;
// Message is the detail for people when Code is not ErrNoErr.
type Reply struct {
	Version int             `json:"v"`
	ID      uint64          `json:"id"`
	Code    scha.ErrCode    `json:"code"`
	Message string          `json:"msg,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Operations. Reads may come from any local user; the others are mutations.
const (
	OpPing = "ping" // no args → PingReply
	OpGet  = "get"  // GetArgs → GetReply: one scha_*_get query

	OpRTRegister   = "rt.register"   // RTRegisterArgs → model.ResourceType
	OpRTUnregister = "rt.unregister" // NameArgs
	OpRTList       = "rt.list"       // no args → []model.ResourceType
	OpRTShow       = "rt.show"       // NameArgs → model.ResourceType

	OpRGCreate = "rg.create" // RGArgs → model.ResourceGroup
	OpRGSet    = "rg.set"    // RGArgs → model.ResourceGroup
	OpRGDelete = "rg.delete" // NameArgs
	OpRGList   = "rg.list"   // no args → []model.ResourceGroup
	OpRGShow   = "rg.show"   // NameArgs → model.ResourceGroup

	OpRSCreate = "rs.create" // RSArgs → model.Resource
	OpRSSet    = "rs.set"    // RSArgs → model.Resource
	OpRSDelete = "rs.delete" // NameArgs
	OpRSList   = "rs.list"   // no args → []model.Resource
	OpRSShow   = "rs.show"   // NameArgs → model.Resource

	OpStatus = "status" // no args → StatusReply

	// Lifecycle requests (LifecycleArgs → LifecycleReply). Each returns once
	// the request is recorded in the log; rg.wait waits for what follows.
	// A group name "+" means every group.
	OpRGManage    = "rg.manage"
	OpRGUnmanage  = "rg.unmanage"
	OpRGOnline    = "rg.online"
	OpRGOffline   = "rg.offline"
	OpRGSwitch    = "rg.switch"     // LifecycleArgs.Node is the target
	OpRGRemaster  = "rg.remaster"   // back to the most preferred node that is up
	OpRGQuiesce   = "rg.quiesce"    // no more automatic recovery; --wait for methods to end
	OpNodeEvac    = "node.evacuate" // NameArgs: every group leaves the node
	OpRGRestart   = "rg.restart"
	OpRGSuspend   = "rg.suspend"
	OpRGResume    = "rg.resume"
	OpRSEnable    = "rs.enable"
	OpRSDisable   = "rs.disable"
	OpRSMonitor   = "rs.monitor"
	OpRSUnmonitor = "rs.unmonitor"
	OpRSClear     = "rs.clear"
	OpRGWait      = "rg.wait" // WaitArgs → WaitReply

	OpSetStatus = "rs.setstatus" // SetStatusArgs: scha_resource_setstatus
	OpControl   = "control"      // ControlArgs: scha_control
)

// IsRead reports whether op only reads, so any local user may call it.
func IsRead(op string) bool {
	switch op {
	case OpPing, OpGet, OpRTList, OpRTShow, OpRGList, OpRGShow, OpRSList, OpRSShow, OpStatus, OpEvents, OpPMFShow, OpPMFList, OpConfigExport,
		OpClusterStatus, OpNodeList, OpSimulate:
		return true
	}
	return false
}

// PingReply identifies the daemon.
type PingReply struct {
	Node     string `json:"node"`
	Cluster  string `json:"cluster"`
	Version  string `json:"version"` // rgmd's build version
	Protocol int    `json:"protocol"`
	PID      int    `json:"pid"`
}

// NameArgs names one object.
type NameArgs struct {
	Name string `json:"name"`
}

// RTRegisterArgs carries an RTR file. The client reads the file and sends
// its text so that rgmd never opens paths on a client's behalf; Path is the
// file's absolute path, used in error messages and as the default
// RT_basedir when the file sets none.
type RTRegisterArgs struct {
	Path string `json:"path"`
	Text string `json:"text"`
}

// RGArgs creates or changes a group. Props are name=value as the operator
// typed them (names in any case, arrays comma-separated).
type RGArgs struct {
	Name  string            `json:"name"`
	Props map[string]string `json:"props,omitempty"`
}

// RSArgs creates or changes a resource. Group and Type are needed only to
// create.
type RSArgs struct {
	Name  string            `json:"name"`
	Group string            `json:"group,omitempty"`
	Type  string            `json:"type,omitempty"`
	Props map[string]string `json:"props,omitempty"` // standard resource properties (-p)
	Ext   map[string]string `json:"ext,omitempty"`   // extension properties (-x)
}

// Object kinds a GetArgs may query.
const (
	KindResource      = "resource"
	KindResourceType  = "resourcetype"
	KindResourceGroup = "resourcegroup"
	KindCluster       = "cluster"
)

// GetArgs is one query of scha_resource_get, scha_resourcetype_get,
// scha_resourcegroup_get or scha_cluster_get (and their C equivalents).
type GetArgs struct {
	Kind     string   `json:"kind"`
	Name     string   `json:"name,omitempty"`  // resource, type or group; empty for the cluster
	Group    string   `json:"group,omitempty"` // optional with KindResource
	Tag      string   `json:"tag"`             // optag, any case
	Operands []string `json:"operands,omitempty"`
}

// GetReply is the typed answer to a GetArgs. Values holds one string per
// element (one for a scalar, possibly none for an array). Seq is the
// queried object's sequence number, for the C API's SCHA_ERR_SEQID check.
type GetReply struct {
	Type    scha.ResultType `json:"type"`
	ExtType string          `json:"ext_type,omitempty"` // STRING, INT, BOOLEAN, ENUM, STRINGARRAY when Type is extension
	Values  []string        `json:"values"`
	Seq     uint64          `json:"seq"`
}

// StatusReply is the whole picture shown by `rgmadm status`.
type StatusReply struct {
	Cluster string        `json:"cluster"`
	Node    string        `json:"node"`
	Nodes   []Node        `json:"nodes"`
	Groups  []GroupStatus `json:"groups"`
}

// Node is a cluster node. It mirrors model.Node so that the scha_*
// commands, which start once per query, don't link the model.
type Node struct {
	Name  string `json:"name"`
	ID    int    `json:"id"`
	State string `json:"state,omitempty"` // UP or DOWN, as the answering node sees it
	// Loads, in rgmadm status, are the node's loads against its limits:
	// those the groups wanted there put on it (Load_factors) or that the
	// operator limits (#22).
	Loads []NodeLoad `json:"loads,omitempty"`
}

// GroupStatus is one group in a StatusReply, with its resources.
type GroupStatus struct {
	Name      string           `json:"name"`
	State     string           `json:"state"` // on the local node
	Resources []ResourceStatus `json:"resources"`
	// Desired is what the operator asked of the group on the local node
	// (ONLINE or OFFLINE); State is what the methods achieved.
	Desired   string `json:"desired,omitempty"`
	Suspended bool   `json:"suspended,omitempty"` // Suspend_automatic_recovery
	// Nodes is the group's state on every node of its Nodelist.
	Nodes map[string]string `json:"nodes,omitempty"`
	// Why, on a cluster, says why the group is not where it is wanted,
	// or not elsewhere: a lost node not yet fenced, an affinity, a
	// failed Stop, Pingpong_interval, no node up.
	Why string `json:"why,omitempty"`
}

// ResourceStatus is one resource in a GroupStatus.
type ResourceStatus struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	State     string `json:"state"`
	Status    string `json:"status"`
	StatusMsg string `json:"status_msg"`
	OnOff     string `json:"on_off"`
	Monitored string `json:"monitored"`
	// Desired is ONLINE when the resource's group is wanted online on the
	// local node and the resource is enabled, else OFFLINE.
	Desired string `json:"desired,omitempty"`
}

// LifecycleArgs names the object of a lifecycle request.
type LifecycleArgs struct {
	Name string `json:"name"`           // group ("+" for all) or resource
	Node string `json:"node,omitempty"` // rg.switch: the node to switch to
}

// LifecycleReply names the groups the request concerns, for rg.wait.
type LifecycleReply struct {
	Groups []string `json:"groups"`
	// Targets names, for rg online without -n on a cluster, the node
	// chosen for each failover group brought online (#22): --wait waits
	// for it there.
	Targets map[string]string `json:"targets,omitempty"`
	// Waiting names, for rg online without -n on a cluster, the groups
	// that preempt groups of lower Priority to get room, with why: they
	// are not wanted online yet; the leader places them on their
	// Targets node once the groups they preempt stopped.
	Waiting map[string]string `json:"waiting,omitempty"`
	// Notes says, for node evacuate and rg remaster, where each group
	// that moves goes and why, or why it goes offline.
	Notes map[string]string `json:"notes,omitempty"`
}

// WaitArgs waits until nothing is in progress for the groups on the
// daemon's node, or TimeoutMs passes (at most 60000; 0 means 10000).
type WaitArgs struct {
	Groups    []string `json:"groups"`
	TimeoutMs int      `json:"timeout_ms,omitempty"`
	// Node, when another node's, waits until the groups reach what is
	// wanted of them there (rg switch -n, rg online -n, node evacuate).
	Node string `json:"node,omitempty"`
}

// WaitReply is the groups' status when the wait ended; Settled is false
// when it ended by timeout.
type WaitReply struct {
	Settled bool          `json:"settled"`
	Groups  []GroupStatus `json:"groups"`
}

// SetStatusArgs is scha_resource_setstatus: Status and Status_msg of a
// resource on the daemon's node. A nil Message sets Status_msg to empty.
type SetStatusArgs struct {
	Resource string  `json:"resource"`
	Group    string  `json:"group,omitempty"`
	Status   string  `json:"status"` // OK, DEGRADED, FAULTED, UNKNOWN, OFFLINE
	Message  *string `json:"msg,omitempty"`
}

// ControlArgs is scha_control: Tag (GIVEOVER, RESTART, ...) for a resource
// in a group, on the daemon's node.
type ControlArgs struct {
	Tag      string `json:"tag"`
	Resource string `json:"resource"`
	Group    string `json:"group"`
}

// OpEvents streams changes: the daemon answers an EventsArgs request with
// one Reply per Event, all with the request's ID, until the client hangs
// up. The stream starts at the request, or, with Since, after that event
// of the daemon's history (the last EventHistory events, rgmd(8)).
const OpEvents = "events"

// EventsArgs selects the events of an OpEvents stream.
type EventsArgs struct {
	Resource string `json:"resource,omitempty"` // only this resource's events
	Group    string `json:"group,omitempty"`    // only this group's (and its resources') events
	// Kinds, when set, keeps only events of these kinds (Event*); lost
	// and reset events are always sent.
	Kinds []string `json:"kinds,omitempty"`
	// Since, when set, starts the stream after event number *Since: the
	// events kept since then come first. Epoch, when set, is the epoch
	// the number was counted in; another epoch's number gets an
	// EventReset, numbered as the last event, and the stream goes on
	// from there.
	Since *uint64 `json:"since,omitempty"`
	Epoch string  `json:"epoch,omitempty"`
}

// Event kinds.
const (
	EventConfig = "config" // an object was created, changed or deleted
	EventState  = "state"  // a resource's or group's state changed on a node
	EventStatus = "status" // a resource's Status or Status_msg changed on a node
	EventLost   = "lost"   // the subscriber was too slow; Count events were dropped
	EventNode   = "node"   // a node went UP or DOWN (State), as this node sees it
	// EventReset: the number a stream was resumed from was counted by
	// another run of rgmd (or another node): numbers start again, and
	// what happened meanwhile is unknown; re-read the state.
	EventReset = "reset"
)

// Event is one change seen by the daemon.
type Event struct {
	Seq       uint64 `json:"seq"`  // increases by one per event of this daemon
	Time      string `json:"time"` // RFC 3339 with milliseconds
	Kind      string `json:"kind"`
	Object    string `json:"object,omitempty"` // resource, resourcegroup, resourcetype, cluster
	Name      string `json:"name,omitempty"`
	Group     string `json:"group,omitempty"` // a resource's group
	Node      string `json:"node,omitempty"`
	Change    string `json:"change,omitempty"` // for EventConfig: created, changed, deleted
	State     string `json:"state,omitempty"`
	Status    string `json:"status,omitempty"`
	StatusMsg string `json:"status_msg,omitempty"`
	Count     int    `json:"count,omitempty"` // for EventLost
	// Epoch names the run of rgmd that numbered the event (the same for
	// every event of one run); set on streams, not on D-Bus.
	Epoch string `json:"epoch,omitempty"`
}
