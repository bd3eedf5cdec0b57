package query

import (
	"fmt"
	"maps"
	"slices"

	"github.com/openrgm/openrgm/pkg/model"
)

// loadLimits answers ALL_LOADLIMITS, HARD_LOADLIMIT, SOFT_LOADLIMIT and
// LOADLIMIT_PROPS (see the package comment).
func loadLimits(c *model.Config, tag string, ops []string) []string {
	if tag == "ALL_LOADLIMITS" {
		names := map[string]bool{}
		for i := range c.Nodes {
			for k := range c.Nodes[i].EffectiveLimits() {
				names[k] = true
			}
		}
		return slices.Sorted(maps.Keys(names))
	}
	if len(ops) != 1 {
		return nil
	}
	nodes := slices.Clone(c.Nodes)
	slices.SortFunc(nodes, func(a, b model.Node) int { return a.ID - b.ID })
	var out []string
	for i := range nodes {
		l, ok := nodes[i].EffectiveLimits()[ops[0]]
		if !ok {
			continue
		}
		switch tag {
		case "HARD_LOADLIMIT":
			out = append(out, fmt.Sprintf("%s=%d", nodes[i].Name, l.Hard))
		case "SOFT_LOADLIMIT":
			out = append(out, fmt.Sprintf("%s=%d", nodes[i].Name, l.Soft))
		default:
			out = append(out, fmt.Sprintf("%s=%d/%d", nodes[i].Name, l.Soft, l.Hard))
		}
	}
	return out
}
