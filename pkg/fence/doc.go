// Package fence keeps a node's resources from running where the cluster
// no longer lets them run: the guard, a small process of its own that
// kills every process of the node's resources when the node's lease from
// the cluster expires, and Pacemaker's fence agents, which fence a node
// from outside (power it off) when it cannot fence itself.
//
// The guard (GuardMain, run as the hidden mode "rgmd guard") does not
// depend on rgmd being alive: rgmd hands it a lease deadline on the
// CLOCK_MONOTONIC clock every time it renews its lease (GuardClient.Lease);
// if the deadline passes, because rgmd was killed, frozen or cut off from
// the quorum, the guard stops and kills every process that carries the
// node's fence tag in its environment (RGM_FENCE_TAG), writes
// STATE_DIR/fenced, and reports to the other nodes, over the cluster's
// TLS request protocol with the node's certificate, that it fenced.
//
// Agents (Agent) are run as Pacemaker's fenced runs them: key=value lines
// on stdin (action, plug, the device's parameters), exit 0 for success,
// and for status 0 = on, 2 = off.
package fence
