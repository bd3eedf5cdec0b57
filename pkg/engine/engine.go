// Package engine decides what rgmd does to resources and resource groups on
// its node: the state machines of the reference (resource ONLINE, OFFLINE,
// STARTING, STOPPING, START_FAILED, STOP_FAILED, MONITOR_FAILED,
// ONLINE_NOT_MONITORED; group UNMANAGED, OFFLINE, PENDING_ONLINE, ONLINE,
// PENDING_OFFLINE, ERROR_STOP_FAILED, ONLINE_FAULTED,
// PENDING_ONLINE_BLOCKED), dependency ordering, and Failover_mode.
//
// It decides and never acts: State.Handle takes an event (an operator
// request, a method's result, rgmd's start) and returns an Output: the
// state changes to persist, the methods to run, and what to log. No I/O,
// no exec, no clock, so every transition is covered by table tests, and
// the daemon is the only place that runs anything.
//
// The engine is level-triggered: after applying an event it re-plans the
// groups the event touched, comparing what the operator wants (the
// group's Desired state, the resource's On_off_switch and
// Monitored_switch) with what the methods achieved (the persisted
// states), so the same code drives a fresh online, a failover and the
// recovery after an rgmd crash.
package engine

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/model"
)

// Method names, as in the RTR file.
const (
	Start        = "Start"
	Stop         = "Stop"
	Validate     = "Validate"
	Update       = "Update"
	Init         = "Init"
	Fini         = "Fini"
	Boot         = "Boot"
	PrenetStart  = "Prenet_start"
	PostnetStop  = "Postnet_stop"
	MonitorStart = "Monitor_start"
	MonitorStop  = "Monitor_stop"
	MonitorCheck = "Monitor_check"
)

// Values of --stop-failed-action: what a failed stop method of a resource
// whose Failover_mode is HARD does to the node.
const (
	StopFailedNone   = "none"   // nothing: the resource stays STOP_FAILED (the default)
	StopFailedExit   = "exit"   // rgmd exits, so its supervisor (or the operator) steps in
	StopFailedReboot = "reboot" // the node reboots, as Solaris Cluster aborts it
	// StopFailedFence: the node's guard ends every process of its
	// resources and says so, and rgmd starts afresh: the cluster then
	// moves the group (the default on a cluster node).
	StopFailedFence = "fence"
)

// DepKind is the kind of a resource dependency.
type DepKind int

const (
	Strong         DepKind = iota // Resource_dependencies
	Weak                          // Resource_dependencies_weak
	Restart                       // Resource_dependencies_restart
	OfflineRestart                // Resource_dependencies_offline_restart
)

// Dep is one dependency of a resource on another (the dependee).
type Dep struct {
	On   string
	Kind DepKind
	// Local is set for {LOCAL_NODE} and for dependencies within a group:
	// only the dependee's state on this node counts.
	Local bool
}

// Method is a declared method of a resource's type.
type Method struct {
	Path    string        // as in the RTR file; relative to BaseDir unless absolute
	Timeout time.Duration // the resource's <method>_timeout
}

