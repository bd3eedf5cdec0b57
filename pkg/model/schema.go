package model

import (
	"strings"
	"sync"
)

// presence says when a standard resource property exists on a resource.
type presence int

const (
	always      presence = iota // every resource has it
	conditional                 // only if the type's RTR file declares it
	ifMethod                    // a <method>_timeout: only if the type declares that method
)

type stdProp struct {
	PropDecl
	presence presence
	method   string // for ifMethod: the method name
}

func sp(s string) *string { return &s }
func ip(i int64) *int64   { return &i }

// Methods lists the callback methods in the order the reference gives them.
var Methods = []string{
	"Start", "Stop", "Validate", "Update", "Init", "Fini", "Boot",
	"Prenet_start", "Postnet_stop", "Monitor_start", "Monitor_stop", "Monitor_check",
}

// Enumerations shared with the RTR parser and the engine.
var (
	InitNodesValues    = []string{"RG_PRIMARIES", "RT_INSTALLED_NODES"}
	FailoverModeValues = []string{"NONE", "SOFT", "HARD", "RESTART_ONLY", "LOG_ONLY"}
	RGModeValues       = []string{"Failover", "Scalable"}
)

// The property tables are built on first use: rgmadm and the scha_*
// commands link this package for its types, and a fresh process should
// not pay for tables it never reads.

// rtProps is the standard resource-type property table (rt_properties(5)).
// Values the RTR file may set are Tunable NONE (types are not changed after
// registration); Installed_nodes and RT_system are the administrator's.
var rtProps = sync.OnceValue(func() []PropDecl {
	p := []PropDecl{
		{Name: "Resource_type", Type: TypeString},
		{Name: "Vendor_id", Type: TypeString, Default: sp("")},
		{Name: "RT_description", Type: TypeString, Default: sp("")},
		{Name: "RT_version", Type: TypeString, Default: sp("")},
		{Name: "API_version", Type: TypeInt, Default: sp("2"), Min: ip(2)},
		{Name: "RT_basedir", Type: TypeString, Default: sp("")},
	}
	for _, m := range Methods {
		p = append(p, PropDecl{Name: m, Type: TypeString, Default: sp("")})
	}
	return append(p,
		PropDecl{Name: "Failover", Type: TypeBoolean, Default: sp("FALSE")},
		PropDecl{Name: "Single_instance", Type: TypeBoolean, Default: sp("FALSE")},
		PropDecl{Name: "Init_nodes", Type: TypeEnum, EnumList: InitNodesValues, Default: sp("RG_PRIMARIES")},
		PropDecl{Name: "Installed_nodes", Type: TypeStringArray, Default: sp("*"), Tunable: TunableAnytime},
		PropDecl{Name: "Pkglist", Type: TypeStringArray, Default: sp("")},
		PropDecl{Name: "Global_zone", Type: TypeBoolean, Default: sp("FALSE")},
		PropDecl{Name: "Proxy", Type: TypeBoolean, Default: sp("FALSE")},
		PropDecl{Name: "Is_logical_hostname", Type: TypeBoolean, Default: sp("FALSE")},
		PropDecl{Name: "Is_shared_address", Type: TypeBoolean, Default: sp("FALSE")},
		PropDecl{Name: "RT_system", Type: TypeBoolean, Default: sp("FALSE"), Tunable: TunableAnytime},
		PropDecl{Name: "Resource_list", Type: TypeStringArray, QueryOnly: true},
	)
})

