package scha

import "strings"

// Tag describes one optag of a scha_*_get command: what it returns, how
// many extra operands it takes and which property it reads.
//
// The tables below are package-level arrays of constant composite literals,
// which the linker lays out statically: looking a tag up costs a short scan
// and the scha_* binaries pay nothing at start-up (no init, no map). Lookups
// fold case because optags are case-insensitive in every scha command.
type Tag struct {
	// Name is the optag as the man pages spell it (upper case).
	Name string
	// Type is the result type, which decides the shell output format and
	// the C out-argument.
	Type ResultType
	// Operands is the number of unflagged operands after the options:
	// EXTENSION takes a property name, RESOURCE_STATE_NODE a node, ...
	Operands int
	// Prop is the canonical name of the property the optag reads, as
	// rt_properties(5), r_properties(5) and rg_properties(5) spell it; ""
	// when the value is computed (states, statuses, restart counts, names of
	// other objects, cluster facts).
	Prop string
	// RTProp reports that Prop is a resource-type property: of the queried
	// type for scha_resourcetype_get, of the resource's type for
	// scha_resource_get.
	RTProp bool
	// Timed reports an answer that moves with the time of asking, not
	// only with changes (restart counts over Retry_interval): no cache
	// may keep it.
	Timed bool
}

// Object kinds of LookupTag; the same strings as wire.Kind*.
const (
	KindResource      = "resource"
	KindResourceType  = "resourcetype"
	KindResourceGroup = "resourcegroup"
	KindCluster       = "cluster"
)

// resourceTags are scha_resource_get's own optags (r_properties(5) and the
// per-node, query-only values). scha_resource_get also accepts rtTags except
// RESOURCE_LIST.
var resourceTags = [...]Tag{
	{Name: "AFFINITY_TIMEOUT", Type: ResultInt, Prop: "Affinity_timeout"},
	{Name: "ALL_EXTENSIONS", Type: ResultStringArray},
	{Name: "BOOT_TIMEOUT", Type: ResultInt, Prop: "Boot_timeout"},
	{Name: "CHEAP_PROBE_INTERVAL", Type: ResultInt, Prop: "Cheap_probe_interval"},
	{Name: "EXTENSION", Type: ResultExtension, Operands: 1},
	{Name: "EXTENSION_NODE", Type: ResultExtension, Operands: 2},
	{Name: "FAILOVER_MODE", Type: ResultEnum, Prop: "Failover_mode"},
	{Name: "FINI_TIMEOUT", Type: ResultInt, Prop: "Fini_timeout"},
	{Name: "GLOBAL_ZONE_OVERRIDE", Type: ResultBoolean, Prop: "Global_zone_override"},
	{Name: "GROUP", Type: ResultString},
	{Name: "INIT_TIMEOUT", Type: ResultInt, Prop: "Init_timeout"},
	{Name: "LOAD_BALANCING_POLICY", Type: ResultString, Prop: "Load_balancing_policy"},
	{Name: "LOAD_BALANCING_WEIGHTS", Type: ResultStringArray, Prop: "Load_balancing_weights"},
	{Name: "MONITORED_SWITCH", Type: ResultEnum},
	{Name: "MONITORED_SWITCH_NODE", Type: ResultEnum, Operands: 1},
	{Name: "MONITOR_CHECK_TIMEOUT", Type: ResultInt, Prop: "Monitor_check_timeout"},
	{Name: "MONITOR_START_TIMEOUT", Type: ResultInt, Prop: "Monitor_start_timeout"},
	{Name: "MONITOR_STOP_TIMEOUT", Type: ResultInt, Prop: "Monitor_stop_timeout"},
	{Name: "NETWORK_RESOURCES_USED", Type: ResultStringArray, Prop: "Network_resources_used"},
	{Name: "NUM_RESOURCE_RESTARTS", Type: ResultInt, Timed: true},
	{Name: "NUM_RESOURCE_RESTARTS_ZONE", Type: ResultInt, Operands: 1, Timed: true},
	{Name: "NUM_RG_RESTARTS", Type: ResultInt, Timed: true},
	{Name: "NUM_RG_RESTARTS_ZONE", Type: ResultInt, Operands: 1, Timed: true},
	{Name: "ON_OFF_SWITCH", Type: ResultEnum},
	{Name: "ON_OFF_SWITCH_NODE", Type: ResultEnum, Operands: 1},
	{Name: "PORT_LIST", Type: ResultStringArray, Prop: "Port_list"},
	{Name: "POSTNET_STOP_TIMEOUT", Type: ResultInt, Prop: "Postnet_stop_timeout"},
	{Name: "PRENET_START_TIMEOUT", Type: ResultInt, Prop: "Prenet_start_timeout"},
	{Name: "RESOURCE_DEPENDENCIES", Type: ResultStringArray, Prop: "Resource_dependencies"},
	{Name: "RESOURCE_DEPENDENCIES_OFFLINE_RESTART", Type: ResultStringArray, Prop: "Resource_dependencies_offline_restart"},
	{Name: "RESOURCE_DEPENDENCIES_RESTART", Type: ResultStringArray, Prop: "Resource_dependencies_restart"},
	{Name: "RESOURCE_DEPENDENCIES_WEAK", Type: ResultStringArray, Prop: "Resource_dependencies_weak"},
	{Name: "RESOURCE_PROJECT_NAME", Type: ResultString, Prop: "Resource_project_name"},
	{Name: "RESOURCE_STATE", Type: ResultEnum},
	{Name: "RESOURCE_STATE_NODE", Type: ResultEnum, Operands: 1},
	{Name: "RETRY_COUNT", Type: ResultInt, Prop: "Retry_count"},
	{Name: "RETRY_INTERVAL", Type: ResultInt, Prop: "Retry_interval"},
	{Name: "R_DESCRIPTION", Type: ResultString, Prop: "R_description"},
	{Name: "SCALABLE", Type: ResultBoolean, Prop: "Scalable"},
	{Name: "START_TIMEOUT", Type: ResultInt, Prop: "Start_timeout"},
	{Name: "STATUS", Type: ResultStatus},
	{Name: "STATUS_NODE", Type: ResultStatus, Operands: 1},
	{Name: "STOP_TIMEOUT", Type: ResultInt, Prop: "Stop_timeout"},
	{Name: "THOROUGH_PROBE_INTERVAL", Type: ResultInt, Prop: "Thorough_probe_interval"},
	{Name: "TYPE", Type: ResultString},
	// Type_version is stored on the resource (an upgrade changes it with
	// the resource's type); when it is not, the type's RT_version answers.
	{Name: "TYPE_VERSION", Type: ResultString, Prop: "Type_version"},
	{Name: "UDP_AFFINITY", Type: ResultBoolean, Prop: "UDP_affinity"},
	{Name: "UPDATE_TIMEOUT", Type: ResultInt, Prop: "Update_timeout"},
	{Name: "VALIDATE_TIMEOUT", Type: ResultInt, Prop: "Validate_timeout"},
	{Name: "WEAK_AFFINITY", Type: ResultBoolean, Prop: "Weak_affinity"},
}

