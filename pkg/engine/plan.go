package engine

import (
	"github.com/openrgm/openrgm/pkg/model"
)

// status is how a resource stands after a plan step.
type status int

const (
	settled    status = iota // consistent with what is wanted; nothing to do
	busy                     // a method runs, or it waits for something in progress
	blocked                  // waits for something that will not happen without the operator
	faulted                  // START_FAILED or MONITOR_FAILED, where it was wanted online
	stopFailed               // STOP_FAILED
)

// maxRounds bounds re-planning within one Handle; each round only follows
// changes the previous one made, so a handful is the norm.
const maxRounds = 64

func (s *State) plan(out *Output) {
	for round := 0; len(s.dirty) > 0 && round < maxRounds; round++ {
		names := sortedNames(s.dirty)
		s.dirty = map[string]bool{}
		for _, name := range names {
			s.targetMemo, s.comingMemo = map[string]bool{}, map[string]bool{}
			s.planGroup(name, out)
		}
	}
}

func (s *State) planGroup(name string, out *Output) {
	g := s.Groups[name]
	if g == nil || !g.Local {
		return
	}
	if g.wanted {
		// A resource whose cleanup Stop still runs is retried once it
		// ends (the group is planned again then).
		g.wanted = false
		for _, rn := range g.Resources {
			if r := s.Resources[rn]; r != nil && r.State == model.RStateStartFailed && r.running != "" {
				g.wanted = true
			} else if r != nil {
				s.retry(out, r)
			}
		}
	}
	if g.check {
		pending := false
		for _, rn := range g.Resources {
			if r := s.Resources[rn]; r != nil && r.Enabled && r.Has(MonitorCheck) && !r.checked {
				pending = true
			}
		}
		if !pending {
			g.check = false
			for _, rn := range g.Resources {
				if r := s.Resources[rn]; r != nil {
					r.checked = false
				}
			}
		}
	}
	var anyBusy, anyBlocked, anyFaulted, anyStopFailed, anyRunning, allDown bool
	allDown = true
	for _, rn := range g.Resources {
		r := s.Resources[rn]
		if r == nil {
			continue
		}
		st := s.step(g, r, out)
		switch st {
		case busy:
			anyBusy = true
		case blocked:
			anyBlocked = true
		case faulted:
			anyFaulted = true
		case stopFailed:
			anyStopFailed = true
		}
		if r.running != "" {
			anyRunning = true
		}
		if r.running != "" || (r.State != model.RStateOffline && !(r.State == model.RStateStartFailed && r.cleaned)) {
			allDown = false
		}
	}
	if g.restarting && allDown && !anyStopFailed {
		g.restarting = false
		s.dirty[g.Name] = true
		anyBusy = true
	}
	if g.restarting && anyStopFailed && !anyBusy && !anyRunning {
		// A stop method failed: the restart ends here, the group
		// ERROR_STOP_FAILED until rgmadm rs clear.
		g.restarting = false
		s.dirty[g.Name] = true
		anyBusy = true
	}
	g.settled = !anyBusy && !anyRunning
	if g.State == model.RGStateUnmanaged || g.State == "" {
		return
	}
	next := model.RGStateOffline
	switch {
	case anyStopFailed:
		next = model.RGStateErrorStopFailed
	case anyBusy || g.check || g.restarting:
		next = model.RGStatePendingOffline
		if g.Desired == model.RGStateOnline && !g.restarting {
			next = model.RGStatePendingOnline
		}
	case g.Desired == model.RGStateOnline && anyFaulted:
		next = model.RGStateOnlineFaulted
	case g.Desired == model.RGStateOnline && anyBlocked:
		next = model.RGStatePendingOnlineBlocked
	case g.Desired == model.RGStateOnline:
		next = model.RGStateOnline
	}
	if next != g.State {
		g.State = next
		out.Changes = append(out.Changes, model.StateChange{Group: g.Name, Node: s.Node, State: next})
		for _, dg := range s.rgDependents[g.Name] {
			s.dirty[dg] = true
		}
		for _, dg := range g.Deps {
			s.dirty[dg] = true
		}
		for _, rn := range g.Resources {
			for _, d := range s.dependents[rn] {
				if dr := s.Resources[d]; dr != nil {
					s.dirty[dr.Group] = true
				}
			}
		}
	}
}