// Resource is the engine's view of a resource on its node. The exported
// fields come from the configuration (Sync); the others are the progress
// of methods in flight, which lives only in memory: after a crash, the
// persisted STARTING/STOPPING says enough to recover.
type Resource struct {
	Name, Group, Type string
	BaseDir           string
	Methods           map[string]Method // declared methods only
	FailoverMode      string
	Deps              []Dep
	InitHere          bool // this node is in the type's Init_nodes set for the resource
	Local             bool // the group's Nodelist holds this node
	State             string
	Enabled           bool
	Monitored         bool
	OnlineElsewhere   bool // online on another node (for {ANY_NODE} dependencies)
	Proxy             bool // the type's Proxy is TRUE: CHANGE_STATE_* apply
	// RetryCount and RetryInterval are the resource's Retry_count (< 0:
	// no limit, also when the type does not declare it) and Retry_interval
	// in seconds (< 0: undeclared, every recorded restart counts).
	RetryCount    int
	RetryInterval int64
	Restarts      []int64 // restart times on this node (Unix seconds)

	running                                  string // method in flight, "" if none
	mode                                     string // what the running method is part of: online, offline, monitor, monrestart, other
	startStep                                int    // online sequence: 0 nothing done, 1 Prenet_start done, 2 Start done
	stopStep                                 int    // offline sequence: 0 nothing done, 1 Monitor_stop done, 2 Stop done, 3 Postnet_stop done
	monStep                                  int    // monitor restart (recovery): 0, 1 Monitor_stop done
	needInit, needFini, needBoot, needUpdate bool
	needMonRestart                           bool
	// needStop forces the offline sequence once (crash recovery of a
	// resource caught in STARTING/STOPPING, a retry after START_FAILED, a
	// restart dependency); it clears when the resource reaches OFFLINE.
	needStop bool
	// keepFailed keeps START_FAILED after the cleanup Stop that follows a
	// failed start handed over to another node, so the operator sees which
	// resource failed; cleaned records that this Stop ran.
	keepFailed, cleaned bool
	checked             bool // Monitor_check passed for the pending switch
	// failMsg, when set, is the FAULTED status message the resource gets
	// when its offline sequence ends in START_FAILED (restarts exhausted).
	failMsg string
	// ignoreFailedStart: the running Start or Prenet_start called
	// scha_control IGNORE_FAILED_START, so its failure moves nothing.
	ignoreFailedStart bool
	// proxyDown: CHANGE_STATE_OFFLINE marked this proxy offline; it stays
	// so, without methods, until CHANGE_STATE_ONLINE.
	proxyDown bool
	// resRestart: the stop and start under way are a resource restart
	// (scha_control RESOURCE_RESTART, a restart dependency), which skips
	// Postnet_stop and Prenet_start when the type has Start and Stop
	// (scha_control(1HA)).
	resRestart bool
}

// restartResource schedules a resource restart of r: its stop methods,
// then its start methods, the rest of its group untouched.
func (s *State) restartResource(r *Resource) {
	r.needStop, r.resRestart = true, true
	s.markResource(r)
}

// skipNet reports whether r's current sequence leaves out Prenet_start
// and Postnet_stop: a resource restart of a type with Start and Stop.
func (r *Resource) skipNet() bool {
	return r.resRestart && r.Has(Start) && r.Has(Stop)
}

// Has reports whether the resource's type declares method m.
func (r *Resource) Has(m string) bool { _, ok := r.Methods[m]; return ok }

// Group is the engine's view of a resource group on its node.
type Group struct {
	Name      string
	Nodelist  []string
	Local     bool   // Nodelist holds this node
	State     string // on this node
	Desired   string // on this node: ONLINE or OFFLINE ("" = OFFLINE)
	Deps      []string
	Resources []string // sorted
	Suspended bool     // Suspend_automatic_recovery
	AutoStart bool     // Auto_start_on_new_cluster
	Scalable  bool     // RG_mode Scalable: online on every node of its Nodelist
	// OnlineElsewhere says the group is online on another node: a failover
	// group waits for it to stop there before starting here, and it
	// satisfies the RG_dependencies of groups on other nodes.
	OnlineElsewhere bool
	// ActiveElsewhere says the group is neither OFFLINE nor UNMANAGED on
	// another node (starting, online, stopping, or stuck after a failed
	// stop there): a failover group does not start here until that
	// node has taken it all the way offline, so that it is never online
	// on two nodes at once.
	ActiveElsewhere bool
	Pingpong        int64            // Pingpong_interval, seconds
	Restarts        []int64          // restart times on this node (Unix seconds)
	GiveoverAt      map[string]int64 // node → last giveover away from it
	StartFailedAt   map[string]int64 // node → last failed start there

	netAddrs   []string // its network address resources (Implicit_network_dependencies)
	restarting bool     // rg restart: offline first, then online again
	check      bool     // switch onto this node: run Monitor_check first
	settled    bool     // nothing in progress (after the last plan)
	// allUnmanaged: UNMANAGED on every node of its Nodelist; offlineElsewhere:
	// OFFLINE (or UNMANAGED) and wanted OFFLINE on every one but this
	// node, as the log says. Unmanage needs the group offline everywhere, and a node
	// outside the Nodelist manages and unmanages it by these.
	allUnmanaged, offlineElsewhere bool
	// wanted: the log has just asked for the group ONLINE here, by an
	// operator's request on another node or the leader's placement
	// (RGNode.Asked went up): its START_FAILED resources start again, as
	// after rg online on this node. asked is the count last seen.
	wanted bool
	asked  uint64
}

