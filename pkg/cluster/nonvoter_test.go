package cluster_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The leader killed, a change made at once on a non-voter succeeds. A
// non-voter hears the leader's heartbeats only once a second and keeps
// a dead leader's name for up to its own 3 s heartbeat timeout
// (pkg/store/heartbeat.go): a change made meanwhile meets the dead
// leader's closed port (as it catches up, before its command is sent)
// and must wait for the next leader, as one made on a voter does
// (TestFailoverNodeKilled), rather than fail.
func TestNonVoterChangeAfterLeaderKilled(t *testing.T) {
	c, n6 := nonVoterCluster(t)
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

// nonVoterCluster starts six nodes and returns the cluster and n6, a
// non-voter that hears from the leader once a second: a non-voter gets
// the voters' heartbeats for a grace after a change of the
// configuration (nonVoterGrace, 5 s), and raises its own timeout as it
// commits that configuration.
func nonVoterCluster(t *testing.T) (*rgmtest.Cluster, *rgmtest.Daemon) {
	t.Helper()
	c := rgmtest.StartCluster(t, 6)
	n6 := c.Nodes[5]
	if role, _ := roleOf(t, n6, "n6"); role != "nonvoter" {
		t.Fatalf("n6 is %q, want a nonvoter", role)
	}
	time.Sleep(6 * time.Second) // past the grace
	return c, n6
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

// The leader killed while a change made on a non-voter runs its
// Validate method: the change has caught up with the leader before it
// died (BeforeWrite) and forwards its command once Validate is done,
// while n6 still names the dead leader. It waits for the next leader
// rather than fail on the dead one's closed port.
func TestNonVoterForwardAfterLeaderKilled(t *testing.T) {
	c, n6 := nonVoterCluster(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Validate says it runs, then takes 300 ms.
	if err := os.WriteFile(filepath.Join(dir, "Validate"), []byte("#!/bin/sh\n: >"+dir+"/validating\nsleep 0.3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Start"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rtr := filepath.Join(dir, "slow.rtr")
	if err := os.WriteFile(rtr, []byte(`Resource_type = slow; Vendor_id = TEST; RT_version = "1"; RT_basedir = "`+dir+`";
Failover = TRUE; Start = Start; Stop = Start; Validate = Validate;
`), 0o644); err != nil {
		t.Fatal(err)
	}
	waitOK(t, n6, "rgmadm", "rt", "register", rtr)
	// Only n6 validates: no other node is asked to.
	waitOK(t, n6, "rgmadm", "rg", "create", "nv-rg", "-p", "Nodelist=n6")
	leader := c.Node(leaderOf(t, n6))

	done := make(chan rgmtest.Result, 1)
	start := time.Now()
	go func() { done <- n6.Run("rgmadm", "rs", "create", "nv-rs", "-g", "nv-rg", "-t", "slow") }()
	for {
		if _, err := os.Stat(filepath.Join(dir, "validating")); err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("Validate never ran:\n%s", n6.LogTail(40))
		}
		time.Sleep(5 * time.Millisecond)
	}
	leader.Kill()
	killed := time.Now()
	r := <-done
	t.Logf("rs create on the non-voter n6 took %v, %v of it after the leader %s was killed", time.Since(start), time.Since(killed), leader.Node)
	if r.Code != 0 {
		t.Fatalf("rs create on n6 while the leader %s was killed: exit %d: %s\nlog of n6:\n%s",
			leader.Node, r.Code, r.Stderr, n6.LogTail(40))
	}
	for _, d := range c.Nodes {
		if d != leader {
			waitOutput(t, d, "nv-rs\n", "scha_resourcegroup_get", "-O", "RESOURCE_LIST", "-G", "nv-rg")
		}
	}
}