func (s *State) dispatch(out *Output, r *Resource, method, mode string) status {
	m := r.Methods[method]
	r.running, r.mode = method, mode
	out.Runs = append(out.Runs, Run{Resource: r.Name, Group: r.Group, Type: r.Type, Method: method, BaseDir: r.BaseDir, Path: m.Path, Timeout: m.Timeout})
	if mode == "online" || mode == "offline" || mode == "check" {
		return busy
	}
	return settled
}

// step decides the next thing to do for r, and dispatches it.
func (s *State) step(g *Group, r *Resource, out *Output) status {
	if r.running != "" {
		if r.mode == "online" || r.mode == "offline" || r.mode == "check" {
			return busy
		}
		return settled
	}
	// Init, Fini and Boot come before anything else; their failure is
	// only logged (reference §5.4).
	switch {
	case r.needInit:
		r.needInit = false
		if r.Has(Init) {
			return s.dispatch(out, r, Init, "other")
		}
	case r.needFini:
		r.needFini = false
		if r.Has(Fini) {
			return s.dispatch(out, r, Fini, "other")
		}
	case r.needBoot:
		r.needBoot = false
		if r.Has(Boot) {
			s.dispatch(out, r, Boot, "other")
			return busy
		}
	}
	if g.State == model.RGStateUnmanaged || g.State == "" {
		return settled
	}
	if r.State == model.RStateStopFailed {
		return stopFailed
	}
	if g.check {
		if r.Enabled && r.Has(MonitorCheck) && !r.checked {
			return s.dispatch(out, r, MonitorCheck, "check")
		}
		return busy
	}
	if s.target(r) {
		return s.online(g, r, out)
	}
	return s.offline(g, r, out)
}

// target reports whether r should be online on this node now.
func (s *State) target(r *Resource) bool {
	if v, ok := s.targetMemo[r.Name]; ok {
		return v
	}
	s.targetMemo[r.Name] = false // acyclic, but never loop on a bad view
	v := s.computeTarget(r)
	s.targetMemo[r.Name] = v
	return v
}

func (s *State) computeTarget(r *Resource) bool {
	g := s.Groups[r.Group]
	if g == nil || !g.Local || g.State == model.RGStateUnmanaged || g.State == "" {
		return false
	}
	if g.Desired != model.RGStateOnline || g.restarting || g.check || !r.Enabled || r.needStop || r.proxyDown {
		return false
	}
	if r.State == model.RStateStopping {
		return false // a stop sequence runs to its end before anything else
	}
	for _, d := range r.Deps {
		if d.Kind != OfflineRestart {
			continue
		}
		dr := s.Resources[d.On]
		switch {
		case dr == nil:
		case dr.Local && !s.target(dr):
			return false
		case !dr.Local && !dr.OnlineElsewhere:
			return false
		}
	}
	return true
}

// depState says whether the dependee of d is online where d needs it, and
// if not whether it will come online without an operator.
func (s *State) depState(d Dep) (online, coming bool) {
	dr := s.Resources[d.On]
	if dr == nil {
		return false, false
	}
	if dr.Local && isOnline(dr.State) {
		// A dependee is ONLINE as its Start ends, but a dependent waits
		// for its Monitor_start too.
		return dr.running != MonitorStart, dr.running == MonitorStart
	}
	if !d.Local && dr.OnlineElsewhere {
		return true, false
	}
	return false, s.coming(dr)
}

// coming reports whether r, not online now, will come online here without
// an operator's help.
func (s *State) coming(r *Resource) bool {
	if v, ok := s.comingMemo[r.Name]; ok {
		return v
	}
	s.comingMemo[r.Name] = false
	v := s.computeComing(r)
	s.comingMemo[r.Name] = v
	return v
}

