package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
)

// benchConfig is a cluster of nodes nodes holding groups failover groups
// of perGroup resources each, every group online. Groups come in blocks
// of five that share a home node (the first of their Nodelist, which
// holds every node, rotated): the second and third have a +++ affinity
// for the first, the fourth a -- affinity for the previous block's
// first, the fifth a + affinity for its block's first.
func benchConfig(t testing.TB, nodes, groups, perGroup int) *model.Config {
	return benchConfigWith(t, nodes, groups, perGroup, false)
}

// benchConfigWith is benchConfig; loaded gives every group Load_factors
// (cpu, memory and a load of the operator's, licenses) and every node
// hard and soft limits for them (#22), the soft ones low enough that
// the groups of a lost node spread.
func benchConfigWith(t testing.TB, nodes, groups, perGroup int, loaded bool) *model.Config {
	t.Helper()
	c := model.NewConfig("bench", "n1")
	var names []string
	for i := 1; i <= nodes; i++ {
		if i > 1 {
			c.Nodes = append(c.Nodes, model.Node{Name: fmt.Sprintf("n%d", i), ID: i})
		}
		names = append(names, fmt.Sprintf("n%d", i))
	}
	if loaded {
		for _, n := range names {
			if err := c.SetInventory(n, model.Inventory{MilliCPU: 64000, Memory: 256 << 30}); err != nil {
				t.Fatal(err)
			}
			if err := c.SetLoadLimits(n, map[string]int64{"cpu": 8000, "licenses": 40},
				map[string]int64{"cpu": 1500, "memory": 4 << 30, "licenses": 15}); err != nil {
				t.Fatal(err)
			}
		}
	}
	props := map[string]string{"Resource_type": "t", "Start": "/bin/true", "Stop": "/bin/true"}
	for _, d := range model.RTProps() {
		if _, ok := props[d.Name]; !ok && d.Default != nil {
			props[d.Name] = *d.Default
		}
	}
	if err := c.RegisterType(&model.ResourceType{Name: "T", Props: props}); err != nil {
		t.Fatal(err)
	}
	var changes []model.StateChange
	for i := range groups {
		block, k := i/5, i%5
		home := block % nodes
		nodelist := append(append([]string(nil), names[home:]...), names[:home]...)
		gp := map[string]string{"Nodelist": strings.Join(nodelist, ",")}
		if loaded {
			gp["Load_factors"] = "cpu@100,memory@256M,licenses@1"
			gp["Priority"] = fmt.Sprint(500 + i%3)
		}
		first := fmt.Sprintf("g%04d", block*5)
		switch {
		case k == 1 || k == 2:
			gp["RG_affinities"] = "+++" + first
		case k == 3 && block > 0:
			gp["RG_affinities"] = fmt.Sprintf("--g%04d", (block-1)*5)
		case k == 4:
			gp["RG_affinities"] = "+" + first
		}
		name := fmt.Sprintf("g%04d", i)
		if err := c.CreateGroup(name, gp); err != nil {
			t.Fatal(err)
		}
		for j := range perGroup {
			if err := c.CreateResource(fmt.Sprintf("%s-r%d", name, j), name, "T", nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range names {
			ch := model.StateChange{Group: name, Node: n, State: model.RGStateOffline, Desired: model.RGStateOffline}
			if n == names[home] {
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

// BenchmarkPlace decides one node-down event: the groups wanted on the
// node (Index.WantedOn) and those tied to them by strong affinities are
// re-decided, with the Index built beforehand (once per configuration
// change, as the leader keeps it). 4 nodes × 200 resources is the
// baseline of 32 nodes × 2,000 (#18: ≤ 10 ms, growing with the groups
// affected, not with the cluster): about as many groups are on the node
// in both.
//
// BenchmarkPlace/loaded is the same with Load_factors on every group and
// hard and soft load limits on every node (#22: still ≤ 10 ms).
func BenchmarkPlace(b *testing.B) {
	for _, size := range []struct {
		nodes, resources int
		loaded           bool
	}{{4, 200, false}, {32, 2000, false}, {4, 200, true}, {32, 2000, true}} {
		name := fmt.Sprintf("nodes=%d,resources=%d", size.nodes, size.resources)
		if size.loaded {
			name = "loaded," + name
		}
		b.Run(name, func(b *testing.B) {
			c := benchConfigWith(b, size.nodes, size.resources/5, 5, size.loaded)
			x := NewIndex(c)
			if err := markStopped(c, x, "n2"); err != nil { // known stopped: its groups move
				b.Fatal(err)
			}
			st := up(size.nodes, []string{"n2"})
			affected := 0
			for b.Loop() {
				d := Place(PlaceInput{Config: c, Nodes: st, Now: now, Groups: x.WantedOn(c, "n2"), Index: x, Preempt: true}) // as the leader
				affected = len(d.Moves)
				if len(d.Blocked) != 0 {
					b.Fatalf("blocked: %v", d.Blocked)
				}
			}
			b.ReportMetric(float64(affected), "moves")
		})
	}
}

// BenchmarkPlaceIndex is the cost of NewIndex, paid once per property
// change (not per event).
func BenchmarkPlaceIndex(b *testing.B) {
	for _, size := range []struct{ nodes, resources int }{{4, 200}, {32, 2000}} {
		b.Run(fmt.Sprintf("nodes=%d,resources=%d", size.nodes, size.resources), func(b *testing.B) {
			c := benchConfig(b, size.nodes, size.resources/5, 5)
			for b.Loop() {
				NewIndex(c)
			}
		})
	}
}
