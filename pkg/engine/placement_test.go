package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
)

// pgroup is a group of a placement test: its properties and the nodes it
// is wanted on (Desired ONLINE); unmanaged leaves it UNMANAGED.
type pgroup struct {
	name      string
	props     map[string]string
	on        []string
	unmanaged bool
}

// pcluster returns a configuration of nodes n1..nN holding groups, in
// the order given (so that affinities name groups already created).
func pcluster(t testing.TB, nodes int, groups ...pgroup) *model.Config {
	t.Helper()
	c := model.NewConfig("c", "n1")
	for i := 2; i <= nodes; i++ {
		c.Nodes = append(c.Nodes, model.Node{Name: fmt.Sprintf("n%d", i), ID: i})
	}
	var changes []model.StateChange
	for _, g := range groups {
		if err := c.CreateGroup(g.name, g.props); err != nil {
			t.Fatal(err)
		}
		if g.unmanaged {
			continue
		}
		for n := range c.Groups[g.name].Nodes {
			ch := model.StateChange{Group: g.name, Node: n, State: model.RGStateOffline, Desired: model.RGStateOffline}
			if slices.Contains(g.on, n) {
				ch.State, ch.Desired = model.RGStateOnline, model.RGStateOnline
			}
			changes = append(changes, ch)
		}
	}
	if err := c.ApplyStates(changes); err != nil {
		t.Fatal(err)
	}
	return c
}

// up returns the status of nodes n1..nN, all up except those in down
// (down) and fenced (lost, not known stopped).
func up(nodes int, down []string, fenced ...string) map[string]NodeStatus {
	m := map[string]NodeStatus{}
	for i := 1; i <= nodes; i++ {
		n := fmt.Sprintf("n%d", i)
		m[n] = NodeStatus{Up: !slices.Contains(down, n) && !slices.Contains(fenced, n), Fenced: slices.Contains(fenced, n)}
	}
	return m
}

// where applies d's changes to a copy of c and returns each managed
// group's wanted nodes, "group=n1,n2" sorted by group.
func where(t testing.TB, c *model.Config, d Decision) string {
	t.Helper()
	cp := c.Clone()
	if err := cp.ApplyStates(d.Changes); err != nil {
		t.Fatal(err)
	}
	x := NewIndex(cp)
	var out []string
	for _, name := range x.names {
		if !managed(cp.Groups[name]) {
			continue
		}
		p := newPlacer(PlaceInput{Config: cp, Index: x})
		out = append(out, name+"="+strings.Join(p.wanted(name), ","))
	}
	return strings.Join(out, " ")
}

func moves(d Decision) string {
	var out []string
	for _, m := range d.Moves {
		out = append(out, fmt.Sprintf("%s:%s>%s", m.Group, m.From, m.To))
	}
	return strings.Join(out, " ")
}

func blockedText(d Decision) string {
	var out []string
	for _, g := range sortedNames(d.Blocked) {
		out = append(out, g+": "+d.Blocked[g])
	}
	return strings.Join(out, "\n")
}

const (
	now  = int64(1_800_000_000)
	hour = int64(3600)
)

