package engine

import (
	"slices"
	"strconv"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// Control is a scha_control request of resource Resource (whose group
// must be Group) on this node. Tag is the canonical scha.Control* tag.
type Control struct {
	Tag, Resource, Group string
	// Node, for GIVEOVER and CHECK_GIVEOVER on a cluster, is the target
	// the daemon chose (a node that is up and passed Monitor_check); ""
	// lets the engine take the first node of the Nodelist that
	// Pingpong_interval does not bar.
	Node string
}

// MonitorDied says a fault monitor of Resource that Monitor_start left
// running (a process monitor tag it created) is gone for good.
type MonitorDied struct {
	Resource, Reason string
}

func (Control) event()     {}
func (MonitorDied) event() {}

// ControlWaits reports whether an accepted request of tag is complete
// only once its group settles (the daemon waits for it before answering):
// every tag that runs methods. The checks, IGNORE_FAILED_START and
// RESOURCE_IS_RESTARTED without restart dependents answer at once.
func ControlWaits(tag string) bool {
	switch tag {
	case scha.ControlCheckGiveover, scha.ControlCheckRestart, scha.ControlIgnoreFailedStart:
		return false
	}
	return true
}

// control decides a scha_control request (reference §2, §5.4). The
// checks come in this order, each with its code:
//
//   - the resource must be in the group (SCHA_ERR_RG); IGNORE_FAILED_START
//     needs its Start or Prenet_start running (SCHA_ERR_STATE); the
//     others need the group ONLINE or ONLINE_FAULTED here
//     (SCHA_ERR_STATE), and the restarts and giveovers an online and idle
//     resource (SCHA_ERR_STATE);
//   - CHANGE_STATE_* only for a Proxy type (SCHA_ERR_RT);
//   - Failover_mode LOG_ONLY refuses every restart, giveover and disable,
//     RESTART_ONLY all but RESOURCE_RESTART and RESOURCE_IS_RESTARTED, and
//     Suspend_automatic_recovery the same ones as LOG_ONLY (SCHA_ERR_CHECKS);
//   - under RESTART_ONLY, Retry_count restarts within Retry_interval: a
//     RESOURCE_RESTART or RESOURCE_IS_RESTARTED beyond them is refused
//     (SCHA_ERR_CHECKS) and the resource is taken down and left
//     START_FAILED, its group ONLINE_FAULTED. Under NONE, SOFT and HARD
//     rgmd counts restarts but does not limit them: r_properties(5) leaves
//     it to the monitor to compare NUM_RESOURCE_RESTARTS with Retry_count
//     and ask for GIVEOVER;
//   - GIVEOVER needs a node of the Nodelist other than this one that is
//     not barred by Pingpong_interval (SCHA_ERR_CHECKS).
//
// A refusal that faults the resource returns its error together with the
// changes that do it; Handle plans either way.
func (s *State) control(e Control, out *Output) error {
	r := s.Resources[e.Resource]
	if r == nil {
		return scha.Errorf(scha.ErrRsrc, "resource %q does not exist", e.Resource)
	}
	g := s.Groups[r.Group]
	if g == nil || r.Group != e.Group {
		return scha.Errorf(scha.ErrRG, "resource %s is not in group %s", e.Resource, e.Group)
	}
	if !g.Local {
		return scha.Errorf(scha.ErrState, "scha_control %s: node %s is not in the Nodelist of %s", e.Tag, s.Node, g.Name)
	}
	if e.Tag == scha.ControlIgnoreFailedStart {
		if r.running != Start && r.running != PrenetStart {
			return scha.Errorf(scha.ErrState, "scha_control %s: no Start or Prenet_start of %s runs on %s (it is %s)", e.Tag, r.Name, s.Node, r.State)
		}
		r.ignoreFailedStart = true
		s.note(out, r, true, "scha_control %s: a failure of the running %s of %s will not move %s", e.Tag, r.running, r.Name, g.Name)
		return nil
	}
	if !isGroupOnline(g.State) {
		state := g.State
		if state == "" {
			state = model.RGStateUnmanaged
		}
		return scha.Errorf(scha.ErrState, "scha_control %s: resource group %s is %s on node %s, not ONLINE", e.Tag, g.Name, state, s.Node)
	}
	switch e.Tag {
	case scha.ControlChangeStateOnline, scha.ControlChangeStateOffline:
		return s.changeState(e, r, out)
	}
	if !isOnline(r.State) || r.running != "" || r.needStop {
		return scha.Errorf(scha.ErrState, "scha_control %s: resource %s is %s on %s, busy or not online", e.Tag, r.Name, stateWithRun(r), s.Node)
	}
	if err := s.gate(e.Tag, r, g, out); err != nil {
		return err
	}
	switch e.Tag {
	case scha.ControlResourceRestart, scha.ControlResourceIsRestarted:
		if r.FailoverMode == "RESTART_ONLY" && s.exhausted(r, r.Restarts) {
			return s.outOfRestarts(e.Tag, r, g, out)
		}
		s.recordRestart(out, r)
		if e.Tag == scha.ControlResourceRestart {
			s.restartResource(r)
			s.note(out, r, false, "scha_control %s: restarting %s (%d of Retry_count %d within Retry_interval)", e.Tag, r.Name, s.count(r, r.Restarts), r.RetryCount)
		} else {
			s.bounceRestartDependents(r)
			s.note(out, r, false, "scha_control %s: %s was restarted by its monitor (%d of Retry_count %d within Retry_interval)", e.Tag, r.Name, s.count(r, r.Restarts), r.RetryCount)
		}
	case scha.ControlRestart, scha.ControlCheckRestart:
		// Only NONE, SOFT and HARD get here (gate): Retry_count is the
		// monitor's to apply, with NUM_RG_RESTARTS.
		if e.Tag == scha.ControlCheckRestart {
			return nil
		}
		g.Restarts = append(g.Restarts, s.Now)
		out.Changes = append(out.Changes, model.StateChange{Group: g.Name, Node: s.Node, RestartAt: s.Now})
		s.note(out, r, false, "scha_control %s: restarting group %s for %s", e.Tag, g.Name, r.Name)
		return s.request(Request{Op: OpRestart, Group: g.Name}, out)
	case scha.ControlGiveover, scha.ControlCheckGiveover:
		target, err := e.Node, error(nil)
		if target == "" {
			target, err = s.giveoverTarget(e.Tag, g)
		} else if target == s.Node || !slices.Contains(g.Nodelist, target) {
			err = scha.Errorf(scha.ErrNode, "scha_control %s: %s is not another node of the Nodelist of %s", e.Tag, target, g.Name)
		}
		if err != nil || e.Tag == scha.ControlCheckGiveover {
			return err
		}
		s.giveover(out, r, g, target, "scha_control GIVEOVER")
	case scha.ControlResourceDisable:
		out.Changes = append(out.Changes, model.StateChange{Resource: r.Name, Node: s.Node, OnOff: model.SwitchDisabled})
		r.Enabled = false
		s.markResource(r)
		s.note(out, r, true, "scha_control %s: disabling %s on %s", e.Tag, r.Name, s.Node)
	default:
		return scha.Errorf(scha.ErrTag, "unknown scha_control tag %q", e.Tag)
	}
	return nil
}

func stateWithRun(r *Resource) string {
	if r.running != "" {
		return r.State + " (" + r.running + " running)"
	}
	return r.State
}

// gate applies Failover_mode and Suspend_automatic_recovery (reference
// §2's table). CHANGE_STATE_* and IGNORE_FAILED_START never get here.
func (s *State) gate(tag string, r *Resource, g *Group, out *Output) error {
	resourceLevel := tag == scha.ControlResourceRestart || tag == scha.ControlResourceIsRestarted
	why := ""
	switch {
	case r.FailoverMode == "LOG_ONLY":
		why = "Failover_mode of " + r.Name + " is LOG_ONLY"
	case r.FailoverMode == "RESTART_ONLY" && !resourceLevel:
		why = "Failover_mode of " + r.Name + " is RESTART_ONLY: only RESOURCE_RESTART is allowed"
	case g.Suspended:
		why = "automatic recovery of " + g.Name + " is suspended (rgmadm rg resume)"
	}
	if why == "" {
		return nil
	}
	s.note(out, r, true, "scha_control %s refused: %s", tag, why)
	return scha.Errorf(scha.ErrChecks, "scha_control %s: %s", tag, why)
}

// count is the number of times within r's Retry_interval of Now.
func (s *State) count(r *Resource, times []int64) int {
	n := 0
	for _, t := range times {
		if r.RetryInterval < 0 || t >= s.Now-r.RetryInterval {
			n++
		}
	}
	return n
}

// exhausted: Retry_count restarts have happened within Retry_interval,
// so another would exceed it.
func (s *State) exhausted(r *Resource, times []int64) bool {
	return r.RetryCount >= 0 && s.count(r, times) >= r.RetryCount
}

func (s *State) recordRestart(out *Output, r *Resource) {
	r.Restarts = append(r.Restarts, s.Now)
	out.Changes = append(out.Changes, model.StateChange{Resource: r.Name, Node: s.Node, RestartAt: s.Now})
}

// outOfRestarts handles a RESOURCE_RESTART or RESOURCE_IS_RESTARTED
// beyond Retry_count under Failover_mode RESTART_ONLY, which never moves
// the group: the request is refused and the resource, which its monitor
// found failed, is taken down (its Monitor_stop and Stop run) and left
// START_FAILED with status FAULTED, the group ONLINE_FAULTED: an
// operator's `rgmadm rs clear` or `rg online` starts it again.
func (s *State) outOfRestarts(tag string, r *Resource, g *Group, out *Output) error {
	msg := "restarted " + itoa(s.count(r, r.Restarts)) + " times within Retry_interval; Retry_count is " + itoa(r.RetryCount)
	r.keepFailed, r.cleaned, r.needStop = true, false, true
	r.failMsg = "faulted: " + msg
	s.setRes(out, r, r.State, "FAULTED", r.failMsg)
	s.note(out, r, true, "scha_control %s refused: %s and Failover_mode is RESTART_ONLY; %s is taken down and left START_FAILED", tag, msg, r.Name)
	return scha.Errorf(scha.ErrChecks, "scha_control %s: %s and Failover_mode is RESTART_ONLY, so %s is now faulted (START_FAILED) on %s", tag, msg, r.Name, s.Node)
}

// giveoverTarget is the first node of g's Nodelist, other than this one,
// that Pingpong_interval does not bar: no giveover took g away from it,
// and no start of g failed there, within the interval.
func (s *State) giveoverTarget(tag string, g *Group) (string, error) {
	others := 0
	for _, n := range g.Nodelist {
		if n == s.Node {
			continue
		}
		others++
		if s.barred(g, n) {
			continue
		}
		return n, nil
	}
	if others == 0 {
		return "", scha.Errorf(scha.ErrChecks, "scha_control %s: the Nodelist of %s has no node other than %s", tag, g.Name, s.Node)
	}
	return "", scha.Errorf(scha.ErrChecks, "scha_control %s: every other node of the Nodelist of %s is barred by Pingpong_interval (%d s)", tag, g.Name, g.Pingpong)
}

func (s *State) barred(g *Group, node string) bool {
	recent := func(t int64) bool { return t != 0 && s.Now-t < g.Pingpong }
	return recent(g.GiveoverAt[node]) || recent(g.StartFailedAt[node])
}

// giveover moves g from this node to target, as rgmadm rg switch does,
// and records the time for Pingpong_interval.
func (s *State) giveover(out *Output, r *Resource, g *Group, target, why string) {
	for _, n := range g.Nodelist {
		d := model.RGStateOffline
		if n == target {
			d = model.RGStateOnline
		}
		s.setDesired(out, g, n, d)
	}
	g.GiveoverAt[s.Node] = s.Now
	out.Changes = append(out.Changes, model.StateChange{Group: g.Name, Node: s.Node, GiveoverAt: s.Now})
	s.note(out, r, true, "%s: moving %s from %s to %s", why, g.Name, s.Node, target)
}

// bounceRestartDependents restarts the online dependents of r that have a
// restart or offline-restart dependency on it (reference §7.5).
func (s *State) bounceRestartDependents(r *Resource) {
	for _, dn := range s.dependents[r.Name] {
		dr := s.Resources[dn]
		if dr == nil || !dr.Local || !isOnline(dr.State) {
			continue
		}
		for _, d := range dr.Deps {
			if d.On == r.Name && (d.Kind == Restart || d.Kind == OfflineRestart) {
				s.restartResource(dr)
			}
		}
	}
}

// changeState is CHANGE_STATE_ONLINE / CHANGE_STATE_OFFLINE of a proxy:
// the state changes without a method; offline-restart dependents follow
// it down and back up, restart dependents are restarted when it comes up.
func (s *State) changeState(e Control, r *Resource, out *Output) error {
	if !r.Proxy {
		return scha.Errorf(scha.ErrRT, "scha_control %s: the type %s of %s is not a proxy type (Proxy = TRUE)", e.Tag, r.Type, r.Name)
	}
	if r.running != "" || (r.State != model.RStateOffline && !isOnline(r.State)) {
		return scha.Errorf(scha.ErrState, "scha_control %s: resource %s is %s on %s", e.Tag, r.Name, stateWithRun(r), s.Node)
	}
	if e.Tag == scha.ControlChangeStateOffline {
		r.proxyDown = true
		r.startStep, r.stopStep = 0, 0
		s.setResDefault(out, r, model.RStateOffline, "OFFLINE", "")
		return nil
	}
	r.proxyDown = false
	if isOnline(r.State) {
		return nil
	}
	final := model.RStateOnline
	if !r.Monitored {
		final = model.RStateOnlineNotMonitored
	}
	s.setResDefault(out, r, final, "OK", "")
	s.bounceRestartDependents(r)
	return nil
}

// monitorDied marks an online, monitored resource MONITOR_FAILED when
// its fault monitor is gone for good (reference §7.4): the service may
// still run, but nobody watches it. `rgmadm rs monitor` starts the
// monitor again.
func (s *State) monitorDied(e MonitorDied, out *Output) {
	r := s.Resources[e.Resource]
	if r == nil || r.running != "" || r.needStop || !r.Monitored || r.State != model.RStateOnline {
		return
	}
	s.setRes(out, r, model.RStateMonitorFailed, "", "")
	s.note(out, r, true, "the fault monitor of %s died (%s); it is MONITOR_FAILED until `rgmadm rs monitor %s`", r.Name, e.Reason, r.Name)
}

func itoa(n int) string { return strconv.Itoa(n) }
