package main

import (
	"strings"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Object kinds, as the shim passes them; the order is the shim's
// ORGM_KIND_* and indexes kindNames.
const (
	kindResource = iota
	kindResourceType
	kindResourceGroup
	kindCluster
)

var kindNames = [...]string{scha.KindResource, scha.KindResourceType, scha.KindResourceGroup, scha.KindCluster}

// Enum values in the order of scha.h's C enums: a value's index is its C
// number. header_test.go checks each table against scha.h.
var (
	rsStates = []string{
		scha.RStateOnline, scha.RStateOffline, scha.RStateStartFailed, scha.RStateStopFailed,
		scha.RStateMonitorFailed, scha.RStateOnlineNotMonitored, scha.RStateStarting,
		scha.RStateStopping, scha.RStateDetached,
	}
	rgStates = []string{
		scha.RGStateUnmanaged, scha.RGStateOnline, scha.RGStateOffline, scha.RGStatePendingOnline,
		scha.RGStatePendingOffline, scha.RGStateErrorStopFailed, scha.RGStateOnlineFaulted,
		scha.RGStatePendingOnlineBlocked,
	}
	switches      = []string{scha.SwitchDisabled, scha.SwitchEnabled}
	rgModes       = []string{"NONE", scha.RGModeFailover, scha.RGModeScalable}
	failoverModes = []string{scha.FailoverNone, scha.FailoverHard, scha.FailoverSoft, scha.FailoverRestartOnly, scha.FailoverLogOnly}
	initNodes     = []string{scha.InitNodesRGPrimaries, scha.InitNodesRTInstalledNodes}
	nodeStates    = []string{scha.NodeUp, scha.NodeDown}
	// statuses is scha_rsstatus_t; pkg/scha keeps them in that order.
	statuses = scha.Statuses()
	// propTypes is scha_prop_type_t: the type lines of EXTENSION output.
	propTypes = []string{scha.ExtString, scha.ExtInt, scha.ExtBoolean, scha.ExtEnum, scha.ExtStringArray, "UINTARRAY", "UINT"}
)

// enumFor returns the C enum of an enum-typed optag.
func enumFor(optag string) []string {
	switch strings.TrimSuffix(optag, "_NODE") {
	case "RESOURCE_STATE":
		return rsStates
	case "RG_STATE":
		return rgStates
	case "ON_OFF_SWITCH", "MONITORED_SWITCH":
		return switches
	case "RG_MODE":
		return rgModes
	case "FAILOVER_MODE":
		return failoverModes
	case "INIT_NODES":
		return initNodes
	case "NODESTATE_LOCAL", "NODESTATE":
		return nodeStates
	}
	return nil
}

// enumIndex returns v's C number in e, matching in any case.
func enumIndex(e []string, v string) (int, bool) {
	for i, s := range e {
		if strings.EqualFold(s, v) {
			return i, true
		}
	}
	return 0, false
}

// qualifiedPrefix starts the C-only tags RESOURCE_DEPENDENCIES_Q,
// _Q_WEAK, _Q_RESTART and _Q_OFFLINE_RESTART, which answer like
// `scha_resource_get -Q -O RESOURCE_DEPENDENCIES*`: with qualifiers.
const qualifiedPrefix = "RESOURCE_DEPENDENCIES_Q"

// lookupTag resolves a C tag of kind. qualified reports a _Q tag, whose
// dependency qualifiers are kept.
func lookupTag(kind int, tag string) (t *scha.Tag, qualified bool, ok bool) {
	optag := tag
	if kind == kindResource && len(tag) >= len(qualifiedPrefix) && strings.EqualFold(tag[:len(qualifiedPrefix)], qualifiedPrefix) {
		optag, qualified = "RESOURCE_DEPENDENCIES"+tag[len(qualifiedPrefix):], true
	}
	t, ok = scha.LookupTag(kindNames[kind], optag)
	return t, qualified, ok
}

// isDependencyTag reports whether optag lists resource dependencies, whose
// elements may carry a {qualifier}.
func isDependencyTag(optag string) bool { return strings.HasPrefix(optag, "RESOURCE_DEPENDENCIES") }

// uintOperands returns a bit per operand that C passes as a uint_t node id
// rather than a string, as Solaris's scha_cluster_get does.
func uintOperands(optag string) int {
	switch optag {
	case "NODENAME_NODEID", "ALL_ZONES_NODEID", "ALL_NONGLOBAL_ZONES_NODEID":
		return 1
	}
	return 0
}
