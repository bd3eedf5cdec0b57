package engine

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// Events rgmadm simulate asks about.
const (
	SimNodeDown = "node-down" // Node goes down (and is known to have stopped)
	SimNodeUp   = "node-up"   // Node (re)joins
	SimSwitch   = "switch"    // Group switches to Node
	SimFail     = "fail"      // Resource fails where its group is online
)

// SimEvent is what rgmadm simulate asks about.
type SimEvent struct {
	Kind     string // SimNodeDown, SimNodeUp, SimSwitch or SimFail
	Node     string // node-down, node-up; switch's target
	Group    string // switch
	Resource string // fail
}

// SimStep is one method a simulation ran, as every node's engine
// dispatched it.
type SimStep struct {
	Node     string `json:"node"`
	Group    string `json:"group"`
	Resource string `json:"resource"`
	Method   string `json:"method"`
	Round    int    `json:"round"` // steps of one node in one round run side by side
}

// SimResult is what would happen.
type SimResult struct {
	// Decision is the placement: the moves, the Desired changes and what
	// stays blocked.
	Decision Decision
	// Steps are the methods the nodes' engines would run, in order, until
	// everything settles, every method succeeding.
	Steps []SimStep
	// Notes are what else the engines would say, and what the failure of a
	// resource does, for people.
	Notes []string
	// Config is the configuration once everything settled; the input's
	// is not changed.
	Config *model.Config
}

// maxSimRounds bounds the rounds of a simulation; each round every
// involved node finishes the methods it started in the previous one.
const maxSimRounds = 1000

// Simulate works out what ev would do to the cluster described by in,
// changing nothing: the leader's placement decision (Place, Switch or
// Giveover, exactly as the leader takes it), then each involved node's
// engine (the same State.Handle that rgmd runs) driving its node to the
// new Desired states, every method succeeding, until all settle. A down
// node is taken as known to have stopped (its lease expired or a fence
// agent confirmed it), so that its groups move.
//
// A resource failure (SimFail) is judged as its fault monitor and rgmd
// would: Failover_mode LOG_ONLY only logs; RESTART_ONLY restarts the
// resource in place within Retry_count (the engine's RESOURCE_RESTART);
// NONE, SOFT and HARD restart it in place while fewer than Retry_count
// restarts happened within Retry_interval, and then give the group over
// to another node (Giveover, with Pingpong_interval and +++ delegation).
func Simulate(in PlaceInput, ev SimEvent) (SimResult, error) {
	c := in.Config
	x := in.Index
	if !x.fresh(c) {
		x = NewIndex(c)
	}
	cfg := c.Clone()
	nodes := make(map[string]NodeStatus, len(in.Nodes)+1)
	for n, st := range in.Nodes {
		nodes[n] = st
	}
	res := SimResult{Decision: Decision{Blocked: map[string]string{}}}
	first := map[string][]Event{} // events each node's engine gets before the run-through
	involved := map[string]bool{}
	place := PlaceInput{Config: cfg, Nodes: nodes, Now: in.Now, Index: x, Preempt: in.Preempt}
	var err error
	switch ev.Kind {
	case SimNodeDown, SimNodeUp:
		if !c.HasNode(ev.Node) {
			return res, scha.Errorf(scha.ErrNode, "%s: no node %q in cluster %s", ev.Kind, ev.Node, c.ClusterName)
		}
		if ev.Kind == SimNodeDown {
			if !nodes[ev.Node].Up && !nodes[ev.Node].Fenced {
				res.Notes = append(res.Notes, ev.Node+" is already down")
			}
			place.Groups = x.WantedOn(c, ev.Node)
			nodes[ev.Node] = NodeStatus{}
			if err := markStopped(cfg, x, ev.Node); err != nil {
				return res, err
			}
			res.Decision = Place(place)
			break
		}
		if nodes[ev.Node].Up {
			res.Notes = append(res.Notes, ev.Node+" is already up")
		}
		nodes[ev.Node] = NodeStatus{Up: true}
		if err := markStopped(cfg, x, ev.Node); err != nil {
			return res, err
		}
		place.Groups, place.Joined = x.OnNode(ev.Node), []string{ev.Node}
		res.Decision = Place(place)
		// rgmd starting on the node that rebooted: Boot methods.
		first[ev.Node] = []Event{Started{Rebooted: true}, Tick{}}
		involved[ev.Node] = true
	case SimSwitch:
		res.Decision, err = Switch(place, ev.Group, []string{ev.Node})
		if err != nil {
			return res, err
		}
	case SimFail:
		if err := simFail(&res, place, ev, first, involved); err != nil {
			return res, err
		}
	default:
		return res, scha.Errorf(scha.ErrInval, "unknown event %q (node-down, node-up, switch, fail)", ev.Kind)
	}
	if err := settle(&res, cfg, x, in.Now, res.Decision, nodes, first, involved); err != nil {
		return res, err
	}
	// With preemption, once the groups preempted stopped, the leader
	// places the groups that waited for their room (and the preempted
	// ones where there is room): as many turns as it takes, a few.
	for turn, last := 0, res.Decision; turn < 3 && len(last.Preempted) > 0; turn++ {
		place.Groups, place.Joined = []string{}, nil
		last = Place(place)
		for g := range res.Decision.Blocked {
			if _, still := last.Blocked[g]; !still {
				delete(res.Decision.Blocked, g)
			}
		}
		maps.Copy(res.Decision.Blocked, last.Blocked)
		res.Decision.Changes = append(res.Decision.Changes, last.Changes...)
		res.Decision.Moves = append(res.Decision.Moves, last.Moves...)
		res.Decision.Preempted = append(res.Decision.Preempted, last.Preempted...)
		if err := settle(&res, cfg, x, in.Now, last, nodes, map[string][]Event{}, map[string]bool{}); err != nil {
			return res, err
		}
	}
	res.Config = cfg
	return res, nil
}

