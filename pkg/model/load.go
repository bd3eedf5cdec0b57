package model

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Node inventory and load limits (Solaris Cluster 3.3's loadlimit, #22).
//
// Each node records what it has (Inventory) when its rgmd starts. An
// operator sets load limits per load name on a node (rgmadm node set -p
// loadlimit=NAME@VALUE,... for hard limits, -p loadlimit_soft=... for
// soft ones); a group declares what it costs with Load_factors
// (NAME@VALUE,...), as Solaris does. The loads cpu (milli-cores) and
// memory (bytes) have node limits by default: the node's inventory, as a
// hard limit, when the operator set none. A value is a non-negative
// integer up to MaxLoad; a memory value may end in K, M, G or T (powers
// of 1024). A load name is a letter then letters, digits, '_' or '-'.
//
// Lowering a limit below what is already placed on a node is accepted:
// nothing is stopped or moved, nothing more goes there, and rgmadm
// status shows the node over its limit.

// Inventory is what a node reported it has when its rgmd last started.
// Fields the system does not expose are empty.
type Inventory struct {
	MilliCPU int64  `json:"milli_cpu"`          // CPUs rgmd may use × 1000
	Memory   int64  `json:"memory"`             // bytes (MemTotal)
	Serial   string `json:"serial,omitempty"`   // DMI product serial
	BMC      string `json:"bmc,omitempty"`      // BMC/IPMI address, where exposed
	Kernel   string `json:"kernel,omitempty"`   // uname -r
	Version  string `json:"version,omitempty"`  // OpenRGM version
	Hostname string `json:"hostname,omitempty"` // the system's hostname
	At       int64  `json:"at,omitempty"`       // Unix seconds of the report
}

// LoadLimit is a node's limits for one load name; 0 is no limit.
type LoadLimit struct {
	Hard int64 `json:"hard,omitempty"`
	Soft int64 `json:"soft,omitempty"`
}

// PreemptionModes are Preemption_mode's values: whether a group of
// higher Priority may push this one off a node to make room.
var PreemptionModes = []string{"Has_cost", "No_cost", "Never"}

// MaxLoad is the largest load value or limit accepted (2^53, which a
// float64 still holds exactly in JSON).
const MaxLoad = int64(1) << 53

// The loads whose node limits default to the inventory.
const (
	LoadCPU    = "cpu"
	LoadMemory = "memory"
)

// CheckLoadName checks the form of a load name.
func CheckLoadName(name string) error {
	ok := name != "" && len(name) <= 64
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-'):
		default:
			ok = false
		}
	}
	if !ok {
		return scha.Errorf(scha.ErrInval, "load name %q: a letter, then letters, digits, '_' or '-' (at most 64)", name)
	}
	return nil
}

