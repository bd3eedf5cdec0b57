package model

import (
	"testing"

	"github.com/openrgm/openrgm/pkg/scha"
)

// perNodeConfig is newTestConfig (nodes n1, n2) with a type whose Level
// is a per-node extension property, and resource p of it.
func perNodeConfig(t *testing.T, nodes ...string) *Config {
	t.Helper()
	c := NewConfig("clu", nodes[0])
	for i, n := range nodes[1:] {
		c.Nodes = append(c.Nodes, Node{Name: n, ID: i + 2})
	}
	rt := testType(t)
	rt.Params = append(rt.Params, PropDecl{Name: "Level", Type: TypeInt, Extension: true, PerNode: true, Default: sp("1"), Min: ip(0), Tunable: TunableAnytime})
	if err := c.RegisterType(rt); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateGroup("rg1", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateResource("p", "rg1", "ACME.web", nil, map[string]string{"Port": "80"}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPerNodeExtension(t *testing.T) {
	tests := []struct {
		name  string
		nodes []string
		sets  []map[string]string // successive rs set -x
		code  scha.ErrCode        // of the last set
		want  map[string]string   // node → Level after
	}{
		{"default everywhere", []string{"n1", "n2"}, nil, 0, map[string]string{"n1": "1", "n2": "1"}},
		{"one node", []string{"n1", "n2"}, []map[string]string{{"Level{n2}": "5"}}, 0, map[string]string{"n1": "1", "n2": "5"}},
		{"two nodes at once", []string{"n1", "n2"}, []map[string]string{{"level{n1,n2}": "7"}}, 0, map[string]string{"n1": "7", "n2": "7"}},
		{"plain sets every node", []string{"n1", "n2"}, []map[string]string{{"Level{n2}": "5"}, {"Level": "3"}}, 0, map[string]string{"n1": "3", "n2": "3"}},
		{"plain then node in one set", []string{"n1", "n2"}, []map[string]string{{"Level": "3", "Level{n1}": "9"}}, 0, map[string]string{"n1": "9", "n2": "3"}},
		{"single node cluster", []string{"n1"}, []map[string]string{{"Level{n1}": "4"}}, 0, map[string]string{"n1": "4"}},
		{"unknown node", []string{"n1", "n2"}, []map[string]string{{"Level{n3}": "5"}}, scha.ErrNode, map[string]string{"n1": "1", "n2": "1"}},
		{"not per-node", []string{"n1", "n2"}, []map[string]string{{"Port{n1}": "81"}}, scha.ErrProp, map[string]string{"n1": "1", "n2": "1"}},
		{"standard property", []string{"n1", "n2"}, []map[string]string{{"Retry_count{n1}": "1"}}, scha.ErrProp, map[string]string{"n1": "1", "n2": "1"}},
		{"bad value", []string{"n1", "n2"}, []map[string]string{{"Level{n1}": "-1"}}, scha.ErrProp, map[string]string{"n1": "1", "n2": "1"}},
		{"empty braces", []string{"n1", "n2"}, []map[string]string{{"Level{}": "2"}}, scha.ErrProp, map[string]string{"n1": "1", "n2": "1"}},
		{"unclosed", []string{"n1", "n2"}, []map[string]string{{"Level{n1": "2"}}, scha.ErrProp, map[string]string{"n1": "1", "n2": "1"}},
		{"text after braces", []string{"n1", "n2"}, []map[string]string{{"Level{n1}x": "2"}}, scha.ErrProp, map[string]string{"n1": "1", "n2": "1"}},
		{"unknown property", []string{"n1", "n2"}, []map[string]string{{"Nope{n1}": "2"}}, scha.ErrProp, map[string]string{"n1": "1", "n2": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := perNodeConfig(t, tt.nodes...)
			var err error
			for i, set := range tt.sets {
				before := snapshot(t, c)
				err = c.SetResource("p", nil, set)
				if i < len(tt.sets)-1 && err != nil {
					t.Fatal(err)
				}
				if err != nil && snapshot(t, c) != before {
					t.Errorf("a refused set changed the configuration")
				}
			}
			if got := scha.CodeOf(err); got != tt.code {
				t.Fatalf("code %d (%v), want %d", got, err, tt.code)
			}
			r := c.Resources["p"]
			for n, want := range tt.want {
				if got, _ := r.ExtValue("Level", n); got != want {
					t.Errorf("Level on %s = %s, want %s", n, got, want)
				}
			}
		})
	}
	// At creation too, and the old resource is not changed in place.
	c := perNodeConfig(t, "n1", "n2")
	if err := c.CreateResource("q", "rg1", "ACME.web", nil, map[string]string{"Port": "80", "Level{n2}": "8"}); err != nil {
		t.Fatal(err)
	}
	old := c.Resources["q"]
	if err := c.SetResource("q", nil, map[string]string{"Level{n2}": "9", "Level{n1}": "2"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := old.ExtValue("Level", "n2"); v != "8" {
		t.Errorf("the replaced resource changed: Level on n2 %s", v)
	}
	if v, _ := c.Resources["q"].ExtValue("Level", "n1"); v != "2" {
		t.Errorf("Level on n1 = %s", v)
	}
}
