package model

import (
	"sort"
	"strings"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Initial per-node values of new objects.
const (
	RGStateUnmanaged = "UNMANAGED"
	RGStateOffline   = "OFFLINE"
	RStateOffline    = "OFFLINE"
	StatusOffline    = "OFFLINE"
	SwitchEnabled    = "ENABLED"
	SwitchDisabled   = "DISABLED"
)

// NewConfig returns an empty configuration of one cluster with one node,
// or with no node when node is "".
func NewConfig(cluster, node string) *Config {
	c := &Config{
		ClusterName: cluster,
		Types:       map[string]*ResourceType{},
		Groups:      map[string]*ResourceGroup{},
		Resources:   map[string]*Resource{},
	}
	if node != "" {
		c.Nodes = []Node{{Name: node, ID: 1}}
	}
	return c
}

func (c *Config) nextSeq() uint64 {
	c.Seq++
	return c.Seq
}

// HasNode reports whether name is a cluster node.
func (c *Config) HasNode(name string) bool {
	for _, n := range c.Nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

// NodeNames returns the node names in node-ID order.
func (c *Config) NodeNames() []string {
	names := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		names[i] = n.Name
	}
	return names
}

// FindType finds a registered type by full name, or by a shorter name that
// matches exactly one type: Vendor.name without :version, or name alone
// (rt_reg(4): short names are accepted when unambiguous). Case matters in
// names, as in Solaris Cluster.
func (c *Config) FindType(name string) (*ResourceType, error) {
	if rt, ok := c.Types[name]; ok {
		return rt, nil
	}
	var found []*ResourceType
	for full, rt := range c.Types {
		base, _, _ := strings.Cut(full, ":")
		short := base
		if i := strings.IndexByte(base, '.'); i >= 0 {
			short = base[i+1:]
		}
		if name == base || name == short {
			found = append(found, rt)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, scha.Errorf(scha.ErrRT, "resource type %q is not registered", name)
	}
	names := make([]string, len(found))
	for i, rt := range found {
		names[i] = rt.Name
	}
	sort.Strings(names)
	return nil, scha.Errorf(scha.ErrRT, "resource type name %q is ambiguous: %s", name, strings.Join(names, ", "))
}

// Group returns the named group or an ErrRG error.
func (c *Config) Group(name string) (*ResourceGroup, error) {
	if g, ok := c.Groups[name]; ok {
		return g, nil
	}
	return nil, scha.Errorf(scha.ErrRG, "resource group %q does not exist", name)
}

// Resource returns the named resource or an ErrRsrc error.
func (c *Config) Resource(name string) (*Resource, error) {
	if r, ok := c.Resources[name]; ok {
		return r, nil
	}
	return nil, scha.Errorf(scha.ErrRsrc, "resource %q does not exist", name)
}

// ResourcesOf returns the names of the resources in group, sorted.
func (c *Config) ResourcesOf(group string) []string {
	var names []string
	for _, r := range c.Resources {
		if r.Group == group {
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	return names
}

// ResourcesOfType returns the names of the resources of type, sorted.
func (c *Config) ResourcesOfType(typ string) []string {
	var names []string
	for _, r := range c.Resources {
		if r.Type == typ {
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	return names
}

// RegisterType adds a type built by the RTR parser.
func (c *Config) RegisterType(rt *ResourceType) error {
	if rt == nil || rt.Name == "" {
		return scha.Errorf(scha.ErrRT, "resource type without a name")
	}
	if _, ok := c.Types[rt.Name]; ok {
		return scha.Errorf(scha.ErrRT, "resource type %q is already registered", rt.Name)
	}
	for _, d := range rt.Params {
		d := d
		if err := d.Check(); err != nil {
			return err
		}
	}
	if rt.Props["Resource_type"] == "" {
		return scha.Errorf(scha.ErrRT, "resource type %q has no Resource_type", rt.Name)
	}
	if rt.Props["Start"] == "" && rt.Props["Prenet_start"] == "" || rt.Props["Stop"] == "" && rt.Props["Postnet_stop"] == "" {
		return scha.Errorf(scha.ErrRT, "resource type %q needs a start method (Start or Prenet_start) and a stop method (Stop or Postnet_stop)", rt.Name)
	}
	cp := *rt
	cp.Props = copyMap(rt.Props)
	cp.Params = append([]PropDecl(nil), rt.Params...)
	cp.Seq = c.nextSeq()
	c.Types[cp.Name] = &cp
	return nil
}

// UnregisterType removes a type no resource uses.
func (c *Config) UnregisterType(name string) error {
	rt, err := c.FindType(name)
	if err != nil {
		return err
	}
	if rs := c.ResourcesOfType(rt.Name); len(rs) > 0 {
		return scha.Errorf(scha.ErrDepend, "resource type %s is in use by resource(s) %s", rt.Name, strings.Join(rs, ", "))
	}
	delete(c.Types, rt.Name)
	c.Seq++
	return nil
}

// SetTypeProps changes the administrator's resource-type properties
// (Installed_nodes, RT_system).
func (c *Config) SetTypeProps(name string, props map[string]string) error {
	rt, err := c.FindType(name)
	if err != nil {
		return err
	}
	next := copyMap(rt.Props)
	for k, v := range props {
		d, ok := LookupRTProp(k)
		if !ok {
			return scha.Errorf(scha.ErrProp, "resource types have no property %q", k)
		}
		if d.Tunable != TunableAnytime {
			return scha.Errorf(scha.ErrProp, "property %s of a resource type is set by its RTR file and can't be changed", d.Name)
		}
		nv, err := d.Normalize(v)
		if err != nil {
			return err
		}
		next[d.Name] = nv
	}
	cp := *rt
	cp.Props = next
	cp.Seq = c.nextSeq()
	c.Types[rt.Name] = &cp
	return nil
}

// CreateGroup adds a resource group with the given properties (names in
// any case, values as typed); the others get their defaults. A new group
// is UNMANAGED on every node of its Nodelist.
func (c *Config) CreateGroup(name string, props map[string]string) error {
	if err := CheckName("resource group", name, scha.ErrRG); err != nil {
		return err
	}
	if _, ok := c.Groups[name]; ok {
		return scha.Errorf(scha.ErrRG, "resource group %q already exists", name)
	}
	vals := map[string]string{}
	for _, d := range rgProps() {
		if d.Default != nil {
			vals[d.Name] = *d.Default
		}
	}
	vals["Nodelist"] = strings.Join(c.HostNames(), ",")
	set, err := c.normalizeRGProps(props, true)
	if err != nil {
		return err
	}
	for k, v := range set {
		vals[k] = v
	}
	if _, ok := set["RG_mode"]; !ok {
		vals["RG_mode"] = "Failover"
		if vals["Maximum_primaries"] != "1" {
			vals["RG_mode"] = "Scalable"
		}
	}
	g := &ResourceGroup{Name: name, Props: vals, Nodes: map[string]*RGNode{}}
	for _, n := range SplitArray(vals["Nodelist"]) {
		g.Nodes[n] = &RGNode{State: RGStateUnmanaged}
	}
	if err := c.checkGroup(g); err != nil {
		return err
	}
	g.Seq = c.nextSeq()
	c.Groups[name] = g
	return nil
}

// SetGroup changes properties of a group.
func (c *Config) SetGroup(name string, props map[string]string) error {
	g, err := c.Group(name)
	if err != nil {
		return err
	}
	set, err := c.normalizeRGProps(props, false)
	if err != nil {
		return err
	}
	next := *g
	next.Props = copyMap(g.Props)
	for k, v := range set {
		next.Props[k] = v
	}
	next.Nodes = map[string]*RGNode{}
	initial := RGStateUnmanaged
	for _, st := range g.Nodes {
		if st.State != RGStateUnmanaged {
			initial = RGStateOffline
		}
	}
	for _, n := range SplitArray(next.Props["Nodelist"]) {
		if st, ok := g.Nodes[n]; ok {
			cp := *st
			next.Nodes[n] = &cp
		} else {
			next.Nodes[n] = &RGNode{State: initial}
		}
	}
	for n, st := range g.Nodes {
		if _, kept := next.Nodes[n]; !kept && st.State != RGStateUnmanaged && st.State != RGStateOffline {
			return scha.Errorf(scha.ErrState, "resource group %s is %s on node %s, which can't leave its Nodelist now", name, st.State, n)
		}
	}
	if err := c.checkGroup(&next); err != nil {
		return err
	}
	next.Seq = c.nextSeq()
	c.Groups[name] = &next
	// Resources gain or lose per-node entries with the Nodelist.
	for _, rn := range c.ResourcesOf(name) {
		r := *c.Resources[rn]
		r.Nodes = resourceNodes(&next, c.Resources[rn].Nodes)
		c.Resources[rn] = &r
	}
	return nil
}

func (c *Config) normalizeRGProps(props map[string]string, creating bool) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range props {
		d, ok := LookupRGProp(k)
		if !ok {
			return nil, scha.Errorf(scha.ErrProp, "resource groups have no property %q", k)
		}
		if d.QueryOnly {
			return nil, scha.Errorf(scha.ErrProp, "property %s is query-only", d.Name)
		}
		if d.Tunable == TunableNone || (d.Tunable == TunableAtCreation && !creating) {
			return nil, scha.Errorf(scha.ErrProp, "property %s can only be set when the group is created", d.Name)
		}
		nv, err := d.Normalize(v)
		if err != nil {
			return nil, err
		}
		out[d.Name] = nv
	}
	return out, nil
}

// checkGroup checks a group's property values against each other and the
// rest of the configuration.
func (c *Config) checkGroup(g *ResourceGroup) error {
	p := g.Props
	nodes := SplitArray(p["Nodelist"])
	if len(nodes) == 0 {
		return scha.Errorf(scha.ErrNode, "resource group %s: Nodelist is empty", g.Name)
	}
	seen := map[string]bool{}
	for _, n := range nodes {
		if !c.HasNode(n) {
			return scha.Errorf(scha.ErrNode, "resource group %s: Nodelist names %q, which is not a cluster node", g.Name, n)
		}
		if node, _ := c.Node(n); node.Witness {
			return scha.Errorf(scha.ErrNode, "resource group %s: Nodelist names %q, a witness node, which hosts no resources", g.Name, n)
		}
		if seen[n] {
			return scha.Errorf(scha.ErrNode, "resource group %s: Nodelist names %q twice", g.Name, n)
		}
		seen[n] = true
	}
	if err := c.checkLoadFactors(g.Name, p["Load_factors"]); err != nil {
		return err
	}
	maxp, desired := atoi(p["Maximum_primaries"]), atoi(p["Desired_primaries"])
	if desired > maxp {
		return scha.Errorf(scha.ErrProp, "resource group %s: Desired_primaries %d is greater than Maximum_primaries %d", g.Name, desired, maxp)
	}
	if p["RG_mode"] == "Failover" && maxp != 1 {
		return scha.Errorf(scha.ErrProp, "resource group %s: a Failover group must have Maximum_primaries 1, not %d", g.Name, maxp)
	}
	for _, dep := range SplitArray(p["RG_dependencies"]) {
		if dep == g.Name {
			return scha.Errorf(scha.ErrDepend, "resource group %s can't depend on itself", g.Name)
		}
		if _, ok := c.Groups[dep]; !ok {
			return scha.Errorf(scha.ErrRG, "resource group %s: RG_dependencies names %q, which does not exist", g.Name, dep)
		}
	}
	for _, a := range SplitArray(p["RG_affinities"]) {
		target := strings.TrimLeft(a, "+-")
		if prefix := a[:len(a)-len(target)]; !validAffinity(prefix) {
			return scha.Errorf(scha.ErrProp, "resource group %s: RG_affinities entry %q must start with +, ++, +++, - or --", g.Name, a)
		}
		if target == g.Name {
			return scha.Errorf(scha.ErrDepend, "resource group %s can't have an affinity for itself", g.Name)
		}
		if _, ok := c.Groups[target]; !ok {
			return scha.Errorf(scha.ErrRG, "resource group %s: RG_affinities names %q, which does not exist", g.Name, target)
		}
	}
	return c.checkCycles(func(name string) []string {
		if name == g.Name {
			return SplitArray(p["RG_dependencies"])
		}
		return SplitArray(c.Groups[name].Props["RG_dependencies"])
	}, g.Name, "resource group dependency cycle")
}

func validAffinity(prefix string) bool {
	switch prefix {
	case "+", "++", "+++", "-", "--":
		return true
	}
	return false
}

// checkCycles walks edges from start and reports the first cycle that
// comes back to start, naming every member.
func (c *Config) checkCycles(edges func(string) []string, start, what string) error {
	var path []string
	onPath := map[string]bool{}
	done := map[string]bool{}
	var visit func(n string) []string
	visit = func(n string) []string {
		if onPath[n] {
			i := 0
			for path[i] != n {
				i++
			}
			return append(append([]string(nil), path[i:]...), n)
		}
		if done[n] {
			return nil
		}
		onPath[n] = true
		path = append(path, n)
		for _, m := range edges(n) {
			if cyc := visit(m); cyc != nil {
				return cyc
			}
		}
		path = path[:len(path)-1]
		onPath[n] = false
		done[n] = true
		return nil
	}
	if cyc := visit(start); cyc != nil {
		return scha.Errorf(scha.ErrDepend, "%s: %s", what, strings.Join(cyc, " -> "))
	}
	return nil
}

// DeleteGroup removes a group that holds no resources, that no other group
// refers to, and that is not online anywhere.
func (c *Config) DeleteGroup(name string) error {
	g, err := c.Group(name)
	if err != nil {
		return err
	}
	if rs := c.ResourcesOf(name); len(rs) > 0 {
		return scha.Errorf(scha.ErrDepend, "resource group %s still holds resource(s) %s; delete them first", name, strings.Join(rs, ", "))
	}
	for _, other := range sortedKeys(c.Groups) {
		o := c.Groups[other]
		for _, dep := range SplitArray(o.Props["RG_dependencies"]) {
			if dep == name {
				return scha.Errorf(scha.ErrDepend, "resource group %s depends on %s (RG_dependencies)", other, name)
			}
		}
		for _, a := range SplitArray(o.Props["RG_affinities"]) {
			if strings.TrimLeft(a, "+-") == name {
				return scha.Errorf(scha.ErrDepend, "resource group %s has an affinity for %s (RG_affinities)", other, name)
			}
		}
	}
	for n, st := range g.Nodes {
		if st.State != RGStateUnmanaged && st.State != RGStateOffline {
			return scha.Errorf(scha.ErrState, "resource group %s is %s on node %s", name, st.State, n)
		}
	}
	delete(c.Groups, name)
	c.Seq++
	return nil
}

// EffectiveParams returns the resource properties a resource of rt has:
// the standard ones every resource has, <method>_timeout for each method
// rt declares, the conditional ones its RTR file declares, and its
// extension properties. RTR declarations replace the standard rows.
func (rt *ResourceType) EffectiveParams() []PropDecl {
	declared := map[string]PropDecl{}
	for _, d := range rt.Params {
		declared[strings.ToLower(d.Name)] = d
	}
	var out []PropDecl
	for _, p := range resourceProps() {
		d, isDeclared := declared[strings.ToLower(p.Name)]
		switch {
		case isDeclared:
			out = append(out, d)
		case p.presence == always:
			out = append(out, p.PropDecl)
		case p.presence == ifMethod && rt.Props[p.method] != "":
			out = append(out, p.PropDecl)
		}
	}
	for _, d := range rt.Params {
		if d.Extension {
			out = append(out, d)
		}
	}
	return out
}

// Param finds a resource property of rt by name, in any case.
func (rt *ResourceType) Param(name string) (PropDecl, bool) {
	return lookup(rt.EffectiveParams(), name)
}

// CreateResource adds a resource of typ to group. props are standard
// resource properties and ext extension properties (names in any case);
// an extension property given in props is accepted too, as Solaris
// Cluster's -p does. A new resource is enabled and monitored, OFFLINE on
// every node of its group.
func (c *Config) CreateResource(name, group, typ string, props, ext map[string]string) error {
	if err := CheckName("resource", name, scha.ErrRsrc); err != nil {
		return err
	}
	if _, ok := c.Resources[name]; ok {
		return scha.Errorf(scha.ErrRsrc, "resource %q already exists", name)
	}
	g, err := c.Group(group)
	if err != nil {
		return err
	}
	rt, err := c.FindType(typ)
	if err != nil {
		return err
	}
	if rt.Props["Single_instance"] == "TRUE" {
		if rs := c.ResourcesOfType(rt.Name); len(rs) > 0 {
			return scha.Errorf(scha.ErrRT, "resource type %s is Single_instance and already has resource %s", rt.Name, rs[0])
		}
	}
	if rt.Props["Failover"] == "TRUE" && g.Props["RG_mode"] == "Scalable" {
		return scha.Errorf(scha.ErrRG, "resource type %s is a failover type and can't go in scalable group %s", rt.Name, group)
	}
	r := &Resource{Name: name, Group: group, Type: rt.Name, Props: map[string]string{}, Ext: map[string]string{}}
	params := rt.EffectiveParams()
	for _, d := range params {
		if d.Default == nil {
			continue
		}
		if d.Extension {
			r.Ext[d.Name] = *d.Default
		} else {
			r.Props[d.Name] = *d.Default
		}
	}
	r.Props["Type_version"] = rt.Props["RT_version"]
	if err := applyResourceProps(r, params, props, ext, true, false, c.NodeNames()); err != nil {
		return err
	}
	for _, d := range params {
		have := r.Props
		if d.Extension {
			have = r.Ext
		}
		if _, ok := have[d.Name]; !ok {
			return scha.Errorf(scha.ErrProp, "property %s of type %s has no default: give it a value", d.Name, rt.Name)
		}
	}
	r.Nodes = resourceNodes(g, nil)
	if err := c.checkResourceDeps(r); err != nil {
		return err
	}
	r.Seq = c.nextSeq()
	c.Resources[name] = r
	c.touchGroup(group)
	c.touchType(rt.Name)
	return nil
}

// SetResource changes properties of a resource, within their tunability.
// Type_version among props upgrades the resource to that version of its
// type (see upgradeType), before the other properties are applied.
func (c *Config) SetResource(name string, props, ext map[string]string) error {
	r, err := c.Resource(name)
	if err != nil {
		return err
	}
	rt, err := c.FindType(r.Type)
	if err != nil {
		return err
	}
	next := *r
	next.Props = copyMap(r.Props)
	next.Ext = copyMap(r.Ext)
	version, upgrade, props := upgradeTarget(props)
	if upgrade && version != r.Props["Type_version"] {
		to, err := c.upgradeType(r, rt, version)
		if err != nil {
			return err
		}
		if err := moveToType(&next, to, props, ext); err != nil {
			return err
		}
		rt = to
	}
	disabled := true
	for _, st := range r.Nodes {
		if st.OnOff != SwitchDisabled {
			disabled = false
		}
	}
	if err := applyResourceProps(&next, rt.EffectiveParams(), props, ext, false, disabled, c.NodeNames()); err != nil {
		return err
	}
	if next.Type != r.Type {
		for _, d := range rt.EffectiveParams() {
			have := next.Props
			if d.Extension {
				have = next.Ext
			}
			if _, ok := have[d.Name]; !ok && !d.QueryOnly {
				return scha.Errorf(scha.ErrProp, "property %s of type %s has no default: give it a value with the upgrade", d.Name, rt.Name)
			}
		}
	}
	if err := c.checkResourceDeps(&next); err != nil {
		return err
	}
	next.Seq = c.nextSeq()
	c.Resources[name] = &next
	if next.Type != r.Type {
		c.touchType(r.Type)
		c.touchType(next.Type)
	}
	return nil
}

func applyResourceProps(r *Resource, params []PropDecl, props, ext map[string]string, creating, disabled bool, nodes []string) error {
	apply := func(key, v string, wantExt bool) error {
		k, perNode, err := SplitNodeKey(key)
		if err != nil {
			return err
		}
		d, ok := lookup(params, k)
		if !ok {
			if _, _, std := LookupResourceProp(k); std {
				return scha.Errorf(scha.ErrProp, "resource type %s does not declare property %s", r.Type, k)
			}
			return scha.Errorf(scha.ErrProp, "resource type %s has no property %q", r.Type, k)
		}
		if wantExt && !d.Extension {
			return scha.Errorf(scha.ErrProp, "property %s is a standard property, not an extension property: set it with -p", d.Name)
		}
		if d.QueryOnly {
			return scha.Errorf(scha.ErrProp, "property %s is query-only", d.Name)
		}
		switch d.Tunable {
		case TunableNone:
			return scha.Errorf(scha.ErrProp, "property %s is not tunable", d.Name)
		case TunableAtCreation:
			if !creating {
				return scha.Errorf(scha.ErrProp, "property %s can only be set when the resource is created (TUNABLE = AT_CREATION)", d.Name)
			}
		case TunableWhenDisabled:
			if !creating && !disabled {
				return scha.Errorf(scha.ErrProp, "property %s can only be changed while the resource is disabled (TUNABLE = WHEN_DISABLED)", d.Name)
			}
		}
		if perNode != nil {
			if !d.Extension {
				return scha.Errorf(scha.ErrProp, "property %s is a standard property: only per-node extension properties take {node}", d.Name)
			}
			if err := checkNodeKey(d, key, perNode, nodes); err != nil {
				return err
			}
		}
		nv, err := d.Normalize(v)
		if err != nil {
			return err
		}
		if d.PerNode {
			r.setExtNode(d.Name, perNode, nv)
		} else if d.Extension {
			r.Ext[d.Name] = nv
		} else {
			r.Props[d.Name] = nv
		}
		return nil
	}
	for _, k := range sortedKeys(props) {
		if err := apply(k, props[k], false); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(ext) {
		if err := apply(k, ext[k], true); err != nil {
			return err
		}
	}
	return nil
}

// DependencyProps lists the resource dependency properties.
var DependencyProps = []string{"Resource_dependencies", "Resource_dependencies_weak", "Resource_dependencies_restart", "Resource_dependencies_offline_restart"}

// DepName strips a {qualifier} from a dependency entry.
func DepName(entry string) string {
	name, _, _ := strings.Cut(entry, "{")
	return name
}

func (c *Config) checkResourceDeps(r *Resource) error {
	for _, p := range DependencyProps {
		for _, e := range SplitArray(r.Props[p]) {
			dep := DepName(e)
			if q := strings.TrimPrefix(e, dep); q != "" && q != "{LOCAL_NODE}" && q != "{ANY_NODE}" && q != "{FROM_RG_AFFINITIES}" {
				return scha.Errorf(scha.ErrProp, "resource %s: %s entry %q has an unknown qualifier (LOCAL_NODE, ANY_NODE or FROM_RG_AFFINITIES)", r.Name, p, e)
			}
			if dep == r.Name {
				return scha.Errorf(scha.ErrDepend, "resource %s can't depend on itself", r.Name)
			}
			if _, ok := c.Resources[dep]; !ok {
				return scha.Errorf(scha.ErrRsrc, "resource %s: %s names %q, which does not exist", r.Name, p, dep)
			}
		}
	}
	return c.checkCycles(func(name string) []string {
		res := r
		if name != r.Name {
			res = c.Resources[name]
		}
		var out []string
		for _, p := range DependencyProps {
			for _, e := range SplitArray(res.Props[p]) {
				out = append(out, DepName(e))
			}
		}
		return out
	}, r.Name, "resource dependency cycle")
}

// DeleteResource removes a resource that no other resource depends on and
// that is offline everywhere.
func (c *Config) DeleteResource(name string) error {
	r, err := c.Resource(name)
	if err != nil {
		return err
	}
	for _, other := range sortedKeys(c.Resources) {
		for _, p := range DependencyProps {
			for _, e := range SplitArray(c.Resources[other].Props[p]) {
				if DepName(e) == name {
					return scha.Errorf(scha.ErrDepend, "resource %s depends on %s (%s)", other, name, p)
				}
			}
		}
	}
	for n, st := range r.Nodes {
		if st.State != RStateOffline {
			return scha.Errorf(scha.ErrState, "resource %s is %s on node %s; take it offline first", name, st.State, n)
		}
	}
	delete(c.Resources, name)
	c.Seq++
	c.touchGroup(r.Group)
	c.touchType(r.Type)
	return nil
}

// Status keywords of scha_resource_setstatus.
var StatusValues = []string{"OK", "DEGRADED", "FAULTED", "UNKNOWN", "OFFLINE"}

// SetStatus sets Status and Status_msg of a resource on a node.
func (c *Config) SetStatus(name, group, node, status, msg string) error {
	r, err := c.Resource(name)
	if err != nil {
		return err
	}
	if group != "" && group != r.Group {
		if _, gerr := c.Group(group); gerr != nil {
			return gerr
		}
		return scha.Errorf(scha.ErrRG, "resource %s is in group %s, not %s", name, r.Group, group)
	}
	canon := ""
	for _, s := range StatusValues {
		if strings.EqualFold(s, status) {
			canon = s
		}
	}
	if canon == "" {
		return scha.Errorf(scha.ErrRStatus, "status %q is not one of %s", status, strings.Join(StatusValues, ", "))
	}
	if strings.ContainsAny(msg, "\n\r\x00") {
		return scha.Errorf(scha.ErrInval, "status message contains a newline or NUL byte")
	}
	st, ok := r.Nodes[node]
	if !ok {
		return scha.Errorf(scha.ErrNode, "resource %s has no state on node %q (not in the Nodelist of %s)", name, node, r.Group)
	}
	next := *r
	next.Nodes = copyNodes(r.Nodes)
	ns := *st
	ns.Status, ns.StatusMsg, ns.StatusSet = canon, msg, true
	next.Nodes[node] = &ns
	// Status is not configuration: Seq stays (see ResourceType.Seq).
	c.Resources[name] = &next
	return nil
}

func resourceNodes(g *ResourceGroup, old map[string]*RNode) map[string]*RNode {
	out := map[string]*RNode{}
	for n := range g.Nodes {
		if st, ok := old[n]; ok {
			cp := *st
			out[n] = &cp
			continue
		}
		out[n] = &RNode{State: RStateOffline, Status: StatusOffline, OnOff: SwitchEnabled, Monitored: SwitchEnabled}
	}
	return out
}

func copyNodes(m map[string]*RNode) map[string]*RNode {
	out := make(map[string]*RNode, len(m))
	for k, v := range m {
		cp := *v
		out[k] = &cp
	}
	return out
}

// touchGroup and touchType give a new Seq to an object whose derived
// Resource_list changed, so C API handles on it see SCHA_ERR_SEQID.
func (c *Config) touchGroup(name string) {
	if g, ok := c.Groups[name]; ok {
		cp := *g
		cp.Seq = c.nextSeq()
		c.Groups[name] = &cp
	}
}

func (c *Config) touchType(name string) {
	if rt, ok := c.Types[name]; ok {
		cp := *rt
		cp.Seq = c.nextSeq()
		c.Types[name] = &cp
	}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func atoi(s string) int {
	n := 0
	neg := strings.HasPrefix(s, "-")
	for _, c := range strings.TrimPrefix(s, "-") {
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}
