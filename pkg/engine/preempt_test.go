package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
)

// hi is the preemptor of the preemption tests: on n1, which is lost.
func hi(props ...string) pgroup {
	return pgroup{name: "hi", props: p(append([]string{"Load_factors", "cpu@2000", "Priority", "900"}, props...)...), on: []string{"n1"}}
}

// low is a group wanted on node with cpu load, Priority prio and
// Preemption_mode mode.
func low(name, node string, cpu, prio int, mode string, props ...string) pgroup {
	return pgroup{name: name, on: []string{node}, props: p(append([]string{"Nodelist", node, "Load_factors", fmt.Sprintf("cpu@%d", cpu),
		"Priority", fmt.Sprint(prio), "Preemption_mode", mode}, props...)...)}
}

// marks writes d's marks, "group<by@node" sorted as decided.
func marks(d Decision) string {
	var out []string
	for _, m := range d.Preempted {
		out = append(out, fmt.Sprintf("%s<%s@%s", m.Group, m.By, m.Node))
	}
	return strings.Join(out, " ")
}

// commitPlace records d as the leader does (store.CmdPreempt).
func commitPlace(t *testing.T, c *model.Config, d Decision) {
	t.Helper()
	if err := c.ApplyStates(d.Changes); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPreempt(d.Preempted); err != nil {
		t.Fatal(err)
	}
}

func TestPreemptChoice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		limits  map[string]string // nil: cpu@2000 on n2 and n3
		groups  []pgroup
		moves   string // Place's moves after n1 is lost
		marks   string
		blocked string // substring of hi's reason
	}{
		{
			name:   "Never is never preempted",
			groups: []pgroup{hi(), low("a", "n2", 2000, 100, "Never"), low("b", "n3", 2000, 100, "Never")},
			moves:  "", blocked: "no node can host it",
		},
		{
			name:   "lower Priority only",
			groups: []pgroup{hi(), low("a", "n2", 2000, 900, "No_cost"), low("b", "n3", 2000, 950, "No_cost")},
			moves:  "", blocked: "no node can host it",
		},
		{
			name:   "No_cost before Has_cost, even of higher Priority",
			groups: []pgroup{hi(), low("a", "n2", 2000, 100, "Has_cost"), low("b", "n3", 2000, 400, "No_cost")},
			moves:  "b:n3>", marks: "b<hi@n3 hi<@n3", blocked: "it waits for room on n3: preempting b",
		},
		{
			name:   "two No_cost groups before one Has_cost",
			groups: []pgroup{hi(), low("a", "n2", 2000, 100, "Has_cost"), low("b", "n3", 1000, 100, "No_cost"), low("c", "n3", 1000, 100, "No_cost")},
			moves:  "b:n3> c:n3>", marks: "b<hi@n3 c<hi@n3 hi<@n3", blocked: "preempting b and c",
		},
		{
			name:   "Has_cost when nothing else makes room",
			groups: []pgroup{hi(), low("a", "n2", 2000, 100, "Has_cost"), low("b", "n3", 2000, 100, "Never")},
			moves:  "a:n2>", marks: "a<hi@n2 hi<@n2",
		},
		{
			name:   "the fewest groups that make room",
			limits: map[string]string{"n2": "cpu@4000", "n3": "cpu@1000"},
			groups: []pgroup{hi(), low("a", "n2", 1000, 100, "No_cost"), low("b", "n2", 1000, 100, "No_cost"), low("c", "n2", 2000, 200, "No_cost")},
			moves:  "c:n2>", marks: "c<hi@n2 hi<@n2",
		},
		{
			name:   "only what is missing: the free room counts",
			limits: map[string]string{"n2": "cpu@3000", "n3": "cpu@1000"},
			groups: []pgroup{hi(), low("a", "n2", 1000, 100, "No_cost"), low("b", "n2", 1000, 200, "No_cost")},
			moves:  "a:n2>", marks: "a<hi@n2 hi<@n2",
		},
		{
			name: "a group another one follows (++) is not preempted",
			groups: []pgroup{hi(), low("a", "n2", 2000, 100, "No_cost"), low("b", "n3", 2000, 100, "Never"),
				{name: "f", props: p("Nodelist", "n2", "RG_affinities", "++a"), on: []string{"n2"}}},
			moves: "", blocked: "no node can host it",
		},
		{
			name:   "a scalable group is not preempted",
			groups: []pgroup{hi(), low("a", "n2", 2000, 100, "No_cost", "RG_mode", "Scalable", "Maximum_primaries", "1"), low("b", "n3", 2000, 100, "Never")},
			moves:  "", blocked: "no node can host it",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.limits == nil {
				tc.limits = map[string]string{"n2": "cpu@2000", "n3": "cpu@2000"}
			}
			c := lcluster(t, 3, tc.limits, tc.groups...)
			x := NewIndex(c)
			if err := markStopped(c, x, "n1"); err != nil {
				t.Fatal(err)
			}
			d := Place(PlaceInput{Config: c, Nodes: up(3, []string{"n1"}), Now: now, Index: x, Groups: []string{"hi"}, Preempt: true})
			if got := moves(d); got != tc.moves {
				t.Errorf("moves: got %q, want %q", got, tc.moves)
			}
			if got := marks(d); got != tc.marks {
				t.Errorf("marks: got %q, want %q", got, tc.marks)
			}
			if !strings.Contains(d.Blocked["hi"], tc.blocked) {
				t.Errorf("hi blocked: got %q, want %q", d.Blocked["hi"], tc.blocked)
			}
			// Without Preempt, nothing is preempted.
			if d := Place(PlaceInput{Config: c, Nodes: up(3, []string{"n1"}), Now: now, Index: x, Groups: []string{"hi"}}); len(d.Moves) != 0 || len(d.Preempted) != 0 {
				t.Errorf("without Preempt: moves %s", moves(d))
			}
		})
	}
}

