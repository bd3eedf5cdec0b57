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

func init() {
	moreCommands[CmdSetInventory] = func(c *model.Config, body []byte) error {
		cmd, err := decode[InventoryCmd](body)
		if err != nil {
			return err
		}
		return c.SetInventory(cmd.Node, cmd.Inventory)
	}
	moreCommands[CmdClusterProps] = func(c *model.Config, body []byte) error {
		cmd, err := decode[ClusterPropsCmd](body)
		if err != nil {
			return err
		}
		return c.SetClusterProps(cmd.Props)
	}
	moreCommands[CmdSetLoadLimits] = func(c *model.Config, body []byte) error {
		cmd, err := decode[LoadLimitsCmd](body)
		if err != nil {
			return err
		}
		return c.SetLoadLimits(cmd.Node, cmd.Hard, cmd.Soft)
	}
}
