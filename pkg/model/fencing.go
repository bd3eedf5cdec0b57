package model

import (
	"slices"
	"strings"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Fencing. A node the cluster lost may still be running its groups'
// processes; the others start those groups only once the node is known to
// have stopped them: its guard reported that it ended them when its lease
// ran out, a fence agent confirmed the node is off, or the node's own
// rgmd came back and said so. FenceNode records that knowledge: it raises
// the node's incarnation, so that whatever its old rgmd still proposes is
// refused, and sets every state of the node to OFFLINE, which is what
// lets another node start the groups (a failover group waits until it is
// OFFLINE or UNMANAGED everywhere else).

// FenceDevice is how a node is fenced from outside: a Pacemaker fence
// agent (fence_*) and its parameters, given on stdin as Pacemaker's
// fenced gives them.
type FenceDevice struct {
	Agent  string            `json:"agent"`
	Params map[string]string `json:"params,omitempty"`
}

// HostNames returns the nodes that may host resources (every node but
// witnesses), in node-ID order: the default Nodelist.
func (c *Config) HostNames() []string {
	var names []string
	for _, n := range c.Nodes {
		if !n.Witness {
			names = append(names, n.Name)
		}
	}
	return names
}

// setNode replaces node name by f's change of a copy of it.
func (c *Config) setNode(name string, f func(n *Node) error) error {
	for i, n := range c.Nodes {
		if n.Name != name {
			continue
		}
		if err := f(&n); err != nil {
			return err
		}
		c.Nodes = slices.Clone(c.Nodes)
		c.Nodes[i] = n
		c.Seq++
		return nil
	}
	return scha.Errorf(scha.ErrNode, "no node %q in cluster %q", name, c.ClusterName)
}

// SetWitness marks a node as a witness. It is refused for a node that
// is in a group's Nodelist.
func (c *Config) SetWitness(name string) error {
	for _, gname := range sortedKeys(c.Groups) {
		if slices.Contains(SplitArray(c.Groups[gname].Props["Nodelist"]), name) {
			return scha.Errorf(scha.ErrNode, "node %s is in the Nodelist of %s: a witness hosts no resources", name, gname)
		}
	}
	return c.setNode(name, func(n *Node) error { n.Witness = true; return nil })
}

// SetFenceDevice sets (dev non-nil) or removes a node's fence device.
func (c *Config) SetFenceDevice(name string, dev *FenceDevice) error {
	if dev != nil {
		if err := CheckFenceAgent(dev.Agent); err != nil {
			return err
		}
		for k := range dev.Params {
			if k == "" || strings.ContainsAny(k, "=\n") || strings.ContainsRune(dev.Params[k], '\n') {
				return scha.Errorf(scha.ErrInval, "fence parameter %q: a name without '=' or a newline, and a one-line value", k)
			}
			if k == "action" {
				return scha.Errorf(scha.ErrInval, "fence parameter action is rgmd's to give (off, status)")
			}
		}
		cp := *dev
		cp.Params = copyMap(dev.Params)
		dev = &cp
	}
	return c.setNode(name, func(n *Node) error {
		if n.Witness && dev != nil {
			return scha.Errorf(scha.ErrNode, "node %s is a witness: it hosts nothing, so nothing needs fencing", name)
		}
		n.Fence = dev
		return nil
	})
}

// CheckFenceAgent checks the form of a fence agent's name: a fence_*
// command looked up in rgmd's agent directories, or an absolute path.
func CheckFenceAgent(agent string) error {
	switch {
	case agent == "":
		return scha.Errorf(scha.ErrInval, "no fence agent named")
	case strings.HasPrefix(agent, "/"):
		return nil
	case strings.ContainsRune(agent, '/'):
		return scha.Errorf(scha.ErrInval, "fence agent %q: give a fence_* name or an absolute path", agent)
	case !strings.HasPrefix(agent, "fence_"):
		return scha.Errorf(scha.ErrInval, "fence agent %q: Pacemaker's agents are named fence_*", agent)
	}
	return nil
}

// FenceNode records that node name, under incarnation inc, is known to
// have stopped everything (how says how: "guard", "agent fence_x", ...).
// It is refused if the node's incarnation moved on already: it was fenced
// for that incarnation, and the node has run again since.
func (c *Config) FenceNode(name string, inc int, how string, now int64) error {
	n, ok := c.Node(name)
	if !ok {
		return scha.Errorf(scha.ErrNode, "no node %q in cluster %q", name, c.ClusterName)
	}
	if n.Incarnation != inc {
		return scha.Errorf(scha.ErrReconf, "node %s is at incarnation %d, not %d: already fenced", name, n.Incarnation, inc)
	}
	for _, gname := range sortedKeys(c.Groups) {
		g := c.Groups[gname]
		st, ok := g.Nodes[name]
		if !ok {
			continue
		}
		rs := c.ResourcesOf(gname)
		if st.State != RGStateUnmanaged && st.State != RGStateOffline {
			cp := *g
			cp.Nodes = make(map[string]*RGNode, len(g.Nodes))
			for k, v := range g.Nodes {
				cp.Nodes[k] = v
			}
			s := *st
			s.State = RGStateOffline
			cp.Nodes[name] = &s
			c.Groups[gname] = &cp
		}
		for _, rn := range rs {
			r := c.Resources[rn]
			rst, ok := r.Nodes[name]
			if !ok || rst.State == RStateOffline {
				continue
			}
			cp := *r
			cp.Nodes = copyNodes(r.Nodes)
			s := *rst
			s.State, s.Status, s.StatusMsg, s.StatusSet = RStateOffline, "OFFLINE", "fenced ("+how+")", false
			cp.Nodes[name] = &s
			c.Resources[rn] = &cp
		}
	}
	return c.setNode(name, func(n *Node) error {
		n.Incarnation++
		n.FencedAt, n.FencedBy = now, how
		return nil
	})
}

// CheckIncarnation refuses state changes proposed by node origin's rgmd
// running under an incarnation the cluster has fenced.
func (c *Config) CheckIncarnation(origin string, inc int) error {
	n, ok := c.Node(origin)
	if !ok || n.Incarnation == inc {
		return nil
	}
	return scha.Errorf(scha.ErrReconf, "node %s was fenced (incarnation %d, not %d): its rgmd must start afresh", origin, n.Incarnation, inc)
}

// Holds reports whether the configuration shows node name holding a
// group: neither OFFLINE nor UNMANAGED there (the test a failover group's
// start elsewhere waits on). A lost node that holds nothing needs no
// fencing for its groups to move: it cannot start anything without
// recording it first, which it cannot do without the cluster.
func (c *Config) Holds(name string) bool {
	for g := range c.Groups {
		if c.GroupHeld(g, name) {
			return true
		}
	}
	return false
}

// GroupHeld reports whether group g is neither OFFLINE nor UNMANAGED on
// node.
func (c *Config) GroupHeld(g, node string) bool {
	rg := c.Groups[g]
	if rg == nil {
		return false
	}
	st, ok := rg.Nodes[node]
	return ok && st.State != RGStateOffline && st.State != RGStateUnmanaged
}

// activeElsewhere is in checkStarts' refusal.
const activeElsewhere = "is active on"

// checkStarts enforces, in the log itself, that a failover group is never
// started on a node while it is active on another, nor where it is not
// wanted: a batch that makes a resource of it STARTING (what precedes its
// Prenet_start or Start) on node X is refused when the group is neither OFFLINE nor
// UNMANAGED on another node, or its Desired state on X is not ONLINE (as
// the batch leaves them). Each node decides from its own copy of the log,
// which may lag (an rgmd that just started, a node that was cut off);
// this check, applied alike everywhere, is what makes a decision made
// from a stale copy harmless: it is refused, and the node looks again.
func (c *Config) checkStarts(changes []StateChange) error {
	type key struct{ g, n string }
	state, desired := map[key]string{}, map[key]string{}
	for _, ch := range changes {
		if ch.Group != "" {
			if ch.State != "" {
				state[key{ch.Group, ch.Node}] = ch.State
			}
			if ch.Desired != "" {
				desired[key{ch.Group, ch.Node}] = ch.Desired
			}
		}
	}
	for _, ch := range changes {
		var gname string
		if ch.Resource != "" && ch.State == RStateStarting {
			if r, ok := c.Resources[ch.Resource]; ok {
				gname = r.Group
			}
		}
		g := c.Groups[gname]
		if g == nil || g.Props["RG_mode"] == "Scalable" {
			continue
		}
		d, ok := desired[key{gname, ch.Node}]
		if !ok {
			if st, ok := g.Nodes[ch.Node]; ok {
				d = st.Desired
			}
		}
		if d != RGStateOnline {
			return scha.Errorf(scha.ErrReconf, "resource group %s is not wanted online on %s any more: not started there", gname, ch.Node)
		}
		for n, st := range g.Nodes {
			if n == ch.Node {
				continue
			}
			s, ok := state[key{gname, n}]
			if !ok {
				s = st.State
			}
			if s != RGStateOffline && s != RGStateUnmanaged {
				return scha.Errorf(scha.ErrReconf, "resource group %s %s node %s (%s): not started on %s", gname, activeElsewhere, n, s, ch.Node)
			}
		}
	}
	return nil
}
