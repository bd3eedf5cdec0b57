package cluster_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The leader killed, a change made at once on a non-voter succeeds. A
// non-voter hears the leader's heartbeats only once a second and keeps
// a dead leader's name for up to its own 3 s heartbeat timeout
// (pkg/store/heartbeat.go): a change forwarded meanwhile meets the dead
// leader's closed port and must wait for the next leader, as one made
// on a voter does (TestFailoverNodeKilled), rather than fail.
func TestNonVoterChangeAfterLeaderKilled(t *testing.T) {
	c := rgmtest.StartCluster(t, 6)
	n6 := c.Nodes[5]
	if role, _ := roleOf(t, n6, "n6"); role != "nonvoter" {
		t.Fatalf("n6 is %q, want a nonvoter", role)
	}
	// A non-voter gets the voters' heartbeats for a grace after a
	// change of the configuration (nonVoterGrace, 5 s) and raises its
	// own timeout as it commits that configuration; past the grace it
	// hears from the leader once a second, the case under test.
	time.Sleep(6 * time.Second)
	leader := c.Node(leaderOf(t, n6))
	if leader == n6 {
		t.Fatal("n6 leads the cluster")
	}

	leader.Kill()
	seen := make(chan string, 1)
	go func() { _, l := roleOf(t, n6, "n6"); seen <- l }()
	start := time.Now()
	r := n6.Run("rgmadm", "rg", "create", "nv-rg")
	took := time.Since(start)
	t.Logf("n6 named %q the leader right after %s was killed", <-seen, leader.Node)
	if r.Code != 0 {
		t.Fatalf("rg create on n6 right after the leader %s was killed: exit %d after %v: %s\nlog of n6:\n%s",
			leader.Node, r.Code, took, r.Stderr, n6.LogTail(40))
	}
	t.Logf("rg create on the non-voter n6 took %v after the leader %s was killed", took, leader.Node)
	for _, d := range c.Nodes {
		if d != leader {
			waitOutput(t, d, "nv-rg\n", "scha_cluster_get", "-O", "ALL_RESOURCEGROUPS")
		}
	}
}

// roleOf is node's raft role and the leader's name, as d sees them.
func roleOf(t *testing.T, d *rgmtest.Daemon, node string) (role, leader string) {
	var nodes []wire.NodeInfo
	r := d.Run("rgmadm", "-o", "json", "node", "list")
	if r.Code != 0 {
		return "", "(node list: " + strings.TrimSpace(r.Stderr) + ")"
	}
	if err := json.Unmarshal([]byte(r.Stdout), &nodes); err != nil {
		t.Errorf("node list on %s: %v", d.Node, err)
	}
	for _, n := range nodes {
		if n.Name == node {
			role = n.Role
		}
		if n.Leader {
			leader = n.Name
		}
	}
	return role, leader
}
