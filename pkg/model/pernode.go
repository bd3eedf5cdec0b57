package model

import (
	"strings"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Per-node extension properties (PER_NODE in the RTR file) hold one value
// per node: Resource.Ext has the value of every node that has none of its
// own, Resource.ExtNode the nodes' own values. They are set as
// Solaris Cluster's clresource does, with the node names in braces:
// -x 'Prop{n1}=v' or -x 'Prop{n1,n2}=v'; -x Prop=v without braces sets
// the value of every node (and forgets the nodes' own values).

// SplitNodeKey splits an extension assignment's name "Prop{n1,n2}" into
// the property name and the node names; a name without braces has no
// nodes. A malformed name (braces not closing it, an empty node list or
// node name) is SCHA_ERR_PROP.
func SplitNodeKey(key string) (name string, nodes []string, err error) {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		if strings.ContainsRune(key, '}') {
			return "", nil, scha.Errorf(scha.ErrProp, "extension property %q: a } without {", key)
		}
		return key, nil, nil
	}
	if !strings.HasSuffix(key, "}") || open == 0 || strings.Count(key, "{") != 1 || strings.Count(key, "}") != 1 {
		return "", nil, scha.Errorf(scha.ErrProp, "extension property %q: want NAME{node,...}", key)
	}
	for _, n := range strings.Split(key[open+1:len(key)-1], ",") {
		if n = strings.TrimSpace(n); n == "" {
			return "", nil, scha.Errorf(scha.ErrProp, "extension property %q: empty node name in braces", key)
		}
		nodes = append(nodes, n)
	}
	return key[:open], nodes, nil
}

// ExtValue is the value of extension property name (as declared) of r on
// node: the node's own value of a per-node property, else the resource's.
func (r *Resource) ExtValue(name, node string) (string, bool) {
	if v, ok := r.ExtNode[name][node]; ok {
		return v, true
	}
	v, ok := r.Ext[name]
	return v, ok
}

// setExtNode records nv as the value of per-node property name on nodes,
// or on every node (nodes nil). r.ExtNode is replaced, never changed in
// place: the old map may be shared with the resource being replaced.
func (r *Resource) setExtNode(name string, nodes []string, nv string) {
	next := make(map[string]map[string]string, len(r.ExtNode)+1)
	for k, v := range r.ExtNode {
		next[k] = v
	}
	if nodes == nil {
		r.Ext[name] = nv
		delete(next, name)
	} else {
		vals := copyMap(next[name])
		for _, n := range nodes {
			vals[n] = nv
		}
		next[name] = vals
	}
	if len(next) == 0 {
		next = nil
	}
	r.ExtNode = next
}

// checkNodeKey checks the nodes of a per-node assignment of d against the
// configured nodes.
func checkNodeKey(d PropDecl, key string, nodes, configured []string) error {
	if !d.PerNode {
		return scha.Errorf(scha.ErrProp, "extension property %s is not per-node (PER_NODE in the RTR file): set it without {node} (%q)", d.Name, key)
	}
	for _, n := range nodes {
		found := false
		for _, c := range configured {
			if c == n {
				found = true
			}
		}
		if !found {
			return scha.Errorf(scha.ErrNode, "extension property %s: %q is not a node of the cluster (%s)", d.Name, n, strings.Join(configured, ", "))
		}
	}
	return nil
}
