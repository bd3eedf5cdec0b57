package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/fence"
	"github.com/openrgm/openrgm/pkg/wire"
)

var (
	clusterNodes = flag.Int("cluster-nodes", 16, "nodes in the cluster scale test")
	clusterRes   = flag.Int("cluster-resources", 1000, "resources in the cluster scale test (10 per group)")
	// The idle cluster's cost against how fast it finds a death: both are
	// given to every rgmd of the cluster scale test and to its floor.
	gossipProbe = flag.Duration("gossip-probe-interval", 0, "rgmd's --gossip-probe-interval in the cluster scale test (0: its default)")
	gossipEvery = flag.Duration("gossip-interval", 0, "rgmd's --gossip-interval in the cluster scale test (0: its default)")
	faultRuns   = flag.Int("fault-runs", 20, "kill -9 (and freeze) samples in the cluster test; 0 skips the fault figures")
)

// node is an rgmd of a cluster in this run.
type node struct {
	*daemon
	name, addr string
}

func freeAddr() string {
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		check(err)
		a := ln.Addr().(*net.TCPAddr)
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: a.IP, Port: a.Port})
		ln.Close()
		if err == nil {
			u.Close()
			return a.String()
		}
	}
}

func newNode(parent, name string) *node {
	dir := filepath.Join(parent, name)
	check(os.MkdirAll(dir, 0o755))
	n := &node{daemon: &daemon{dir: dir, socket: filepath.Join(dir, "rgmd.sock"), state: filepath.Join(dir, "state")}, name: name, addr: freeAddr()}
	started.Lock()
	started.list = append(started.list, n.daemon)
	started.Unlock()
	return n
}

// run starts the node's rgmd with its cluster port and extra, and
// returns the time from exec to its first answer.
func (n *node) run(extra ...string) time.Duration {
	return n.startAs(n.name, append([]string{"--cluster-addr", n.addr}, extra...)...)
}

func (n *node) token() string {
	var rep wire.TokenReply
	c := n.client()
	defer c.Close()
	if err := c.Call(context.Background(), wire.OpClusterToken, wire.TokenArgs{}, &rep); err != nil {
		fail("token: %v", err)
	}
	return rep.Token
}

func (n *node) nodes(c *client.Client) []wire.NodeInfo {
	var out []wire.NodeInfo
	if err := c.Call(context.Background(), wire.OpNodeList, nil, &out); err != nil {
		return nil
	}
	return out
}

// sees reports whether n sees node in state (and, with voter, as a voter).
func (n *node) sees(c *client.Client, node, state string, voter bool) bool {
	for _, i := range n.nodes(c) {
		if i.Name == node {
			return i.State == state && (!voter || i.Role == "voter")
		}
	}
	return false
}

func (n *node) leader(c *client.Client) string {
	for _, i := range n.nodes(c) {
		if i.Leader {
			return i.Name
		}
	}
	return ""
}

// startCluster starts count nodes: the first opens the cluster, the
// others join it; it returns them and each join's time from exec to UP
// and voter on the first node.
func startCluster(parent string, count int, extra ...string) ([]*node, []time.Duration) {
	first := newNode(parent, "n1")
	first.run(extra...)
	nodes := []*node{first}
	c := first.client()
	defer c.Close()
	var joins []time.Duration
	for i := 2; i <= count; i++ {
		n := newNode(parent, "n"+strconv.Itoa(i))
		tok := first.token()
		t0 := time.Now()
		n.run(append([]string{"--join", first.addr, "--token", tok}, extra...)...)
		voter := i <= 5
		waitUntil(30*time.Second, n.name+" UP on n1", func() bool { return first.sees(c, n.name, "UP", voter) })
		joins = append(joins, time.Since(t0))
		nodes = append(nodes, n)
	}
	return nodes, joins
}

func stopAll(nodes []*node) {
	for _, n := range nodes {
		if n.cmd != nil && n.cmd.ProcessState == nil {
			n.cmd.Process.Signal(syscall.SIGKILL)
			n.cmd.Wait()
		}
	}
}

