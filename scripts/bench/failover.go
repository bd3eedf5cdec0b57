package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/wire"
)

// failoverBench measures the failover issue's numbers on a three-node
// cluster on loopback with the default settings: a whole node killed
// (rgmd, its guard and its service, by the harness's fence agent, as a
// power cut) until its group is ONLINE on another node, with the time to
// DOWN and to fenced on the way; rgmd alone killed (its service left
// running, no fence agent); and rg switch against running the same
// Monitor_check, Stop and Start directly.
func failoverBench() {
	parent := tempDir()
	defer os.RemoveAll(parent)
	agent, err := filepath.Abs("pkg/rgmtest/testdata/fence_rgmtest")
	check(err)
	// A service: Start runs a process in its own session and returns;
	// Stop kills it and waits for it to go.
	dir := filepath.Join(parent, "type")
	check(os.MkdirAll(dir, 0o755))
	head := "#!/bin/sh\nR=$2\nD=" + dir + "\nnode=$(scha_cluster_get -O NODENAME_LOCAL) || exit 1\n"
	scripts := map[string]string{
		"Start":         head + "setsid sleep 1000000 </dev/null >/dev/null 2>&1 &\necho $! >\"$D/$R.$node.pid\"\n",
		"Stop":          head + "f=\"$D/$R.$node.pid\"; [ -f \"$f\" ] || exit 0\npid=$(cat \"$f\"); kill -KILL $pid 2>/dev/null\nwhile [ -e /proc/$pid ] && ! grep -q '^State:.*[ZX]' /proc/$pid/status 2>/dev/null; do sleep 0.005; done\nrm -f \"$f\"\n",
		"Monitor_check": head + "exit 0\n",
	}
	for name, body := range scripts {
		check(os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755))
	}
	rtr := filepath.Join(dir, "svc.rtr")
	check(os.WriteFile(rtr, []byte(`Resource_type = svc; Vendor_id = BENCH; RT_version = "1"; RT_basedir = "`+dir+`";
Failover = TRUE; Start = Start; Stop = Stop; Monitor_check = Monitor_check;
`), 0o644))

	nodes, _ := startCluster(parent, 3)
	defer stopAll(nodes)
	byName := map[string]*node{}
	hostMap := []string{}
	for _, n := range nodes {
		byName[n.name] = n
		hostMap = append(hostMap, n.name+":"+n.state)
	}
	n1 := nodes[0]
	rgmadm := func(n *node, args ...string) string {
		cmd := exec.Command(filepath.Join(*binDir, "rgmadm"), args...)
		cmd.Env = n.env()
		out, err := cmd.CombinedOutput()
		if err != nil {
			fail("rgmadm %v on %s: %v: %s", args, n.name, err, out)
		}
		return string(out)
	}
	rgmadm(n1, "rt", "register", rtr)
	rgmadm(n1, "rg", "create", "fo-rg", "-p", "Nodelist=n1,n2,n3", "-p", "Pingpong_interval=0")
	// (Pingpong_interval 0: GIVEOVER may bounce the group back and forth.)
	rgmadm(n1, "rs", "create", "fo-rs", "-g", "fo-rg", "-t", "svc")
	for _, n := range nodes {
		rgmadm(n1, "node", "set", n.name, "--fence-agent", agent, "--fence-param", "pcmk_host_map="+strings.Join(hostMap, ";"))
	}
	rgmadm(n1, "rg", "online", "-M", "fo-rg", "-n", "n1", "--wait")

	// where says on which node fo-rg is ONLINE, as n sees it.
	where := func(c *client.Client) string { return onlineOn(c, "fo-rg") }
	incarnation := func(c *client.Client, name string) (int, string) {
		var ns []wire.NodeInfo
		if err := c.Call(context.Background(), wire.OpNodeList, nil, &ns); err != nil {
			return -1, ""
		}
		for _, i := range ns {
			if i.Name == name {
				return i.Incarnation, i.State
			}
		}
		return -1, ""
	}

	// A whole node killed, 20 times: the group's node each time.
	var detect, fenced, online []time.Duration
	for i := 0; i < *faultRuns; i++ {
		var obs *node
		for _, n := range nodes {
			if c := n.client(); where(c) != "" {
				obs = n
				c.Close()
				break
			}
		}
		if obs == nil {
			fail("fo-rg is ONLINE nowhere")
		}
		oc := obs.client()
		victim := byName[where(oc)]
		if victim == obs {
			for _, n := range nodes {
				if n != victim {
					obs = n
				}
			}
			oc.Close()
			oc = obs.client()
		}
		inc0, _ := incarnation(oc, victim.name)
		cmd := exec.Command(agent)
		cmd.Stdin = strings.NewReader("action=off\nplug=" + victim.state + "\n")
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("power off %s: %v: %s", victim.name, err, out)
		}
		victim.cmd.Wait()
		var tDown, tFenced time.Duration
		waitUntil(60*time.Second, "fo-rg ONLINE elsewhere", func() bool {
			inc, st := incarnation(oc, victim.name)
			if tDown == 0 && st == "DOWN" {
				tDown = time.Since(t0)
			}
			if tFenced == 0 && inc > inc0 {
				tFenced = time.Since(t0)
			}
			w := where(oc)
			return w != "" && w != victim.name
		})
		online = append(online, time.Since(t0))
		detect, fenced = append(detect, tDown), append(fenced, tFenced)
		oc.Close()
		victim.run()
		vc := obs.client()
		waitUntil(60*time.Second, victim.name+" UP again", func() bool { return obs.sees(vc, victim.name, "UP", false) })
		vc.Close()
	}
	fmt.Printf("failover, a node killed (rgmd, guard and service, as a power cut; harness fence agent; default settings): its group ONLINE on another node after median %v, max %v over %d (goal median <= 2s); on the way: DOWN after median %v, fenced after %v; the Start method's own run is a fork of sleep\n",
		pct(online, 50), pct(online, 100), len(online), pct(detect, 50), pct(fenced, 50))

	// rgmd alone killed, its service left running, no fence agent: the
	// guard ends the service at the lease's end and reports.
	for _, n := range nodes {
		rgmadm(n1, "node", "set", n.name, "--no-fence-agent")
	}
	var byGuard []time.Duration
	for i := 0; i < 5; i++ {
		var obs, victim *node
		for _, n := range nodes {
			c := n.client()
			if w := where(c); w != "" {
				victim = byName[w]
			}
			c.Close()
		}
		for _, n := range nodes {
			if n != victim {
				obs = n
			}
		}
		oc := obs.client()
		t0 := time.Now()
		victim.cmd.Process.Signal(syscall.SIGKILL)
		victim.cmd.Wait()
		waitUntil(60*time.Second, "fo-rg ONLINE elsewhere", func() bool { w := where(oc); return w != "" && w != victim.name })
		byGuard = append(byGuard, time.Since(t0))
		oc.Close()
		victim.run()
		vc := obs.client()
		waitUntil(60*time.Second, victim.name+" UP again", func() bool { return obs.sees(vc, victim.name, "UP", false) })
		vc.Close()
	}
	fmt.Printf("failover, rgmd alone killed (service left running, no fence agent, --lease 3s): ONLINE on another node after median %v over %d (the lease, then the guard's report)\n", pct(byGuard, 50), len(byGuard))

	// rg switch against its methods run directly.
	var sw, direct []time.Duration
	for i := 0; i < 20; i++ {
		c := n1.client()
		from := where(c)
		c.Close()
		to := "n1"
		if from == "n1" {
			to = "n2"
		}
		t0 := time.Now()
		rgmadm(n1, "rg", "switch", "fo-rg", "-n", to, "--wait")
		sw = append(sw, time.Since(t0))
		env := append(byName[to].env(), "PATH="+*binDir+":"+os.Getenv("PATH"))
		t0 = time.Now()
		for _, m := range []string{"Monitor_check", "Start", "Stop"} {
			cmd := exec.Command(filepath.Join(dir, m), "-R", "direct-rs", "-T", "svc", "-G", "fo-rg")
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				fail("%s directly: %v: %s", m, err, out)
			}
		}
		direct = append(direct, time.Since(t0))
	}
	fmt.Printf("failover, rg switch --wait: median %v; its Monitor_check, Start and Stop run directly: median %v; difference %v (goal <= 50ms)\n",
		pct(sw, 50), pct(direct, 50), pct(sw, 50)-pct(direct, 50))

	// scha_control GIVEOVER, as a fault monitor asks it, until the group
	// is ONLINE on the other node.
	var gv []time.Duration
	for i := 0; i < 20; i++ {
		c := n1.client()
		from := where(c)
		t0 := time.Now()
		cmd := exec.Command(filepath.Join(*binDir, "scha_control"), "-O", "GIVEOVER", "-R", "fo-rs", "-G", "fo-rg")
		cmd.Env = byName[from].env()
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("GIVEOVER on %s: %v: %s", from, err, out)
		}
		waitUntil(60*time.Second, "fo-rg ONLINE elsewhere", func() bool { w := where(c); return w != "" && w != from })
		gv = append(gv, time.Since(t0))
		c.Close()
	}
	fmt.Printf("failover, scha_control GIVEOVER until ONLINE on the other node: median %v; the same methods run directly: median %v; difference %v (goal <= 50ms)\n",
		pct(gv, 50), pct(direct, 50), pct(gv, 50)-pct(direct, 50))
}