func p(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestPlace(t *testing.T) {
	for _, tt := range []struct {
		name    string
		nodes   int
		groups  []pgroup
		down    []string
		fenced  []string
		held    bool // down nodes are not known to have stopped their groups
		edit    func(c *model.Config, st map[string]NodeStatus)
		in      PlaceInput // Config, Nodes and Now are filled in
		want    string     // where(...) after the decision
		moves   string     // "-": none; "": not checked
		why     string     // a Move's Why contains it
		blocked string     // Blocked contains it ("-": nothing blocked)
	}{
		{
			name: "node down: first up node of the Nodelist", nodes: 3,
			groups: []pgroup{{name: "db-rg", props: p("Nodelist", "n3,n1,n2"), on: []string{"n3"}}},
			down:   []string{"n3"},
			want:   "db-rg=n1", moves: "db-rg:n3>n1", why: "n3 is down; first node of its Nodelist that can host it", blocked: "-",
		},
		{
			name: "a group on an up node stays, even if not its first node", nodes: 3,
			groups: []pgroup{{name: "db-rg", on: []string{"n2"}}},
			want:   "db-rg=n2", moves: "-", blocked: "-",
		},
		{
			name: "Failback TRUE: back to the preferred node that joined", nodes: 3,
			groups: []pgroup{{name: "db-rg", props: p("Failback", "TRUE"), on: []string{"n2"}}},
			in:     PlaceInput{Joined: []string{"n1"}},
			want:   "db-rg=n1", moves: "db-rg:n2>n1", why: "Failback: n1 is more preferred",
		},
		{
			name: "Failback FALSE: a join moves nothing", nodes: 3,
			groups: []pgroup{{name: "db-rg", on: []string{"n2"}}},
			in:     PlaceInput{Joined: []string{"n1"}},
			want:   "db-rg=n2", moves: "-",
		},
		{
			name: "Failback: a less preferred node joining moves nothing", nodes: 3,
			groups: []pgroup{{name: "db-rg", props: p("Failback", "TRUE"), on: []string{"n2"}}},
			in:     PlaceInput{Joined: []string{"n3"}},
			want:   "db-rg=n2", moves: "-",
		},
		{
			name: "Failback does not go to a node barred by pingpong", nodes: 3,
			groups: []pgroup{{name: "db-rg", props: p("Failback", "TRUE"), on: []string{"n2"}}},
			edit: func(c *model.Config, _ map[string]NodeStatus) {
				c.ApplyStates([]model.StateChange{{Group: "db-rg", Node: "n1", StartFailedAt: now - 60}})
			},
			in:   PlaceInput{Joined: []string{"n1"}},
			want: "db-rg=n2", moves: "-",
		},
		{
			name: "rg remaster: back to the first node", nodes: 3,
			groups: []pgroup{{name: "db-rg", on: []string{"n3"}}},
			in:     PlaceInput{Remaster: true, Groups: []string{"db-rg"}},
			want:   "db-rg=n1", why: "rg remaster",
		},
		{
			name: "pingpong: a node where the start failed is skipped", nodes: 3,
			groups: []pgroup{{name: "db-rg", on: []string{"n3"}}},
			down:   []string{"n3"},
			edit: func(c *model.Config, _ map[string]NodeStatus) {
				c.ApplyStates([]model.StateChange{{Group: "db-rg", Node: "n1", StartFailedAt: now - 60}})
			},
			want: "db-rg=n2", why: "n1 is barred by Pingpong_interval until 2027-01-15T08:59:00Z (it failed to start there at 2027-01-15T07:59:00Z)",
		},
		{
			name: "pingpong: past the interval the node is eligible again", nodes: 3,
			groups: []pgroup{{name: "db-rg", on: []string{"n3"}}},
			down:   []string{"n3"},
			edit: func(c *model.Config, _ map[string]NodeStatus) {
				c.ApplyStates([]model.StateChange{{Group: "db-rg", Node: "n1", GiveoverAt: now - hour}})
			},
			want: "db-rg=n1",
		},
		{
			name: "pingpong everywhere: blocked, it keeps its lost node", nodes: 2,
			groups: []pgroup{{name: "db-rg", on: []string{"n2"}}},
			down:   []string{"n2"},
			edit: func(c *model.Config, _ map[string]NodeStatus) {
				c.ApplyStates([]model.StateChange{{Group: "db-rg", Node: "n1", GiveoverAt: now - 10}})
			},
			want: "db-rg=n2", moves: "-", blocked: "db-rg: no node can host it: n1 is barred by Pingpong_interval until",
		},
		{
			name: "every node down: blocked, wanted where it was", nodes: 2,
			groups: []pgroup{{name: "db-rg", on: []string{"n1"}}},
			down:   []string{"n1", "n2"},
			want:   "db-rg=n1", moves: "-", blocked: "db-rg: no node of its Nodelist (n1, n2) is up",
		},
		{
			name: "scalable: Desired_primaries nodes in Nodelist order, a lost one replaced", nodes: 4,
			groups: []pgroup{{name: "web-rg", props: p("Maximum_primaries", "3", "Desired_primaries", "2"), on: []string{"n1", "n2"}}},
			down:   []string{"n1"},
			want:   "web-rg=n2,n3", moves: "web-rg:n1>n3", blocked: "-",
		},
		{
			name: "scalable on a new cluster", nodes: 4,
			groups: []pgroup{{name: "web-rg", props: p("Maximum_primaries", "3", "Desired_primaries", "2")}},
			in:     PlaceInput{NewCluster: true},
			want:   "web-rg=n1,n2", moves: "web-rg:>n1 web-rg:>n2",
		},
		{
			name: "scalable short of nodes: on what it can, the rest blocked", nodes: 3,
			groups: []pgroup{{name: "web-rg", props: p("Maximum_primaries", "3", "Desired_primaries", "3"), on: []string{"n1", "n2", "n3"}}},
			down:   []string{"n3"},
			want:   "web-rg=n1,n2,n3", moves: "-", blocked: "web-rg: online on 2 of the 3 nodes it wants",
		},
		{
			name: "fenced node keeps its group: nothing moves", nodes: 3,
			groups: []pgroup{{name: "db-rg", on: []string{"n2"}}},
			fenced: []string{"n2"},
			want:   "db-rg=n2", moves: "-", blocked: "db-rg: it stays on n2: n2 was lost and is not yet known to have stopped its groups",
		},
		{
			name: "a down node not known to have stopped its group keeps it", nodes: 3,
			groups: []pgroup{{name: "db-rg", on: []string{"n2"}}},
			down:   []string{"n2"}, held: true,
			want: "db-rg=n2", moves: "-", blocked: "db-rg: it stays on n2: n2 is down and not yet known to have stopped db-rg",
		},
		{
			name: "wanted on an up node, still held by a down one: it waits", nodes: 3,
			groups: []pgroup{{name: "db-rg", on: []string{"n2"}}},
			down:   []string{"n2"}, held: true,
			edit: func(c *model.Config, _ map[string]NodeStatus) {
				c.ApplyStates([]model.StateChange{{Group: "db-rg", Node: "n2", Desired: model.RGStateOffline, State: model.RGStatePendingOffline}, {Group: "db-rg", Node: "n3", Desired: model.RGStateOnline}})
			},
			want: "db-rg=n3", moves: "-", blocked: "db-rg: it waits to start on n3: n2 is down and not yet known to have stopped db-rg",
		},
		{
			name: "nothing goes to a fenced node", nodes: 3,
			groups: []pgroup{{name: "db-rg", props: p("Nodelist", "n3,n2,n1"), on: []string{"n3"}}},
			down:   []string{"n3"}, fenced: []string{"n2"},
			want: "db-rg=n1", why: "n2 was lost",
		},
		{
			name: "offline by the operator stays offline", nodes: 2,
			groups: []pgroup{{name: "db-rg"}},
			want:   "db-rg=", moves: "-", blocked: "-",
		},
		{
			name: "new cluster: Auto_start_on_new_cluster TRUE comes online", nodes: 2,
			groups: []pgroup{{name: "db-rg"}},
			in:     PlaceInput{NewCluster: true},
			want:   "db-rg=n1", moves: "db-rg:>n1", why: "first node of its Nodelist",
		},
		{
			name: "new cluster: Auto_start_on_new_cluster FALSE goes offline", nodes: 2,
			groups: []pgroup{{name: "db-rg", props: p("Auto_start_on_new_cluster", "FALSE"), on: []string{"n2"}}},
			in:     PlaceInput{NewCluster: true},
			want:   "db-rg=", moves: "db-rg:n2>", why: "Auto_start_on_new_cluster is FALSE",
		},
		{
			name: "unmanaged groups are untouched", nodes: 2,
			groups: []pgroup{{name: "db-rg", unmanaged: true}},
			in:     PlaceInput{NewCluster: true},
			want:   "", moves: "-", blocked: "-",
		},
		{
			name: "suspended: nothing moves it", nodes: 2,
			groups: []pgroup{{name: "db-rg", on: []string{"n1"}}},
			down:   []string{"n1"},
			edit: func(c *model.Config, _ map[string]NodeStatus) {
				c.ApplyStates([]model.StateChange{{Group: "db-rg", Suspend: "TRUE"}})
			},
			want: "db-rg=n1", moves: "-", blocked: "automatic recovery is suspended",
		},
		{
			name: "a failed Stop blocks the move", nodes: 2,
			groups: []pgroup{{name: "db-rg", on: []string{"n1"}}},
			in:     PlaceInput{Remaster: true},
			edit: func(c *model.Config, st map[string]NodeStatus) {
				c.ApplyStates([]model.StateChange{{Group: "db-rg", Node: "n1", Desired: model.RGStateOffline}, {Group: "db-rg", Node: "n2", Desired: model.RGStateOnline, State: model.RGStateErrorStopFailed}})
			},
			want: "db-rg=n2", moves: "-", blocked: "a stop method failed on n2 (ERROR_STOP_FAILED)",
		},
		{
			name: "witness and evacuating nodes host nothing", nodes: 4,
			groups: []pgroup{{name: "db-rg", on: []string{"n1"}}},
			edit: func(_ *model.Config, st map[string]NodeStatus) {
				st["n1"] = NodeStatus{Up: true, Evacuating: true}
				st["n2"] = NodeStatus{Up: true, Witness: true}
			},
			want: "db-rg=n3", moves: "db-rg:n1>n3", why: "n1 is being evacuated; first node of its Nodelist that can host it: n2 is a witness",
		},
		{
			name: "evacuation with nowhere to go: offline", nodes: 2,
			groups: []pgroup{{name: "db-rg", on: []string{"n1"}}},
			down:   []string{"n2"},
			edit: func(_ *model.Config, st map[string]NodeStatus) {
				st["n1"] = NodeStatus{Up: true, Evacuating: true}
			},
			want: "db-rg=", moves: "db-rg:n1>", blocked: "db-rg: no node can host it: n2 is down",
		},
		{
			name: "++ follows its target", nodes: 3,
			groups: []pgroup{
				{name: "db-rg", on: []string{"n1"}},
				{name: "app-rg", props: p("RG_affinities", "++db-rg"), on: []string{"n1"}},
			},
			down: []string{"n1"},
			in:   PlaceInput{Groups: []string{"db-rg"}},
			want: "app-rg=n2 db-rg=n2", moves: "db-rg:n1>n2 app-rg:n1>n2", why: "it follows db-rg (strong affinity ++db-rg)",
		},
		{
			name: "++ with its target offline: blocked", nodes: 2,
			groups: []pgroup{
				{name: "db-rg"},
				{name: "app-rg", props: p("RG_affinities", "++db-rg")},
			},
			in: PlaceInput{NewCluster: true},
			edit: func(c *model.Config, _ map[string]NodeStatus) {
				c.Groups["db-rg"].Props["Auto_start_on_new_cluster"] = "FALSE"
			},
			want: "app-rg= db-rg=", blocked: "app-rg: no node can host it: strong affinity ++db-rg: db-rg is offline",
		},
		{
			name: "+++ chain follows a move", nodes: 3,
			groups: []pgroup{
				{name: "c-rg", on: []string{"n2"}},
				{name: "b-rg", props: p("RG_affinities", "+++c-rg"), on: []string{"n2"}},
				{name: "a-rg", props: p("RG_affinities", "+++b-rg"), on: []string{"n2"}},
			},
			down: []string{"n2"},
			in:   PlaceInput{Groups: []string{"c-rg"}},
			want: "a-rg=n1 b-rg=n1 c-rg=n1", moves: "c-rg:n2>n1 b-rg:n2>n1 a-rg:n2>n1", blocked: "-",
		},
		{
			name: "-- with one node up: blocked, not double-placed", nodes: 2,
			groups: []pgroup{
				{name: "web-rg", on: []string{"n1"}},
				{name: "db-rg", props: p("RG_affinities", "--web-rg"), on: []string{"n2"}},
			},
			down: []string{"n2"},
			want: "db-rg=n2 web-rg=n1", moves: "-", blocked: "db-rg: no node can host it: strong negative affinity --web-rg: web-rg is on n1",
		},
		{
			name: "-- evicts the group from its target's new node", nodes: 3,
			groups: []pgroup{
				{name: "web-rg", props: p("Nodelist", "n2,n3,n1"), on: []string{"n2"}},
				{name: "db-rg", props: p("RG_affinities", "--web-rg"), on: []string{"n1"}},
			},
			down: []string{"n2"},
			in:   PlaceInput{Groups: []string{"web-rg"}},
			want: "db-rg=n1 web-rg=n3", moves: "web-rg:n2>n3",
		},
		{
			name: "-- evicts: the target lands where the group was", nodes: 3,
			groups: []pgroup{
				{name: "web-rg", props: p("Nodelist", "n2,n1,n3"), on: []string{"n2"}},
				{name: "db-rg", props: p("RG_affinities", "--web-rg"), on: []string{"n1"}},
			},
			down: []string{"n2"},
			in:   PlaceInput{Groups: []string{"web-rg"}},
			want: "db-rg=n3 web-rg=n1", moves: "web-rg:n2>n1 db-rg:n1>n3", why: "strong negative affinity --web-rg: web-rg is on n1",
		},
		{
			name: "+ prefers its target's node over Nodelist order", nodes: 3,
			groups: []pgroup{
				{name: "web-rg", on: []string{"n3"}},
				{name: "db-rg", props: p("RG_affinities", "+web-rg")},
			},
			in:   PlaceInput{NewCluster: true, Groups: []string{"db-rg"}},
			want: "db-rg=n3 web-rg=n3", why: "weak positive affinity",
		},
		{
			name: "- avoids its target's node", nodes: 3,
			groups: []pgroup{
				{name: "web-rg", on: []string{"n1"}},
				{name: "db-rg", props: p("RG_affinities", "-web-rg")},
			},
			in:   PlaceInput{NewCluster: true, Groups: []string{"db-rg"}},
			want: "db-rg=n2 web-rg=n1",
		},
		{
			name: "+ moves nothing already placed", nodes: 3,
			groups: []pgroup{
				{name: "web-rg", on: []string{"n3"}},
				{name: "db-rg", props: p("RG_affinities", "+web-rg"), on: []string{"n1"}},
			},
			want: "db-rg=n1 web-rg=n3", moves: "-",
		},
		{
			name: "only the named groups are examined", nodes: 2,
			groups: []pgroup{
				{name: "a-rg", on: []string{"n2"}},
				{name: "b-rg", on: []string{"n2"}},
			},
			down: []string{"n2"},
			in:   PlaceInput{Groups: []string{"a-rg"}},
			want: "a-rg=n1 b-rg=n2", moves: "a-rg:n2>n1",
		},
		{
			name: "Monitor_check refused a node: the next one", nodes: 3,
			groups: []pgroup{{name: "db-rg", props: p("Nodelist", "n3,n1,n2"), on: []string{"n1"}}},
			in:     PlaceInput{Refused: map[string][]string{"db-rg": {"n1"}}},
			want:   "db-rg=n3", moves: "db-rg:n1>n3", why: "Monitor_check failed on n1; first node of its Nodelist",
		},
		{
			name: "an affinity cycle is decided, not looped on", nodes: 2,
			groups: []pgroup{
				{name: "a-rg", on: []string{"n1"}},
				{name: "b-rg", props: p("RG_affinities", "++a-rg"), on: []string{"n1"}},
			},
			edit: func(c *model.Config, _ map[string]NodeStatus) { c.Groups["a-rg"].Props["RG_affinities"] = "++b-rg" },
			down: []string{"n1"},
			want: "a-rg=n1 b-rg=n1", moves: "-", blocked: "strong affinity",
		},
		{
			name: "a stale index is not used", nodes: 2,
			groups: []pgroup{{name: "db-rg", props: p("Nodelist", "n2,n1"), on: []string{"n2"}}},
			down:   []string{"n2"},
			edit: func(c *model.Config, _ map[string]NodeStatus) {
				if err := c.SetGroup("db-rg", p("Nodelist", "n2")); err != nil {
					panic(err)
				}
			},
			want: "db-rg=n2", blocked: "no node of its Nodelist (n2) is up",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := pcluster(t, tt.nodes, tt.groups...)
			for _, n := range tt.down {
				if !tt.held {
					markStopped(c, NewIndex(c), n) // as the leader does once it knows
				}
			}
			stale := NewIndex(c)
			st := up(tt.nodes, tt.down, tt.fenced...)
			if tt.edit != nil {
				tt.edit(c, st)
			}
			in := tt.in
			in.Config, in.Nodes, in.Now = c, st, now
			if strings.HasPrefix(tt.name, "a stale index") {
				in.Index = stale
			}
			d := Place(in)
			if got := where(t, c, d); got != tt.want {
				t.Errorf("placed %q, want %q\nmoves %+v\nblocked %v", got, tt.want, d.Moves, d.Blocked)
			}
			if tt.moves != "" {
				if got := moves(d); got != strings.Trim(tt.moves, "-") {
					t.Errorf("moves %q, want %q (%+v)", got, tt.moves, d.Moves)
				}
			}
			if tt.why != "" && !slices.ContainsFunc(d.Moves, func(m Move) bool { return strings.Contains(m.Why, tt.why) }) {
				t.Errorf("no move says %q: %+v", tt.why, d.Moves)
			}
			switch got := blockedText(d); {
			case tt.blocked == "-" && got != "":
				t.Errorf("blocked %q, want nothing", got)
			case tt.blocked != "" && tt.blocked != "-" && !strings.Contains(got, tt.blocked):
				t.Errorf("blocked %q, want %q", got, tt.blocked)
			}
			if err := c.Clone().ApplyStates(d.Changes); err != nil {
				t.Errorf("changes do not apply: %v", err)
			}
		})
	}
}