// rtTags are scha_resourcetype_get's optags (rt_properties(5)).
var rtTags = [...]Tag{
	{Name: "API_VERSION", Type: ResultInt, Prop: "API_version", RTProp: true},
	{Name: "BOOT", Type: ResultString, Prop: "Boot", RTProp: true},
	{Name: "FAILOVER", Type: ResultBoolean, Prop: "Failover", RTProp: true},
	{Name: "FINI", Type: ResultString, Prop: "Fini", RTProp: true},
	{Name: "GLOBAL_ZONE", Type: ResultBoolean, Prop: "Global_zone", RTProp: true},
	{Name: "INIT", Type: ResultString, Prop: "Init", RTProp: true},
	{Name: "INIT_NODES", Type: ResultEnum, Prop: "Init_nodes", RTProp: true},
	{Name: "INSTALLED_NODES", Type: ResultStringArray, Prop: "Installed_nodes", RTProp: true},
	{Name: "IS_LOGICAL_HOSTNAME", Type: ResultBoolean, Prop: "Is_logical_hostname", RTProp: true},
	{Name: "IS_SHARED_ADDRESS", Type: ResultBoolean, Prop: "Is_shared_address", RTProp: true},
	{Name: "MONITOR_CHECK", Type: ResultString, Prop: "Monitor_check", RTProp: true},
	{Name: "MONITOR_START", Type: ResultString, Prop: "Monitor_start", RTProp: true},
	{Name: "MONITOR_STOP", Type: ResultString, Prop: "Monitor_stop", RTProp: true},
	{Name: "PKGLIST", Type: ResultStringArray, Prop: "Pkglist", RTProp: true},
	{Name: "POSTNET_STOP", Type: ResultString, Prop: "Postnet_stop", RTProp: true},
	{Name: "PRENET_START", Type: ResultString, Prop: "Prenet_start", RTProp: true},
	{Name: "PROXY", Type: ResultBoolean, Prop: "Proxy", RTProp: true},
	// RESOURCE_LIST must stay the only computed entry: scha_resource_get
	// skips it (a resource has no resource list).
	{Name: "RESOURCE_LIST", Type: ResultStringArray},
	{Name: "RT_BASEDIR", Type: ResultString, Prop: "RT_basedir", RTProp: true},
	{Name: "RT_DESCRIPTION", Type: ResultString, Prop: "RT_description", RTProp: true},
	{Name: "RT_SYSTEM", Type: ResultBoolean, Prop: "RT_system", RTProp: true},
	{Name: "RT_VERSION", Type: ResultString, Prop: "RT_version", RTProp: true},
	{Name: "SINGLE_INSTANCE", Type: ResultBoolean, Prop: "Single_instance", RTProp: true},
	{Name: "START", Type: ResultString, Prop: "Start", RTProp: true},
	{Name: "STOP", Type: ResultString, Prop: "Stop", RTProp: true},
	{Name: "UPDATE", Type: ResultString, Prop: "Update", RTProp: true},
	{Name: "VALIDATE", Type: ResultString, Prop: "Validate", RTProp: true},
}

