package store

import (
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// ImportCmd adds a whole configuration in one log entry: types, then
// groups, then resources, each in the order given (a group or resource
// after those it depends on), then the resources' switches. Apply makes
// every change on a copy and keeps the copy only if all of them succeed,
// so an import that fails part-way changes nothing.
type ImportCmd struct {
	Types     []model.ResourceType `json:"types,omitempty"`
	TypeProps []PropsCmd           `json:"type_props,omitempty"` // after the types: Installed_nodes, RT_system
	Groups    []PropsCmd           `json:"groups,omitempty"`
	Resources []ResourceCmd        `json:"resources,omitempty"`
	// Disabled and Unmonitored name imported resources whose switch is
	// off on every node of their group.
	Disabled    []string `json:"disabled,omitempty"`
	Unmonitored []string `json:"unmonitored,omitempty"`
	// Limits are nodes' load limits, set first (a group's Load_factors
	// may name a load only a limit defines); a node this cluster does
	// not have is left out. ConcentrateLoad sets Concentrate_load TRUE.
	Limits          []LoadLimitsCmd `json:"limits,omitempty"`
	ConcentrateLoad bool            `json:"concentrate_load,omitempty"`
}

func (m *ConfigMachine) applyImport(body []byte) error {
	cmd, err := decode[ImportCmd](body)
	if err != nil {
		return err
	}
	c := m.cfg.Clone()
	if err := ApplyImport(c, &cmd); err != nil {
		return err
	}
	m.cfg = c
	return nil
}

// ApplyImport makes cmd's changes to c, stopping at the first refusal
// (which names the object); c is then partly changed, so callers work on a
// clone. The daemon runs it on a clone to check an import before proposing
// it, and Apply runs it again on the log's copy.
func ApplyImport(c *model.Config, cmd *ImportCmd) error {
	for _, l := range cmd.Limits {
		if !c.HasNode(l.Node) {
			continue
		}
		if err := c.SetLoadLimits(l.Node, l.Hard, l.Soft); err != nil {
			return scha.Errorf(scha.CodeOf(err), "node %s: %s", l.Node, scha.DetailOf(err))
		}
	}
	if cmd.ConcentrateLoad {
		if err := c.SetClusterProps(map[string]string{"Concentrate_load": "TRUE"}); err != nil {
			return err
		}
	}
	for i := range cmd.Types {
		if err := c.RegisterType(&cmd.Types[i]); err != nil {
			return scha.Errorf(scha.CodeOf(err), "resource type %s: %s", cmd.Types[i].Name, scha.DetailOf(err))
		}
	}
	for _, t := range cmd.TypeProps {
		if err := c.SetTypeProps(t.Name, t.Props); err != nil {
			return scha.Errorf(scha.CodeOf(err), "resource type %s: %s", t.Name, scha.DetailOf(err))
		}
	}
	for _, g := range cmd.Groups {
		if err := c.CreateGroup(g.Name, g.Props); err != nil {
			return scha.Errorf(scha.CodeOf(err), "resource group %s: %s", g.Name, scha.DetailOf(err))
		}
	}
	for _, r := range cmd.Resources {
		if err := c.CreateResource(r.Name, r.Group, r.Type, r.Props, r.Ext); err != nil {
			return scha.Errorf(scha.CodeOf(err), "resource %s: %s", r.Name, scha.DetailOf(err))
		}
	}
	imported := make(map[string]bool, len(cmd.Resources))
	for _, r := range cmd.Resources {
		imported[r.Name] = true
	}
	for _, sw := range []struct {
		names []string
		set   func(*model.RNode)
	}{
		{cmd.Disabled, func(n *model.RNode) { n.OnOff = model.SwitchDisabled }},
		{cmd.Unmonitored, func(n *model.RNode) { n.Monitored = model.SwitchDisabled }},
	} {
		for _, name := range sw.names {
			r, ok := c.Resources[name]
			if !ok || !imported[name] {
				return scha.Errorf(scha.ErrRsrc, "resource %s: a switch of the import names a resource it does not create", name)
			}
			for _, n := range r.Nodes {
				sw.set(n)
			}
		}
	}
	return nil
}