func (s *State) computeComing(r *Resource) bool {
	if !r.Local || r.State == model.RStateStopFailed || (r.State == model.RStateStartFailed && !r.needStop) {
		return false
	}
	g := s.Groups[r.Group]
	if g == nil {
		return false
	}
	// needStop resources come back once stopped, if still wanted.
	saved := r.needStop
	r.needStop = false
	delete(s.targetMemo, r.Name)
	want := s.target(r)
	r.needStop = saved
	delete(s.targetMemo, r.Name)
	if !want {
		return false
	}
	if ok, coming := s.rgDeps(g); !ok && !coming {
		return false
	}
	for _, d := range r.Deps {
		if d.Kind == Weak {
			continue
		}
		if online, coming := s.depState(d); !online && !coming {
			return false
		}
	}
	return true
}

// rgDeps checks a group's RG_dependencies: ok when every group it names is
// online (here, or elsewhere for a group that is not on this node);
// otherwise coming says whether they all will be.
func (s *State) rgDeps(g *Group) (ok, coming bool) {
	ok, coming = true, true
	for _, name := range g.Deps {
		dg := s.Groups[name]
		if dg == nil {
			continue
		}
		if (dg.Local && isGroupOnline(dg.State) && !s.startingMonitor(dg)) || (!dg.Local && dg.OnlineElsewhere) {
			continue
		}
		ok = false
		if !dg.Local || dg.Desired != model.RGStateOnline || dg.State == model.RGStateErrorStopFailed ||
			dg.State == model.RGStatePendingOnlineBlocked || dg.State == model.RGStateUnmanaged {
			coming = false
		}
	}
	return ok, coming
}

// startingMonitor reports whether a Monitor_start of g runs: a group that
// depends on g waits for it, as a resource waits for its dependee's.
func (s *State) startingMonitor(g *Group) bool {
	for _, rn := range g.Resources {
		if r := s.Resources[rn]; r != nil && r.running == MonitorStart {
			return true
		}
	}
	return false
}

func (s *State) online(g *Group, r *Resource, out *Output) status {
	switch r.State {
	case model.RStateStartFailed:
		return faulted
	case model.RStateOnline, model.RStateOnlineNotMonitored, model.RStateMonitorFailed:
		return s.keepOnline(r, out)
	}
	// OFFLINE, or STARTING part-way through the sequence.
	if ok, coming := s.rgDeps(g); !ok {
		if coming {
			return busy
		}
		return blocked
	}
	if !g.Scalable && g.ActiveElsewhere {
		return busy // a switch: the other node stops it first
	}
	if r.startStep == 0 {
		if st, ok := s.depsReady(r, r.State == model.RStateStarting, false); !ok {
			return st
		}
		if r.Has(PrenetStart) && !r.skipNet() {
			for _, d := range r.Deps {
				dr := s.Resources[d.On]
				if dr != nil && dr.Group == r.Group && dr.Has(PrenetStart) && dr.startStep < 1 && !isOnline(dr.State) && s.coming(dr) {
					return busy
				}
			}
			s.setStarting(out, r)
			return s.dispatch(out, r, PrenetStart, "online")
		}
		r.startStep = 1
	}
	if r.startStep == 1 {
		// Every Prenet_start of the group runs before any Start: that is
		// the moment the group's network addresses would come up.
		for _, on := range g.Resources {
			o := s.Resources[on]
			if o != nil && o != r && o.Has(PrenetStart) && o.startStep < 1 && !isOnline(o.State) && s.target(o) && s.coming(o) {
				return busy
			}
		}
		if st, ok := s.depsReady(r, r.State == model.RStateStarting, true); !ok {
			return st
		}
		if r.Has(Start) {
			s.setStarting(out, r)
			return s.dispatch(out, r, Start, "online")
		}
		r.startStep = 2
	}
	// Start succeeded: the service is up, and the resource is ONLINE.
	// Monitor_start follows as when monitoring is turned back on ("monitor"
	// mode): the group waits for it to settle, but is ONLINE meanwhile, and
	// a failure makes the resource MONITOR_FAILED. So recording ONLINE
	// need not wait for Monitor_start, nor Monitor_start for the record
	// (Run.Early): the two overlap. A crash in between is recovered either
	// way: ONLINE recorded, the resource is adopted and its monitor
	// restarted; not recorded, it is still STARTING, so it is stopped and
	// started again.
	final := model.RStateOnline
	if !r.Monitored {
		final = model.RStateOnlineNotMonitored
	}
	r.startStep, r.checked, r.resRestart = 0, false, false
	s.setRes(out, r, final, "", "")
	if r.Monitored && r.Has(MonitorStart) {
		s.dispatch(out, r, MonitorStart, "monitor")
		out.Runs[len(out.Runs)-1].Early = true // the Run dispatch just added
	}
	// Restart dependencies: a dependent already online restarts when its
	// dependee (re)starts.
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
	return settled
}

