package store

import "github.com/openrgm/openrgm/pkg/model"

// Commands of node inventory and load limits (numbers 48–55 are theirs).
const (
	CmdSetInventory  byte = 48 // InventoryCmd: what a node has, reported at each start
	CmdSetLoadLimits byte = 49 // LoadLimitsCmd: an operator's change of a node's load limits
	CmdClusterProps  byte = 50 // ClusterPropsCmd: the cluster's properties (Concentrate_load)
)

// ClusterPropsCmd sets the cluster's properties (model.Config.
// SetClusterProps).
type ClusterPropsCmd struct {
	Props map[string]string `json:"props"`
}

// InventoryCmd records what Node reported it has.
type InventoryCmd struct {
	Node      string          `json:"node"`
	Inventory model.Inventory `json:"inventory"`
}

// LoadLimitsCmd changes Node's load limits by load name: Hard and Soft
// give new values, 0 removing that limit (model.Config.SetLoadLimits).
type LoadLimitsCmd struct {
	Node string           `json:"node"`
	Hard map[string]int64 `json:"hard,omitempty"`
	Soft map[string]int64 `json:"soft,omitempty"`
}

// loadCommand registers a command of this file: its body decoded as T,
// then applied.
func loadCommand[T any](typ byte, apply func(c *model.Config, cmd T) error) {
	moreCommands[typ] = func(c *model.Config, body []byte) error {
		cmd, err := decode[T](body)
		if err != nil {
			return err
		}
		return apply(c, cmd)
	}
}

func init() {
	loadCommand(CmdSetInventory, func(c *model.Config, cmd InventoryCmd) error { return c.SetInventory(cmd.Node, cmd.Inventory) })
	loadCommand(CmdClusterProps, func(c *model.Config, cmd ClusterPropsCmd) error { return c.SetClusterProps(cmd.Props) })
	loadCommand(CmdSetLoadLimits, func(c *model.Config, cmd LoadLimitsCmd) error { return c.SetLoadLimits(cmd.Node, cmd.Hard, cmd.Soft) })
}

// Commands of preemption (model/preempt.go).
const (
	CmdPreempt      byte = 51 // PreemptCmd: groups taken off nodes to make room, and their marks
	CmdClearPreempt byte = 52 // ClearPreemptCmd: an operator's rg offline clears a group's mark
)

// PreemptCmd applies Changes (as CmdSetState does: the victims' Desired
// OFFLINE) and sets Marks, in one entry: a group is never taken off
// without its mark, nor marked without being taken off.
type PreemptCmd struct {
	Origin  string              `json:"origin"`
	Changes []model.StateChange `json:"changes"`
	Marks   []model.GroupMark   `json:"marks"`
}

// ClearPreemptCmd removes the marks of Groups.
type ClearPreemptCmd struct {
	Groups []string `json:"groups"`
}

func init() {
	loadCommand(CmdPreempt, func(c *model.Config, cmd PreemptCmd) error {
		// The marks are checked first: ApplyStates changes c when it
		// succeeds, and a refusal must leave c unchanged.
		if err := c.Clone().SetPreempt(cmd.Marks); err != nil {
			return err
		}
		if err := c.ApplyStates(cmd.Changes); err != nil {
			return err
		}
		return c.SetPreempt(cmd.Marks)
	})
	loadCommand(CmdClearPreempt, func(c *model.Config, cmd ClearPreemptCmd) error {
		c.ClearPreempt(cmd.Groups)
		return nil
	})
}
