package cluster_test

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// TestChaos is the randomized fault run. A three-node cluster, each node
// with the harness's fence agent and a hard load limit that leaves room
// for one group, hosts two failover groups of a chk resource (the
// double-online checker of failover_test.go) while faults
// are injected one after another, sometimes two at once: a whole node
// killed, rgmd alone killed, rgmd frozen, a whole node frozen, and, as
// root, a node's network cut and healed or flapping. Dead nodes come back
// (rgmd restarted on its state), frozen ones thaw. Meanwhile changes are
// written and counted once acknowledged. Every few faults the run waits
// for the cluster to settle and checks:
//   - no service ever found its group's lock held by another node's
//     (never online twice, at any instant), nor its node's one slot
//     held by another group's (no node above its hard limit);
//   - every group is ONLINE on some node (a quorate cluster hosts it);
//   - no process of a node's services runs that the configuration does
//     not account for (no orphan);
//   - every acknowledged change is there.
//
// RGM_CHAOS_FAULTS sets the number of faults (make chaos: 200),
// RGM_CHAOS_SEED the seed (printed, to replay a failure). Without
// RGM_CHAOS_FAULTS the run is skipped: at about ten minutes it would
// double make test's time, so CI runs it on its own (make chaos).
func TestChaos(t *testing.T) {
	faults := 0
	if v := os.Getenv("RGM_CHAOS_FAULTS"); v != "" {
		faults, _ = strconv.Atoi(v)
	}
	if faults <= 0 {
		t.Skip("the randomized fault run: make chaos, or RGM_CHAOS_FAULTS=N")
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("RGM_CHAOS_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	t.Logf("chaos: %d faults, seed %d (RGM_CHAOS_SEED=%d to replay)", faults, seed, seed)
	rng := rand.New(rand.NewSource(seed))
	netns, _ := rgmtest.NetNSAvailable()

	extra := []string{"--lease", "1500ms"}
	var c *rgmtest.Cluster
	if netns {
		c = rgmtest.StartClusterNetNS(t, 3, extra...)
	} else {
		c = rgmtest.StartCluster(t, 3, extra...)
	}
	k := newChecker(t)
	n1 := c.Nodes[0]
	waitOK(t, n1, "rgmadm", "rt", "register", k.rtr())
	// Each node has room for one group (#22): a survivor never takes a
	// second, and the services' slot locks say so if it does.
	for _, d := range c.Nodes {
		waitOK(t, n1, "rgmadm", "node", "set", d.Node, "-p", "loadlimit=slots@1")
	}
	k.onePerNode()
	groups := map[string]string{"db-rg": "n1,n2,n3", "web-rg": "n3,n2,n1"}
	for g, list := range groups {
		waitOK(t, n1, "rgmadm", "rg", "create", g, "-p", "Nodelist="+list, "-p", "Pingpong_interval=0", "-p", "Load_factors=slots@1")
		waitOK(t, n1, "rgmadm", "rs", "create", strings.TrimSuffix(g, "-rg")+"-rs", "-g", g, "-t", "chk")
	}
	for _, d := range c.Nodes {
		setAgent(t, c, d.Node)
	}
	waitOK(t, n1, "rgmadm", "rg", "online", "-M", "+", "--wait")

	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("chaos seed %d: "+format, append([]any{seed}, args...)...)
	}
	var mu sync.Mutex
	// reviveAll starts again, all at once (two may be needed for a
	// quorum), every node whose rgmd is gone: powered off, killed, or
	// stopped because it was fenced. Its guard may still run, and is
	// reused. The leader may fence a node again while it starts (its
	// fence agent kills it, as a machine fenced while it boots): start
	// again.
	reviveAll := func() {
		t.Helper()
		// An rgmd that thawed may find only now that it was fenced, and
		// stop: look again until every node stays up.
		for round := 0; round < 20; round++ {
			var wg sync.WaitGroup
			started := 0
			for _, d := range c.Nodes {
				if done, _ := d.Exited(); !done {
					continue
				}
				started++
				wg.Add(1)
				go func(d *rgmtest.Daemon) {
					defer wg.Done()
					if err := d.TryStart("--cluster-addr", d.ClusterAddr, "--lease", "1500ms"); err != nil {
						t.Logf("%s: start in round %d: %v", d.Node, round+1, tail(err.Error(), 3))
					}
				}(d)
			}
			wg.Wait()
			if started == 0 {
				return
			}
			time.Sleep(time.Second)
		}
		for _, d := range c.Nodes {
			if done, _ := d.Exited(); done {
				fail("%s does not start again:\n%s", d.Node, tail(d.Log(), 30))
			}
		}
	}
	acked := 0
	// writeSome writes one change through the first node that takes it;
	// only an acknowledged one is counted (a refusal, or an answer lost
	// with its node, is not).
	writeSome := func() {
		for _, d := range c.Nodes {
			if done, _ := d.Exited(); done {
				continue
			}
			name := fmt.Sprintf("ack%d", acked+1)
			r := d.Run("rgmadm", "rg", "create", name, "-p", "Nodelist=n1")
			if r.Code == 0 || strings.Contains(r.Stderr, "already exists") {
				// (Exists: an earlier try was committed, its answer lost.)
				acked++
				return
			}
		}
	}

	type fault struct {
		name string
		root bool
		run  func(d *rgmtest.Daemon, dur time.Duration)
	}
	kinds := []fault{
		{"kill -9 of a whole node", false, func(d *rgmtest.Daemon, _ time.Duration) { c.PowerOff(d) }},
		{"kill -9 of rgmd", false, func(d *rgmtest.Daemon, _ time.Duration) { d.Kill() }},
		{"SIGSTOP of rgmd", false, func(d *rgmtest.Daemon, dur time.Duration) { d.Freeze(); time.Sleep(dur); d.Thaw() }},
		{"SIGSTOP of a whole node", false, func(d *rgmtest.Daemon, dur time.Duration) {
			c.FreezeNode(d)
			time.Sleep(dur)
			c.ThawNode(d)
		}},
		{"network cut", true, func(d *rgmtest.Daemon, dur time.Duration) { c.NS.Cut(d); time.Sleep(dur); c.NS.Heal(d) }},
		{"flapping link", true, func(d *rgmtest.Daemon, dur time.Duration) {
			for i := 0; i < 5; i++ {
				c.NS.Cut(d)
				time.Sleep(dur / 10)
				c.NS.Heal(d)
				time.Sleep(dur / 10)
			}
		}},
	}
	var usable []fault
	for _, f := range kinds {
		if !f.root || netns {
			usable = append(usable, f)
		}
	}
	settle := func(after int) {
		t.Helper()
		// Every node up, as every node sees it; a node whose rgmd stops
		// meanwhile (it finds it was fenced) is started again.
		deadline := time.Now().Add(3 * time.Minute)
		for !allUp(c) {
			if time.Now().After(deadline) {
				fail("the nodes do not all come up again:\n%s", tail(c.Nodes[0].Log(), 30))
			}
			reviveAll()
			time.Sleep(200 * time.Millisecond)
		}
		for g, list := range groups {
			onlineSomewhere(t, c.Nodes[0], g, strings.Split(list, ","), 90*time.Second)
		}
		k.check()
		k.noOrphans(t, c)
		t.Logf("chaos: settled after %d faults; %d changes acknowledged", after, acked)
	}
	counts := map[string]int{}
	settled := 0
	for i := 1; i <= faults; i++ {
		f := usable[rng.Intn(len(usable))]
		d := c.Nodes[rng.Intn(len(c.Nodes))]
		dur := time.Duration(100+rng.Intn(1900)) * time.Millisecond
		if rng.Intn(4) == 0 { // the leader, more often than chance
			if l := leaderNode(c); l != nil {
				d = l
			}
		}
		reviveAll()
		two := rng.Intn(6) == 0
		var wg sync.WaitGroup
		run := func(f fault, d *rgmtest.Daemon) {
			defer wg.Done()
			mu.Lock()
			counts[f.name]++
			mu.Unlock()
			f.run(d, dur)
		}
		wg.Add(1)
		t.Logf("fault %d: %s on %s (%v)", i, f.name, d.Node, dur)
		go run(f, d)
		if two && i < faults {
			i++
			f2 := usable[rng.Intn(len(usable))]
			d2 := c.Nodes[rng.Intn(len(c.Nodes))]
			if d2 != d {
				wg.Add(1)
				t.Logf("fault %d: %s on %s at the same time", i, f2.name, d2.Node)
				go run(f2, d2)
			}
		}
		writeSome()
		wg.Wait()
		k.check()
		time.Sleep(time.Duration(rng.Intn(500)) * time.Millisecond)
		if i/10 > settled/10 || i >= faults {
			settle(i)
			settled = i
		}
	}
	settle(faults)
	// Every acknowledged change survived.
	out := c.Nodes[0].MustRun("rgmadm", "rg", "list")
	for j := 1; j <= acked; j++ {
		if !strings.Contains(out+"\n", fmt.Sprintf("ack%d\n", j)) {
			fail("acknowledged change ack%d lost; groups:\n%s", j, out)
		}
	}
	t.Logf("chaos: %d faults %v, 0 double-online, 0 orphans, %d acknowledged changes kept (seed %d)", faults, counts, acked, seed)
}

// leaderNode is the node that leads now, as the first live node says.
func leaderNode(c *rgmtest.Cluster) *rgmtest.Daemon {
	for _, d := range c.Nodes {
		if done, _ := d.Exited(); done {
			continue
		}
		r := d.Run("rgmadm", "cluster", "status")
		for _, line := range strings.Split(r.Stdout, "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "Leader" {
				for _, n := range c.Nodes {
					if n.Node == f[1] {
						return n
					}
				}
			}
		}
		return nil
	}
	return nil
}