// rgProps is the standard resource-group property table (rg_properties(5)).
// Nodelist has no static default: a new group gets every cluster node.
var rgProps = sync.OnceValue(func() []PropDecl {
	return []PropDecl{
		{Name: "Auto_start_on_new_cluster", Type: TypeBoolean, Default: sp("TRUE"), Tunable: TunableAnytime},
		{Name: "Desired_primaries", Type: TypeInt, Default: sp("1"), Min: ip(0), Tunable: TunableAnytime},
		{Name: "Maximum_primaries", Type: TypeInt, Default: sp("1"), Min: ip(1), Tunable: TunableAnytime},
		{Name: "Failback", Type: TypeBoolean, Default: sp("FALSE"), Tunable: TunableAnytime},
		{Name: "Global_resources_used", Type: TypeStringArray, Default: sp("*"), Tunable: TunableAnytime},
		{Name: "Implicit_network_dependencies", Type: TypeBoolean, Default: sp("TRUE"), Tunable: TunableAnytime},
		// Load_factors, Priority and Preemption_mode (Solaris Cluster
		// 3.2 1/09 and later): what the group costs against the nodes'
		// load limits (load.go), and which groups placement serves first.
		{Name: "Load_factors", Type: TypeStringArray, Default: sp(""), Tunable: TunableAnytime},
		{Name: "Nodelist", Type: TypeStringArray, Tunable: TunableAnytime},
		{Name: "Pathprefix", Type: TypeString, Default: sp(""), Tunable: TunableAnytime},
		{Name: "Pingpong_interval", Type: TypeInt, Default: sp("3600"), Min: ip(0), Tunable: TunableAnytime},
		{Name: "Preemption_mode", Type: TypeEnum, EnumList: PreemptionModes, Default: sp("Has_cost"), Tunable: TunableAnytime},
		{Name: "Priority", Type: TypeInt, Default: sp("500"), Min: ip(0), Tunable: TunableAnytime},
		{Name: "RG_dependencies", Type: TypeStringArray, Default: sp(""), Tunable: TunableAnytime},
		{Name: "RG_affinities", Type: TypeStringArray, Default: sp(""), Tunable: TunableAnytime},
		{Name: "RG_mode", Type: TypeEnum, EnumList: RGModeValues, Tunable: TunableAtCreation},
		{Name: "RG_description", Type: TypeString, Default: sp(""), Tunable: TunableAnytime},
		{Name: "RG_project_name", Type: TypeString, Default: sp("default"), Tunable: TunableAnytime},
		{Name: "RG_system", Type: TypeBoolean, Default: sp("FALSE"), Tunable: TunableAnytime},
		{Name: "RG_slm_type", Type: TypeString, Default: sp("manual"), Tunable: TunableAnytime},
		{Name: "RG_slm_pset_type", Type: TypeString, Default: sp("default"), Tunable: TunableAnytime},
		{Name: "RG_slm_cpu_shares", Type: TypeInt, Default: sp("1"), Min: ip(1), Tunable: TunableAnytime},
		{Name: "RG_slm_pset_min", Type: TypeInt, Default: sp("0"), Min: ip(0), Tunable: TunableAnytime},
		{Name: "RG_is_frozen", Type: TypeBoolean, Default: sp("FALSE"), QueryOnly: true},
		{Name: "Suspend_automatic_recovery", Type: TypeBoolean, Default: sp("FALSE"), QueryOnly: true},
		{Name: "Resource_list", Type: TypeStringArray, QueryOnly: true},
	}
})

