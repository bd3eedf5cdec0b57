package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
)

// lcluster is pcluster with load limits set on nodes before the groups
// are created: limits["n1"] = "cpu@3000/2000" is a hard limit of 3000
// and a soft one of 2000 (the soft part optional).
func lcluster(t testing.TB, nodes int, limits map[string]string, groups ...pgroup) *model.Config {
	t.Helper()
	c := model.NewConfig("c", "n1")
	for i := 2; i <= nodes; i++ {
		c.Nodes = append(c.Nodes, model.Node{Name: fmt.Sprintf("n%d", i), ID: i})
	}
	for n, spec := range limits {
		hard, soft := map[string]int64{}, map[string]int64{}
		for _, e := range strings.Split(spec, ",") {
			name, vals, _ := strings.Cut(e, "@")
			h, s, _ := strings.Cut(vals, "/")
			var err error
			if hard[name], err = model.ParseLoadValue(name, h); err != nil {
				t.Fatal(err)
			}
			if s != "" {
				if soft[name], err = model.ParseLoadValue(name, s); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := c.SetLoadLimits(n, hard, soft); err != nil {
			t.Fatal(err)
		}
	}
	var changes []model.StateChange
	for _, g := range groups {
		if err := c.CreateGroup(g.name, g.props); err != nil {
			t.Fatal(err)
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

func TestPlaceLoadLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		limits  map[string]string
		groups  []pgroup
		down    []string
		where   string // after n1 is lost (markStopped) and Place
		blocked string // substring of Blocked, "" for none
	}{
		{
			name:   "hard limit skips a full node",
			limits: map[string]string{"n2": "cpu@3000", "n3": "cpu@3000"},
			groups: []pgroup{
				{name: "a", props: p("Load_factors", "cpu@2000"), on: []string{"n1"}},
				{name: "b", props: p("Load_factors", "cpu@2000"), on: []string{"n2"}},
			},
			where: "a=n3 b=n2",
		},
		{
			name:   "fits nowhere",
			limits: map[string]string{"n2": "cpu@3000", "n3": "cpu@1000"},
			groups: []pgroup{
				{name: "a", props: p("Load_factors", "cpu@2000"), on: []string{"n1"}},
				{name: "b", props: p("Load_factors", "cpu@2000"), on: []string{"n2"}},
			},
			where:   "a=n1 b=n2",
			blocked: "a: no node can host it: n2 has no room: load cpu 2000 placed + 2000 > hard limit 3000; n3 has no room: load cpu 0 placed + 2000 > hard limit 1000",
		},
		{
			name:   "higher Priority takes the room first",
			limits: map[string]string{"n2": "memory@8G"},
			groups: []pgroup{
				{name: "a", props: p("Load_factors", "memory@6G", "Nodelist", "n1,n2"), on: []string{"n1"}},
				{name: "b", props: p("Load_factors", "memory@6G", "Nodelist", "n1,n2", "Priority", "900"), on: []string{"n1"}},
			},
			where:   "a=n1 b=n2",
			blocked: "a: no node can host it: n2 has no room: load memory 6G placed + 6G > hard limit 8G",
		},
		{
			name:   "soft limit: a node under it comes before Nodelist order",
			limits: map[string]string{"n2": "cpu@4000/2000", "n3": "cpu@4000/2000"},
			groups: []pgroup{
				{name: "a", props: p("Load_factors", "cpu@1000"), on: []string{"n1"}},
				{name: "b", props: p("Load_factors", "cpu@1500"), on: []string{"n2"}},
			},
			where: "a=n3 b=n2",
		},
		{
			name:   "soft limit passed when no node is under it",
			limits: map[string]string{"n2": "cpu@4000/2000", "n3": "cpu@4000/2000"},
			groups: []pgroup{
				{name: "a", props: p("Load_factors", "cpu@1000"), on: []string{"n1"}},
				{name: "b", props: p("Load_factors", "cpu@1500"), on: []string{"n2"}},
				{name: "c", props: p("Load_factors", "cpu@1500"), on: []string{"n3"}},
			},
			where: "a=n2 b=n2 c=n3",
		},
		{
			name:   "groups without factors are not weighed",
			limits: map[string]string{"n2": "cpu@1000", "n3": "cpu@1000"},
			groups: []pgroup{
				{name: "a", on: []string{"n1"}},
				{name: "b", props: p("Load_factors", "cpu@1000"), on: []string{"n2"}},
			},
			where: "a=n2 b=n2",
		},
		{
			name:   "a limit lowered below what is placed moves nothing",
			limits: map[string]string{"n2": "cpu@500", "n3": "cpu@500"},
			groups: []pgroup{
				{name: "a", props: p("Load_factors", "cpu@1000"), on: []string{"n2"}},
				{name: "b", props: p("Load_factors", "cpu@1000", "Nodelist", "n3,n2"), on: []string{"n3"}},
			},
			where: "a=n2 b=n3",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := lcluster(t, 3, tc.limits, tc.groups...)
			x := NewIndex(c)
			if err := markStopped(c, x, "n1"); err != nil {
				t.Fatal(err)
			}
			d := Place(PlaceInput{Config: c, Nodes: up(3, []string{"n1"}), Now: now, Index: x})
			if got := where(t, c, d); got != tc.where {
				t.Errorf("where: got %s, want %s (moves %s)", got, tc.where, moves(d))
			}
			b := blockedText(d)
			if tc.blocked == "" && b != "" || !strings.Contains(b, tc.blocked) {
				t.Errorf("blocked: got %q, want %q", b, tc.blocked)
			}
			assertUnderHard(t, c, d)
		})
	}
}

// assertUnderHard fails when d leaves a node above a hard limit that it
// was not above before.
func assertUnderHard(t *testing.T, c *model.Config, d Decision) {
	t.Helper()
	cp := c.Clone()
	if err := cp.ApplyStates(d.Changes); err != nil {
		t.Fatal(err)
	}
	before, after := NodeLoads(c, nil), NodeLoads(cp, nil)
	for _, n := range cp.Nodes {
		for k, l := range n.EffectiveLimits() {
			if l.Hard > 0 && after[n.Name][k] > l.Hard && after[n.Name][k] > before[n.Name][k] {
				t.Errorf("%s: load %s %d > hard limit %d", n.Name, k, after[n.Name][k], l.Hard)
			}
		}
	}
}

func TestPlaceLoadInventory(t *testing.T) {
	// cpu and memory default to the inventory as hard limits.
	c := lcluster(t, 2, nil,
		pgroup{name: "a", props: p("Load_factors", "memory@3G"), on: []string{"n1"}},
		pgroup{name: "b", props: p("Load_factors", "memory@2G"), on: []string{"n2"}})
	if err := c.SetInventory("n2", model.Inventory{MilliCPU: 2000, Memory: 4 << 30}); err != nil {
		t.Fatal(err)
	}
	x := NewIndex(c)
	if err := markStopped(c, x, "n1"); err != nil {
		t.Fatal(err)
	}
	d := Place(PlaceInput{Config: c, Nodes: up(2, []string{"n1"}), Now: now, Index: x})
	if got := blockedText(d); !strings.Contains(got, "n2 has no room: load memory 2G placed + 3G > hard limit 4G") {
		t.Fatalf("blocked: %q (moves %s)", got, moves(d))
	}
	if why := Explain(PlaceInput{Config: c, Nodes: up(2, []string{"n1"}), Now: now}, "a", "n2"); !strings.Contains(why, "no room") {
		t.Fatalf("Explain: %q", why)
	}
	if _, err := Switch(PlaceInput{Config: c, Nodes: up(2, nil), Now: now}, "a", []string{"n2"}); err == nil || !strings.Contains(err.Error(), "no room") {
		t.Fatalf("Switch to a full node: %v", err)
	}
}

func TestOnlineTargets(t *testing.T) {
	c := lcluster(t, 3, map[string]string{"n1": "cpu@2000", "n2": "cpu@3000/1000", "n3": "cpu@3000"},
		pgroup{name: "a", props: p("Load_factors", "cpu@1500")},
		pgroup{name: "b", props: p("Load_factors", "cpu@1500")},
		pgroup{name: "c", props: p("Load_factors", "cpu@1500", "Priority", "900")},
		pgroup{name: "d", props: p("Load_factors", "cpu@1500")},
		pgroup{name: "e", props: p("Load_factors", "cpu@1500")},
		pgroup{name: "f", props: p("Load_factors", "cpu@1500")},
		pgroup{name: "big", props: p("Load_factors", "cpu@5000")},
		pgroup{name: "on", props: p("Load_factors", "cpu@1"), on: []string{"n1"}})
	targets, errs, _ := OnlineTargets(PlaceInput{Config: c, Nodes: up(3, nil), Now: now}, []string{"a", "b", "c", "d", "e", "f", "big", "on"}, "")
	// c first (Priority), on n1; then a, b, d, e by name: n1 is full,
	// n3 (no soft limit) comes before n2 (past its soft limit) until
	// it is full too; nothing is left for f.
	if got := fmt.Sprint(targets); got != "map[a:n3 b:n3 c:n1 d:n2 e:n2]" {
		t.Errorf("targets %s", got)
	}
	if err := errs["f"]; err == nil || !strings.Contains(err.Error(), "n1 has no room: load cpu 1501 placed + 1500 > hard limit 2000; n2 has no room: load cpu 3000 placed") {
		t.Errorf("f: %v", err)
	}
	if err := errs["big"]; err == nil || !strings.Contains(err.Error(), "rg online big refused: no node can host it") {
		t.Errorf("big: %v", err)
	}
	if _, ok := targets["on"]; ok {
		t.Error("a group already wanted somewhere got a target")
	}
	// A node down is no target.
	targets, _, _ = OnlineTargets(PlaceInput{Config: c, Nodes: up(3, []string{"n1"}), Now: now}, []string{"a"}, "")
	if targets["a"] != "n3" {
		t.Errorf("with n1 down: %v", targets)
	}
	// The node asked takes the group when it has room under its soft
	// limits, as rg online did before load limits; not otherwise.
	targets, _, _ = OnlineTargets(PlaceInput{Config: c, Nodes: up(3, nil), Now: now}, []string{"a"}, "n3")
	if targets["a"] != "n3" {
		t.Errorf("asked on n3: %v", targets)
	}
	targets, _, _ = OnlineTargets(PlaceInput{Config: c, Nodes: up(3, nil), Now: now}, []string{"a"}, "n2")
	if targets["a"] != "n1" {
		t.Errorf("asked on n2, past its soft limit with a: %v", targets)
	}
}

// Simulate says which groups would not fit after a node loss, and why.
func TestSimulateLoad(t *testing.T) {
	c := simCluster(t, 3,
		pgroup{name: "a-rg", props: p("Load_factors", "cpu@1500"), on: []string{"n1"}},
		pgroup{name: "b-rg", props: p("Load_factors", "cpu@1500"), on: []string{"n2"}})
	for _, n := range []string{"n2", "n3"} {
		if err := c.SetLoadLimits(n, map[string]int64{"cpu": 2000}, nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Simulate(PlaceInput{Config: c, Nodes: up(3, nil), Now: now}, SimEvent{Kind: SimNodeDown, Node: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := moves(res.Decision); got != "a-rg:n1>n3" {
		t.Errorf("moves %q", got)
	}
	if err := c.SetLoadLimits("n3", map[string]int64{"cpu": 1000}, nil); err != nil {
		t.Fatal(err)
	}
	res, err = Simulate(PlaceInput{Config: c, Nodes: up(3, nil), Now: now}, SimEvent{Kind: SimNodeDown, Node: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := blockedText(res.Decision); !strings.Contains(got, "a-rg: no node can host it: n2 has no room: load cpu 1500 placed + 1500 > hard limit 2000; n3 has no room: load cpu 0 placed + 1500 > hard limit 1000") {
		t.Errorf("blocked %q (moves %q)", got, moves(res.Decision))
	}
}

// Concentrate_load: the most loaded node where the group still fits
// under the soft limits, rather than Nodelist order.
func TestPlaceConcentrateLoad(t *testing.T) {
	for _, tc := range []struct {
		concentrate bool
		soft        string
		want        string
	}{
		{false, "", "a=n2 b=n3"},
		{true, "", "a=n3 b=n3"},
		{true, "/1500", "a=n2 b=n3"}, // n3 would pass its soft limit
	} {
		c := lcluster(t, 3, map[string]string{"n2": "cpu@4000" + tc.soft, "n3": "cpu@4000" + tc.soft},
			pgroup{name: "a", props: p("Load_factors", "cpu@1000"), on: []string{"n1"}},
			pgroup{name: "b", props: p("Load_factors", "cpu@1000"), on: []string{"n3"}})
		if tc.concentrate {
			if err := c.SetClusterProps(map[string]string{"Concentrate_load": "true"}); err != nil {
				t.Fatal(err)
			}
		}
		x := NewIndex(c)
		if err := markStopped(c, x, "n1"); err != nil {
			t.Fatal(err)
		}
		d := Place(PlaceInput{Config: c, Nodes: up(3, []string{"n1"}), Now: now, Index: x})
		if got := where(t, c, d); got != tc.want {
			t.Errorf("Concentrate_load %v, soft %q: got %s, want %s", tc.concentrate, tc.soft, got, tc.want)
		}
	}
	if err := model.NewConfig("c", "n1").SetClusterProps(map[string]string{"Concentrate_load": "maybe"}); err == nil {
		t.Error("Concentrate_load=maybe accepted")
	}
	if err := model.NewConfig("c", "n1").SetClusterProps(map[string]string{"Colour": "TRUE"}); err == nil {
		t.Error("an unknown cluster property accepted")
	}
}