// rgTags are scha_resourcegroup_get's optags (rg_properties(5)).
var rgTags = [...]Tag{
	{Name: "AUTO_START_ON_NEW_CLUSTER", Type: ResultBoolean, Prop: "Auto_start_on_new_cluster"},
	{Name: "DESIRED_PRIMARIES", Type: ResultInt, Prop: "Desired_primaries"},
	{Name: "FAILBACK", Type: ResultBoolean, Prop: "Failback"},
	{Name: "GLOBAL_RESOURCES_USED", Type: ResultStringArray, Prop: "Global_resources_used"},
	{Name: "IMPLICIT_NETWORK_DEPENDENCIES", Type: ResultBoolean, Prop: "Implicit_network_dependencies"},
	{Name: "LOAD_FACTORS", Type: ResultStringArray, Prop: "Load_factors"},
	{Name: "MAXIMUM_PRIMARIES", Type: ResultInt, Prop: "Maximum_primaries"},
	{Name: "NODELIST", Type: ResultStringArray, Prop: "Nodelist"},
	{Name: "PATHPREFIX", Type: ResultString, Prop: "Pathprefix"},
	{Name: "PINGPONG_INTERVAL", Type: ResultInt, Prop: "Pingpong_interval"},
	// PREEMPTION_MODE: not in the reference; named as the property is
	// (Has_cost, No_cost or Never), a string so that the C API needs no
	// enum of its own.
	{Name: "PREEMPTION_MODE", Type: ResultString, Prop: "Preemption_mode"},
	{Name: "PRIORITY", Type: ResultInt, Prop: "Priority"},
	{Name: "RESOURCE_LIST", Type: ResultStringArray},
	{Name: "RG_AFFINITIES", Type: ResultStringArray, Prop: "RG_affinities"},
	{Name: "RG_DEPENDENCIES", Type: ResultStringArray, Prop: "RG_dependencies"},
	{Name: "RG_DESCRIPTION", Type: ResultString, Prop: "RG_description"},
	{Name: "RG_IS_FROZEN", Type: ResultBoolean, Prop: "RG_is_frozen"},
	{Name: "RG_MODE", Type: ResultEnum, Prop: "RG_mode"},
	{Name: "RG_PROJECT_NAME", Type: ResultString, Prop: "RG_project_name"},
	{Name: "RG_SLM_CPU_SHARES", Type: ResultInt, Prop: "RG_slm_cpu_shares"},
	{Name: "RG_SLM_PSET_MIN", Type: ResultInt, Prop: "RG_slm_pset_min"},
	{Name: "RG_SLM_PSET_TYPE", Type: ResultString, Prop: "RG_slm_pset_type"},
	{Name: "RG_SLM_TYPE", Type: ResultString, Prop: "RG_slm_type"},
	{Name: "RG_STATE", Type: ResultEnum},
	{Name: "RG_STATE_NODE", Type: ResultEnum, Operands: 1},
	{Name: "RG_SYSTEM", Type: ResultBoolean, Prop: "RG_system"},
	{Name: "SUSPEND_AUTOMATIC_RECOVERY", Type: ResultBoolean, Prop: "Suspend_automatic_recovery"},
	// TARGET_NODES: the nodes the group is wanted online on.
	{Name: "TARGET_NODES", Type: ResultStringArray},
}