// The whole course of a preemption: the victim is taken off, the
// preemptor waits for it to stop and takes its room, the victim waits
// for room and comes back when its other node returns.
func TestPreemptCourse(t *testing.T) {
	c := lcluster(t, 3, map[string]string{"n2": "cpu@2000", "n3": "cpu@2000"},
		hi(), low("a", "n2", 2000, 100, "Has_cost", "Nodelist", "n2,n1"), low("b", "n3", 2000, 100, "Never"),
		pgroup{name: "q", props: p("Nodelist", "n2,n3", "Load_factors", "cpu@500", "Priority", "50")})
	x := NewIndex(c)
	if err := markStopped(c, x, "n1"); err != nil {
		t.Fatal(err)
	}
	nodes := up(3, []string{"n1"})
	place := func(groups ...string) Decision {
		t.Helper()
		d := Place(PlaceInput{Config: c, Nodes: nodes, Now: now, Index: x, Groups: groups, Preempt: true})
		commitPlace(t, c, d)
		assertUnderHard(t, c, d)
		return d
	}
	d := place("hi")
	if moves(d) != "a:n2>" || marks(d) != "a<hi@n2 hi<@n2" {
		t.Fatalf("first turn: moves %q marks %q", moves(d), marks(d))
	}
	// a is still stopping: nothing more is preempted, hi waits.
	d = place("hi")
	if len(d.Moves) != 0 || !strings.Contains(d.Blocked["hi"], "it waits for room on n2: a stopping there") {
		t.Fatalf("while a stops: moves %q blocked %q", moves(d), d.Blocked["hi"])
	}
	if why := d.Blocked["a"]; !strings.Contains(why, "preempted by hi from n2: it waits for room") {
		t.Errorf("a: %q", why)
	}
	if why := Explain(PlaceInput{Config: c, Nodes: nodes, Now: now}, "a", "n2"); !strings.Contains(why, "preempted by hi from n2") {
		t.Errorf("Explain a: %q", why)
	}
	// The room a leaves is hi's: an operator's rg online of q does not
	// take it.
	targets, errs, _ := OnlineTargets(PlaceInput{Config: c, Nodes: nodes, Now: now}, []string{"q"}, "n2")
	if targets["q"] != "" || errs["q"] == nil {
		t.Errorf("q took hi's room: %v %v", targets, errs)
	}
	// a stopped: hi goes to n2; a waits.
	if err := c.ApplyStates([]model.StateChange{{Group: "a", Node: "n2", State: model.RGStateOffline}}); err != nil {
		t.Fatal(err)
	}
	d = place("hi")
	if got := where(t, c, Decision{}); !strings.Contains(got, "a= ") || !strings.Contains(got, "hi=n2") {
		t.Fatalf("after a stopped: %s (moves %q, blocked %v)", got, moves(d), d.Blocked)
	}
	if got := strings.Join(c.Preempted(), ","); got != "a" {
		t.Errorf("marks left: %q", got)
	}
	// n1 comes back: a is placed there, its mark gone.
	nodes = up(3, nil)
	if err := markStopped(c, x, "n1"); err != nil {
		t.Fatal(err)
	}
	d = Place(PlaceInput{Config: c, Nodes: nodes, Now: now, Index: x, Groups: x.OnNode("n1"), Joined: []string{"n1"}, Preempt: true})
	commitPlace(t, c, d)
	if got := moves(d); got != ">n1" && !strings.Contains(got, "a:>n1") {
		t.Errorf("n1 back: moves %q", got)
	}
	if c.Groups["a"].Preempt != nil {
		t.Error("a is still marked once placed")
	}
	if len(d.Moves) > 0 && !strings.Contains(d.Moves[0].Why, "room again (preempted by hi from n2)") {
		t.Errorf("why: %q", d.Moves[0].Why)
	}
}