// TestPlaceNeverTwice: whatever nodes are up, down or fenced, a failover
// group is never wanted on two nodes, nor on a node that is down and
// replaced, nor moved off a fenced node.
func TestPlaceNeverTwice(t *testing.T) {
	groups := []pgroup{
		{name: "a-rg", on: []string{"n1"}},
		{name: "b-rg", props: p("RG_affinities", "+++a-rg"), on: []string{"n1"}},
		{name: "c-rg", props: p("RG_affinities", "--a-rg", "Failback", "TRUE"), on: []string{"n2"}},
		{name: "d-rg", props: p("RG_affinities", "++c-rg,-a-rg", "Nodelist", "n3,n2,n1"), on: []string{"n2"}},
	}
	states := []NodeStatus{{Up: true}, {}, {Fenced: true}, {Up: true, Evacuating: true}}
	for mask := 0; mask < 4*4*4; mask++ {
		st := map[string]NodeStatus{}
		for i := range 3 {
			st[fmt.Sprintf("n%d", i+1)] = states[(mask>>(2*i))&3]
		}
		c := pcluster(t, 3, groups...)
		d := Place(PlaceInput{Config: c, Nodes: st, Now: now, Joined: []string{"n1"}})
		cp := c.Clone()
		if err := cp.ApplyStates(d.Changes); err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			var on []string
			for n, s := range cp.Groups[g.name].Nodes {
				if s.Desired == model.RGStateOnline {
					on = append(on, n)
				}
			}
			if len(on) > 1 {
				t.Errorf("%v: %s wanted on %v", st, g.name, on)
			}
			for _, n := range g.on {
				if st[n].Fenced && !slices.Contains(on, n) {
					t.Errorf("%v: %s moved off fenced %s", st, g.name, n)
				}
			}
			if len(on) == 1 && !st[on[0]].Up && !slices.Contains(g.on, on[0]) {
				t.Errorf("%v: %s placed on %s, which is not up", st, g.name, on[0])
			}
		}
	}
}