// depsReady checks r's resource dependencies before its next start step.
// A strong (or restart) dependee that will not come online blocks r; if r
// is already STARTING (its Prenet_start ran), it is stopped again. With
// wait, a dependee still on its way holds r back too (before Start; the
// Prenet_start phase only orders Prenet_starts).
func (s *State) depsReady(r *Resource, starting, wait bool) (status, bool) {
	for _, d := range r.Deps {
		online, coming := s.depState(d)
		if online {
			continue
		}
		if coming {
			if !wait {
				continue
			}
			return busy, false
		}
		if d.Kind == Weak {
			continue
		}
		if starting {
			r.needStop = true
			s.dirty[r.Group] = true
			return busy, false
		}
		return blocked, false
	}
	return settled, true
}

func (s *State) setStarting(out *Output, r *Resource) {
	if r.State != model.RStateStarting {
		s.setRes(out, r, model.RStateStarting, "UNKNOWN", "")
	}
}

// keepOnline handles an online resource that stays online: monitor
// switches, a monitor restart after recovery, Update.
func (s *State) keepOnline(r *Resource, out *Output) status {
	st := settled
	if r.State == model.RStateMonitorFailed {
		st = faulted
	}
	switch {
	case r.needMonRestart && r.monStep == 0 && r.Has(MonitorStop):
		s.dispatch(out, r, MonitorStop, "monrestart")
		return st
	case r.needMonRestart:
		r.needMonRestart, r.monStep = false, 0
		if r.Monitored && r.Has(MonitorStart) {
			s.dispatch(out, r, MonitorStart, "monitor")
			return st
		}
	case r.Monitored && r.State == model.RStateOnlineNotMonitored:
		if r.Has(MonitorStart) {
			s.dispatch(out, r, MonitorStart, "monitor")
			return st
		}
		s.setRes(out, r, model.RStateOnline, "", "")
	case !r.Monitored && r.State != model.RStateOnlineNotMonitored:
		if r.State == model.RStateOnline && r.Has(MonitorStop) {
			s.dispatch(out, r, MonitorStop, "monitor")
			return st
		}
		s.setRes(out, r, model.RStateOnlineNotMonitored, "", "")
		return settled
	}
	if r.needUpdate {
		r.needUpdate = false
		if r.Has(Update) {
			s.dispatch(out, r, Update, "other")
		}
	}
	return st
}