// clusterBench measures the cluster issue's numbers on a three-node
// cluster on loopback, each beside a baseline from the same run.
func clusterBench(rtr string) {
	parent := tempDir()
	defer os.RemoveAll(parent)

	// Baseline: a single node, as every rgmd was before clusters.
	check(os.MkdirAll(filepath.Join(parent, "single"), 0o755))
	single, _ := startDaemon(filepath.Join(parent, "single"))
	single.populate(rtr, 1, 1, 1)
	nodes, joins := startCluster(parent, 3)
	defer stopAll(nodes)
	n1 := nodes[0]
	c1 := n1.client()
	defer c1.Close()
	text, err := os.ReadFile(rtr)
	check(err)
	n1.call(c1, wire.OpRTRegister, wire.RTRegisterArgs{Path: rtr, Text: string(text)})
	n1.createGroups("rg", "ORGM.hello", map[string]string{"Port": "8080"}, 1, 1, 1)
	leaderName := n1.leader(c1)
	var leader, follower *node
	for _, n := range nodes {
		if n.name == leaderName {
			leader = n
		} else if follower == nil {
			follower = n
		}
	}
	if leader == nil || follower == nil {
		fail("no leader among the nodes")
	}

	// The sample type's Validate is a shell script, and in a cluster it
	// runs on every node of the Nodelist (Init_nodes), so a change waits
	// for the slowest of three forks; the same type without Validate
	// shows what the log alone costs.
	plain := noValidate(string(text))
	sc := single.client()
	single.call(sc, wire.OpRTRegister, wire.RTRegisterArgs{Path: rtr, Text: plain})
	sc.Close()
	n1.call(c1, wire.OpRTRegister, wire.RTRegisterArgs{Path: rtr, Text: plain})
	single.createGroups("plain", "ORGM.hello_plain", map[string]string{"Port": "8080"}, 1, 1, 1)
	n1.createGroups("plain", "ORGM.hello_plain", map[string]string{"Port": "8080"}, 1, 1, 1)

	// Each round sets once on every daemon and with both types, so that
	// all the figures see the same noise.
	const n = 300
	type target struct {
		d   *daemon
		c   *client.Client
		res string
		lat []time.Duration
	}
	var targets []*target
	for _, d := range []*daemon{single, leader.daemon, follower.daemon} {
		for _, res := range []string{"rg0000-rs00", "plain0000-rs00"} {
			targets = append(targets, &target{d: d, c: d.client(), res: res})
		}
	}
	for i := 0; i < n; i++ {
		for _, t := range targets {
			t0 := time.Now()
			t.d.call(t.c, wire.OpRSSet, wire.RSArgs{Name: t.res, Ext: map[string]string{"Port": strconv.Itoa(1024 + i%1000)}})
			t.lat = append(t.lat, time.Since(t0))
		}
	}
	for _, t := range targets {
		t.c.Close()
	}
	fig := func(t *target) string { return fmt.Sprintf("median %v p99 %v", pct(t.lat, 50), pct(t.lat, 99)) }
	fmt.Printf("cluster rs set commit, 3 nodes, a type without Validate: on the leader %s; on a follower %s (goal median <= 5ms, p99 <= 20ms); single node, same run: %s\n",
		fig(targets[3]), fig(targets[5]), fig(targets[1]))
	fmt.Printf("cluster rs set commit, 3 nodes, the sample type (its shell Validate on all 3 nodes): on the leader %s; on a follower %s (goal median <= 5ms, p99 <= 20ms); single node, same run: %s\n",
		fig(targets[2]), fig(targets[4]), fig(targets[0]))

	// scha_resource_get on a follower against on a single node, each
	// against /bin/true, interleaved so that all see the same noise.
	get := func(d *daemon) []string {
		return []string{filepath.Join(*binDir, "scha_resource_get"), "-O", "RESOURCE_STATE", "-R", "rg0000-rs00", "-G", "rg0000"}
	}
	run := func(d *daemon, argv []string) time.Duration {
		cmd := exec.Command(argv[0], argv[1:]...)
		if d != nil {
			cmd.Env = d.env()
		}
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			fail("%s: %v", argv[0], err)
		}
		return time.Since(t0)
	}
	var tt, gs, gf []time.Duration
	for i := 0; i < 500; i++ {
		tt = append(tt, run(nil, []string{"/bin/true"}))
		gs = append(gs, run(single, get(single)))
		gf = append(gf, run(follower.daemon, get(follower.daemon)))
	}
	rs, rf := float64(pct(gs, 50))/float64(pct(tt, 50)), float64(pct(gf, 50))/float64(pct(tt, 50))
	fmt.Printf("cluster scha_resource_get on a follower: %.2fx /bin/true; on a single node %.2fx; difference %+.0f%% (goal within 10%%)\n", rf, rs, 100*(rf-rs)/rs)
	single.kill(syscall.SIGTERM)

	fmt.Printf("cluster join, from exec of rgmd --join to UP and a voter on n1: %v and %v (goal <= 2s)\n", joins[0].Round(time.Millisecond), joins[1].Round(time.Millisecond))
	if *faultRuns <= 0 {
		stopAll(nodes)
		return
	}

	// kill -9 of a follower: DOWN on the leader.
	var downs []time.Duration
	for i := 0; i < *faultRuns; i++ {
		v := follower
		vc := leader.client()
		v.cmd.Process.Signal(syscall.SIGKILL)
		t0 := time.Now()
		v.cmd.Wait()
		waitUntil(30*time.Second, v.name+" DOWN", func() bool { return leader.sees(vc, v.name, "DOWN", false) })
		downs = append(downs, time.Since(t0))
		v.run()
		waitUntil(30*time.Second, v.name+" UP again", func() bool { return leader.sees(vc, v.name, "UP", false) })
		vc.Close()
	}
	fmt.Printf("cluster kill -9 of a node to DOWN on the others: median %v, max %v over %d (goal median <= 1s)\n", pct(downs, 50), pct(downs, 100), len(downs))

	// A follower frozen for 0.5 s: never DOWN.
	falseDowns := 0
	for i := 0; i < *faultRuns; i++ {
		v := follower
		vc := leader.client()
		v.cmd.Process.Signal(syscall.SIGSTOP)
		end := time.Now().Add(500 * time.Millisecond)
		down := false
		for time.Now().Before(end) {
			down = down || leader.sees(vc, v.name, "DOWN", false)
			time.Sleep(10 * time.Millisecond)
		}
		v.cmd.Process.Signal(syscall.SIGCONT)
		end = time.Now().Add(1500 * time.Millisecond)
		for time.Now().Before(end) {
			down = down || leader.sees(vc, v.name, "DOWN", false)
			time.Sleep(10 * time.Millisecond)
		}
		if down {
			falseDowns++
			waitUntil(30*time.Second, v.name+" UP again", func() bool { return leader.sees(vc, v.name, "UP", false) })
		}
		vc.Close()
	}
	fmt.Printf("cluster a node frozen for 0.5s: DOWN %d times of %d (goal 0)\n", falseDowns, *faultRuns)

	// kill -9 of the leader: a new leader.
	var elections []time.Duration
	for i := 0; i < 5; i++ {
		cs := make(map[*node]*client.Client)
		var lead *node
		for _, nd := range nodes {
			cs[nd] = nd.client()
			if nd.name == nd.leader(cs[nd]) {
				lead = nd
			}
		}
		if lead == nil {
			fail("no leader")
		}
		var other *node
		for _, nd := range nodes {
			if nd != lead {
				other = nd
				break
			}
		}
		lead.cmd.Process.Signal(syscall.SIGKILL)
		t0 := time.Now()
		lead.cmd.Wait()
		waitUntil(30*time.Second, "a new leader", func() bool {
			l := other.leader(cs[other])
			return l != "" && l != lead.name
		})
		elections = append(elections, time.Since(t0))
		for _, c := range cs {
			c.Close()
		}
		lead.run()
		time.Sleep(500 * time.Millisecond)
	}
	fmt.Printf("cluster kill -9 of the leader to a new leader: median %v, max %v over %d (goal <= 1s)\n", pct(elections, 50), pct(elections, 100), len(elections))
	stopAll(nodes)
}