// resourceProps is the standard resource property table (r_properties(5)).
// Per-node values (Resource_state, Status, On_off_switch, ...) live in
// RNode, not here.
var resourceProps = sync.OnceValue(func() []stdProp {
	p := []stdProp{
		{PropDecl: PropDecl{Name: "R_description", Type: TypeString, Default: sp(""), Tunable: TunableAnytime}},
		{PropDecl: PropDecl{Name: "Type_version", Type: TypeString, QueryOnly: true}},
		{PropDecl: PropDecl{Name: "Resource_project_name", Type: TypeString, Default: sp("default"), Tunable: TunableAnytime}},
		{PropDecl: PropDecl{Name: "Resource_dependencies", Type: TypeStringArray, Default: sp(""), Tunable: TunableAnytime}},
		{PropDecl: PropDecl{Name: "Resource_dependencies_weak", Type: TypeStringArray, Default: sp(""), Tunable: TunableAnytime}},
		{PropDecl: PropDecl{Name: "Resource_dependencies_restart", Type: TypeStringArray, Default: sp(""), Tunable: TunableAnytime}},
		{PropDecl: PropDecl{Name: "Resource_dependencies_offline_restart", Type: TypeStringArray, Default: sp(""), Tunable: TunableAnytime}},
		{PropDecl: PropDecl{Name: "Failover_mode", Type: TypeEnum, EnumList: FailoverModeValues, Default: sp("NONE"), Tunable: TunableAnytime}},
		{PropDecl: PropDecl{Name: "Cheap_probe_interval", Type: TypeInt, Min: ip(0), Tunable: TunableWhenDisabled}, presence: conditional},
		{PropDecl: PropDecl{Name: "Thorough_probe_interval", Type: TypeInt, Min: ip(0), Tunable: TunableAnytime}, presence: conditional},
		{PropDecl: PropDecl{Name: "Retry_count", Type: TypeInt, Min: ip(-1), Tunable: TunableAnytime}, presence: conditional},
		{PropDecl: PropDecl{Name: "Retry_interval", Type: TypeInt, Min: ip(0), Tunable: TunableAnytime}, presence: conditional},
		{PropDecl: PropDecl{Name: "Affinity_timeout", Type: TypeInt, Min: ip(0), Tunable: TunableAnytime}, presence: conditional},
		{PropDecl: PropDecl{Name: "Load_balancing_policy", Type: TypeString, Default: sp("LB_WEIGHTED"), Tunable: TunableAtCreation}, presence: conditional},
		{PropDecl: PropDecl{Name: "Load_balancing_weights", Type: TypeStringArray, Default: sp(""), Tunable: TunableAnytime}, presence: conditional},
		{PropDecl: PropDecl{Name: "Network_resources_used", Type: TypeStringArray, Default: sp(""), Tunable: TunableWhenDisabled}, presence: conditional},
		{PropDecl: PropDecl{Name: "Port_list", Type: TypeStringArray, Tunable: TunableAnytime}, presence: conditional},
		{PropDecl: PropDecl{Name: "Scalable", Type: TypeBoolean, Default: sp("FALSE"), Tunable: TunableAtCreation}, presence: conditional},
		{PropDecl: PropDecl{Name: "UDP_affinity", Type: TypeBoolean, Default: sp("FALSE"), Tunable: TunableWhenDisabled}, presence: conditional},
		{PropDecl: PropDecl{Name: "Weak_affinity", Type: TypeBoolean, Default: sp("FALSE"), Tunable: TunableWhenDisabled}, presence: conditional},
		{PropDecl: PropDecl{Name: "Global_zone_override", Type: TypeBoolean, Default: sp("TRUE"), Tunable: TunableAtCreation}, presence: conditional},
	}
	for _, m := range Methods {
		p = append(p, stdProp{
			PropDecl: PropDecl{Name: m + "_timeout", Type: TypeInt, Default: sp("3600"), Min: ip(1), Tunable: TunableAnytime},
			presence: ifMethod, method: m,
		})
	}
	return p
})

func lookup(decls []PropDecl, name string) (PropDecl, bool) {
	for _, d := range decls {
		if strings.EqualFold(d.Name, name) {
			return d, true
		}
	}
	return PropDecl{}, false
}

// RTProps returns the standard resource-type properties.
func RTProps() []PropDecl { return append([]PropDecl(nil), rtProps()...) }

// RGProps returns the standard resource-group properties.
func RGProps() []PropDecl { return append([]PropDecl(nil), rgProps()...) }

// LookupRTProp finds a standard resource-type property, in any case.
func LookupRTProp(name string) (PropDecl, bool) { return lookup(rtProps(), name) }

// LookupRGProp finds a standard resource-group property, in any case.
func LookupRGProp(name string) (PropDecl, bool) { return lookup(rgProps(), name) }

// LookupResourceProp finds a standard (system-defined) resource property,
// in any case. Conditional reports whether it exists only when an RTR file
// declares it (or declares its method, for <method>_timeout).
func LookupResourceProp(name string) (d PropDecl, conditional bool, ok bool) {
	for _, p := range resourceProps() {
		if strings.EqualFold(p.Name, name) {
			return p.PropDecl, p.presence != always, true
		}
	}
	return PropDecl{}, false, false
}

// CanonicalMethod returns the canonical spelling of a method name, in any
// case, or "" if name is not a method.
func CanonicalMethod(name string) string {
	for _, m := range Methods {
		if strings.EqualFold(m, name) {
			return m
		}
	}
	return ""
}