// clusterTags are scha_cluster_get's optags; every value is computed.
var clusterTags = [...]Tag{
	{Name: "ALL_LOADLIMITS", Type: ResultStringArray},
	{Name: "ALL_NODEIDS", Type: ResultUintArray},
	{Name: "ALL_NODENAMES", Type: ResultStringArray},
	{Name: "ALL_NONGLOBAL_ZONES", Type: ResultStringArray},
	{Name: "ALL_NONGLOBAL_ZONES_NODEID", Type: ResultStringArray, Operands: 1},
	{Name: "ALL_PRIVATELINK_HOSTNAMES", Type: ResultStringArray},
	{Name: "ALL_PSTRINGS", Type: ResultStringArray},
	{Name: "ALL_RESOURCEGROUPS", Type: ResultStringArray},
	{Name: "ALL_RESOURCETYPES", Type: ResultStringArray},
	{Name: "ALL_ZONES", Type: ResultStringArray},
	{Name: "ALL_ZONES_NODEID", Type: ResultStringArray, Operands: 1},
	{Name: "CLUSTERNAME", Type: ResultString},
	{Name: "HARD_LOADLIMIT", Type: ResultStringArray, Operands: 1},
	{Name: "LOADLIMIT_PROPS", Type: ResultStringArray, Operands: 1},
	{Name: "NODEID_LOCAL", Type: ResultUint},
	{Name: "NODEID_NODENAME", Type: ResultUint, Operands: 1},
	{Name: "NODENAME_LOCAL", Type: ResultString},
	{Name: "NODENAME_NODEID", Type: ResultString, Operands: 1},
	{Name: "NODESTATE_LOCAL", Type: ResultEnum},
	{Name: "NODESTATE_NODE", Type: ResultEnum, Operands: 1},
	{Name: "PRIVATELINK_HOSTNAME_LOCAL", Type: ResultString},
	{Name: "PRIVATELINK_HOSTNAME_NODE", Type: ResultString, Operands: 1},
	{Name: "RESOURCE_SECURITY", Type: ResultString},
	{Name: "RG_FAILOVER_TIMEOUT", Type: ResultInt},
	{Name: "SOFT_LOADLIMIT", Type: ResultStringArray, Operands: 1},
	{Name: "SYSLOG_FACILITY", Type: ResultInt},
	{Name: "ZONE_LOCAL", Type: ResultString},
}

func find(tags []Tag, optag string) (*Tag, bool) {
	for i := range tags {
		if strings.EqualFold(tags[i].Name, optag) {
			return &tags[i], true
		}
	}
	return nil, false
}

// LookupTag finds optag, in any case, among the optags of kind
// (KindResource, KindResourceType, KindResourceGroup or KindCluster). The
// result points into a shared table and must not be modified.
// scha_resource_get accepts the resource-type optags too, except
// RESOURCE_LIST.
func LookupTag(kind, optag string) (*Tag, bool) {
	switch kind {
	case KindResource:
		if t, ok := find(resourceTags[:], optag); ok {
			return t, true
		}
		if t, ok := find(rtTags[:], optag); ok && t.Prop != "" {
			return t, true
		}
	case KindResourceType:
		return find(rtTags[:], optag)
	case KindResourceGroup:
		return find(rgTags[:], optag)
	case KindCluster:
		return find(clusterTags[:], optag)
	}
	return nil, false
}

// Tags returns every optag of kind, for tests and documentation checks.
// The slice is freshly allocated.
func Tags(kind string) []Tag {
	var out []Tag
	switch kind {
	case KindResource:
		out = append(out, resourceTags[:]...)
		for _, t := range rtTags {
			if t.Prop != "" {
				out = append(out, t)
			}
		}
	case KindResourceType:
		out = append(out, rtTags[:]...)
	case KindResourceGroup:
		out = append(out, rgTags[:]...)
	case KindCluster:
		out = append(out, clusterTags[:]...)
	}
	return out
}

// scha_control tags (scha_control(1HA)), in the reference's order.
const (
	ControlGiveover            = "GIVEOVER"
	ControlRestart             = "RESTART"
	ControlResourceRestart     = "RESOURCE_RESTART"
	ControlResourceIsRestarted = "RESOURCE_IS_RESTARTED"
	ControlCheckGiveover       = "CHECK_GIVEOVER"
	ControlCheckRestart        = "CHECK_RESTART"
	ControlIgnoreFailedStart   = "IGNORE_FAILED_START"
	ControlChangeStateOnline   = "CHANGE_STATE_ONLINE"
	ControlChangeStateOffline  = "CHANGE_STATE_OFFLINE"
	ControlResourceDisable     = "RESOURCE_DISABLE"
)

