// Package query answers scha_*_get queries from a model.Config.
//
// Get is a pure function of the configuration, the local node, the syslog
// facility and the time: the daemon calls it under its read lock, and tests
// call it on a literal Config. Every error is a *scha.Error whose code is
// the exit status the scha_* command reports.
//
// Choices made where the reference says UNCONFIRMED (also in the man pages):
//
//   - Object names (resources, groups, nodes) match exactly; optags and
//     property names match in any case. A type name may be the full name or,
//     when only one registered type fits, a short one without the vendor
//     prefix and/or the :version suffix, as the admin commands allow.
//   - scha_resource_get -G names a group: an unknown group, or a group the
//     resource is not in, is SCHA_ERR_RG; an unknown resource is
//     SCHA_ERR_RSRC whatever -G says.
//   - Per-node values read the entry of the node that asked (or the operand
//     node). A node that is not configured is SCHA_ERR_NODE; a configured
//     node without an entry has the object's initial state: OFFLINE, status
//     OFFLINE with an empty message, both switches DISABLED and no restarts
//     for a resource; UNMANAGED for a group.
//   - There are no zones: a zone operand (NUM_*_RESTARTS_ZONE) is a node
//     name, "global" meaning the local node; ALL_ZONES lists the node names,
//     ALL_ZONES_NODEID the node's name, ZONE_LOCAL the local node name, and
//     ALL_NONGLOBAL_ZONES[_NODEID] is empty.
//   - There is no private interconnect of its own: a node's private-link
//     hostname is its node name (the cluster traffic goes over the
//     address it was started with, --cluster-addr).
//   - The local node is UP; another configured node is UP when the
//     cluster's membership (memberlist, as the answering node sees it)
//     says so, and DOWN otherwise.
//   - Load limits (#22) are each node's effective limits: those the
//     operator set (rgmadm node set -p loadlimit=...), and for cpu and
//     memory the node's inventory as the hard limit until one is set.
//     ALL_LOADLIMITS lists the load names with a limit on some node,
//     sorted; HARD_LOADLIMIT, SOFT_LOADLIMIT and LOADLIMIT_PROPS list,
//     for the load named, each node that has a limit for it, in node-ID
//     order, as node=HARD, node=SOFT and node=SOFT/HARD (0: none). An
//     unknown load name lists nothing. ALL_PSTRINGS is empty.
//   - A per-node extension property answers EXTENSION with the value of
//     the node asking, EXTENSION_NODE with the operand node's; a node
//     without a value of its own has the resource's (the default).
//   - ALL_EXTENSIONS lists the type's extension properties in RTR file
//     order. ALL_NODENAMES, ALL_NODEIDS and ALL_PRIVATELINK_HOSTNAMES are in
//     node-ID order; every list of objects is sorted by name.
//   - SYSLOG_FACILITY is the facility number (24, daemon, by default).
//   - TARGET_NODES lists the nodes of the group's Nodelist, in Nodelist
//     order, on which the group is wanted online (its desired state):
//     where it is, or is being brought, online.
//   - RESOURCE_SECURITY is SECURE (rgmd as root runs only method files
//     owned by root and not writable by others); RG_FAILOVER_TIMEOUT is 0:
//     there is no cluster-wide bound on a failover.
package query

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Env is what a query needs besides the configuration.
type Env struct {
	// Node is the name of the node answering, which is the node the
	// querying callback runs on. Required for per-node values.
	Node string
	// Facility is the syslog facility number SYSLOG_FACILITY prints; 0
	// means DefaultFacility (0 would be kern, which no agent logs to).
	Facility int
	// Now is the time NUM_*_RESTARTS count back from.
	Now time.Time
	// Up, optional, says whether another node is up (cluster
	// membership); nil means only the local node is.
	Up func(node string) bool
}

// DefaultFacility is LOG_DAEMON (3<<3), the facility a Solaris Cluster
// agent logs to by default.
const DefaultFacility = 24