// settle records dec in cfg and drives the nodes' engines until
// everything settled, adding their steps and notes to res.
func settle(res *SimResult, cfg *model.Config, x *Index, now int64, dec Decision, nodes map[string]NodeStatus, first map[string][]Event, involved map[string]bool) error {
	if err := cfg.ApplyStates(dec.Changes); err != nil {
		return err
	}
	if err := cfg.SetPreempt(dec.Preempted); err != nil {
		return err
	}
	for _, ch := range dec.Changes {
		if nodes[ch.Node].Up {
			involved[ch.Node] = true
		}
	}
	// A failover group moving onto a node runs its Monitor_check there
	// first, as rg switch does: the engine's switch request on the target.
	for _, m := range dec.Moves {
		if gi := x.groups[m.Group]; gi != nil && !gi.scalable && m.From != "" && m.To != "" {
			first[m.To] = append(first[m.To], Request{Op: OpSwitch, Group: m.Group, Node: m.To})
		}
	}
	round := 0
	if k := len(res.Steps); k > 0 {
		round = res.Steps[k-1].Round + 1
	}
	steps, notes := runThrough(cfg, now, slices.Sorted(maps.Keys(involved)), first, res.Notes)
	for _, st := range steps {
		st.Round += round
		res.Steps = append(res.Steps, st)
	}
	res.Notes = notes
	return nil
}

// markStopped records node's groups and resources as stopped there: what
// the leader does once a lost node is known stopped, and what a node
// that rejoins after a reboot finds.
func markStopped(cfg *model.Config, x *Index, node string) error {
	var ch []model.StateChange
	managed := map[string]bool{}
	for _, g := range x.OnNode(node) {
		st := cfg.Groups[g].Nodes[node]
		if st == nil || st.State == model.RGStateUnmanaged || st.State == "" {
			continue
		}
		managed[g] = true
		if st.State != model.RGStateOffline {
			ch = append(ch, model.StateChange{Group: g, Node: node, State: model.RGStateOffline})
		}
	}
	for _, r := range cfg.Resources {
		if st := r.Nodes[node]; managed[r.Group] && st != nil && st.State != model.RStateOffline {
			ch = append(ch, model.StateChange{Resource: r.Name, Node: node, State: model.RStateOffline, Status: "OFFLINE"})
		}
	}
	return cfg.ApplyStates(ch)
}

