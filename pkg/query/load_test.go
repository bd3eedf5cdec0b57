package query

import (
	"slices"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/wire"
)

func TestLoadLimitTags(t *testing.T) {
	cfg := fixture()
	for i := range cfg.Nodes {
		switch cfg.Nodes[i].Name {
		case "node1":
			cfg.Nodes[i].Limits = map[string]model.LoadLimit{"licenses": {Hard: 4, Soft: 2}}
			cfg.Nodes[i].Inventory = &model.Inventory{MilliCPU: 2000, Memory: 1 << 30}
		case "node3":
			cfg.Nodes[i].Limits = map[string]model.LoadLimit{"licenses": {Hard: 8}, "cpu": {Hard: 1500, Soft: 1000}}
		}
	}
	for _, tc := range []struct {
		tag  string
		ops  []string
		want []string
	}{
		{"ALL_LOADLIMITS", nil, []string{"cpu", "licenses", "memory"}},
		{"HARD_LOADLIMIT", []string{"licenses"}, []string{"node1=4", "node3=8"}},
		{"SOFT_LOADLIMIT", []string{"licenses"}, []string{"node1=2", "node3=0"}},
		{"LOADLIMIT_PROPS", []string{"cpu"}, []string{"node1=0/2000", "node3=1000/1500"}},
		{"HARD_LOADLIMIT", []string{"memory"}, []string{"node1=1073741824"}},
		{"HARD_LOADLIMIT", []string{"nosuch"}, []string{}},
	} {
		got, err := Get(cfg, env, wire.GetArgs{Kind: "cluster", Tag: tc.tag, Operands: tc.ops})
		if err != nil {
			t.Errorf("%s %v: %v", tc.tag, tc.ops, err)
			continue
		}
		if !slices.Equal(got.Values, tc.want) {
			t.Errorf("%s %v: got %q, want %q", tc.tag, tc.ops, got.Values, tc.want)
		}
	}
}