// Get answers one scha_*_get query.
func Get(cfg *model.Config, env Env, a wire.GetArgs) (*wire.GetReply, error) {
	tag, ok := scha.LookupTag(a.Kind, a.Tag)
	if !ok {
		switch a.Kind {
		case wire.KindResource, wire.KindResourceType, wire.KindResourceGroup, wire.KindCluster:
			return nil, scha.Errorf(scha.ErrTag, "unknown %s optag %q", a.Kind, a.Tag)
		}
		return nil, scha.Errorf(scha.ErrInval, "unknown query kind %q", a.Kind)
	}
	if len(a.Operands) != tag.Operands {
		return nil, scha.Errorf(scha.ErrInval, "optag %s takes %d operand(s), got %d", tag.Name, tag.Operands, len(a.Operands))
	}
	if cfg == nil {
		return nil, scha.Errorf(scha.ErrInternal, "no configuration")
	}
	q := &querier{cfg: cfg, env: env, tag: tag, ops: a.Operands}
	switch a.Kind {
	case wire.KindResource:
		return q.resource(a.Name, a.Group)
	case wire.KindResourceType:
		return q.resourceType(a.Name)
	case wire.KindResourceGroup:
		return q.group(a.Name)
	default:
		return q.cluster()
	}
}

type querier struct {
	cfg *model.Config
	env Env
	tag *scha.Tag
	ops []string
}

// reply makes the answer; arrays arrive as canonical comma-joined strings.
func (q *querier) reply(seq uint64, v string) *wire.GetReply {
	r := &wire.GetReply{Type: q.tag.Type, Seq: seq}
	if q.tag.Type == scha.ResultStringArray || q.tag.Type == scha.ResultUintArray {
		r.Values = split(v)
	} else {
		r.Values = []string{v}
	}
	return r
}

func (q *querier) list(seq uint64, vs []string) *wire.GetReply {
	if vs == nil {
		vs = []string{}
	}
	return &wire.GetReply{Type: q.tag.Type, Values: vs, Seq: seq}
}

func split(v string) []string {
	if v == "" {
		return []string{}
	}
	return strings.Split(v, ",")
}