// noValidate is the RTR text of the sample type as ORGM.hello_plain,
// without a Validate method.
func noValidate(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "Validate"), strings.Contains(l, "Validate_timeout"):
			continue
		case strings.HasPrefix(l, "Resource_type"):
			l = `Resource_type = "hello_plain";`
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// clusterScale: many nodes on this machine with resources, each rgmd's
// memory and the idle cluster's CPU.
func clusterScale(rtr string) {
	parent := tempDir()
	defer os.RemoveAll(parent)
	dir := filepath.Join(parent, "scale")
	if g := gossipArgs(); len(g) > 0 {
		fmt.Printf("cluster scale with rgmd %s (and its floor with the same)\n", strings.Join(g, " "))
	}
	nodes, _ := startCluster(dir, *clusterNodes, gossipArgs()...)
	defer stopAll(nodes)
	nodes[0].populate(rtr, *clusterRes/10, 10, 4)
	c := nodes[len(nodes)-1].client()
	waitUntil(60*time.Second, "the last node to have every group", func() bool {
		var groups []json.RawMessage
		c.Call(context.Background(), wire.OpRGList, nil, &groups)
		return len(groups) >= *clusterRes/10
	})
	leader := nodes[0].leader(c)
	c.Close()
	time.Sleep(2 * time.Second)
	maxRSS, sum := 0, 0
	for _, n := range nodes {
		r := n.rss()
		maxRSS, sum = max(maxRSS, r), sum+r
	}
	// Each node's CPU is its rgmd's and its fence guard's (a process of
	// its own, which rgmd's figures do not count).
	ticks := func() []int64 {
		t := make([]int64, len(nodes))
		for i, n := range nodes {
			t[i] = cpuTicks(n.cmd.Process.Pid)
			if b, err := os.ReadFile(filepath.Join(n.state, fence.GuardPIDFile)); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
						t[i] += cpuTicks(pid)
					}
				}
			}
		}
		return t
	}
	const idle = 20 * time.Second // ticks are 10 ms: a non-voter uses a few a second
	t0 := ticks()
	time.Sleep(idle)
	t1 := ticks()
	var all, lead, voters, others int64
	nv, no := 0, 0
	for i, n := range nodes {
		d := t1[i] - t0[i]
		all += d
		switch {
		case n.name == leader:
			lead = d
		case i < 5:
			voters += d
			nv++
		default:
			others += d
			no++
		}
	}
	pct := func(ticks int64, n int) float64 { return float64(ticks) / float64(max(n, 1)) / idle.Seconds() } // ticks are 1/100 s
	fmt.Printf("cluster %d nodes, %d resources: RSS max %d MB, mean %d MB per rgmd (goal <= 40 MB); the idle cluster (rgmd and guard) used %.1f%% of one core (goal <= 3%%): leader %.2f%%, each other voter %.2f%%, each non-voter %.2f%%\n",
		len(nodes), *clusterRes, maxRSS, sum/len(nodes), pct(all, 1), pct(lead, 1), pct(voters, nv), pct(others, no))
	downEverywhere(nodes)
	stopAll(nodes)
	floor := gossipFloor(len(nodes), idle)
	fmt.Printf("  floor: %d bare memberlist processes with rgmd's gossip timing, nothing else: %.1f%% of one core; the cluster used %.2fx that\n",
		len(nodes), pct(floor, 1), float64(all)/float64(max(floor, 1)))
}

