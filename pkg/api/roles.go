package api

import (
	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

// operatorOps are the changes the operator role may make: running groups
// and resources, not configuring them. Ops not listed here and not reads
// need the admin role, so an op added later is admin-only until it is
// put here on purpose.
var operatorOps = map[string]bool{
	wire.OpRGOnline:    true,
	wire.OpRGOffline:   true,
	wire.OpRGSwitch:    true,
	wire.OpRGRestart:   true,
	wire.OpRSEnable:    true,
	wire.OpRSDisable:   true,
	wire.OpRSMonitor:   true,
	wire.OpRSUnmonitor: true,
	wire.OpRSClear:     true,
	wire.OpRGRemaster:  true, // a switch back to the preferred node
	wire.OpNodeEvac:    true,
}

// viewerOps are reads besides wire.IsRead's: waiting for groups to
// settle changes nothing.
var viewerOps = map[string]bool{
	wire.OpRGWait: true,
}

// localOps are never served remotely, whatever the role: the process
// monitor's requests start, signal and change processes as rgmd's user
// on behalf of a callback on the node.
var localOps = map[string]bool{
	wire.OpPMFStart:  true,
	wire.OpPMFStop:   true,
	wire.OpPMFModify: true,
}

// noRole is the role no certificate has: what a local-only op needs.
const noRole trust.Role = "local"

// RoleFor returns the least role that may call op remotely.
func RoleFor(op string) trust.Role {
	switch {
	case localOps[op]:
		return noRole
	case wire.IsRead(op) || viewerOps[op]:
		return trust.RoleViewer
	case operatorOps[op]:
		return trust.RoleOperator
	}
	return trust.RoleAdmin
}

// rank orders the roles; an unknown role ranks below viewer.
func rank(r trust.Role) int {
	switch r {
	case trust.RoleViewer:
		return 1
	case trust.RoleOperator:
		return 2
	case trust.RoleAdmin:
		return 3
	case noRole:
		return 4
	}
	return 0
}

// Allowed reports whether role may call op.
func Allowed(role trust.Role, op string) bool {
	return rank(role) >= rank(RoleFor(op))
}