var controlTags = [...]string{
	ControlGiveover, ControlRestart, ControlResourceRestart, ControlResourceIsRestarted,
	ControlCheckGiveover, ControlCheckRestart, ControlIgnoreFailedStart,
	ControlChangeStateOnline, ControlChangeStateOffline, ControlResourceDisable,
}

func fold(list []string, s string) (string, bool) {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return v, true
		}
	}
	return "", false
}

// LookupControlTag returns the canonical spelling of a scha_control tag
// given in any case.
func LookupControlTag(tag string) (string, bool) { return fold(controlTags[:], tag) }

// ControlTags returns every scha_control tag.
func ControlTags() []string { return append([]string(nil), controlTags[:]...) }

// Resource statuses: the keywords of scha_resource_setstatus -s and the
// first line of STATUS output. OK is the healthy keyword (the C enum is
// SCHA_RSSTATUS_OK), in the order of scha_rsstatus_t.
const (
	StatusOK       = "OK"
	StatusOffline  = "OFFLINE"
	StatusFaulted  = "FAULTED"
	StatusDegraded = "DEGRADED"
	StatusUnknown  = "UNKNOWN"
)

var statuses = [...]string{StatusOK, StatusOffline, StatusFaulted, StatusDegraded, StatusUnknown}

// LookupStatus returns the canonical spelling of a resource status keyword
// given in any case. Solaris documents the keywords in upper case; taking
// any case costs nothing and a script that worked there still works.
func LookupStatus(s string) (string, bool) { return fold(statuses[:], s) }

// Statuses returns every status keyword in scha_rsstatus_t order.
func Statuses() []string { return append([]string(nil), statuses[:]...) }

// Resource states (Resource_state, per node), in scha_rsstate_t order.
const (
	RStateOnline             = "ONLINE"
	RStateOffline            = "OFFLINE"
	RStateStartFailed        = "START_FAILED"
	RStateStopFailed         = "STOP_FAILED"
	RStateMonitorFailed      = "MONITOR_FAILED"
	RStateOnlineNotMonitored = "ONLINE_NOT_MONITORED"
	RStateStarting           = "STARTING"
	RStateStopping           = "STOPPING"
	RStateDetached           = "DETACHED"
)

// Resource group states (RG_state, per node), in scha_rgstate_t order.
const (
	RGStateUnmanaged            = "UNMANAGED"
	RGStateOnline               = "ONLINE"
	RGStateOffline              = "OFFLINE"
	RGStatePendingOnline        = "PENDING_ONLINE"
	RGStatePendingOffline       = "PENDING_OFFLINE"
	RGStateErrorStopFailed      = "ERROR_STOP_FAILED"
	RGStateOnlineFaulted        = "ONLINE_FAULTED"
	RGStatePendingOnlineBlocked = "PENDING_ONLINE_BLOCKED"
)

// On_off_switch and Monitored_switch values.
const (
	SwitchEnabled  = "ENABLED"
	SwitchDisabled = "DISABLED"
)

// Node states (NODESTATE_*).
const (
	NodeUp   = "UP"
	NodeDown = "DOWN"
)

// RG_mode values; mixed case is how Solaris prints them.
const (
	RGModeFailover = "Failover"
	RGModeScalable = "Scalable"
)

// Failover_mode values.
const (
	FailoverNone        = "NONE"
	FailoverSoft        = "SOFT"
	FailoverHard        = "HARD"
	FailoverRestartOnly = "RESTART_ONLY"
	FailoverLogOnly     = "LOG_ONLY"
)

// Init_nodes values.
const (
	InitNodesRGPrimaries      = "RG_PRIMARIES"
	InitNodesRTInstalledNodes = "RT_INSTALLED_NODES"
)

// Boolean values as the shell prints them.
const (
	True  = "TRUE"
	False = "FALSE"
)

// Extension property types: the type line of EXTENSION output.
const (
	ExtString      = "STRING"
	ExtInt         = "INT"
	ExtBoolean     = "BOOLEAN"
	ExtEnum        = "ENUM"
	ExtStringArray = "STRINGARRAY"
)
