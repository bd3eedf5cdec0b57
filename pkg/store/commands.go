package store

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// Command types of the configuration log. The numbers are written to disk:
// they are explicit, append-only and never reused. A type with the high
// bit (0x80) set may be skipped by an older rgmd that doesn't know it;
// any other unknown type is refused.
const (
	CmdInit           byte = 1 // InitCmd: cluster name and this node
	CmdRegisterType   byte = 2 // model.ResourceType
	CmdUnregisterType byte = 3 // NameCmd
	CmdSetTypeProps   byte = 4 // PropsCmd
	CmdCreateGroup    byte = 5 // PropsCmd
	CmdSetGroup       byte = 6 // PropsCmd
	CmdDeleteGroup    byte = 7 // NameCmd
	CmdCreateResource byte = 8 // ResourceCmd
	CmdSetResource    byte = 9 // ResourceCmd
	CmdDeleteResource byte = 10
	CmdSetStatus      byte = 11 // StatusCmd
	CmdSetState       byte = 12 // StateCmd: a batch of engine state transitions
	CmdGossipKey      byte = 13 // GossipKeyCmd: the cluster's gossip key, once
	CmdJoinToken      byte = 14 // JoinTokenCmd: a join token issued
	CmdJoinNode       byte = 15 // JoinNodeCmd: a node joins with a token
	CmdRemoveNode     byte = 16 // NameCmd: a node leaves the cluster
	CmdNodeFenced     byte = 17 // NodeFencedCmd: a lost node is known to have stopped everything
	CmdSetFence       byte = 18 // FenceCmd: a node's fence device
	CmdImport         byte = 32 // ImportCmd: a whole configuration, all or nothing (import.go)

	cmdIgnorable byte = 0x80
)

// InitCmd names the cluster and adds a node if it is new. Addr, when
// set, is the node's cluster address (rgmd --cluster-addr).
type InitCmd struct {
	Cluster string `json:"cluster"`
	Node    string `json:"node"`
	Addr    string `json:"addr,omitempty"`
}

// GossipKeyCmd sets the cluster's gossip key if none is set yet.
type GossipKeyCmd struct {
	Key []byte `json:"key"`
}

// JoinTokenCmd records a join token; Now (Unix seconds, chosen by the
// proposer) prunes expired ones.
type JoinTokenCmd struct {
	Token model.JoinToken `json:"token"`
	Now   int64           `json:"now"`
}

// JoinNodeCmd adds a node that proved it holds a join token. Now (Unix
// seconds) is the proposer's clock, against which the token's expiry is
// checked, so every node applies it alike.
type JoinNodeCmd struct {
	Node      string `json:"node"`
	Addr      string `json:"addr"`
	TokenHash string `json:"token_hash"`
	Now       int64  `json:"now"`
	Witness   bool   `json:"witness,omitempty"` // rgmd --witness: a voter hosting nothing
}

// NodeFencedCmd records that Node, running under Incarnation, is known
// to have stopped everything (model.FenceNode). How says how it is
// known; Now (Unix seconds) is the proposer's clock.
type NodeFencedCmd struct {
	Node        string `json:"node"`
	Incarnation int    `json:"incarnation"`
	How         string `json:"how"`
	Now         int64  `json:"now"`
}

// FenceCmd sets a node's fence device; a nil Device removes it.
type FenceCmd struct {
	Node   string             `json:"node"`
	Device *model.FenceDevice `json:"device,omitempty"`
}

// NameCmd names one object.
type NameCmd struct {
	Name string `json:"name"`
}

// PropsCmd creates or changes a type or group.
type PropsCmd struct {
	Name  string            `json:"name"`
	Props map[string]string `json:"props,omitempty"`
}

// ResourceCmd creates or changes a resource.
type ResourceCmd struct {
	Name  string            `json:"name"`
	Group string            `json:"group,omitempty"`
	Type  string            `json:"type,omitempty"`
	Props map[string]string `json:"props,omitempty"`
	Ext   map[string]string `json:"ext,omitempty"`
}

// StatusCmd sets a resource's status on a node.
type StatusCmd struct {
	Resource string `json:"resource"`
	Group    string `json:"group,omitempty"`
	Node     string `json:"node"`
	Status   string `json:"status"`
	Msg      string `json:"msg"`
}

// StateCmd is a batch of per-node state changes decided by one node's
// engine: many transitions in one log entry (one fsync) where that matters
// for throughput. Origin is the node whose engine proposed it, so that the
// other nodes know to re-read their view.
//
// Incarnation is the origin's (model.Node.Incarnation) as its rgmd knows
// it: a batch from an rgmd the cluster fenced since is refused, so that a
// node that was frozen or cut off cannot undo what the others did.
type StateCmd struct {
	Origin      string              `json:"origin"`
	Incarnation int                 `json:"incarnation,omitempty"`
	Changes     []model.StateChange `json:"changes"`
}

// ConfigMachine is the Machine that holds the cluster configuration. Apply
// is deterministic: it only calls model's pure mutations, which leave the
// configuration unchanged when they refuse a change.
type ConfigMachine struct {
	mu  sync.RWMutex
	cfg *model.Config

	// Applied, when set, is called after every command that changed the
	// configuration, outside the lock, with the command's type and body.
	// It is how the daemon learns of changes made on any node (events,
	// D-Bus signals); it must not change the configuration.
	Applied func(typ byte, body []byte)

	// Changed, when set, is called after every change to the
	// configuration (a command's or a snapshot's), outside the lock and
	// before Applied: the daemon raises the change counter clients
	// trust cached answers by (package seqfile). Set before the machine
	// is used.
	Changed func()
}