func TestSwitch(t *testing.T) {
	groups := []pgroup{
		{name: "web-rg", on: []string{"n1"}},
		{name: "app-rg", props: p("RG_affinities", "+++web-rg"), on: []string{"n1"}},
		{name: "db-rg", props: p("RG_affinities", "--web-rg"), on: []string{"n2"}},
		{name: "x-rg", props: p("RG_affinities", "++db-rg"), on: []string{"n2"}},
	}
	c := pcluster(t, 3, groups...)
	in := PlaceInput{Config: c, Nodes: up(3, nil), Now: now}
	d, err := Switch(in, "web-rg", []string{"n2"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := where(t, c, d), "app-rg=n2 db-rg=n1 web-rg=n2 x-rg=n1"; got != want {
		t.Errorf("switch: %q, want %q (%+v)", got, want, d.Moves)
	}
	if got, want := moves(d), "web-rg:n1>n2 app-rg:n1>n2 db-rg:n2>n1 x-rg:n2>n1"; got != want {
		t.Errorf("moves %q, want %q", got, want)
	}
	for _, tt := range []struct {
		group, node string
		nodes       map[string]NodeStatus
		want        string
	}{
		{"web-rg", "n4", up(3, nil), "not in the Nodelist"},
		{"web-rg", "n3", up(3, []string{"n3"}), "n3 is down"},
		{"app-rg", "n3", up(3, nil), "strong affinity +++web-rg: web-rg is not on n3 (it is on n1)"},
		{"db-rg", "n1", up(3, nil), "strong negative affinity --web-rg: web-rg is on n1"},
		{"db-rg", "n3", up(3, nil, "n2"), "it may still be online on n2"},
	} {
		_, err := Switch(PlaceInput{Config: c, Nodes: tt.nodes, Now: now}, tt.group, []string{tt.node})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("switch %s %s: %v, want %q", tt.group, tt.node, err, tt.want)
		}
	}
	// Pingpong does not bar the operator.
	c.ApplyStates([]model.StateChange{{Group: "db-rg", Node: "n3", StartFailedAt: now - 1}})
	if _, err := Switch(PlaceInput{Config: c, Nodes: up(3, nil), Now: now}, "db-rg", []string{"n3"}); err != nil {
		t.Errorf("switch to a pingpong-barred node: %v", err)
	}
}

func TestGiveover(t *testing.T) {
	groups := []pgroup{
		{name: "c-rg", on: []string{"n1"}},
		{name: "b-rg", props: p("RG_affinities", "+++c-rg"), on: []string{"n1"}},
		{name: "a-rg", props: p("RG_affinities", "+++b-rg"), on: []string{"n1"}},
		{name: "solo-rg", props: p("Nodelist", "n1"), on: []string{"n1"}},
	}
	c := pcluster(t, 3, groups...)
	in := PlaceInput{Config: c, Nodes: up(3, nil), Now: now}
	d, err := Giveover(in, "a-rg", "n1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := where(t, c, d), "a-rg=n2 b-rg=n2 c-rg=n2 solo-rg=n1"; got != want {
		t.Errorf("giveover: %q, want %q (%+v)", got, want, d.Moves)
	}
	cp := c.Clone()
	cp.ApplyStates(d.Changes)
	if cp.Groups["c-rg"].Nodes["n1"].GiveoverAt != now || cp.Groups["a-rg"].Nodes["n1"].GiveoverAt != now {
		t.Errorf("giveover times not recorded: %+v", d.Changes)
	}
	// Within Pingpong_interval, n1 is no target of a giveover from n2.
	in.Config = cp
	d, err = Giveover(in, "c-rg", "n2")
	if err != nil || where(t, cp, d) != "a-rg=n3 b-rg=n3 c-rg=n3 solo-rg=n1" {
		t.Errorf("second giveover: %v %q", err, where(t, cp, d))
	}
	if _, err := Giveover(in, "solo-rg", "n1"); err == nil || !strings.Contains(err.Error(), "no other node of its Nodelist can host it") {
		t.Errorf("giveover with nowhere to go: %v", err)
	}
}

func TestExplain(t *testing.T) {
	c := pcluster(t, 4,
		pgroup{name: "web-rg", props: p("Nodelist", "n1,n2,n3"), on: []string{"n2"}},
		pgroup{name: "db-rg", props: p("RG_affinities", "++web-rg"), on: []string{"n2"}},
		pgroup{name: "off-rg"},
		pgroup{name: "un-rg", unmanaged: true},
	)
	c.ApplyStates([]model.StateChange{{Group: "web-rg", Node: "n3", StartFailedAt: now - 100}})
	st := up(4, []string{"n4"})
	in := PlaceInput{Config: c, Nodes: st, Now: now}
	for _, tt := range []struct{ group, node, want string }{
		{"web-rg", "n2", ""},
		{"web-rg", "n4", "n4 is not in its Nodelist (n1, n2, n3)"},
		{"web-rg", "n1", "it is a failover group, wanted on n2 (Failback is FALSE"},
		{"web-rg", "n3", "n3 is barred by Pingpong_interval until"},
		{"db-rg", "n1", "strong affinity ++web-rg: web-rg is not on n1 (it is on n2)"},
		{"db-rg", "n4", "n4 is down"},
		{"off-rg", "n1", "offline by the operator"},
		{"un-rg", "n1", "unmanaged"},
		{"nope", "n1", "no resource group"},
	} {
		if got := Explain(in, tt.group, tt.node); tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("Explain(%s, %s) = %q, want %q", tt.group, tt.node, got, tt.want)
		}
	}
}

