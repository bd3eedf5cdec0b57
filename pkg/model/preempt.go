package model

import (
	"slices"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Preemption (Solaris Cluster's Preemption_mode and Priority, #22).
//
// When a group of higher Priority finds no node with room under the
// hard load limits, the leader's placement (engine.Place) may take
// groups of lower Priority off a node to make room. A group so taken
// offline carries a Preempt mark in the log, so that any leader later
// knows it waits for room (and puts it back when there is some), and
// does not take it for a group an operator took offline. A group
// brought online by rg online on a node it first had to free carries
// one too, with no By, until the leader places it there. The mark goes
// when the group is wanted online again (ApplyStates), and when the
// operator takes the group offline (rgmadm rg offline: ClearPreempt).

// PreemptMark says a group waits for room, and why.
type PreemptMark struct {
	// By is the group that preempted this one; "" when this group is the
	// one waiting for a node it preempts others from (rg online).
	By string `json:"by,omitempty"`
	// Node is the node it was taken off, or the one it waits for.
	Node string `json:"node"`
	// At is when (Unix seconds, the proposer's clock).
	At int64 `json:"at,omitempty"`
}

// GroupMark is a PreemptMark of one group, as a log command carries it.
type GroupMark struct {
	Group string `json:"group"`
	PreemptMark
}

// SetPreempt marks groups as waiting for room. It refuses, changing
// nothing, a group or node that does not exist.
func (c *Config) SetPreempt(marks []GroupMark) error {
	for _, m := range marks {
		if _, ok := c.Groups[m.Group]; !ok {
			return scha.Errorf(scha.ErrRG, "resource group %q does not exist", m.Group)
		}
		if !c.HasNode(m.Node) {
			return scha.Errorf(scha.ErrNode, "preempt %s: no node %q", m.Group, m.Node)
		}
		if m.By != "" && c.Groups[m.By] == nil {
			return scha.Errorf(scha.ErrRG, "preempt %s: resource group %q does not exist", m.Group, m.By)
		}
	}
	for _, m := range marks {
		mark := m.PreemptMark
		c.setMark(m.Group, &mark)
	}
	return nil
}

// ClearPreempt removes the marks of groups (those without one, or that
// do not exist, are left alone).
func (c *Config) ClearPreempt(groups []string) {
	for _, g := range groups {
		if rg := c.Groups[g]; rg != nil && rg.Preempt != nil {
			c.setMark(g, nil)
		}
	}
}

// setMark replaces the group's mark; the group is copied first, as
// Clone shares the groups.
func (c *Config) setMark(group string, m *PreemptMark) {
	cp := *c.Groups[group]
	cp.Preempt = m
	c.Groups[group] = &cp
}

// Preempted returns the groups that wait for room (marked), sorted.
func (c *Config) Preempted() []string {
	var out []string
	for name, g := range c.Groups {
		if g.Preempt != nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
