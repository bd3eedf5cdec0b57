package model

import (
	"strings"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Resource type upgrade (rt_reg(5)): a new version of a type is registered
// beside the old one (its RTR file has #$upgrade, so its name ends in
// :RT_version), and `rgmadm rs set R -p Type_version=NEW` moves R to it
// when the new type's #$upgrade_from directive for R's current version
// allows it now; a version no directive names may be upgraded while its
// group is unmanaged (rt_reg(4)).

// upgradeTarget splits a Type_version assignment out of props: the new
// version, whether one was given, and the other properties.
func upgradeTarget(props map[string]string) (string, bool, map[string]string) {
	for k, v := range props {
		if strings.EqualFold(k, "Type_version") {
			rest := make(map[string]string, len(props)-1)
			for k2, v2 := range props {
				if k2 != k {
					rest[k2] = v2
				}
			}
			return v, true, rest
		}
	}
	return "", false, props
}

// upgradeType finds the type r moves to for Type_version version and
// checks that its #$upgrade_from directive for r's version allows the
// move now. from is r's current type.
func (c *Config) upgradeType(r *Resource, from *ResourceType, version string) (*ResourceType, error) {
	var to *ResourceType
	for _, name := range sortedKeys(c.Types) {
		t := c.Types[name]
		if t.Props["Vendor_id"] == from.Props["Vendor_id"] && strings.EqualFold(t.Props["Resource_type"], from.Props["Resource_type"]) &&
			t.Props["RT_version"] == version {
			to = t
		}
	}
	if to == nil {
		return nil, scha.Errorf(scha.ErrRT, "resource %s: no registered version %q of type %s.%s (register the new version's RTR file first)",
			r.Name, version, from.Props["Vendor_id"], from.Props["Resource_type"])
	}
	cur := r.Props["Type_version"]
	var when string
	for _, u := range to.UpgradeFrom {
		if u.Version == cur {
			when = u.When
		}
	}
	if when == "" {
		when = "WHEN_UNMANAGED" // rt_reg(4): versions not listed
	}
	all := func(ok func(*RNode) bool) bool {
		for _, st := range r.Nodes {
			if !ok(st) {
				return false
			}
		}
		return true
	}
	why := ""
	switch when {
	case "ANYTIME":
	case "WHEN_DISABLED":
		if !all(func(st *RNode) bool { return st.OnOff == SwitchDisabled }) {
			why = "disabled (rgmadm rs disable " + r.Name + ")"
		}
	case "WHEN_UNMONITORED":
		if !all(func(st *RNode) bool { return st.Monitored == SwitchDisabled }) {
			why = "unmonitored (rgmadm rs unmonitor " + r.Name + ")"
		}
	case "WHEN_OFFLINE":
		if !all(func(st *RNode) bool { return st.State == RStateOffline || st.State == "" }) {
			why = "offline on every node"
		}
	case "WHEN_UNMANAGED":
		if g := c.Groups[r.Group]; g != nil {
			for _, st := range g.Nodes {
				if st.State != "" && st.State != RGStateUnmanaged {
					why = "in an unmanaged group (rgmadm rg unmanage " + r.Group + ")"
				}
			}
		}
	default: // AT_CREATION
		return nil, scha.Errorf(scha.ErrProp, "resource %s: type %s allows version %q only for new resources (#$upgrade_from %q AT_CREATION)", r.Name, to.Name, version, cur)
	}
	if why != "" {
		return nil, scha.Errorf(scha.ErrProp, "resource %s: the upgrade from version %q to %s is allowed %s: the resource must be %s", r.Name, cur, to.Name, when, why)
	}
	return to, nil
}

// moveToType gives r the properties of type to: the values r has for the
// properties to declares, checked against to's declarations, and to's
// defaults for the others; properties to does not declare are dropped.
// A property in given (names in any case, maybe with {node}) is left for
// the caller to set.
func moveToType(r *Resource, to *ResourceType, given ...map[string]string) error {
	isGiven := func(name string) bool {
		for _, m := range given {
			for k := range m {
				if n, _, _ := SplitNodeKey(k); strings.EqualFold(n, name) {
					return true
				}
			}
		}
		return false
	}
	props, ext := map[string]string{}, map[string]string{}
	var extNode map[string]map[string]string
	for _, d := range to.EffectiveParams() {
		have, dst := r.Props, props
		if d.Extension {
			have, dst = r.Ext, ext
		}
		v, ok := have[d.Name]
		if !ok {
			for k, hv := range have {
				if strings.EqualFold(k, d.Name) {
					v, ok = hv, true
				}
			}
		}
		if !ok {
			if d.Default != nil {
				dst[d.Name] = *d.Default
			}
			continue
		}
		nv, err := d.Normalize(v)
		if err != nil && isGiven(d.Name) {
			continue
		}
		if err != nil {
			return scha.Errorf(scha.ErrProp, "resource %s: its value of %s does not fit type %s: %s (set another value with the upgrade)", r.Name, d.Name, to.Name, scha.DetailOf(err))
		}
		dst[d.Name] = nv
		if d.PerNode && r.ExtNode[d.Name] != nil {
			if extNode == nil {
				extNode = map[string]map[string]string{}
			}
			extNode[d.Name] = r.ExtNode[d.Name]
		}
	}
	props["Type_version"] = to.Props["RT_version"]
	r.Type, r.Props, r.Ext, r.ExtNode = to.Name, props, ext, extNode
	return nil
}