// NewConfigMachine returns a machine holding an empty configuration.
func NewConfigMachine() *ConfigMachine {
	return &ConfigMachine{cfg: model.NewConfig("", "")}
}

// Read calls f with the configuration under a read lock. f must not keep
// or change anything it is given.
func (m *ConfigMachine) Read(f func(c *model.Config)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f(m.cfg)
}

func decode[T any](body []byte) (T, error) {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return v, scha.Errorf(scha.ErrInternal, "corrupt log entry: %v", err)
	}
	return v, nil
}

// Apply applies one command. Its error is the model's refusal, returned to
// the proposer.
func (m *ConfigMachine) Apply(typ byte, body []byte) (any, error) {
	res, err := m.apply(typ, body)
	if err == nil && m.Changed != nil {
		m.Changed()
	}
	if err == nil && m.Applied != nil {
		m.Applied(typ, body)
	}
	return res, err
}

func (m *ConfigMachine) apply(typ byte, body []byte) (any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cfg
	switch typ {
	case CmdInit:
		cmd, err := decode[InitCmd](body)
		if err != nil {
			return nil, err
		}
		if cmd.Cluster != "" {
			c.ClusterName = cmd.Cluster
		}
		if cmd.Node != "" && !c.HasNode(cmd.Node) {
			if err := c.AddNode(cmd.Node); err != nil {
				return nil, err
			}
		}
		if cmd.Node != "" && cmd.Addr != "" {
			return nil, c.SetNodeAddr(cmd.Node, cmd.Addr)
		}
		return nil, nil
	case CmdGossipKey:
		cmd, err := decode[GossipKeyCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.SetGossipKey(cmd.Key)
	case CmdJoinToken:
		cmd, err := decode[JoinTokenCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.AddToken(cmd.Token, cmd.Now)
	case CmdJoinNode:
		cmd, err := decode[JoinNodeCmd](body)
		if err != nil {
			return nil, err
		}
		if _, err = c.JoinNode(cmd.Node, cmd.Addr, cmd.TokenHash, cmd.Now); err != nil || !cmd.Witness {
			return nil, err
		}
		return nil, c.SetWitness(cmd.Node)
	case CmdNodeFenced:
		cmd, err := decode[NodeFencedCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.FenceNode(cmd.Node, cmd.Incarnation, cmd.How, cmd.Now)
	case CmdSetFence:
		cmd, err := decode[FenceCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.SetFenceDevice(cmd.Node, cmd.Device)
	case CmdRemoveNode:
		cmd, err := decode[NameCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.RemoveNode(cmd.Name)
	case CmdRegisterType:
		rt, err := decode[model.ResourceType](body)
		if err != nil {
			return nil, err
		}
		return nil, c.RegisterType(&rt)
	case CmdUnregisterType:
		cmd, err := decode[NameCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.UnregisterType(cmd.Name)
	case CmdSetTypeProps:
		cmd, err := decode[PropsCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.SetTypeProps(cmd.Name, cmd.Props)
	case CmdCreateGroup, CmdSetGroup:
		cmd, err := decode[PropsCmd](body)
		if err != nil {
			return nil, err
		}
		if typ == CmdCreateGroup {
			return nil, c.CreateGroup(cmd.Name, cmd.Props)
		}
		return nil, c.SetGroup(cmd.Name, cmd.Props)
	case CmdDeleteGroup:
		cmd, err := decode[NameCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.DeleteGroup(cmd.Name)
	case CmdCreateResource, CmdSetResource:
		cmd, err := decode[ResourceCmd](body)
		if err != nil {
			return nil, err
		}
		if typ == CmdCreateResource {
			return nil, c.CreateResource(cmd.Name, cmd.Group, cmd.Type, cmd.Props, cmd.Ext)
		}
		return nil, c.SetResource(cmd.Name, cmd.Props, cmd.Ext)
	case CmdDeleteResource:
		cmd, err := decode[NameCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.DeleteResource(cmd.Name)
	case CmdSetStatus:
		cmd, err := decode[StatusCmd](body)
		if err != nil {
			return nil, err
		}
		return nil, c.SetStatus(cmd.Resource, cmd.Group, cmd.Node, cmd.Status, cmd.Msg)
	case CmdSetState:
		cmd, err := decode[StateCmd](body)
		if err != nil {
			return nil, err
		}
		if err := c.CheckIncarnation(cmd.Origin, cmd.Incarnation); err != nil {
			return nil, err
		}
		return nil, c.ApplyStates(cmd.Changes)
	case CmdImport:
		return nil, m.applyImport(body)
	}
	if typ&cmdIgnorable != 0 {
		return nil, nil
	}
	// Refusing keeps the state unchanged; an rgmd this old must be upgraded
	// before it can follow a log that uses newer commands.
	return nil, scha.Errorf(scha.ErrInternal, "unknown log command type %d: this rgmd is older than the log", typ)
}

// Snapshot serializes the whole configuration.
func (m *ConfigMachine) Snapshot() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return json.Marshal(m.cfg)
}

// Restore replaces the configuration by a snapshot's.
func (m *ConfigMachine) Restore(data []byte) error {
	cfg := model.NewConfig("", "")
	if err := json.Unmarshal(data, cfg); err != nil {
		return fmt.Errorf("restore configuration snapshot: %w", err)
	}
	m.mu.Lock()
	m.cfg = cfg
	m.mu.Unlock()
	if m.Changed != nil {
		m.Changed()
	}
	return nil
}

// Encode marshals a command body.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Command bodies are plain structs of strings and maps.
		panic(fmt.Sprintf("store: encode command: %v", err))
	}
	return b
}