func (s *State) offline(g *Group, r *Resource, out *Output) status {
	switch r.State {
	case model.RStateOffline:
		r.needStop, r.startStep, r.stopStep = false, 0, 0
		return settled
	case model.RStateStartFailed:
		if r.cleaned {
			if g.Desired == model.RGStateOnline && !g.restarting {
				return faulted
			}
			return settled
		}
		if r.stopStep == 0 {
			r.stopStep = 1 // no monitor was started
		}
	}
	// Dependents that are leaving too stop first; those staying keep
	// running (a strong dependency only orders the stop).
	for _, dn := range s.dependents[r.Name] {
		d := s.Resources[dn]
		if d == nil || !d.Local || (s.target(d) && d.State != model.RStateStopping) {
			continue
		}
		// A dependent whose Stop is done no longer needs r (its
		// Postnet_stop waits for r's Stop in turn).
		if d.running != "" || isOnline(d.State) || d.State == model.RStateStarting || (d.State == model.RStateStopping && d.stopStep < 2) {
			return busy
		}
		if d.State == model.RStateStopFailed && isOnline(r.State) && r.stopStep == 0 {
			// A dependent that failed to stop may still use r: r stays
			// online. One already on its way (STARTING, or STOPPING
			// part-way) finishes its stop sequence, so that nothing is
			// left STARTING or STOPPING and the group settles.
			return blocked
		}
	}
	// RG_dependencies: groups that depend on this one and are leaving stop
	// first.
	for _, dgn := range s.rgDependents[g.Name] {
		dg := s.Groups[dgn]
		if dg != nil && dg.Local && (dg.Desired != model.RGStateOnline || dg.restarting) &&
			dg.State != model.RGStateOffline && dg.State != model.RGStateUnmanaged && dg.State != model.RGStateErrorStopFailed {
			return busy
		}
	}
	if r.stopStep == 0 {
		monitorMayRun := r.State == model.RStateOnline || r.State == model.RStateMonitorFailed ||
			((r.State == model.RStateStarting || r.State == model.RStateStopping) && r.startStep == 0)
		if monitorMayRun && r.Has(MonitorStop) {
			s.setStopping(out, r)
			return s.dispatch(out, r, MonitorStop, "offline")
		}
		r.stopStep = 1
	}
	if r.stopStep == 1 {
		if r.Has(Stop) {
			s.setStopping(out, r)
			return s.dispatch(out, r, Stop, "offline")
		}
		// No Stop: its step is done now, which others of the group may
		// be waiting for (a Postnet_stop waits for every Stop, a
		// dependee for its dependents to leave ONLINE).
		r.stopStep = 2
		s.setStopping(out, r)
		s.dirty[g.Name] = true
	}
	if r.stopStep == 2 && r.Has(PostnetStop) && !r.skipNet() {
		// Postnet_stop runs after every Stop of the group: that is when its
		// network addresses would go down; and after the Postnet_stop of
		// its dependents.
		for _, dn := range s.dependents[r.Name] {
			if d := s.Resources[dn]; d != nil && d.Group == r.Group && d.State == model.RStateStopping && d.Has(PostnetStop) {
				return busy
			}
		}
		for _, on := range g.Resources {
			o := s.Resources[on]
			if o != nil && o != r && !s.target(o) && o.stopStep < 2 && o.State != model.RStateOffline &&
				o.State != model.RStateStopFailed && !(o.State == model.RStateStartFailed && o.cleaned) {
				return busy
			}
		}
		s.setStopping(out, r)
		return s.dispatch(out, r, PostnetStop, "offline")
	}
	r.stopStep, r.startStep, r.monStep = 0, 0, 0
	r.needStop, r.needMonRestart, r.needUpdate = false, false, false
	if r.keepFailed {
		r.keepFailed, r.cleaned = false, true
		status := ""
		if r.failMsg != "" {
			// Restarts exhausted: the operator must see why the
			// resource is down, unless its Stop said something itself.
			status = "FAULTED"
		}
		s.setResDefault(out, r, model.RStateStartFailed, status, r.failMsg)
		r.failMsg = ""
		return settled
	}
	s.setResDefault(out, r, model.RStateOffline, "OFFLINE", "")
	return settled
}

func (s *State) setStopping(out *Output, r *Resource) {
	if r.State != model.RStateStopping && r.State != model.RStateStartFailed {
		s.setRes(out, r, model.RStateStopping, "", "")
	}
}