// ParseLoadValue parses one load value: a non-negative integer up to
// MaxLoad, with a K, M, G or T suffix (powers of 1024) for memory.
func ParseLoadValue(name, s string) (int64, error) {
	mult := int64(1)
	num := s
	if name == LoadMemory && s != "" {
		switch strings.ToUpper(s[len(s)-1:]) {
		case "K":
			mult = 1 << 10
		case "M":
			mult = 1 << 20
		case "G":
			mult = 1 << 30
		case "T":
			mult = 1 << 40
		}
		if mult > 1 {
			num = s[:len(s)-1]
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	switch {
	case err != nil && strings.HasPrefix(num, "-"):
		return 0, scha.Errorf(scha.ErrInval, "load %s: %q is negative", name, s)
	case err != nil:
		suffix := ""
		if name == LoadMemory {
			suffix = ", with an optional K, M, G or T"
		}
		return 0, scha.Errorf(scha.ErrInval, "load %s: %q is not a whole number%s", name, s, suffix)
	case v < 0:
		return 0, scha.Errorf(scha.ErrInval, "load %s: %q is negative", name, s)
	case v > MaxLoad/mult:
		return 0, scha.Errorf(scha.ErrInval, "load %s: %q is more than %d", name, s, MaxLoad)
	}
	return v * mult, nil
}

// ParseLoads parses NAME@VALUE,... (Load_factors, loadlimit) into a map;
// a name given twice is refused.
func ParseLoads(s string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, e := range SplitArray(s) {
		name, val, ok := strings.Cut(e, "@")
		if !ok {
			return nil, scha.Errorf(scha.ErrInval, "load %q: want NAME@VALUE (cpu@2000,memory@6G)", e)
		}
		if err := CheckLoadName(name); err != nil {
			return nil, err
		}
		if _, dup := out[name]; dup {
			return nil, scha.Errorf(scha.ErrInval, "load %s given twice", name)
		}
		v, err := ParseLoadValue(name, val)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

// FormatLoads writes loads as NAME@VALUE,..., sorted by name.
func FormatLoads(loads map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(loads)) {
		parts = append(parts, k+"@"+strconv.FormatInt(loads[k], 10))
	}
	return strings.Join(parts, ",")
}

// FormatLoadValue writes v for people: memory in the largest binary unit
// that divides it.
func FormatLoadValue(name string, v int64) string {
	if name == LoadMemory && v > 0 {
		for _, u := range []struct {
			s string
			m int64
		}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
			if v%u.m == 0 {
				return strconv.FormatInt(v/u.m, 10) + u.s
			}
		}
	}
	return strconv.FormatInt(v, 10)
}

// SetClusterProps sets the cluster's properties: Concentrate_load
// (TRUE or FALSE), the only one. With Concentrate_load TRUE placement
// puts a group on the most loaded node where it still fits under the
// soft limits, packing groups on as few nodes as possible, as Solaris
// does; with FALSE (the default) it prefers Nodelist order among the
// nodes under their soft limits.
func (c *Config) SetClusterProps(props map[string]string) error {
	next := c.ConcentrateLoad
	for k, v := range props {
		if !strings.EqualFold(k, "Concentrate_load") {
			return scha.Errorf(scha.ErrProp, "cluster property %q: the cluster's property is Concentrate_load", k)
		}
		switch strings.ToUpper(v) {
		case "TRUE":
			next = true
		case "FALSE":
			next = false
		default:
			return scha.Errorf(scha.ErrProp, "Concentrate_load: %q is not TRUE or FALSE", v)
		}
	}
	c.ConcentrateLoad = next
	c.Seq++
	return nil
}

// checkLoadFactors checks a group's Load_factors: their form, and that
// each load is cpu, memory or one some node has a limit for (a name no
// node limits is most likely a typo, and would never constrain
// anything).
func (c *Config) checkLoadFactors(group, s string) error {
	loads, err := ParseLoads(s)
	if err != nil {
		return scha.Errorf(scha.ErrProp, "resource group %s: Load_factors: %s", group, scha.DetailOf(err))
	}
	for _, name := range slices.Sorted(maps.Keys(loads)) {
		if name == LoadCPU || name == LoadMemory {
			continue
		}
		known := false
		for _, n := range c.Nodes {
			_, ok := n.Limits[name]
			known = known || ok
		}
		if !known {
			return scha.Errorf(scha.ErrProp, "resource group %s: Load_factors: no node has a limit for load %q (cpu, memory, or set one first: rgmadm node set NODE -p loadlimit=%s@VALUE)", group, name, name)
		}
	}
	return nil
}

// SetInventory records what node name reported it has.
func (c *Config) SetInventory(name string, inv Inventory) error {
	if inv.MilliCPU < 0 || inv.Memory < 0 || inv.MilliCPU > MaxLoad || inv.Memory > MaxLoad {
		return scha.Errorf(scha.ErrInval, "node %s: inventory out of range (cpu %d, memory %d)", name, inv.MilliCPU, inv.Memory)
	}
	return c.setNode(name, func(n *Node) error { n.Inventory = &inv; return nil })
}

// SetLoadLimits changes node name's load limits: hard and soft give new
// values by load name (0 removes that limit). A soft limit above the
// hard one is refused. Limits below what is placed on the node are
// accepted (see the comment at the top of this file).
func (c *Config) SetLoadLimits(name string, hard, soft map[string]int64) error {
	return c.setNode(name, func(n *Node) error {
		lim := maps.Clone(n.Limits)
		if lim == nil {
			lim = map[string]LoadLimit{}
		}
		for k, v := range hard {
			if err := checkLimit(k, v); err != nil {
				return err
			}
			l := lim[k]
			l.Hard = v
			lim[k] = l
		}
		for k, v := range soft {
			if err := checkLimit(k, v); err != nil {
				return err
			}
			l := lim[k]
			l.Soft = v
			lim[k] = l
		}
		for k, l := range lim {
			if l.Hard > 0 && l.Soft > l.Hard {
				return scha.Errorf(scha.ErrInval, "node %s: load %s: soft limit %d is above the hard limit %d", name, k, l.Soft, l.Hard)
			}
			if l == (LoadLimit{}) {
				delete(lim, k)
			}
		}
		if len(lim) == 0 {
			lim = nil
		}
		n.Limits = lim
		return nil
	})
}

func checkLimit(name string, v int64) error {
	if err := CheckLoadName(name); err != nil {
		return err
	}
	if v < 0 || v > MaxLoad {
		return scha.Errorf(scha.ErrInval, "load %s: limit %d out of range (0 to %d)", name, v, MaxLoad)
	}
	return nil
}

// EffectiveLimits returns n's limits as placement applies them: those
// the operator set, and for cpu and memory, when no hard limit is set,
// the inventory as a hard limit.
func (n *Node) EffectiveLimits() map[string]LoadLimit {
	out := make(map[string]LoadLimit, len(n.Limits)+2)
	maps.Copy(out, n.Limits)
	if inv := n.Inventory; inv != nil {
		for name, v := range map[string]int64{LoadCPU: inv.MilliCPU, LoadMemory: inv.Memory} {
			if l := out[name]; l.Hard == 0 && v > 0 {
				l.Hard = v
				out[name] = l
			}
		}
	}
	for k, l := range out {
		if l == (LoadLimit{}) {
			delete(out, k)
		}
	}
	return out
}
