package model

import (
	"slices"
	"strings"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Trust is the part of the replicated configuration that lets nodes
// join: the gossip encryption key every node's memberlist uses, and the
// join tokens issued, by the hash of their secret (the secret itself is
// never stored). It is never shown to clients.
type Trust struct {
	GossipKey []byte      `json:"gossip_key,omitempty"`
	Tokens    []JoinToken `json:"tokens,omitempty"`
	// Creds are the remote API's user credentials issued (creds.go).
	Creds []Credential `json:"creds,omitempty"`
}

// JoinToken is one issued join token.
type JoinToken struct {
	ID      string `json:"id"`      // a short public name, for listing and logs
	Hash    string `json:"hash"`    // SHA-256 of the secret, hex
	Expires int64  `json:"expires"` // Unix seconds
	Used    string `json:"used,omitempty"`
}

// MaxTokens bounds the tokens kept: issuing more drops expired and used
// ones first, then the oldest.
const MaxTokens = 64

// SetGossipKey records the cluster's gossip key the first time; a key
// already set is kept (a second node enabling clustering must not change
// the key of running nodes).
func (c *Config) SetGossipKey(key []byte) error {
	if len(key) != 16 && len(key) != 24 && len(key) != 32 {
		return scha.Errorf(scha.ErrInval, "gossip key must be 16, 24 or 32 bytes, got %d", len(key))
	}
	if c.Trust == nil || len(c.Trust.GossipKey) == 0 {
		c.ownTrust().GossipKey = slices.Clone(key)
	}
	return nil
}

// AddToken records a join token. now (Unix seconds, chosen when the
// command was proposed) prunes expired and used tokens.
func (c *Config) AddToken(t JoinToken, now int64) error {
	if t.ID == "" || len(t.Hash) != 64 || t.Expires <= now {
		return scha.Errorf(scha.ErrInval, "malformed join token record")
	}
	tr := c.ownTrust()
	kept := make([]JoinToken, 0, len(tr.Tokens)+1)
	for _, old := range tr.Tokens {
		if old.Used == "" && old.Expires > now {
			kept = append(kept, old)
		}
	}
	if len(kept) >= MaxTokens {
		kept = kept[len(kept)-MaxTokens+1:]
	}
	tr.Tokens = append(kept, t)
	return nil
}

// ownTrust replaces c.Trust by a copy that c alone holds, so a mutation
// does not reach a Clone that shares the old one, and returns it.
func (c *Config) ownTrust() *Trust {
	t := &Trust{}
	if c.Trust != nil {
		t.GossipKey = c.Trust.GossipKey
		t.Tokens = slices.Clone(c.Trust.Tokens)
		t.Creds = slices.Clone(c.Trust.Creds)
	}
	c.Trust = t
	return t
}

// Token finds an unused, unexpired token by the hash of its secret.
func (c *Config) Token(hash string, now int64) (JoinToken, error) {
	if c.Trust != nil {
		for _, t := range c.Trust.Tokens {
			if t.Hash != hash {
				continue
			}
			switch {
			case t.Used != "":
				return t, scha.Errorf(scha.ErrAccess, "join token %s was already used (by node %s); issue a new one with `rgmadm cluster token`", t.ID, t.Used)
			case t.Expires <= now:
				return t, scha.Errorf(scha.ErrAccess, "join token %s has expired; issue a new one with `rgmadm cluster token`", t.ID)
			}
			return t, nil
		}
	}
	return JoinToken{}, scha.Errorf(scha.ErrAccess, "unknown join token: it was not issued by this cluster, or it was mistyped")
}

// Node returns the named node.
func (c *Config) Node(name string) (Node, bool) {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// AddNode adds a node by name alone: the first node of a cluster, which
// needs no token.
func (c *Config) AddNode(name string) error {
	if err := CheckName("node", name, scha.ErrNode); err != nil {
		return err
	}
	if c.HasNode(name) {
		return scha.Errorf(scha.ErrInval, "node %s exists", name)
	}
	c.Nodes = append(slices.Clone(c.Nodes), Node{Name: name, ID: c.nextNodeID()})
	c.Seq++
	return nil
}

// SetNodeAddr records the cluster address a node listens on.
func (c *Config) SetNodeAddr(name, addr string) error {
	for i, n := range c.Nodes {
		if n.Name == name {
			if n.Addr != addr {
				c.Nodes = slices.Clone(c.Nodes)
				c.Nodes[i].Addr = addr
				c.Seq++
			}
			return nil
		}
	}
	return scha.Errorf(scha.ErrNode, "no node %q in cluster %q", name, c.ClusterName)
}

// JoinNode adds a node that proved it holds the join token whose secret
// hashes to tokenHash, using the token up. The node gets the next node
// ID: IDs are never reused, so a number always names one node for the
// life of the cluster, as Solaris Cluster's do.
func (c *Config) JoinNode(name, addr, tokenHash string, now int64) (Node, error) {
	if err := CheckName("node", name, scha.ErrNode); err != nil {
		return Node{}, err
	}
	if strings.TrimSpace(addr) == "" {
		return Node{}, scha.Errorf(scha.ErrInval, "node %s gave no cluster address", name)
	}
	t, err := c.Token(tokenHash, now)
	if err != nil {
		return Node{}, err
	}
	if n, ok := c.Node(name); ok {
		return Node{}, scha.Errorf(scha.ErrInval, "node name %s is taken by node ID %d; remove that node first (rgmadm node remove %s) or choose another --node-name", name, n.ID, name)
	}
	for _, n := range c.Nodes {
		if n.Addr == addr {
			return Node{}, scha.Errorf(scha.ErrInval, "cluster address %s is node %s's", addr, n.Name)
		}
	}
	n := Node{Name: name, ID: c.nextNodeID(), Addr: addr}
	c.Nodes = append(slices.Clone(c.Nodes), n)
	tr := c.ownTrust()
	for i := range tr.Tokens {
		if tr.Tokens[i].Hash == t.Hash {
			tr.Tokens[i].Used = name
		}
	}
	c.Seq++
	return n, nil
}

func (c *Config) nextNodeID() int {
	id := c.LastNodeID
	for _, n := range c.Nodes {
		id = max(id, n.ID)
	}
	return id + 1
}

// RemoveNode takes a node out of the cluster: out of every group's
// Nodelist, with its per-node state of every group and resource. It is
// refused while any group is neither OFFLINE nor UNMANAGED there, or when
// the node is the only one of a group's Nodelist: moving a group away, or
// deleting it, is the operator's decision. The removed node's ID is never
// given to another node.
func (c *Config) RemoveNode(name string) error {
	n, ok := c.Node(name)
	if !ok {
		return scha.Errorf(scha.ErrNode, "no node %q in cluster %q", name, c.ClusterName)
	}
	if len(c.Nodes) == 1 {
		return scha.Errorf(scha.ErrInval, "node %s is the cluster's last node", name)
	}
	next := map[string]*ResourceGroup{}
	for _, gname := range sortedKeys(c.Groups) {
		g := c.Groups[gname]
		list := SplitArray(g.Props["Nodelist"])
		if !slices.Contains(list, name) {
			continue
		}
		if st, ok := g.Nodes[name]; ok && st.State != RGStateOffline && st.State != RGStateUnmanaged {
			return scha.Errorf(scha.ErrState, "resource group %s is %s on node %s: take it offline there first", gname, st.State, name)
		}
		list = slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == name })
		if len(list) == 0 {
			return scha.Errorf(scha.ErrDepend, "node %s is the only node of resource group %s's Nodelist: delete the group or give it another node first", name, gname)
		}
		cp := *g
		cp.Props = copyMap(g.Props)
		cp.Props["Nodelist"] = strings.Join(list, ",")
		cp.Nodes = make(map[string]*RGNode, len(g.Nodes))
		for k, v := range g.Nodes {
			if k != name {
				cp.Nodes[k] = v
			}
		}
		cp.Seq = c.nextSeq()
		next[gname] = &cp
	}
	for gname, g := range next {
		c.Groups[gname] = g
		for _, rn := range c.ResourcesOf(gname) {
			r := *c.Resources[rn]
			r.Nodes = copyNodes(r.Nodes)
			delete(r.Nodes, name)
			c.Resources[rn] = &r
		}
	}
	c.LastNodeID = max(c.LastNodeID, n.ID)
	c.Nodes = slices.DeleteFunc(slices.Clone(c.Nodes), func(x Node) bool { return x.Name == name })
	c.Seq++
	return nil
}