// TestPlaceScope: a node-down decision examines the groups wanted on the
// node and their strong-affinity sources, nothing else.
func TestPlaceScope(t *testing.T) {
	c := benchConfig(t, 8, 40, 5)
	x := NewIndex(c)
	on := x.WantedOn(c, "n3")
	if len(on) == 0 {
		t.Fatal("nothing on n3")
	}
	p := newPlacer(PlaceInput{Config: c, Index: x})
	got := p.order(on, "")
	if len(got) > 2*len(on) || len(got) >= len(x.names) {
		t.Errorf("examined %d groups for %d on the node (of %d)", len(got), len(on), len(x.names))
	}
	st := up(8, []string{"n3"})
	markStopped(c, x, "n3")
	d := Place(PlaceInput{Config: c, Nodes: st, Now: now, Groups: on, Index: x})
	if len(d.Blocked) != 0 {
		t.Errorf("blocked: %v", d.Blocked)
	}
	cp := c.Clone()
	cp.ApplyStates(d.Changes)
	if left := NewIndex(cp).WantedOn(cp, "n3"); len(left) != 0 {
		t.Errorf("still wanted on n3: %v (%+v)", left, d.Moves)
	}
}

// simCluster is pcluster with a resource type whose methods are all
// declared, and one resource per group (name: group without -rg, + -rs),
// ONLINE where its group is.
func simCluster(t *testing.T, nodes int, groups ...pgroup) *model.Config {
	t.Helper()
	c := pcluster(t, nodes)
	props := map[string]string{"Resource_type": "t", "RT_basedir": "/opt/t"}
	for _, d := range model.RTProps() {
		if _, ok := props[d.Name]; !ok && d.Default != nil {
			props[d.Name] = *d.Default
		}
	}
	for m, path := range allMethods() {
		props[m] = path
	}
	if err := c.RegisterType(&model.ResourceType{Name: "T", Props: props}); err != nil {
		t.Fatal(err)
	}
	var changes []model.StateChange
	for _, g := range groups {
		if err := c.CreateGroup(g.name, g.props); err != nil {
			t.Fatal(err)
		}
		rs := strings.TrimSuffix(g.name, "-rg") + "-rs"
		if err := c.CreateResource(rs, g.name, "T", nil, nil); err != nil {
			t.Fatal(err)
		}
		for n := range c.Groups[g.name].Nodes {
			ch := model.StateChange{Group: g.name, Node: n, State: model.RGStateOffline, Desired: model.RGStateOffline}
			if slices.Contains(g.on, n) {
				ch.State, ch.Desired = model.RGStateOnline, model.RGStateOnline
				changes = append(changes, model.StateChange{Resource: rs, Node: n, State: model.RStateOnline, Status: "OK"})
			}
			changes = append(changes, ch)
		}
	}
	if err := c.ApplyStates(changes); err != nil {
		t.Fatal(err)
	}
	return c
}