// downEverywhere kills the last node (a non-voter) with kill -9, a few
// times, and measures until every other node says it is DOWN: the
// three-node figure above asks the leader only, and in a large cluster
// a death must also spread.
func downEverywhere(nodes []*node) {
	v, others := nodes[len(nodes)-1], nodes[:len(nodes)-1]
	clients := make([]*client.Client, len(others))
	for i, n := range others {
		clients[i] = n.client()
		defer clients[i].Close()
	}
	var last, first []time.Duration
	for run := 0; run < 5; run++ {
		seen := make([]bool, len(others))
		v.cmd.Process.Signal(syscall.SIGKILL)
		t0 := time.Now()
		v.cmd.Wait()
		left, firstAt := len(others), time.Duration(0)
		waitUntil(30*time.Second, v.name+" DOWN on every node", func() bool {
			for i, n := range others {
				if !seen[i] && n.sees(clients[i], v.name, "DOWN", false) {
					seen[i], left = true, left-1
					if firstAt == 0 {
						firstAt = time.Since(t0)
					}
				}
			}
			return left == 0
		})
		last, first = append(last, time.Since(t0)), append(first, firstAt)
		v.run(gossipArgs()...)
		waitUntil(30*time.Second, v.name+" UP again everywhere", func() bool {
			for i, n := range others {
				if !n.sees(clients[i], v.name, "UP", false) {
					return false
				}
			}
			return true
		})
	}
	fmt.Printf("  kill -9 of %s to DOWN on the first of the %d others: median %v; on every one: median %v, max %v over %d\n",
		v.name, len(others), pct(first, 50).Round(time.Millisecond), pct(last, 50).Round(time.Millisecond), pct(last, 100).Round(time.Millisecond), len(last))
}

// gossipArgs are rgmd's flags for -gossip-probe-interval and
// -gossip-interval, when given.
func gossipArgs() []string {
	var a []string
	if *gossipProbe > 0 {
		a = append(a, "--gossip-probe-interval", gossipProbe.String())
	}
	if *gossipEvery > 0 {
		a = append(a, "--gossip-interval", gossipEvery.String())
	}
	return a
}
