package cluster_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Load limits on a real cluster (#22): every node reports its
// inventory; rg online without -n goes where there is room and is
// refused when none has; after a node is lost its groups go only where
// every hard limit holds, the highest Priority first, and the one left
// over says why. No survivor ends above a hard limit.
func TestLoadLimitsAfterNodeLoss(t *testing.T) {
	c := rgmtest.StartCluster(t, 3, "--lease", "1500ms")
	k := newChecker(t)
	n1, n2, n3 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	waitOK(t, n1, "rgmadm", "rt", "register", k.rtr())
	for _, d := range c.Nodes {
		setAgent(t, c, d.Node)
	}
	// Every node's inventory is in the log.
	for _, d := range c.Nodes {
		var info wire.NodeInfo
		deadline := time.Now().Add(30 * time.Second)
		for {
			if err := json.Unmarshal([]byte(n1.MustRun("rgmadm", "-o", "json", "node", "show", d.Node)), &info); err != nil {
				t.Fatal(err)
			}
			if info.Inventory != nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if inv := info.Inventory; inv == nil || inv.MilliCPU < 1000 || inv.Memory <= 0 || inv.Kernel == "" {
			t.Fatalf("node %s's inventory: %+v", d.Node, info.Inventory)
		}
	}
	waitOK(t, n1, "rgmadm", "node", "set", "n1", "-p", "loadlimit=cpu@10000")
	waitOK(t, n1, "rgmadm", "node", "set", "n2", "-p", "loadlimit=cpu@3000,licenses@8", "-p", "loadlimit_soft=cpu@2000")
	waitOK(t, n1, "rgmadm", "node", "set", "n3", "-p", "loadlimit=cpu@3000")
	waitOutput(t, n2, "n1=10000\nn2=3000\nn3=3000\n", "scha_cluster_get", "-O", "HARD_LOADLIMIT", "cpu")
	group := func(name, nodelist string, props ...string) {
		args := []string{"rg", "create", name, "-p", "Nodelist=" + nodelist, "-p", "Pingpong_interval=0", "-p", "Load_factors=cpu@1500"}
		for _, p := range props {
			args = append(args, "-p", p)
		}
		waitOK(t, n1, "rgmadm", args...)
		waitOK(t, n1, "rgmadm", "rs", "create", name+"-rs", "-g", name, "-t", "chk")
	}
	// g0 on n2 (its Nodelist's first), the others on n1: no -n.
	group("g0", "n2,n3")
	for i := 1; i <= 4; i++ {
		prio := "Priority=500"
		if i == 4 {
			prio = "Priority=900"
		}
		group(fmt.Sprintf("g%d", i), "n1,n2,n3", prio)
	}
	// rg online -M manages the groups unmanaged on the node asked: g0
	// (not in n1's Nodelist) is brought online from n2.
	for _, g := range []string{"g0", "g1", "g2", "g3", "g4"} {
		d := n1
		if g == "g0" {
			d = n2
		}
		if r := d.Run("rgmadm", "rg", "online", "-M", g, "--wait", "--timeout", "60s"); r.Code != 0 {
			t.Fatalf("rg online %s: exit %d %q %q\n%s", g, r.Code, r.Stderr, r.Stdout, tail(d.Log(), 30))
		}
	}
	onlineOn(t, n1, "g0", "n2", 30*time.Second)
	for i := 1; i <= 4; i++ {
		onlineOn(t, n1, fmt.Sprintf("g%d", i), "n1", 30*time.Second)
	}
	// A group whose factors fit no node is refused, with the reason.
	waitOK(t, n1, "rgmadm", "rg", "create", "huge", "-p", "Load_factors=cpu@20000")
	r := n1.Run("rgmadm", "rg", "online", "-M", "huge")
	if r.Code == 0 || !strings.Contains(r.Stderr, "n1 has no room: load cpu 6000 placed + 20000 > hard limit 10000") {
		t.Fatalf("rg online huge: exit %d %s", r.Code, r.Stderr)
	}
	// Bad input is refused before anything is proposed.
	for _, bad := range [][]string{
		{"node", "set", "n2", "-p", "loadlimit=cpu@-1"},
		{"node", "set", "n2", "-p", "loadlimit_soft=cpu@5000"}, // above the hard limit
		{"node", "set", "n2", "-p", "loadlimit=memory@9999999999T"},
		{"node", "set", "n2", "-p", "color=blue"},
		{"rg", "set", "g1", "-p", "Load_factors=licences@1"}, // no node limits it
	} {
		if r := n1.Run("rgmadm", bad...); r.Code == 0 {
			t.Fatalf("rgmadm %v accepted", bad)
		}
	}

	// n1 is lost: 4 × 1500 to place on n2 (1500 free, and 500 under
	// its soft limit) and n3 (3000 free, no soft limit). g4 first
	// (Priority 900) to n3, where it stays under the soft limits; g1
	// too; then g2 to n2, past its soft limit but not its hard one; g3
	// finds no room.
	c.PowerOff(n1)
	onlineOn(t, n2, "g4", "n3", 60*time.Second)
	onlineOn(t, n2, "g1", "n3", 60*time.Second)
	onlineOn(t, n2, "g2", "n2", 60*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := n2.MustRun("rgmadm", "status")
		if strings.Contains(st, "g3: no node can host it") && strings.Contains(st, "n2 has no room: load cpu 3000 placed + 1500 > hard limit 3000") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status does not say why g3 is not placed:\n%s", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, d := range []*rgmtest.Daemon{n2, n3} {
		var info wire.NodeInfo
		if err := json.Unmarshal([]byte(n2.MustRun("rgmadm", "-o", "json", "node", "show", d.Node)), &info); err != nil {
			t.Fatal(err)
		}
		for _, l := range info.Loads {
			if l.Hard > 0 && l.Load > l.Hard {
				t.Errorf("%s is above its hard limit: %+v", d.Node, l)
			}
		}
	}
	if st := strings.TrimSpace(n2.MustRun("scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", "g3", "n2")); st != "OFFLINE" {
		t.Errorf("g3 is %s on n2", st)
	}
	out := n3.MustRun("rgmadm", "node", "show", "n3")
	if !strings.Contains(out, "3000 of hard 3000") {
		t.Errorf("node show n3 does not show its load:\n%s", out)
	}
	// Room returns (g2 taken offline): g3, still wanted on the lost n1,
	// is placed there.
	waitOK(t, n2, "rgmadm", "rg", "offline", "g2", "--wait")
	onlineOn(t, n2, "g3", "n2", 30*time.Second)
	k.check()
	// The cluster's Concentrate_load.
	waitOK(t, n2, "rgmadm", "cluster", "set", "-p", "Concentrate_load=TRUE")
	waitOutput(t, n3, `"concentrate_load": true`, "rgmadm", "-o", "json", "cluster", "status")
	if r := n2.Run("rgmadm", "cluster", "set", "-p", "Concentrate_load=sometimes"); r.Code == 0 {
		t.Fatal("Concentrate_load=sometimes accepted")
	}
}

// Preemption on a real cluster (#22): hi (Priority 900) from a node
// powered off fits on no survivor; it pushes lo (Priority 100,
// Has_cost) off n2, not nv (Never) off n3, starts there once lo
// stopped, and lo, marked preempted, comes back when n1 returns.
func TestPreemptionAfterNodeLoss(t *testing.T) {
	c := rgmtest.StartCluster(t, 3, "--lease", "1500ms")
	k := newChecker(t)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	waitOK(t, n1, "rgmadm", "rt", "register", k.rtr())
	for _, d := range c.Nodes {
		setAgent(t, c, d.Node)
	}
	waitOK(t, n1, "rgmadm", "node", "set", "n2", "-p", "loadlimit=cpu@2000")
	waitOK(t, n1, "rgmadm", "node", "set", "n3", "-p", "loadlimit=cpu@2000")
	for _, g := range []struct{ name, nodelist, on, prio, mode string }{
		{"hi", "n1,n2,n3", "n1", "900", "Has_cost"},
		{"lo", "n2,n1", "n2", "100", "Has_cost"},
		{"nv", "n3", "n3", "100", "Never"},
	} {
		waitOK(t, n1, "rgmadm", "rg", "create", g.name, "-p", "Nodelist="+g.nodelist, "-p", "Load_factors=cpu@2000",
			"-p", "Priority="+g.prio, "-p", "Preemption_mode="+g.mode)
		waitOK(t, n1, "rgmadm", "rs", "create", g.name+"-rs", "-g", g.name, "-t", "chk")
		// -M manages it on the node asked: one of its Nodelist.
		if r := c.Node(g.on).Run("rgmadm", "rg", "online", "-M", "-n", g.on, g.name, "--wait", "--timeout", "60s"); r.Code != 0 {
			t.Fatalf("rg online %s: exit %d %q %q", g.name, r.Code, r.Stderr, r.Stdout)
		}
	}
	waitOutput(t, n2, "Never\n", "scha_resourcegroup_get", "-O", "PREEMPTION_MODE", "-G", "nv")
	// simulate says it before it happens.
	out := n2.MustRun("rgmadm", "simulate", "node-down", "n1")
	if !strings.Contains(out, "lo preempted from n2 by hi") || !strings.Contains(out, "after: hi online on n2") {
		t.Fatalf("simulate node-down n1:\n%s", out)
	}

	c.PowerOff(n1)
	onlineOn(t, n2, "hi", "n2", 60*time.Second)
	if st := strings.TrimSpace(n2.MustRun("scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", "nv", "n3")); st != "ONLINE" {
		t.Errorf("nv (Never) is %s on n3", st)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := n2.MustRun("rgmadm", "status")
		if strings.Contains(st, "lo: preempted by hi from n2: it waits for room") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status does not say lo is preempted:\n%s", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	k.check()

	// n1 returns: lo has room there again.
	n1.Start("--cluster-addr", n1.ClusterAddr, "--lease", "1500ms")
	c.WaitState(n2, "n1", "UP")
	onlineOn(t, n2, "lo", "n1", 60*time.Second)
	onlineOn(t, n2, "hi", "n2", time.Second)
	k.check()

	// rg online without -n preempts too: top (Priority 950, only n2)
	// pushes hi off n2; hi finds room on n1.
	waitOK(t, n2, "rgmadm", "rg", "create", "top", "-p", "Nodelist=n2", "-p", "Load_factors=cpu@2000", "-p", "Priority=950")
	waitOK(t, n2, "rgmadm", "rs", "create", "top-rs", "-g", "top", "-t", "chk")
	r := n2.Run("rgmadm", "rg", "online", "-M", "top", "--wait", "--timeout", "60s")
	if r.Code != 0 || !strings.Contains(r.Stdout, "top: it waits for room on n2: preempting hi") {
		t.Fatalf("rg online top: exit %d %q %q", r.Code, r.Stderr, r.Stdout)
	}
	onlineOn(t, n2, "top", "n2", 30*time.Second)
	onlineOn(t, n2, "hi", "n1", 30*time.Second)
	k.check()
}