// simFail decides what a failure of ev.Resource does (see Simulate).
func simFail(res *SimResult, place PlaceInput, ev SimEvent, first map[string][]Event, involved map[string]bool) error {
	cfg := place.Config
	r, err := cfg.Resource(ev.Resource)
	if err != nil {
		return err
	}
	p := newPlacer(place)
	node := ""
	for _, n := range p.wanted(r.Group) {
		if place.Nodes[n].Up {
			node = n
			break
		}
	}
	if node == "" {
		return scha.Errorf(scha.ErrState, "fail %s: its group %s is not online on any up node", r.Name, r.Group)
	}
	mode := r.Props["Failover_mode"]
	say := func(format string, args ...any) {
		res.Notes = append(res.Notes, fmt.Sprintf(format, args...))
	}
	restart := func() {
		first[node] = []Event{Control{Tag: scha.ControlResourceRestart, Resource: r.Name, Group: r.Group}}
		involved[node] = true
	}
	if cfg.Groups[r.Group].Props["Suspend_automatic_recovery"] == "TRUE" && mode != "RESTART_ONLY" {
		say("%s fails on %s: the automatic recovery of %s is suspended; nothing is done", r.Name, node, r.Group)
		return nil
	}
	switch mode {
	case "LOG_ONLY":
		say("%s fails on %s: Failover_mode is LOG_ONLY: rgmd only logs it; nothing runs", r.Name, node)
		return nil
	case "RESTART_ONLY":
		say("%s fails on %s: Failover_mode is RESTART_ONLY: its monitor restarts it in place (scha_control RESOURCE_RESTART), within Retry_count", r.Name, node)
		restart()
		return nil
	}
	count, limit, interval := 0, -1, int64(-1)
	if v, err := strconv.Atoi(r.Props["Retry_count"]); err == nil {
		limit = v
	}
	if v, err := strconv.ParseInt(r.Props["Retry_interval"], 10, 64); err == nil {
		interval = v
	}
	if st := r.Nodes[node]; st != nil {
		for _, t := range st.Restarts {
			if interval < 0 || t >= place.Now-interval {
				count++
			}
		}
	}
	if limit < 0 || count < limit {
		say("%s fails on %s: Failover_mode %s: its monitor restarts it in place (restart %d of Retry_count %s within Retry_interval)", r.Name, node, mode, count+1, orNone(limit))
		restart()
		return nil
	}
	say("%s fails on %s: Failover_mode %s and %d restarts within Retry_interval (Retry_count %d): its monitor asks for GIVEOVER", r.Name, node, mode, count, limit)
	d, err := Giveover(place, r.Group, node)
	if err != nil {
		say("giveover refused: %s; %s stays on %s and its monitor keeps probing", scha.DetailOf(err), r.Group, node)
		return nil
	}
	res.Decision = d
	return nil
}

func orNone(n int) string {
	if n < 0 {
		return "unlimited"
	}
	return strconv.Itoa(n)
}

// runThrough drives the engines of nodes over cfg (changing it) until no
// method runs and nothing changes, every method succeeding: each round,
// each node finishes the methods it started in the previous one (first
// gets the events of round 0), and every node then sees what the others
// recorded.
func runThrough(cfg *model.Config, now int64, nodes []string, first map[string][]Event, notes []string) ([]SimStep, []string) {
	states := make(map[string]*State, len(nodes))
	for _, n := range nodes {
		s := New(n)
		s.Now = now
		s.Sync(cfg, nil)
		states[n] = s
	}
	groupOf := func(ch model.StateChange) string {
		if ch.Group != "" {
			return ch.Group
		}
		if r := cfg.Resources[ch.Resource]; r != nil {
			return r.Group
		}
		return ""
	}
	var steps []SimStep
	inflight := map[string][]Run{}
	for round := 0; round < maxSimRounds; round++ {
		progress := false
		touched := map[string]bool{}
		for _, n := range nodes {
			s := states[n]
			var evs []Event
			if round == 0 {
				evs = first[n]
			}
			for _, r := range inflight[n] {
				evs = append(evs, MethodDone{Resource: r.Resource, Method: r.Method, OK: true})
			}
			inflight[n] = nil
			evs = append(evs, Tick{})
			// Requests are taken together, then planned once: a switch's
			// Monitor_check must come before any plan sees the group
			// wanted here.
			var reqs Output
			for len(evs) > 1 {
				r, ok := evs[0].(Request)
				if !ok {
					break
				}
				if err := s.request(r, &reqs); err != nil {
					notes = append(notes, n+": "+scha.DetailOf(err))
				}
				evs = evs[1:]
			}
			for i, ev := range evs {
				out := s.Handle(ev)
				if i == 0 {
					out.Changes = append(reqs.Changes, out.Changes...)
					out.Runs = append(reqs.Runs, out.Runs...)
				}
				if out.Err != nil {
					notes = append(notes, n+": "+scha.DetailOf(out.Err))
				}
				if err := cfg.ApplyStates(out.Changes); err != nil {
					notes = append(notes, n+": "+err.Error())
				}
				for _, ch := range out.Changes {
					if g := groupOf(ch); g != "" {
						touched[g] = true
					}
				}
				for _, r := range out.Runs {
					steps = append(steps, SimStep{Node: n, Group: r.Group, Resource: r.Resource, Method: r.Method, Round: round})
					inflight[n] = append(inflight[n], r)
				}
				for _, note := range out.Notes {
					notes = append(notes, n+": "+note.Msg)
				}
				progress = progress || len(out.Changes) > 0 || len(out.Runs) > 0
			}
		}
		if !progress {
			break
		}
		names := slices.Sorted(maps.Keys(touched))
		for _, n := range nodes {
			states[n].Sync(cfg, names)
		}
	}
	return steps, notes
}