// Settled reports whether nothing is in progress for the group on this
// node: what `rgmadm ... --wait` waits for.
func (g *Group) Settled() bool { return g.settled && !g.restarting && !g.check }

// State is everything the engine knows on one node.
type State struct {
	Node string
	// StopFailedAction is --stop-failed-action: none, exit or reboot.
	StopFailedAction string

	Groups    map[string]*Group
	Resources map[string]*Resource

	dependents   map[string][]string // resource → resources that depend on it
	rgDependents map[string][]string // group → groups whose RG_dependencies name it
	dirty        map[string]bool     // groups to plan
	begun        bool                // Started was handled: a new resource in a managed group gets Init
	// Now is the time (Unix seconds) restart counts and pingpong are
	// judged against; the daemon sets it before each Handle, so that the
	// engine itself reads no clock.
	Now int64
	// pass-local memos
	targetMemo map[string]bool
	comingMemo map[string]bool
}

// New returns an empty state for node.
func New(node string) *State {
	return &State{
		Node: node, StopFailedAction: StopFailedNone,
		Groups: map[string]*Group{}, Resources: map[string]*Resource{},
		dependents: map[string][]string{}, rgDependents: map[string][]string{}, dirty: map[string]bool{},
	}
}

// Output is what the daemon must do after an event.
type Output struct {
	// Changes are persisted, in one log entry, before any of Runs starts
	// (save Early ones): a method never runs without its STARTING or
	// STOPPING being durable.
	Changes []model.StateChange
	Runs    []Run
	// NodeAction is "exit" or "reboot" when a HARD stop failure asks for
	// it (see StopFailedAction); "" otherwise.
	NodeAction string
	Notes      []Note
	// Err is set when a request is refused; nothing else is then set.
	Err error
}

// Run is one method to run.
type Run struct {
	Resource, Group, Type string
	Method                string
	BaseDir, Path         string
	Timeout               time.Duration
	// Early: the run may start while the Output's Changes are being
	// recorded, because no record of them is what a crash during it needs
	// (the Monitor_start that follows a successful Start: whether ONLINE
	// was recorded or not, recovery does the right thing).
	Early bool
}

// Note is something to log about a resource or group.
type Note struct {
	Resource, Group string
	Warn            bool
	Msg             string
}

// Sync refreshes the view of the named groups (and their resources) from
// c; nil names means every object. Progress in memory is kept; objects
// gone from c are dropped. Persisted fields are always taken from c: the
// daemon calls Sync only after its own changes are committed, so c is at
// least as new as the memory.
func (s *State) Sync(c *model.Config, groups []string) {
	if groups == nil {
		for name := range s.Groups {
			if _, ok := c.Groups[name]; !ok {
				groups = append(groups, name)
			}
		}
		for name := range c.Groups {
			groups = append(groups, name)
		}
		for name, r := range s.Resources {
			if _, ok := c.Resources[name]; !ok {
				s.dropResource(name)
				s.dirty[r.Group] = true
			}
		}
	}
	for _, name := range groups {
		s.syncGroup(c, name)
	}
}

