package model

import (
	"slices"
	"strings"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Resource states (per node), as scha_resource_get -O RESOURCE_STATE
// prints them.
const (
	RStateOnline             = "ONLINE"
	RStateOnlineNotMonitored = "ONLINE_NOT_MONITORED"
	RStateMonitorFailed      = "MONITOR_FAILED"
	RStateStarting           = "STARTING"
	RStateStopping           = "STOPPING"
	RStateStartFailed        = "START_FAILED"
	RStateStopFailed         = "STOP_FAILED"
	RStateDetached           = "DETACHED"
)

// Resource group states (per node).
const (
	RGStatePendingOnline        = "PENDING_ONLINE"
	RGStateOnline               = "ONLINE"
	RGStatePendingOffline       = "PENDING_OFFLINE"
	RGStateErrorStopFailed      = "ERROR_STOP_FAILED"
	RGStateOnlineFaulted        = "ONLINE_FAULTED"
	RGStatePendingOnlineBlocked = "PENDING_ONLINE_BLOCKED"
)

// ResourceStates and GroupStates list every state value, for checks.
var (
	ResourceStates = []string{RStateOnline, RStateOffline, RStateStarting, RStateStopping, RStateStartFailed, RStateStopFailed,
		RStateMonitorFailed, RStateOnlineNotMonitored, RStateDetached}
	GroupStates = []string{RGStateUnmanaged, RGStateOffline, RGStatePendingOnline, RGStateOnline, RGStatePendingOffline,
		RGStateErrorStopFailed, RGStateOnlineFaulted, RGStatePendingOnlineBlocked}
)

// StateChange is one per-node change decided by the engine (or asked by
// the operator through it): a group's current or desired state, a
// resource's state, switches, status. Empty fields are left unchanged.
// Exactly one of Group and Resource is set.
type StateChange struct {
	Group     string  `json:"group,omitempty"`
	Resource  string  `json:"resource,omitempty"`
	Node      string  `json:"node,omitempty"`       // empty only for Suspend, which is not per node
	State     string  `json:"state,omitempty"`      // current state
	Desired   string  `json:"desired,omitempty"`    // group: ONLINE or OFFLINE
	OnOff     string  `json:"on_off,omitempty"`     // resource: ENABLED or DISABLED
	Monitored string  `json:"monitored,omitempty"`  // resource: ENABLED or DISABLED
	Status    string  `json:"status,omitempty"`     // resource: OK, ..., OFFLINE
	StatusMsg *string `json:"status_msg,omitempty"` // resource; nil leaves it
	// StatusIfUnset makes Status and StatusMsg a default: they apply only
	// if no scha_resource_setstatus set them since the resource's State
	// last changed (RNode.StatusSet).
	StatusIfUnset bool   `json:"status_if_unset,omitempty"`
	Suspend       string `json:"suspend,omitempty"` // group: TRUE or FALSE (Suspend_automatic_recovery)
	// RestartAt appends a restart time (Unix seconds) to the resource's or
	// group's Restarts on Node (NUM_RESOURCE_RESTARTS, NUM_RG_RESTARTS).
	RestartAt int64 `json:"restart_at,omitempty"`
	// GiveoverAt and StartFailedAt set the group's pingpong times on Node.
	GiveoverAt    int64 `json:"giveover_at,omitempty"`
	StartFailedAt int64 `json:"start_failed_at,omitempty"`
	// Retry, with Desired ONLINE, says an operator's request or the
	// leader's placement wants the group there (RGNode.Asked goes up):
	// that node starts its START_FAILED resources again. A failover after
	// a failed Start does not set it, so that a group whose Start fails
	// everywhere does not go back and forth for ever.
	Retry bool `json:"retry,omitempty"`
}

// MaxRestarts bounds the restart history kept per object and node: the
// counts only look back Retry_interval, and Retry_count is small, so the
// oldest times beyond this many can never matter.
const MaxRestarts = 64

// appendRestart returns a new slice (the old one may be shared with the
// object being replaced) with t appended, keeping the last MaxRestarts.
func appendRestart(old []int64, t int64) []int64 {
	if len(old) >= MaxRestarts {
		old = old[len(old)-MaxRestarts+1:]
	}
	out := make([]int64, 0, len(old)+1)
	return append(append(out, old...), t)
}

// ApplyStates applies a batch of changes. A change naming an object or
// node that no longer exists is skipped rather than refusing the batch:
// the engine decides from a view that a concurrent delete may have
// overtaken, and the rest of the batch is still true. A malformed value
// refuses the whole batch, leaving the configuration unchanged.
func (c *Config) ApplyStates(changes []StateChange) error {
	for _, ch := range changes {
		if err := ch.check(); err != nil {
			return err
		}
	}
	if err := c.checkStarts(changes); err != nil {
		return err
	}
	groups := map[string]*ResourceGroup{}
	resources := map[string]*Resource{}
	for _, ch := range changes {
		if ch.Group != "" {
			g := groups[ch.Group]
			if g == nil {
				old, ok := c.Groups[ch.Group]
				if !ok {
					continue
				}
				cp := *old
				cp.Props = copyMap(old.Props)
				cp.Nodes = make(map[string]*RGNode, len(old.Nodes))
				for n, st := range old.Nodes {
					s := *st
					cp.Nodes[n] = &s
				}
				g = &cp
				groups[ch.Group] = g
			}
			if ch.Suspend != "" {
				g.Props["Suspend_automatic_recovery"] = ch.Suspend
			}
			st, ok := g.Nodes[ch.Node]
			if !ok {
				continue
			}
			if ch.State != "" {
				st.State = ch.State
			}
			if ch.Desired != "" {
				st.Desired = ch.Desired
			}
			if ch.Desired == RGStateOnline {
				g.Preempt = nil // wanted online again: no longer waits (preempt.go)
				if ch.Retry {
					st.Asked++
				}
			}
			if ch.RestartAt != 0 {
				st.Restarts = appendRestart(st.Restarts, ch.RestartAt)
			}
			if ch.GiveoverAt != 0 {
				st.GiveoverAt = ch.GiveoverAt
			}
			if ch.StartFailedAt != 0 {
				st.StartFailedAt = ch.StartFailedAt
			}
			continue
		}
		r := resources[ch.Resource]
		if r == nil {
			old, ok := c.Resources[ch.Resource]
			if !ok {
				continue
			}
			cp := *old
			cp.Nodes = copyNodes(old.Nodes)
			r = &cp
			resources[ch.Resource] = r
		}
		st, ok := r.Nodes[ch.Node]
		if !ok {
			continue
		}
		if ch.State != "" {
			st.State = ch.State
		}
		if ch.OnOff != "" {
			st.OnOff = ch.OnOff
		}
		if ch.Monitored != "" {
			st.Monitored = ch.Monitored
		}
		if !ch.StatusIfUnset || !st.StatusSet {
			if ch.Status != "" {
				st.Status = ch.Status
			}
			if ch.StatusMsg != nil {
				st.StatusMsg = *ch.StatusMsg
			}
		}
		if ch.State != "" {
			// A new state: what a method sets from now on is its own.
			st.StatusSet = false
		}
		if ch.RestartAt != 0 {
			st.Restarts = appendRestart(st.Restarts, ch.RestartAt)
		}
	}
	// State is not configuration: Seq stays, so an agent's open handle
	// does not see SCHA_ERR_SEQID because its resource went online.
	for _, name := range sortedKeys(groups) {
		c.Groups[name] = groups[name]
	}
	for _, name := range sortedKeys(resources) {
		c.Resources[name] = resources[name]
	}
	return nil
}

func (ch StateChange) check() error {
	bad := func(what, v string) error {
		return scha.Errorf(scha.ErrInternal, "state change for %s%s: bad %s %q", ch.Group, ch.Resource, what, v)
	}
	if (ch.Group == "") == (ch.Resource == "") {
		return scha.Errorf(scha.ErrInternal, "state change names neither or both of a group and a resource")
	}
	if ch.Group != "" {
		if ch.State != "" && !slices.Contains(GroupStates, ch.State) {
			return bad("group state", ch.State)
		}
		if ch.Desired != "" && ch.Desired != RGStateOnline && ch.Desired != RGStateOffline {
			return bad("desired state", ch.Desired)
		}
		if ch.Suspend != "" && ch.Suspend != "TRUE" && ch.Suspend != "FALSE" {
			return bad("suspend value", ch.Suspend)
		}
		return nil
	}
	if ch.GiveoverAt != 0 || ch.StartFailedAt != 0 {
		return scha.Errorf(scha.ErrInternal, "state change for resource %s: pingpong times are a group's", ch.Resource)
	}
	if ch.State != "" && !slices.Contains(ResourceStates, ch.State) {
		return bad("resource state", ch.State)
	}
	for _, sw := range []string{ch.OnOff, ch.Monitored} {
		if sw != "" && sw != SwitchEnabled && sw != SwitchDisabled {
			return bad("switch", sw)
		}
	}
	if ch.Status != "" && !slices.Contains(StatusValues, ch.Status) {
		return bad("status", ch.Status)
	}
	if ch.StatusMsg != nil && strings.ContainsAny(*ch.StatusMsg, "\n\r\x00") {
		return bad("status message", *ch.StatusMsg)
	}
	return nil
}

// Clone returns a copy of c that model mutations can change without
// touching c: the object maps are new, the objects shared. It works
// because every mutation replaces an object instead of changing it in
// place. Used to try a change (and Validate it) before proposing it.
func (c *Config) Clone() *Config {
	cp := *c
	cp.Nodes = slices.Clone(c.Nodes)
	cp.Types = make(map[string]*ResourceType, len(c.Types))
	for k, v := range c.Types {
		cp.Types[k] = v
	}
	cp.Groups = make(map[string]*ResourceGroup, len(c.Groups))
	for k, v := range c.Groups {
		cp.Groups[k] = v
	}
	cp.Resources = make(map[string]*Resource, len(c.Resources))
	for k, v := range c.Resources {
		cp.Resources[k] = v
	}
	return &cp
}