func steps(r SimResult) string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Node+":"+s.Method+" "+s.Resource)
	}
	return strings.Join(out, ", ")
}

func TestSimulate(t *testing.T) {
	groups := []pgroup{
		{name: "db-rg", props: p("Nodelist", "n3,n1,n2"), on: []string{"n3"}},
		{name: "app-rg", props: p("RG_affinities", "+++db-rg", "Nodelist", "n3,n1,n2"), on: []string{"n3"}},
		{name: "web-rg", on: []string{"n2"}},
	}
	for _, tt := range []struct {
		name  string
		ev    SimEvent
		edit  func(c *model.Config)
		moves string
		steps string
		notes string
		err   string
	}{
		{
			name: "node down", ev: SimEvent{Kind: SimNodeDown, Node: "n3"},
			moves: "db-rg:n3>n1 app-rg:n3>n1",
			steps: "n1:Monitor_check app-rs, n1:Monitor_check db-rs, n1:Start app-rs, n1:Start db-rs, n1:Monitor_start app-rs, n1:Monitor_start db-rs",
		},
		{
			name: "node up: Boot, and no Failback", ev: SimEvent{Kind: SimNodeUp, Node: "n4"},
			moves: "", steps: "n4:Boot web-rs", // the others' Nodelists leave n4 out
		},
		{
			name: "switch", ev: SimEvent{Kind: SimSwitch, Group: "web-rg", Node: "n1"},
			moves: "web-rg:n2>n1",
			steps: "n1:Monitor_check web-rs, n2:Monitor_stop web-rs, n2:Stop web-rs, n1:Start web-rs, n1:Monitor_start web-rs",
		},
		{
			name: "node up: Failback", ev: SimEvent{Kind: SimNodeUp, Node: "n4"},
			edit: func(c *model.Config) {
				c.Groups["web-rg"].Props["Failback"] = "TRUE"
				c.Groups["web-rg"].Props["Nodelist"] = "n4,n1,n2,n3"
			},
			moves: "web-rg:n2>n4",
			steps: "n2:Monitor_stop web-rs, n4:Boot web-rs, n2:Stop web-rs, n4:Monitor_check web-rs, n4:Start web-rs, n4:Monitor_start web-rs",
		},
		{
			name: "switch refused", ev: SimEvent{Kind: SimSwitch, Group: "app-rg", Node: "n1"},
			err: "strong affinity +++db-rg: db-rg is not on n1",
		},
		{
			name: "fail: restart in place", ev: SimEvent{Kind: SimFail, Resource: "web-rs"},
			moves: "", steps: "n2:Monitor_stop web-rs, n2:Stop web-rs, n2:Start web-rs, n2:Monitor_start web-rs",
			notes: "its monitor restarts it in place",
		},
		{
			name: "fail: LOG_ONLY", ev: SimEvent{Kind: SimFail, Resource: "web-rs"},
			edit:  func(c *model.Config) { c.Resources["web-rs"].Props["Failover_mode"] = "LOG_ONLY" },
			moves: "", steps: "", notes: "only logs",
		},
		{
			name: "fail: retries exhausted, giveover delegated along +++", ev: SimEvent{Kind: SimFail, Resource: "app-rs"},
			edit:  func(c *model.Config) { c.Resources["app-rs"].Props["Retry_count"] = "0" },
			moves: "db-rg:n3>n1 app-rg:n3>n1", notes: "asks for GIVEOVER",
			steps: "n1:Monitor_check app-rs, n1:Monitor_check db-rs, n3:Monitor_stop app-rs, n3:Monitor_stop db-rs, n3:Stop app-rs, n3:Stop db-rs, " +
				"n1:Start app-rs, n1:Start db-rs, n1:Monitor_start app-rs, n1:Monitor_start db-rs",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := simCluster(t, 4, groups...)
			if tt.edit != nil {
				tt.edit(c)
			}
			before := where(t, c, Decision{})
			r, err := Simulate(PlaceInput{Config: c, Nodes: up(4, []string{"n4"}), Now: now}, tt.ev)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := moves(r.Decision); got != tt.moves {
				t.Errorf("moves %q, want %q", got, tt.moves)
			}
			if got := steps(r); got != tt.steps {
				t.Errorf("steps\n%s\nwant\n%s\nnotes %q", got, tt.steps, r.Notes)
			}
			if tt.notes != "" && !slices.ContainsFunc(r.Notes, func(s string) bool { return strings.Contains(s, tt.notes) }) {
				t.Errorf("notes %q, want %q", r.Notes, tt.notes)
			}
			if after := where(t, c, Decision{}); after != before {
				t.Errorf("the input changed: %q, was %q", after, before)
			}
			for _, m := range r.Decision.Moves {
				if st := r.Config.Groups[m.Group].Nodes[m.To].State; m.To != "" && st != model.RGStateOnline {
					t.Errorf("%s is %s on %s after the run", m.Group, st, m.To)
				}
			}
		})
	}
}