// prop finds a property by name in any case: maps are keyed by canonical
// name, but a value stored under another spelling must still be found.
func prop(m map[string]string, name string) (string, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func (q *querier) resource(name, group string) (*wire.GetReply, error) {
	r := q.cfg.Resources[name]
	if r == nil {
		return nil, scha.Errorf(scha.ErrRsrc, "no resource %q", name)
	}
	if group != "" {
		if q.cfg.Groups[group] == nil {
			return nil, scha.Errorf(scha.ErrRG, "no resource group %q", group)
		}
		if r.Group != group {
			return nil, scha.Errorf(scha.ErrRG, "resource %q is not in resource group %q", name, group)
		}
	}
	tag := q.tag
	if tag.RTProp {
		rt, err := q.typeOf(r)
		if err != nil {
			return nil, err
		}
		v, err := rtProp(rt, tag.Prop)
		if err != nil {
			return nil, err
		}
		return q.reply(r.Seq, v), nil
	}
	if tag.Prop != "" {
		v, ok := prop(r.Props, tag.Prop)
		if !ok {
			d, conditional, std := model.LookupResourceProp(tag.Prop)
			switch {
			case strings.EqualFold(tag.Prop, "Type_version"):
				rt, err := q.typeOf(r)
				if err != nil {
					return nil, err
				}
				v, _ = prop(rt.Props, "RT_version")
			case std && !conditional && d.Default != nil:
				v = *d.Default
			default:
				return nil, scha.Errorf(scha.ErrProp, "resource %q has no property %s (its type does not declare it)", name, tag.Prop)
			}
		}
		return q.reply(r.Seq, v), nil
	}

	switch tag.Name {
	case "GROUP":
		return q.reply(r.Seq, r.Group), nil
	case "TYPE":
		return q.reply(r.Seq, r.Type), nil
	case "ALL_EXTENSIONS":
		rt, err := q.typeOf(r)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, d := range rt.Params {
			if d.Extension {
				names = append(names, d.Name)
			}
		}
		return q.list(r.Seq, names), nil
	case "EXTENSION", "EXTENSION_NODE":
		node := q.env.Node
		if tag.Name == "EXTENSION_NODE" {
			node = q.ops[1]
			if err := q.checkNode(node); err != nil {
				return nil, err
			}
		}
		return q.extension(r, node)
	}

	// Per-node values: of the local node, or of the operand node/zone.
	node := q.env.Node
	if tag.Operands == 1 {
		node = q.ops[0]
		if strings.HasSuffix(tag.Name, "_ZONE") && node == "global" {
			node = q.env.Node
		}
	}
	if err := q.checkNode(node); err != nil {
		return nil, err
	}
	rn := r.Nodes[node]
	if rn == nil {
		rn = &model.RNode{}
	}
	switch tag.Name {
	case "RESOURCE_STATE", "RESOURCE_STATE_NODE":
		return q.reply(r.Seq, or(rn.State, scha.RStateOffline)), nil
	case "STATUS", "STATUS_NODE":
		return &wire.GetReply{Type: tag.Type, Values: []string{or(rn.Status, scha.StatusOffline), rn.StatusMsg}, Seq: r.Seq}, nil
	case "ON_OFF_SWITCH", "ON_OFF_SWITCH_NODE":
		return q.reply(r.Seq, or(rn.OnOff, scha.SwitchDisabled)), nil
	case "MONITORED_SWITCH", "MONITORED_SWITCH_NODE":
		return q.reply(r.Seq, or(rn.Monitored, scha.SwitchDisabled)), nil
	case "NUM_RESOURCE_RESTARTS", "NUM_RESOURCE_RESTARTS_ZONE":
		return q.reply(r.Seq, strconv.Itoa(q.restarts(r, rn.Restarts))), nil
	case "NUM_RG_RESTARTS", "NUM_RG_RESTARTS_ZONE":
		var times []int64
		if g := q.cfg.Groups[r.Group]; g != nil && g.Nodes[node] != nil {
			times = g.Nodes[node].Restarts
		}
		return q.reply(r.Seq, strconv.Itoa(q.restarts(r, times))), nil
	}
	return nil, scha.Errorf(scha.ErrInternal, "optag %s of resources is not implemented", tag.Name)
}

// restarts counts the restart times within the last Retry_interval seconds
// of env.Now, or all of them when the resource has no Retry_interval.
func (q *querier) restarts(r *model.Resource, times []int64) int {
	v, ok := prop(r.Props, "Retry_interval")
	interval, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil {
		return len(times)
	}
	cutoff := q.env.Now.Unix() - interval
	n := 0
	for _, t := range times {
		if t >= cutoff {
			n++
		}
	}
	return n
}

// extension answers EXTENSION and EXTENSION_NODE: a per-node property's
// value on node (its own, else the resource's), any other property's
// value.
func (q *querier) extension(r *model.Resource, node string) (*wire.GetReply, error) {
	rt, err := q.typeOf(r)
	if err != nil {
		return nil, err
	}
	name := q.ops[0]
	var decl *model.PropDecl
	for i := range rt.Params {
		if rt.Params[i].Extension && strings.EqualFold(rt.Params[i].Name, name) {
			decl = &rt.Params[i]
			break
		}
	}
	if decl == nil {
		return nil, scha.Errorf(scha.ErrProp, "resource type %q has no extension property %q", rt.Name, name)
	}
	v, ok := r.ExtValue(decl.Name, node)
	if !ok {
		v, ok = prop(r.Ext, decl.Name)
	}
	if !ok && decl.Default != nil {
		v = *decl.Default
	}
	rep := &wire.GetReply{Type: scha.ResultExtension, ExtType: decl.Type.String(), Seq: r.Seq}
	if decl.Type.IsArray() {
		rep.Values = split(v)
	} else {
		rep.Values = []string{v}
	}
	return rep, nil
}

func (q *querier) typeOf(r *model.Resource) (*model.ResourceType, error) {
	rt := q.cfg.Types[r.Type]
	if rt == nil {
		return nil, scha.Errorf(scha.ErrRT, "resource %q has type %q, which is not registered", r.Name, r.Type)
	}
	return rt, nil
}

func rtProp(rt *model.ResourceType, name string) (string, error) {
	if v, ok := prop(rt.Props, name); ok {
		return v, nil
	}
	if d, ok := model.LookupRTProp(name); ok && d.Default != nil {
		return *d.Default, nil
	}
	return "", scha.Errorf(scha.ErrProp, "resource type %q has no property %s", rt.Name, name)
}

// lookupType resolves a full type name or an unambiguous short one
// (without "vendor." and/or ":version").
func lookupType(cfg *model.Config, name string) (*model.ResourceType, error) {
	if rt := cfg.Types[name]; rt != nil {
		return rt, nil
	}
	var found *model.ResourceType
	n := 0
	for full, rt := range cfg.Types {
		base := full
		if i := strings.LastIndexByte(base, ':'); i >= 0 {
			base = base[:i]
		}
		short, shortFull := base, full
		if i := strings.IndexByte(base, '.'); i >= 0 {
			short = base[i+1:]
			shortFull = full[i+1:]
		}
		if name == base || name == short || name == shortFull {
			found = rt
			n++
		}
	}
	switch n {
	case 0:
		return nil, scha.Errorf(scha.ErrRT, "no resource type %q", name)
	case 1:
		return found, nil
	}
	return nil, scha.Errorf(scha.ErrRT, "resource type name %q is ambiguous: give the full name", name)
}

func (q *querier) resourceType(name string) (*wire.GetReply, error) {
	rt, err := lookupType(q.cfg, name)
	if err != nil {
		return nil, err
	}
	if q.tag.Name == "RESOURCE_LIST" {
		var names []string
		for rn, r := range q.cfg.Resources {
			if r.Type == rt.Name {
				names = append(names, rn)
			}
		}
		slices.Sort(names)
		return q.list(rt.Seq, names), nil
	}
	v, err := rtProp(rt, q.tag.Prop)
	if err != nil {
		return nil, err
	}
	return q.reply(rt.Seq, v), nil
}

func (q *querier) group(name string) (*wire.GetReply, error) {
	g := q.cfg.Groups[name]
	if g == nil {
		return nil, scha.Errorf(scha.ErrRG, "no resource group %q", name)
	}
	switch q.tag.Name {
	case "RESOURCE_LIST":
		var names []string
		for rn, r := range q.cfg.Resources {
			if r.Group == g.Name {
				names = append(names, rn)
			}
		}
		slices.Sort(names)
		return q.list(g.Seq, names), nil
	case "RG_STATE", "RG_STATE_NODE":
		node := q.env.Node
		if len(q.ops) == 1 {
			node = q.ops[0]
		}
		if err := q.checkNode(node); err != nil {
			return nil, err
		}
		state := scha.RGStateUnmanaged
		if gn := g.Nodes[node]; gn != nil && gn.State != "" {
			state = gn.State
		}
		return q.reply(g.Seq, state), nil
	case "TARGET_NODES":
		var nodes []string
		for _, n := range model.SplitArray(g.Props["Nodelist"]) {
			if gn := g.Nodes[n]; gn != nil && gn.Desired == model.RGStateOnline {
				nodes = append(nodes, n)
			}
		}
		return q.list(g.Seq, nodes), nil
	}
	v, ok := prop(g.Props, q.tag.Prop)
	if !ok {
		d, std := model.LookupRGProp(q.tag.Prop)
		if !std || d.Default == nil {
			return nil, scha.Errorf(scha.ErrProp, "resource group %q has no property %s", name, q.tag.Prop)
		}
		v = *d.Default
	}
	return q.reply(g.Seq, v), nil
}

// nodes returns the configured nodes in node-ID order.
func (q *querier) nodes() []model.Node {
	ns := slices.Clone(q.cfg.Nodes)
	slices.SortStableFunc(ns, func(a, b model.Node) int { return a.ID - b.ID })
	return ns
}

func (q *querier) nodeByName(name string) (model.Node, bool) {
	for _, n := range q.cfg.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return model.Node{}, false
}

func (q *querier) checkNode(name string) error {
	if _, ok := q.nodeByName(name); !ok {
		if name == "" {
			return scha.Errorf(scha.ErrNode, "the local node is not known to rgmd")
		}
		return scha.Errorf(scha.ErrNode, "no node %q in cluster %q", name, q.cfg.ClusterName)
	}
	return nil
}

// nodeByID parses a node-ID operand.
func (q *querier) nodeByID(s string) (model.Node, error) {
	id, err := strconv.Atoi(s)
	if err != nil || id < 0 {
		return model.Node{}, scha.Errorf(scha.ErrInval, "node ID %q is not a number", s)
	}
	for _, n := range q.cfg.Nodes {
		if n.ID == id {
			return n, nil
		}
	}
	return model.Node{}, scha.Errorf(scha.ErrNode, "no node with ID %d in cluster %q", id, q.cfg.ClusterName)
}

func (q *querier) cluster() (*wire.GetReply, error) {
	seq := q.cfg.Seq
	switch q.tag.Name {
	case "CLUSTERNAME":
		return q.reply(seq, q.cfg.ClusterName), nil
	case "NODENAME_LOCAL", "ZONE_LOCAL", "PRIVATELINK_HOSTNAME_LOCAL":
		if err := q.checkNode(q.env.Node); err != nil {
			return nil, err
		}
		return q.reply(seq, q.env.Node), nil
	case "NODEID_LOCAL":
		n, ok := q.nodeByName(q.env.Node)
		if !ok {
			return nil, q.checkNode(q.env.Node)
		}
		return q.reply(seq, strconv.Itoa(n.ID)), nil
	case "NODEID_NODENAME":
		n, ok := q.nodeByName(q.ops[0])
		if !ok {
			return nil, q.checkNode(q.ops[0])
		}
		return q.reply(seq, strconv.Itoa(n.ID)), nil
	case "NODENAME_NODEID":
		n, err := q.nodeByID(q.ops[0])
		if err != nil {
			return nil, err
		}
		return q.reply(seq, n.Name), nil
	case "PRIVATELINK_HOSTNAME_NODE":
		if err := q.checkNode(q.ops[0]); err != nil {
			return nil, err
		}
		return q.reply(seq, q.ops[0]), nil
	case "ALL_NODENAMES", "ALL_ZONES", "ALL_PRIVATELINK_HOSTNAMES":
		var names []string
		for _, n := range q.nodes() {
			names = append(names, n.Name)
		}
		return q.list(seq, names), nil
	case "ALL_NODEIDS":
		var ids []string
		for _, n := range q.nodes() {
			ids = append(ids, strconv.Itoa(n.ID))
		}
		return q.list(seq, ids), nil
	case "ALL_ZONES_NODEID":
		n, err := q.nodeByID(q.ops[0])
		if err != nil {
			return nil, err
		}
		return q.list(seq, []string{n.Name}), nil
	case "ALL_NONGLOBAL_ZONES_NODEID":
		if _, err := q.nodeByID(q.ops[0]); err != nil {
			return nil, err
		}
		return q.list(seq, nil), nil
	case "NODESTATE_LOCAL", "NODESTATE_NODE":
		node := q.env.Node
		if len(q.ops) == 1 {
			node = q.ops[0]
		}
		if err := q.checkNode(node); err != nil {
			return nil, err
		}
		if node == q.env.Node || (q.env.Up != nil && q.env.Up(node)) {
			return q.reply(seq, scha.NodeUp), nil
		}
		return q.reply(seq, scha.NodeDown), nil
	case "ALL_RESOURCEGROUPS":
		return q.list(seq, sortedKeys(q.cfg.Groups)), nil
	case "ALL_RESOURCETYPES":
		return q.list(seq, sortedKeys(q.cfg.Types)), nil
	case "ALL_LOADLIMITS", "HARD_LOADLIMIT", "SOFT_LOADLIMIT", "LOADLIMIT_PROPS":
		return q.list(seq, loadLimits(q.cfg, q.tag.Name, q.ops)), nil
	case "ALL_NONGLOBAL_ZONES", "ALL_PSTRINGS":
		return q.list(seq, nil), nil
	case "RESOURCE_SECURITY":
		// rgmd running as root refuses method files not owned by root
		// or writable by others: Solaris Cluster's SECURE.
		return q.reply(seq, "SECURE"), nil
	case "RG_FAILOVER_TIMEOUT":
		// No cluster-wide bound on a failover: each method has its own
		// timeout.
		return q.reply(seq, "0"), nil
	case "SYSLOG_FACILITY":
		f := q.env.Facility
		if f == 0 {
			f = DefaultFacility
		}
		return q.reply(seq, strconv.Itoa(f)), nil
	}
	return nil, scha.Errorf(scha.ErrInternal, "optag %s of the cluster is not implemented", q.tag.Name)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
