package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/wire"
)

// vipSwitchBench: an ORGM.LogicalHostname address moved by `rg switch`
// between the two nodes of a cluster, each node's rgmd in a network
// namespace of its own, joined by a bridge in another; a client in a
// fourth pings the address every 10 ms. For each switch: the time from the
// start of the first stopping method on the old node (Monitor_stop, then
// Postnet_stop takes the address down) to the first answer after the
// outage, and the requests that got no answer. Each node answers with a
// TTL of its own, so that the client sees which one answers. Against the
// same move made by hand in the same run: ip addr del on one node, ip
// addr add and arping -U (as Prenet_start announces) on the other. Root
// only (vipReady).
func vipSwitchBench() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	pid := os.Getpid()
	prefix := fmt.Sprintf("orgmv%d", pid)
	sub := fmt.Sprintf("10.216.%d", pid%200+20)
	br := addNetns(prefix + "-br")
	defer delNetns(br)
	ipCmd("-n", br, "link", "add", "br0", "type", "bridge")
	ipCmd("-n", br, "link", "set", "br0", "up")
	// attach makes a namespace whose eth0 is on the bridge, with address
	// SUB.host.
	attach := func(name string, host int) string {
		ns := addNetns(prefix + "-" + name)
		ipCmd("-n", ns, "link", "set", "lo", "up")
		ipCmd("-n", br, "link", "add", "p-"+name, "type", "veth", "peer", "name", "eth0", "netns", ns)
		ipCmd("-n", br, "link", "set", "p-"+name, "master", "br0")
		ipCmd("-n", br, "link", "set", "p-"+name, "up")
		ipCmd("-n", ns, "addr", "add", fmt.Sprintf("%s.%d/24", sub, host), "dev", "eth0")
		ipCmd("-n", ns, "link", "set", "eth0", "up")
		return ns
	}
	var nodes []*node
	nsOf, ttlOf := map[string]string{}, map[string]int{}
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("n%d", i)
		ns := attach(name, i)
		defer delNetns(ns)
		ttlOf[name] = 64 - i
		ipCmd("netns", "exec", ns, "sysctl", "-q", "-w", fmt.Sprintf("net.ipv4.ip_default_ttl=%d", ttlOf[name]))
		nd := filepath.Join(dir, name)
		check(os.MkdirAll(nd, 0o755))
		n := &node{daemon: &daemon{dir: nd, socket: filepath.Join(nd, "rgmd.sock"), state: filepath.Join(nd, "state"), wrap: []string{"ip", "netns", "exec", ns}},
			name: name, addr: fmt.Sprintf("%s.%d:7600", sub, i)}
		started.Lock()
		started.list = append(started.list, n.daemon)
		started.Unlock()
		nodes = append(nodes, n)
		nsOf[name] = ns
	}
	cl := attach("client", 100)
	defer delNetns(cl)
	for i := 0; exec.Command("ip", "netns", "exec", cl, "ping", "-c", "1", "-W", "1", sub+".2").Run() != nil; i++ {
		if i == 10 {
			fail("vip: the bridge carries no packets")
		}
	}
	// Debug: the log then says when each method starts.
	n1, n2 := nodes[0], nodes[1]
	n1.run("--log-level", "debug")
	defer n1.stop()
	n2.run("--join", n1.addr, "--token", n1.token(), "--log-level", "debug")
	defer n2.stop()
	c := n1.client()
	defer c.Close()
	waitUntil(30*time.Second, "n2 UP on n1", func() bool { return n1.sees(c, "n2", "UP", true) })

	rgmadm := func(args ...string) {
		cmd := exec.Command(filepath.Join(*binDir, "rgmadm"), args...)
		cmd.Env = n1.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("rgmadm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	n1.call(c, wire.OpRTRegister, installHostnameType(dir))
	vip := sub + ".10"
	rgmadm("rg", "create", "web", "-p", "Nodelist=n1,n2")
	rgmadm("rs", "create", "vip", "-g", "web", "-t", "ORGM.LogicalHostname", "-x", "HostnameList="+vip+"/24", "-x", "NetIfList=eth0")
	rgmadm("rg", "online", "-M", "web", "-n", "n1", "--wait")

	const switches = 12
	var fromStop, fromPostnet, byHand []time.Duration
	var lost, lostByHand []int
	for i := 0; i < switches; i++ {
		from := onlineOn(c, "web")
		to := map[string]string{"n1": "n2", "n2": "n1"}[from]
		if to == "" {
			fail("vip: group web is ONLINE on no node (%q)", from)
		}
		p := startPing(cl, vip)
		p.answer(time.Now(), ttlOf[from]) // answering before the switch
		t0 := time.Now()
		rgmadm("rg", "switch", "web", "-n", to, "--wait")
		p.answer(t0, ttlOf[to])
		p.stop()
		end, n := outage(p.echoes(), t0, ttlOf[to])
		starts := methodStarts(filepath.Join(dir, from, "rgmd.log"), t0)
		if len(starts) == 0 {
			fail("vip: no method started on %s for the switch; see %s", from, filepath.Join(dir, from, "rgmd.log"))
		}
		fromStop = append(fromStop, end.Sub(starts[0].at))
		if t, ok := lastStart(starts, "Postnet_stop"); ok {
			fromPostnet = append(fromPostnet, end.Sub(t))
		}
		lost = append(lost, n)
	}
	// The same move by hand, the group offline: the address on n1, then
	// moved back and forth.
	rgmadm("rg", "offline", "web", "--wait")
	ipCmd("-n", nsOf["n1"], "addr", "add", vip+"/24", "dev", "eth0")
	on := "n1"
	for i := 0; i < switches; i++ {
		to := map[string]string{"n1": "n2", "n2": "n1"}[on]
		p := startPing(cl, vip)
		p.answer(time.Now(), ttlOf[on])
		t0 := time.Now()
		ipCmd("-n", nsOf[on], "addr", "del", vip+"/24", "dev", "eth0")
		ipCmd("-n", nsOf[to], "addr", "add", vip+"/24", "dev", "eth0")
		arping := exec.Command("ip", "netns", "exec", nsOf[to], "arping", "-U", "-c", "3", "-w", "4", "-I", "eth0", vip)
		check(arping.Start())
		p.answer(t0, ttlOf[to])
		p.stop()
		arping.Process.Kill()
		arping.Wait()
		end, n := outage(p.echoes(), t0, ttlOf[to])
		byHand = append(byHand, end.Sub(t0))
		lostByHand = append(lostByHand, n)
		on = to
	}
	ipCmd("-n", nsOf[on], "addr", "del", vip+"/24", "dev", "eth0")
	sm, hm := pct(fromStop, 50), pct(byHand, 50)
	fmt.Printf("vip     LogicalHostname rg switch between two nodes (each rgmd in a network namespace, a client in another pinging every 10 ms): answers again %v after the Stop on the old node began (Monitor_stop; median of %d, max %v; goal <= 300ms); pings lost median %d, max %d\n",
		sm.Round(time.Millisecond), len(fromStop), pct(fromStop, 100).Round(time.Millisecond), medianInt(lost), maxInt(lost))
	if len(fromPostnet) > 0 {
		fmt.Printf("vip     the same from Postnet_stop's start on the old node (which takes the address down): median %v, max %v\n",
			pct(fromPostnet, 50).Round(time.Millisecond), pct(fromPostnet, 100).Round(time.Millisecond))
	}
	fmt.Printf("vip     the address moved by hand (ip addr del on one node, ip addr add and arping -U on the other): answers again %v after the del began (median of %d, max %v), pings lost median %d; ratio %.2fx\n",
		hm.Round(time.Millisecond), len(byHand), pct(byHand, 100).Round(time.Millisecond), medianInt(lostByHand), float64(sm)/float64(hm))
}

// outage finds, among the answers of a ping every 10 ms, the first from
// the new host (TTL ttl) received at or after t0, and how many requests
// since the old host's last answer got none.
func outage(echoes []echo, t0 time.Time, ttl int) (time.Time, int) {
	sort.Slice(echoes, func(i, j int) bool { return echoes[i].seq < echoes[j].seq })
	last := -1 // the old host's last answer
	for k, e := range echoes {
		if e.ttl == ttl && !e.at.Before(t0) {
			lost := 0
			if last >= 0 {
				lost = e.seq - echoes[last].seq - 1
			}
			return e.at, lost
		}
		if e.ttl != ttl {
			last = k
		}
	}
	fail("vip: no answer from the new node")
	return time.Time{}, 0
}

// onlineOn says on which node group is ONLINE, as c's rgmd sees it ("" for
// none).
func onlineOn(c *client.Client, group string) string {
	var st wire.StatusReply
	if err := c.Call(context.Background(), wire.OpStatus, nil, &st); err != nil {
		return ""
	}
	for _, g := range st.Groups {
		if g.Name == group {
			for node, s := range g.Nodes {
				if s == "ONLINE" {
					return node
				}
			}
		}
	}
	return ""
}

// addNetns makes a network namespace and returns its name; fail deletes
// it too.
func addNetns(name string) string {
	started.Lock()
	started.netns = append(started.netns, name)
	started.Unlock()
	ipCmd("netns", "add", name)
	return name
}

func delNetns(name string) {
	exec.Command("ip", "netns", "del", name).Run()
}

func ipCmd(args ...string) {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		fail("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func medianInt(a []int) int {
	s := append([]int(nil), a...)
	sort.Ints(s)
	return s[(len(s)-1)/2]
}

func maxInt(a []int) int {
	m := 0
	for _, v := range a {
		m = max(m, v)
	}
	return m
}