func (s *State) syncGroup(c *model.Config, name string) {
	s.dirty[name] = true
	cg, ok := c.Groups[name]
	old := s.Groups[name]
	if !ok {
		if old != nil {
			for _, rn := range old.Resources {
				s.dropResource(rn)
			}
			s.setRGDeps(name, old.Deps, nil)
			delete(s.Groups, name)
		}
		return
	}
	g := old
	if g == nil {
		g = &Group{Name: name}
		s.Groups[name] = g
	}
	prev := g.State
	g.Nodelist = model.SplitArray(cg.Props["Nodelist"])
	g.Local = slices.Contains(g.Nodelist, s.Node)
	g.State, g.Desired = "", ""
	if st, ok := cg.Nodes[s.Node]; ok {
		g.State, g.Desired = st.State, st.Desired
		if st.Asked > g.asked && old != nil && s.begun && g.Desired == model.RGStateOnline {
			g.wanted = true
		}
		g.asked = st.Asked
	}
	g.OnlineElsewhere, g.ActiveElsewhere = false, false
	g.Restarts = nil
	g.GiveoverAt, g.StartFailedAt = map[string]int64{}, map[string]int64{}
	for n, st := range cg.Nodes {
		if n != s.Node && isGroupOnline(st.State) {
			g.OnlineElsewhere = true
		}
		if n != s.Node && st.State != model.RGStateOffline && st.State != model.RGStateUnmanaged && st.State != "" {
			g.ActiveElsewhere = true
		}
		if n == s.Node {
			g.Restarts = slices.Clone(st.Restarts)
		}
		if st.GiveoverAt != 0 {
			g.GiveoverAt[n] = st.GiveoverAt
		}
		if st.StartFailedAt != 0 {
			g.StartFailedAt[n] = st.StartFailedAt
		}
	}
	g.allUnmanaged, g.offlineElsewhere = true, true
	for _, n := range g.Nodelist {
		st := cg.Nodes[n]
		if st != nil && st.State != model.RGStateUnmanaged && st.State != "" {
			g.allUnmanaged = false
		}
		if n != s.Node && st != nil && (st.State != model.RGStateOffline && st.State != model.RGStateUnmanaged || st.Desired == model.RGStateOnline) {
			g.offlineElsewhere = false
		}
	}
	g.Pingpong, _ = strconv.ParseInt(cg.Props["Pingpong_interval"], 10, 64)
	deps := model.SplitArray(cg.Props["RG_dependencies"])
	if old != nil {
		s.setRGDeps(name, old.Deps, deps)
	} else {
		s.setRGDeps(name, nil, deps)
	}
	g.Deps = deps
	g.Suspended = cg.Props["Suspend_automatic_recovery"] == "TRUE"
	g.AutoStart = cg.Props["Auto_start_on_new_cluster"] != "FALSE"
	g.Scalable = cg.Props["RG_mode"] == "Scalable"
	members := c.ResourcesOf(name)
	for _, rn := range g.Resources {
		if !slices.Contains(members, rn) {
			s.dropResource(rn)
		}
	}
	g.Resources = members
	g.netAddrs = g.netAddrs[:0]
	for _, rn := range members {
		if isNetworkAddress(c.Types[c.Resources[rn].Type]) {
			g.netAddrs = append(g.netAddrs, rn)
		}
	}
	for _, rn := range members {
		s.syncResource(c, c.Resources[rn], g)
	}
	for _, dep := range s.rgDependents[name] {
		s.dirty[dep] = true
	}
	if old != nil && s.begun {
		s.managedElsewhere(g, prev)
	}
}

// managedElsewhere runs Init or Fini here when another node's rgmd
// managed or unmanaged the group: they run on every node of the type's
// Init_nodes, not only where the operator asked (the node that was asked
// has already moved its own view, so this does not run twice there).
func (s *State) managedElsewhere(g *Group, prev string) {
	var method string
	switch {
	case prev == model.RGStateUnmanaged && g.State == model.RGStateOffline:
		method = Init
	case prev != "" && prev != model.RGStateUnmanaged && g.State == model.RGStateUnmanaged:
		method = Fini
	default:
		return
	}
	for _, rn := range g.Resources {
		r := s.Resources[rn]
		if r == nil || !r.InitHere || !r.Has(method) {
			continue
		}
		if method == Init {
			r.needInit = true
		} else {
			r.needFini = true
		}
		s.markResource(r)
	}
}