// noOrphans checks that each node's tagged processes are the services of
// the groups ONLINE there, one each: nothing a fenced or restarted node
// left behind.
func (k *checker) noOrphans(t testing.TB, c *rgmtest.Cluster) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		bad := ""
		for _, d := range c.Nodes {
			want := 0
			for _, g := range []string{"db-rg", "web-rg"} {
				r := c.Nodes[0].Run("scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", g, d.Node)
				if strings.TrimSpace(r.Stdout) == "ONLINE" {
					want++
				}
			}
			got := len(d.NodePIDs()) - 1 // rgmd
			if b, err := os.ReadFile(d.StateDir + "/guard.pid"); err == nil {
				if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 && rgmtest.Alive(pid) {
					got--
				}
			}
			if got != want {
				bad += fmt.Sprintf("%s runs %d service processes for %d online groups; ", d.Node, got, want)
			}
		}
		if bad == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("orphans: %s", bad)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// allUp says whether every node's rgmd runs and sees every node UP.
func allUp(c *rgmtest.Cluster) bool {
	for _, d := range c.Nodes {
		if done, _ := d.Exited(); done {
			return false
		}
	}
	for _, d := range c.Nodes {
		for _, n := range c.Nodes {
			r := d.Run("scha_cluster_get", "-O", "NODESTATE_NODE", n.Node)
			if r.Code != 0 || strings.TrimSpace(r.Stdout) != "UP" {
				return false
			}
		}
	}
	return true
}