// TestOperatorPlacement: an operator's evacuation moves a group whose
// automatic recovery is suspended (the suspension bars automatic moves
// only), and rg online -n of a failover group wanted elsewhere is a
// switch, with its followers; of one wanted nowhere, only a check.
func TestOperatorPlacement(t *testing.T) {
	nl := map[string]string{"Nodelist": "n1,n2,n3"}
	c := pcluster(t, 3, pgroup{name: "s", props: nl, on: []string{"n1"}})
	if err := c.ApplyStates([]model.StateChange{{Group: "s", Suspend: "TRUE"}}); err != nil {
		t.Fatal(err)
	}
	nodes := up(3, nil)
	nodes["n1"] = NodeStatus{Up: true, Evacuating: true}
	if got := where(t, c, Place(PlaceInput{Config: c, Nodes: nodes, Groups: []string{"s"}})); got != "s=n1" {
		t.Errorf("automatic: %s, want s=n1 (suspended)", got)
	}
	if got := where(t, c, Place(PlaceInput{Config: c, Nodes: nodes, Groups: []string{"s"}, Operator: true})); got != "s=n2" {
		t.Errorf("operator's evacuation: %s, want s=n2", got)
	}
	// An operator's move goes to a node where the group failed to start
	// within Pingpong_interval only when no other node is left.
	c = pcluster(t, 3, pgroup{name: "s", props: nl, on: []string{"n1"}})
	if err := c.ApplyStates([]model.StateChange{{Group: "s", Node: "n2", StartFailedAt: now - 1}}); err != nil {
		t.Fatal(err)
	}
	if got := where(t, c, Place(PlaceInput{Config: c, Nodes: nodes, Groups: []string{"s"}, Operator: true, Now: now})); got != "s=n3" {
		t.Errorf("operator's evacuation past a node where it failed lately: %s, want s=n3", got)
	}
	nodes["n3"] = NodeStatus{}
	if got := where(t, c, Place(PlaceInput{Config: c, Nodes: nodes, Groups: []string{"s"}, Operator: true, Now: now})); got != "s=n2" {
		t.Errorf("operator's evacuation with only that node left: %s, want s=n2", got)
	}

	c = pcluster(t, 3, pgroup{name: "a", props: nl, on: []string{"n1"}},
		pgroup{name: "f", props: map[string]string{"Nodelist": "n1,n2,n3", "RG_affinities": "+++a"}, on: []string{"n1"}},
		pgroup{name: "off", props: nl})
	in := PlaceInput{Config: c, Nodes: up(3, nil)}
	dec, moves, err := OnlineOn(in, "a", "n2")
	if err != nil || !moves || where(t, c, dec) != "a=n2 f=n2 off=" {
		t.Errorf("online -n n2 of a group on n1: %s, moves %v, %v", where(t, c, dec), moves, err)
	}
	dec, moves, err = OnlineOn(in, "off", "n3")
	if err != nil || moves || len(dec.Changes) != 0 {
		t.Errorf("online -n n3 of an offline group: %+v, moves %v, %v", dec, moves, err)
	}
	if _, _, err := OnlineOn(PlaceInput{Config: c, Nodes: up(3, []string{"n3"})}, "off", "n3"); err == nil {
		t.Error("online -n onto a node that is down: accepted")
	}
}