func (s *State) syncResource(c *model.Config, cr *model.Resource, g *Group) {
	r := s.Resources[cr.Name]
	created := r == nil
	if created {
		r = &Resource{Name: cr.Name}
		s.Resources[cr.Name] = r
	}
	r.Group, r.Type, r.Local = cr.Group, cr.Type, g.Local
	rt := c.Types[cr.Type]
	r.Methods = map[string]Method{}
	r.BaseDir = ""
	r.InitHere = false
	if rt != nil {
		r.BaseDir = rt.Props["RT_basedir"]
		for _, m := range model.Methods {
			if p := rt.Props[m]; p != "" {
				secs, _ := strconv.Atoi(cr.Props[m+"_timeout"])
				if secs <= 0 {
					secs = 3600
				}
				r.Methods[m] = Method{Path: p, Timeout: time.Duration(secs) * time.Second}
			}
		}
		if rt.Props["Init_nodes"] == "RT_INSTALLED_NODES" {
			inst := model.SplitArray(rt.Props["Installed_nodes"])
			r.InitHere = slices.Contains(inst, "*") || slices.Contains(inst, s.Node)
		} else {
			r.InitHere = g.Local
		}
	}
	r.FailoverMode = cr.Props["Failover_mode"]
	r.Proxy = rt != nil && rt.Props["Proxy"] == "TRUE"
	r.RetryCount, r.RetryInterval = -1, -1
	if v, err := strconv.Atoi(cr.Props["Retry_count"]); err == nil {
		r.RetryCount = v
	}
	if v, err := strconv.ParseInt(cr.Props["Retry_interval"], 10, 64); err == nil {
		r.RetryInterval = v
	}
	var deps []Dep
	for i, p := range model.DependencyProps {
		for _, e := range model.SplitArray(cr.Props[p]) {
			on := model.DepName(e)
			local := strings.HasSuffix(e, "{LOCAL_NODE}")
			if dr, ok := c.Resources[on]; ok && dr.Group == cr.Group {
				local = true
			}
			deps = append(deps, Dep{On: on, Kind: DepKind(i), Local: local})
		}
	}
	deps = append(deps, implicitNetworkDeps(c, cr, g, deps)...)
	s.setDeps(r.Name, r.Deps, deps)
	r.Deps = deps
	r.State, r.Enabled, r.Monitored, r.Restarts = model.RStateOffline, false, false, nil
	if st, ok := cr.Nodes[s.Node]; ok {
		r.State, r.Enabled, r.Monitored = st.State, st.OnOff == model.SwitchEnabled, st.Monitored == model.SwitchEnabled
		r.Restarts = slices.Clone(st.Restarts)
	}
	// The log says STARTING or STOPPING here while no method of the
	// resource runs: what this engine did since was not recorded (a
	// commit lost with the leader), and the log is what it goes by now.
	// As after a crash, the stop methods run first, so that a Start never
	// follows a Start without a Stop between (the chaos run found a
	// service started twice on one node that way).
	if s.begun && r.Local && r.running == "" && (r.State == model.RStateStarting || r.State == model.RStateStopping) {
		r.needStop = true
		r.startStep, r.stopStep = 0, 0
	}
	r.OnlineElsewhere = false
	for n, st := range cr.Nodes {
		if n != s.Node && isOnline(st.State) {
			r.OnlineElsewhere = true
		}
	}
	// Init runs for a resource created in a group that is already managed
	// (reference §5.2); at rgmd's start every resource is "new" to the
	// engine, hence begun.
	if created && s.begun && r.InitHere && r.Has(Init) && g.State != model.RGStateUnmanaged && g.State != "" {
		r.needInit = true
	}
	s.markResource(r)
}