// rg online without -n preempts too: the victims go, the group waits
// for their room, marked.
func TestOnlineTargetsPreempt(t *testing.T) {
	c := lcluster(t, 2, map[string]string{"n1": "cpu@2000", "n2": "cpu@2000"},
		low("a", "n1", 2000, 100, "No_cost"), low("b", "n2", 2000, 100, "Has_cost"),
		pgroup{name: "hi", props: p("Load_factors", "cpu@2000", "Priority", "900")})
	in := PlaceInput{Config: c, Nodes: up(2, nil), Now: now, Preempt: true}
	targets, errs, pre := OnlineTargets(in, []string{"hi"}, "n2")
	if fmt.Sprint(targets) != "map[hi:n1]" || len(errs) != 0 {
		t.Fatalf("targets %v errs %v", targets, errs)
	}
	if moves(pre) != "a:n1>" || marks(pre) != "a<hi@n1 hi<@n1" || !strings.Contains(pre.Blocked["hi"], "preempting a") {
		t.Fatalf("moves %q marks %q blocked %v", moves(pre), marks(pre), pre.Blocked)
	}
	in.Preempt = false
	if _, errs, _ := OnlineTargets(in, []string{"hi"}, "n2"); errs["hi"] == nil {
		t.Error("without Preempt: not refused")
	}
	// The leader places the waiting group once a stopped.
	commitPlace(t, c, pre)
	if err := c.ApplyStates([]model.StateChange{{Group: "a", Node: "n1", State: model.RGStateOffline}}); err != nil {
		t.Fatal(err)
	}
	d := Place(PlaceInput{Config: c, Nodes: up(2, nil), Now: now, Groups: []string{}, Preempt: true})
	commitPlace(t, c, d)
	if got := where(t, c, d); got != "a= b=n2 hi=n1" {
		t.Errorf("after: %s (moves %q)", got, moves(d))
	}
	// rg offline of a waiting group clears its mark: it stays offline.
	c.ClearPreempt([]string{"a"})
	if d := Place(PlaceInput{Config: c, Nodes: up(2, nil), Now: now, Groups: []string{}, Preempt: true}); len(d.Blocked) != 0 {
		t.Errorf("a cleared: blocked %v", d.Blocked)
	}
}

// Simulate says what a node loss would preempt, and where everything
// ends.
func TestSimulatePreempt(t *testing.T) {
	c := simCluster(t, 3, hi(), low("a", "n2", 2000, 100, "Has_cost"), low("b", "n3", 2000, 100, "Never"))
	for _, n := range []string{"n2", "n3"} {
		if err := c.SetLoadLimits(n, map[string]int64{"cpu": 2000}, nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Simulate(PlaceInput{Config: c, Nodes: up(3, nil), Now: now, Preempt: true}, SimEvent{Kind: SimNodeDown, Node: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := moves(res.Decision); got != "a:n2> hi:n1>n2" {
		t.Errorf("moves %q", got)
	}
	if got := marks(res.Decision); !strings.HasPrefix(got, "a<hi@n2") {
		t.Errorf("marks %q", got)
	}
	if why := res.Decision.Blocked["a"]; !strings.Contains(why, "preempted by hi from n2") || res.Decision.Blocked["hi"] != "" {
		t.Errorf("blocked %v", res.Decision.Blocked)
	}
	if st := res.Config.Groups["hi"].Nodes["n2"].State; st != model.RGStateOnline {
		t.Errorf("hi on n2: %s", st)
	}
	if st := res.Config.Groups["a"].Nodes["n2"].State; st != model.RGStateOffline {
		t.Errorf("a on n2: %s", st)
	}
}

// BenchmarkPreempt is the worst case of a preemption choice: 32 full
// nodes with 12 candidate victims each, every combination weighed on
// every node. Its baseline, in the same run, is the same decision
// without Preempt (the group is only Blocked).
func BenchmarkPreempt(b *testing.B) {
	limits := map[string]string{}
	groups := []pgroup{{name: "hi", props: p("Load_factors", "cpu@3000", "Priority", "900"), on: []string{"n1"}}}
	for i := 2; i <= 32; i++ {
		n := fmt.Sprintf("n%d", i)
		limits[n] = "cpu@12000"
		for j := 0; j < 12; j++ {
			groups = append(groups, low(fmt.Sprintf("g%d-%d", i, j), n, 1000, 100+j, []string{"Has_cost", "No_cost"}[j%2]))
		}
	}
	c := lcluster(b, 32, limits, groups...)
	x := NewIndex(c)
	if err := markStopped(c, x, "n1"); err != nil {
		b.Fatal(err)
	}
	for _, preempt := range []bool{false, true} {
		b.Run(fmt.Sprintf("preempt=%v", preempt), func(b *testing.B) {
			for b.Loop() {
				d := Place(PlaceInput{Config: c, Nodes: up(32, []string{"n1"}), Now: now, Index: x, Groups: []string{"hi"}, Preempt: preempt})
				if preempt && len(d.Preempted) != 4 {
					b.Fatalf("preempted %v", d.Preempted)
				}
			}
		})
	}
}
