package engine

import (
	"fmt"
	"slices"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// Event is something that happened: an operator request, a method's
// result, rgmd's start.
type Event interface{ event() }

// MethodDone is the result of a Run.
type MethodDone struct {
	Resource, Method string
	OK               bool
	Reason           string // "exited 1", "timed out after 10s; process group killed", ...
	// NotRun says the method never ran because the log refused the
	// transitions that came before it (the engine decided from a view the
	// log had moved past): nothing happened, and the engine, re-synced
	// from the log, decides again.
	NotRun bool
}

// Request is an operator's lifecycle request. Op is one of the Op*
// constants; Group or Resource names the object; Node is switch's target.
type Request struct {
	Op                    string
	Group, Resource, Node string
}

// Started is rgmd's start, after the log is replayed and Sync has seen
// everything. Rebooted says the node booted since rgmd last ran: nothing
// the methods started survived, and Boot methods are due.
type Started struct{ Rebooted bool }

// Updated says properties of these resources changed (rs set, rg set):
// Update runs where they are online.
type Updated struct{ Resources []string }

// Tick only re-plans, after a Sync.
type Tick struct{}

func (MethodDone) event() {}
func (Request) event()    {}
func (Started) event()    {}
func (Updated) event()    {}
func (Tick) event()       {}

// Request operations.
const (
	OpManage    = "manage"
	OpUnmanage  = "unmanage"
	OpOnline    = "online"
	OpOffline   = "offline"
	OpSwitch    = "switch"
	OpRestart   = "restart"
	OpSuspend   = "suspend"
	OpResume    = "resume"
	OpEnable    = "enable"
	OpDisable   = "disable"
	OpMonitor   = "monitor"
	OpUnmonitor = "unmonitor"
	OpClear     = "clear"
)

// Handle applies ev and plans what follows from it.
func (s *State) Handle(ev Event) Output {
	var out Output
	switch e := ev.(type) {
	case MethodDone:
		s.done(e, &out)
	case Request:
		if err := s.request(e, &out); err != nil {
			return Output{Err: err}
		}
	case Control:
		// A refusal may still change state (restarts exhausted fault the
		// resource), so the plan runs either way; a plain refusal has no
		// changes.
		err := s.control(e, &out)
		if err != nil && len(out.Changes) == 0 {
			return Output{Err: err, Notes: out.Notes}
		}
		s.plan(&out)
		out.Err = err
		return out
	case MonitorDied:
		s.monitorDied(e, &out)
	case Started:
		s.started(e, &out)
	case Updated:
		for _, name := range e.Resources {
			if r := s.Resources[name]; r != nil && r.Local && isOnline(r.State) && r.Has(Update) {
				r.needUpdate = true
				s.dirty[r.Group] = true
			}
		}
	case Tick:
	}
	s.plan(&out)
	return out
}

// setRes changes a resource's state on this node, in memory and in the
// output. status "" leaves Status and Status_msg alone.
func (s *State) setRes(out *Output, r *Resource, state, status, msg string) {
	s.setResStatus(out, r, state, status, msg, false)
}

// setResDefault is setRes where status is only a default: it applies
// unless a method or monitor set Status since the resource's state last
// changed (r_properties(5)). Every end of a method-driven transition
// (OFFLINE after the stop methods, START_FAILED, STOP_FAILED) and a
// proxy's CHANGE_STATE_* use it.
func (s *State) setResDefault(out *Output, r *Resource, state, status, msg string) {
	s.setResStatus(out, r, state, status, msg, true)
}

func (s *State) setResStatus(out *Output, r *Resource, state, status, msg string, ifUnset bool) {
	ch := model.StateChange{Resource: r.Name, Node: s.Node, StatusIfUnset: ifUnset && status != ""}
	if state != r.State {
		ch.State = state
		r.State = state
	}
	if status != "" {
		ch.Status = status
		m := msg
		ch.StatusMsg = &m
	}
	if ch.State == "" && ch.Status == "" {
		return
	}
	out.Changes = append(out.Changes, ch)
	s.markResource(r)
}

func (s *State) setDesired(out *Output, g *Group, node, desired string) {
	out.Changes = append(out.Changes, model.StateChange{Group: g.Name, Node: node, Desired: desired})
	if node == s.Node {
		g.Desired = desired
		s.dirty[g.Name] = true
	}
}

// MarkRetry sets Retry on the changes that want a group ONLINE: an
// operator's request or a placement decision, after which the node
// retries the group's START_FAILED resources (model.StateChange.Retry).
func MarkRetry(changes []model.StateChange) {
	for i := range changes {
		if changes[i].Group != "" && changes[i].Desired == model.RGStateOnline {
			changes[i].Retry = true
		}
	}
}

func (s *State) note(out *Output, r *Resource, warn bool, format string, args ...any) {
	n := Note{Warn: warn, Msg: fmt.Sprintf(format, args...)}
	if r != nil {
		n.Resource, n.Group = r.Name, r.Group
	}
	out.Notes = append(out.Notes, n)
}

func (s *State) done(e MethodDone, out *Output) {
	r := s.Resources[e.Resource]
	if r == nil {
		return
	}
	mode := r.mode
	r.running, r.mode = "", ""
	s.markResource(r)
	if e.NotRun {
		r.startStep, r.stopStep, r.monStep = 0, 0, 0
		return
	}
	g := s.Groups[r.Group]
	if !e.OK {
		s.note(out, r, true, "%s of %s failed: %s", e.Method, r.Name, e.Reason)
	}
	switch e.Method {
	case MonitorCheck:
		if e.OK {
			r.checked = true
		} else if g != nil && g.check {
			g.check = false
			for _, rn := range g.Resources {
				if o := s.Resources[rn]; o != nil {
					o.checked = false
				}
			}
			s.setDesired(out, g, s.Node, model.RGStateOffline)
			s.note(out, r, true, "switch of %s onto %s refused: Monitor_check of %s failed", g.Name, s.Node, r.Name)
		}
	case PrenetStart, Start:
		if !e.OK {
			s.startFailed(out, r, g, e.Method, e.Reason)
		} else if e.Method == PrenetStart {
			r.startStep = 1
		} else {
			r.startStep = 2
		}
		r.ignoreFailedStart = false
	case MonitorStart:
		for _, dg := range s.rgDependents[r.Group] {
			s.dirty[dg] = true // they waited for it (startingMonitor)
		}
		switch {
		case e.OK:
			s.setRes(out, r, model.RStateOnline, "", "")
		default:
			s.setRes(out, r, model.RStateMonitorFailed, "", "")
		}
	case MonitorStop, Stop, PostnetStop:
		if !e.OK {
			s.stopFailed(out, r, e.Method, e.Reason)
			return
		}
		switch {
		case e.Method == MonitorStop && mode == "monrestart":
			r.monStep = 1
		case e.Method == MonitorStop && mode == "monitor":
			s.setRes(out, r, model.RStateOnlineNotMonitored, "", "")
		case e.Method == MonitorStop:
			r.stopStep = 1
		case e.Method == Stop:
			r.stopStep = 2
		default:
			r.stopStep = 3
		}
	}
}

// startFailed applies Failover_mode to a failed Prenet_start or Start
// (reference §5.4). NONE, RESTART_ONLY and LOG_ONLY leave the resource
// START_FAILED and the group ONLINE_FAULTED. SOFT and HARD hand the group
// to the next node of its Nodelist: here it goes offline (the failed
// resource still gets its Stop, and stays START_FAILED so the operator
// sees which one failed), and its Desired state moves to that node. With
// no other node the group ends OFFLINE here, its Desired OFFLINE: there is
// nowhere to move it, and starting it again here would only fail again.
// A suspended group (rgmadm rg suspend) is never moved.
func (s *State) startFailed(out *Output, r *Resource, g *Group, method, reason string) {
	r.startStep, r.resRestart = 0, false
	s.setResDefault(out, r, model.RStateStartFailed, "FAULTED", method+" failed: "+reason)
	if g != nil && s.Now != 0 {
		// For Pingpong_interval: this node is no giveover target for a while.
		g.StartFailedAt[s.Node] = s.Now
		out.Changes = append(out.Changes, model.StateChange{Group: g.Name, Node: s.Node, StartFailedAt: s.Now})
	}
	if r.ignoreFailedStart {
		r.ignoreFailedStart = false
		s.note(out, r, true, "%s of %s failed after scha_control IGNORE_FAILED_START: it stays START_FAILED and nothing moves", method, r.Name)
		return
	}
	if g == nil || (r.FailoverMode != "SOFT" && r.FailoverMode != "HARD") {
		return
	}
	if g.Suspended {
		s.note(out, r, true, "Failover_mode %s: automatic recovery of %s is suspended; it stays here ONLINE_FAULTED", r.FailoverMode, g.Name)
		return
	}
	r.keepFailed, r.cleaned = true, false
	s.setDesired(out, g, s.Node, model.RGStateOffline)
	for _, n := range g.Nodelist {
		if n != s.Node && !s.barred(g, n) {
			s.setDesired(out, g, n, model.RGStateOnline)
			s.note(out, r, true, "Failover_mode %s: moving %s from %s to %s", r.FailoverMode, g.Name, s.Node, n)
			return
		}
	}
	s.note(out, r, true, "Failover_mode %s: no other node in the Nodelist of %s can master it; it goes OFFLINE here", r.FailoverMode, g.Name)
}

// stopFailed leaves the resource STOP_FAILED (and its group
// ERROR_STOP_FAILED) until `rgmadm rs clear`. With Failover_mode HARD the
// reference aborts the node; OpenRGM does that only when the operator
// chose it with --stop-failed-action.
func (s *State) stopFailed(out *Output, r *Resource, method, reason string) {
	r.stopStep, r.startStep, r.monStep = 0, 0, 0
	r.needMonRestart, r.resRestart = false, false
	s.setResDefault(out, r, model.RStateStopFailed, "FAULTED", method+" failed: "+reason)
	if r.FailoverMode != "HARD" {
		return
	}
	if s.StopFailedAction == StopFailedExit || s.StopFailedAction == StopFailedReboot || s.StopFailedAction == StopFailedFence {
		out.NodeAction = s.StopFailedAction
		s.note(out, r, true, "Failover_mode HARD: %s of %s failed; --stop-failed-action=%s", method, r.Name, s.StopFailedAction)
		return
	}
	s.note(out, r, true, "Failover_mode HARD: %s of %s failed; the node is left alone (--stop-failed-action=none)", method, r.Name)
}

func (s *State) started(e Started, out *Output) {
	s.begun = true
	for _, gn := range sortedNames(s.Groups) {
		g := s.Groups[gn]
		if !g.Local || g.State == model.RGStateUnmanaged || g.State == "" {
			continue
		}
		s.dirty[gn] = true
		if e.Rebooted && g.Desired == model.RGStateOnline && (!g.AutoStart || g.Suspended) {
			s.setDesired(out, g, s.Node, model.RGStateOffline)
		}
		for _, rn := range g.Resources {
			r := s.Resources[rn]
			if r == nil {
				continue
			}
			if e.Rebooted {
				if r.State != model.RStateOffline {
					s.setRes(out, r, model.RStateOffline, "OFFLINE", "")
				}
				r.needBoot = r.InitHere && r.Has(Boot)
				continue
			}
			switch r.State {
			case model.RStateStarting, model.RStateStopping:
				r.needStop = true
				s.note(out, r, true, "recovery: %s was %s when rgmd stopped; running its stop methods before driving it to its desired state", r.Name, r.State)
			case model.RStateOnline, model.RStateMonitorFailed, model.RStateOnlineNotMonitored:
				if r.Monitored && r.Has(MonitorStart) {
					r.needMonRestart = true
				}
			}
		}
	}
}

func (s *State) request(e Request, out *Output) error {
	if e.Resource != "" {
		return s.resourceRequest(e, out)
	}
	g := s.Groups[e.Group]
	if g == nil {
		return scha.Errorf(scha.ErrRG, "resource group %q does not exist", e.Group)
	}
	managed := g.State != model.RGStateUnmanaged && g.State != ""
	if !g.Local && e.Op != OpSuspend && e.Op != OpResume {
		managed = true // another node's view; its rgmd checks it
		if e.Op == OpManage || e.Op == OpUnmanage {
			managed = !g.allUnmanaged
		}
	}
	if e.Op == OpUnmanage && managed && !g.offlineElsewhere {
		return scha.Errorf(scha.ErrState, "resource group %s is not OFFLINE on every node of its Nodelist; take it offline first (rgmadm rg offline %s --wait)", g.Name, g.Name)
	}
	switch e.Op {
	case OpManage:
		if managed {
			return nil
		}
		for _, n := range g.Nodelist {
			out.Changes = append(out.Changes, model.StateChange{Group: g.Name, Node: n, State: model.RGStateOffline, Desired: model.RGStateOffline})
		}
		g.State, g.Desired = model.RGStateOffline, model.RGStateOffline
		s.dirty[g.Name] = true
		for _, rn := range g.Resources {
			if r := s.Resources[rn]; r != nil && r.InitHere && r.Has(Init) {
				r.needInit = true
			}
		}
	case OpUnmanage:
		if !managed {
			return nil
		}
		if g.Local && (g.Desired == model.RGStateOnline || g.State != model.RGStateOffline) {
			return scha.Errorf(scha.ErrState, "resource group %s is %s on %s; take it offline first (rgmadm rg offline %s --wait)", g.Name, g.State, s.Node, g.Name)
		}
		for _, rn := range g.Resources {
			if r := s.Resources[rn]; g.Local && r != nil && r.State != model.RStateOffline && !(r.State == model.RStateStartFailed && r.cleaned) {
				return scha.Errorf(scha.ErrState, "resource %s is %s on %s; it must be OFFLINE (rgmadm rs clear %s)", r.Name, r.State, s.Node, r.Name)
			}
		}
		for _, n := range g.Nodelist {
			out.Changes = append(out.Changes, model.StateChange{Group: g.Name, Node: n, State: model.RGStateUnmanaged, Desired: model.RGStateOffline})
		}
		g.State, g.Desired = model.RGStateUnmanaged, model.RGStateOffline
		s.dirty[g.Name] = true
		for _, rn := range g.Resources {
			if r := s.Resources[rn]; r != nil {
				if r.State == model.RStateStartFailed {
					s.setRes(out, r, model.RStateOffline, "OFFLINE", "")
				}
				r.cleaned, r.keepFailed = false, false
				if r.InitHere && r.Has(Fini) {
					r.needFini = true
				}
			}
		}
	case OpOnline, OpSwitch, OpRestart:
		if !managed {
			return scha.Errorf(scha.ErrState, "resource group %s is UNMANAGED; manage it first (rgmadm rg manage %s)", g.Name, g.Name)
		}
		target := ""
		if e.Node != "" && !slices.Contains(g.Nodelist, e.Node) {
			return scha.Errorf(scha.ErrNode, "node %q is not in the Nodelist of %s (%s)", e.Node, g.Name, joinOr(g.Nodelist))
		}
		switch {
		case e.Op == OpOnline && e.Node != "" && g.Scalable:
			// rg online -n on a scalable group: add that node.
			s.setDesired(out, g, e.Node, model.RGStateOnline)
		case e.Op == OpOnline && e.Node != "":
			target = e.Node
		case e.Op == OpSwitch:
			if !slices.Contains(g.Nodelist, e.Node) {
				return scha.Errorf(scha.ErrNode, "node %q is not in the Nodelist of %s (%s)", e.Node, g.Name, joinOr(g.Nodelist))
			}
			target = e.Node
		case e.Op == OpRestart:
			if g.Desired != model.RGStateOnline {
				return scha.Errorf(scha.ErrState, "resource group %s is not online on %s; nothing to restart", g.Name, s.Node)
			}
			g.restarting = true
			s.dirty[g.Name] = true
		case g.Local && g.Desired == model.RGStateOnline:
			// Already wanted here: a second online retries what failed.
		case g.Scalable:
			for _, n := range g.Nodelist {
				s.setDesired(out, g, n, model.RGStateOnline)
			}
		case g.Local:
			target = s.Node
		default:
			target = g.Nodelist[0]
		}
		if target != "" && !(g.Scalable && e.Op == OpOnline) {
			for _, n := range g.Nodelist {
				d := model.RGStateOffline
				if n == target {
					d = model.RGStateOnline
				}
				s.setDesired(out, g, n, d)
			}
			if target != s.Node {
				// That node retries its START_FAILED resources (this
				// node retries its own below).
				MarkRetry(out.Changes)
			}
			if target == s.Node && e.Op == OpSwitch && !isGroupOnline(g.State) {
				g.check = true
			}
		}
		for _, rn := range g.Resources {
			if r := s.Resources[rn]; r != nil {
				s.retry(out, r)
			}
		}
	case OpOffline:
		for _, n := range g.Nodelist {
			s.setDesired(out, g, n, model.RGStateOffline)
		}
		for _, rn := range g.Resources {
			if r := s.Resources[rn]; r != nil {
				r.proxyDown = false // a proxy starts afresh next time
			}
		}
		g.restarting, g.check = false, false
	case OpSuspend, OpResume:
		v := "TRUE"
		if e.Op == OpResume {
			v = "FALSE"
		}
		out.Changes = append(out.Changes, model.StateChange{Group: g.Name, Suspend: v})
		g.Suspended = v == "TRUE"
	default:
		return scha.Errorf(scha.ErrInval, "unknown resource group request %q", e.Op)
	}
	return nil
}

// retry lets a START_FAILED resource start again on an operator's request:
// after its cleanup Stop it is simply OFFLINE; otherwise it gets its Stop
// first, since the reference guarantees a Stop between two Starts.
func (s *State) retry(out *Output, r *Resource) {
	if r.State != model.RStateStartFailed || r.running != "" {
		return
	}
	if r.cleaned {
		r.cleaned, r.keepFailed = false, false
		s.setRes(out, r, model.RStateOffline, "OFFLINE", "")
		return
	}
	r.keepFailed = false
	r.needStop = true
	s.markResource(r)
}

func (s *State) resourceRequest(e Request, out *Output) error {
	r := s.Resources[e.Resource]
	if r == nil {
		return scha.Errorf(scha.ErrRsrc, "resource %q does not exist", e.Resource)
	}
	g := s.Groups[r.Group]
	nodes := []string{s.Node}
	if g != nil {
		nodes = g.Nodelist
	}
	if e.Node != "" {
		// rs enable|disable -n: that node's On_off_switch alone.
		if g != nil && !slices.Contains(g.Nodelist, e.Node) {
			return scha.Errorf(scha.ErrNode, "node %q is not in the Nodelist of %s (%s)", e.Node, g.Name, joinOr(g.Nodelist))
		}
		if e.Op != OpEnable && e.Op != OpDisable {
			return scha.Errorf(scha.ErrInval, "-n NODE applies to enable and disable only")
		}
		nodes = []string{e.Node}
		if e.Node != s.Node {
			for _, n := range nodes {
				v := model.SwitchEnabled
				if e.Op == OpDisable {
					v = model.SwitchDisabled
				}
				out.Changes = append(out.Changes, model.StateChange{Resource: r.Name, Node: n, OnOff: v})
			}
			return nil
		}
	}
	sw := func(onoff, mon string) {
		for _, n := range nodes {
			out.Changes = append(out.Changes, model.StateChange{Resource: r.Name, Node: n, OnOff: onoff, Monitored: mon})
		}
		s.markResource(r)
	}
	switch e.Op {
	case OpEnable:
		sw(model.SwitchEnabled, "")
		r.Enabled = true
		s.retry(out, r)
	case OpDisable:
		sw(model.SwitchDisabled, "")
		r.Enabled = false
	case OpMonitor:
		sw("", model.SwitchEnabled)
		r.Monitored = true
		if r.State == model.RStateMonitorFailed && r.Has(MonitorStart) {
			r.needMonRestart = true
		}
	case OpUnmonitor:
		sw("", model.SwitchDisabled)
		r.Monitored = false
	case OpClear:
		switch r.State {
		case model.RStateStopFailed:
			// The operator says the resource is stopped; from here the
			// engine drives it to its desired state like any other.
			s.setRes(out, r, model.RStateOffline, "OFFLINE", "")
			r.stopStep, r.startStep, r.needStop = 0, 0, false
		case model.RStateStartFailed:
			s.retry(out, r)
		default:
			return scha.Errorf(scha.ErrState, "resource %s is %s on %s, not STOP_FAILED or START_FAILED: nothing to clear", r.Name, r.State, s.Node)
		}
	default:
		return scha.Errorf(scha.ErrInval, "unknown resource request %q", e.Op)
	}
	return nil
}

func joinOr(names []string) string {
	if len(names) == 0 {
		return "empty"
	}
	out := names[0]
	for _, n := range names[1:] {
		out += ", " + n
	}
	return out
}