// isNetworkAddress reports whether t is a network address type
// (Is_logical_hostname or Is_shared_address).
func isNetworkAddress(t *model.ResourceType) bool {
	return t != nil && (t.Props["Is_logical_hostname"] == "TRUE" || t.Props["Is_shared_address"] == "TRUE")
}

// implicitNetworkDeps are the strong dependencies Implicit_network_dependencies
// (TRUE by default) gives a resource of a failover group that is not a
// network address on each network address resource of its group
// (g.netAddrs), beyond those in deps: the addresses come online first and
// go offline last (rg_properties(5)). A scalable group has none.
func implicitNetworkDeps(c *model.Config, cr *model.Resource, g *Group, deps []Dep) []Dep {
	cg := c.Groups[cr.Group]
	if len(g.netAddrs) == 0 || cg == nil || cg.Props["Implicit_network_dependencies"] == "FALSE" || g.Scalable || isNetworkAddress(c.Types[cr.Type]) {
		return nil
	}
	var out []Dep
	for _, name := range g.netAddrs {
		if !slices.ContainsFunc(deps, func(d Dep) bool { return d.On == name && d.Kind == Strong }) {
			out = append(out, Dep{On: name, Kind: Strong, Local: true})
		}
	}
	return out
}

func (s *State) dropResource(name string) {
	r := s.Resources[name]
	if r == nil {
		return
	}
	s.setDeps(name, r.Deps, nil)
	delete(s.Resources, name)
}

func (s *State) setDeps(name string, old, deps []Dep) {
	for _, d := range old {
		s.dependents[d.On] = slices.DeleteFunc(s.dependents[d.On], func(x string) bool { return x == name })
	}
	for _, d := range deps {
		if !slices.Contains(s.dependents[d.On], name) {
			s.dependents[d.On] = append(s.dependents[d.On], name)
		}
	}
}

func (s *State) setRGDeps(name string, old, deps []string) {
	for _, d := range old {
		s.rgDependents[d] = slices.DeleteFunc(s.rgDependents[d], func(x string) bool { return x == name })
	}
	for _, d := range deps {
		if !slices.Contains(s.rgDependents[d], name) {
			s.rgDependents[d] = append(s.rgDependents[d], name)
		}
	}
}

// markResource schedules the groups whose plan may depend on r.
func (s *State) markResource(r *Resource) {
	s.dirty[r.Group] = true
	for _, d := range s.dependents[r.Name] {
		if dr := s.Resources[d]; dr != nil {
			s.dirty[dr.Group] = true
		}
	}
	for _, d := range r.Deps {
		if dr := s.Resources[d.On]; dr != nil {
			s.dirty[dr.Group] = true
		}
	}
}

func isOnline(state string) bool {
	switch state {
	case model.RStateOnline, model.RStateOnlineNotMonitored, model.RStateMonitorFailed:
		return true
	}
	return false
}

func isGroupOnline(state string) bool {
	return state == model.RGStateOnline || state == model.RGStateOnlineFaulted
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FiniRun says whether deleting resource from c runs its Fini on node (its
// group is managed and node is in its Init_nodes set), and how. The daemon
// asks before the delete, since afterwards the resource is gone.
func FiniRun(c *model.Config, node, resource string) (Run, bool) {
	cr, ok := c.Resources[resource]
	if !ok {
		return Run{}, false
	}
	s := New(node)
	s.Sync(c, []string{cr.Group})
	r, g := s.Resources[resource], s.Groups[cr.Group]
	if r == nil || g == nil || g.State == model.RGStateUnmanaged || g.State == "" || !r.InitHere || !r.Has(Fini) {
		return Run{}, false
	}
	m := r.Methods[Fini]
	return Run{Resource: r.Name, Group: r.Group, Type: r.Type, Method: Fini, BaseDir: r.BaseDir, Path: m.Path, Timeout: m.Timeout}, true
}
