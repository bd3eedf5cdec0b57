package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/wire"
)

// The shipped types' figures (ORGM.LogicalHostname(5), ORGM.ocf(5)).

const dummyAgent = "/usr/lib/ocf/resource.d/heartbeat/Dummy"

// ocfBench: 100 resources of the Dummy OCF agent brought online by
// `rgmadm rg online --wait` (Validate at creation not counted; Start and
// Monitor_start of each, which rgmd runs itself: ORGM.ocf(5)), against
// running the agent's start for 100 instances directly, with the
// parallelism rgmd uses.
func ocfBench() {
	if _, err := os.Stat(dummyAgent); err != nil {
		fmt.Println("ocf     skipped: no Dummy OCF agent (Debian's resource-agents)")
		return
	}
	const n = 100
	dir := tempDir()
	defer os.RemoveAll(dir)
	d, _ := startDaemon(dir)
	defer d.stop()
	rgmadm := func(args ...string) {
		cmd := exec.Command(filepath.Join(*binDir, "rgmadm"), args...)
		cmd.Env = d.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("rgmadm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	rgmadm("rt", "import-ocf", "heartbeat:Dummy")
	c := d.client()
	defer c.Close()
	d.call(c, wire.OpRGCreate, wire.RGArgs{Name: "ocf"})
	for i := 0; i < n; i++ {
		d.call(c, wire.OpRSCreate, wire.RSArgs{Name: fmt.Sprintf("dummy%03d", i), Group: "ocf", Type: "OCF.heartbeat_Dummy"})
	}
	d.call(c, wire.OpRGManage, wire.LifecycleArgs{Name: "ocf"})

	tmp := filepath.Join(dir, "rsctmp")
	check(os.MkdirAll(tmp, 0o755))
	par := max(8, 4*runtime.NumCPU())
	// direct runs the agent's actions, one after the other, for each of
	// the n instances, par instances at a time.
	direct := func(actions ...string) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := 0; w < par; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
					for _, action := range actions {
						cmd := exec.Command(dummyAgent, action)
						cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT=/usr/lib/ocf", "HA_RSCTMP=" + tmp,
							"OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=1", "OCF_RESOURCE_TYPE=Dummy", "OCF_RESOURCE_PROVIDER=heartbeat",
							"OCF_RESOURCE_INSTANCE=direct" + strconv.Itoa(i), "OCF_RESKEY_CRM_meta_timeout=20000"}
						cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
						if out, err := cmd.CombinedOutput(); err != nil {
							fail("Dummy %s: %v\n%s", action, err, out)
						}
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}
	online := func() (time.Duration, bool) {
		t0 := time.Now()
		d.call(c, wire.OpRGOnline, wire.LifecycleArgs{Name: "ocf"})
		ok := settle(d, c, "ocf", "ONLINE")
		return time.Since(t0), ok
	}
	// A round in which a method fails (rgmd's "fork/exec /proc/self/fd/N:
	// permission denied", seen under this load) is reported and run again.
	// With monitoring, the run is also set against the agent's start then
	// monitor for each instance: what Pacemaker runs to bring a resource
	// up with a recurring monitor (its first monitor follows the start at
	// once). rgmd's Monitor_start starts the fault monitor instead, whose
	// first probe comes Thorough_probe_interval later.
	measure := func(what string, monitored bool) {
		const rounds = 5
		var via, base, up []time.Duration
		faulted := 0
		for r := 0; len(via) < rounds && r < 3*rounds; r++ { // interleaved, so both see the same noise
			t, ok := online()
			d.call(c, wire.OpRGOffline, wire.LifecycleArgs{Name: "ocf"})
			if !settle(d, c, "ocf", "OFFLINE") {
				for i := 0; i < n; i++ {
					c.Call(context.Background(), wire.OpRSClear, wire.LifecycleArgs{Name: fmt.Sprintf("dummy%03d", i)}, nil)
				}
				if !settle(d, c, "ocf", "OFFLINE") {
					return
				}
			}
			if !ok {
				faulted++
				continue
			}
			via = append(via, t)
			base = append(base, direct("start"))
			direct("stop")
			if monitored {
				up = append(up, direct("start", "monitor"))
				direct("stop")
			}
		}
		if len(via) == 0 {
			fmt.Println("ocf     no round completed (above)")
			return
		}
		vm, bm := pct(via, 50), pct(base, 50)
		fmt.Printf("ocf     %d Dummy OCF resources brought online by rg online, waited for (%s): median %v; the agent's start run directly for %d instances, %d in parallel: %v; ratio %.2fx (goal <= 1.5x); %d of %d rounds had a failed method\n",
			n, what, vm.Round(time.Millisecond), n, par, bm.Round(time.Millisecond), float64(vm)/float64(bm), faulted, faulted+len(via))
		if len(up) > 0 {
			um := pct(up, 50)
			fmt.Printf("ocf     the same against the agent's start then monitor run directly for each instance (Pacemaker's bring-up with a recurring monitor): %v; ratio %.2fx\n",
				um.Round(time.Millisecond), float64(vm)/float64(um))
		}
	}
	measure("Start, Monitor_start", true)
	for i := 0; i < n; i++ {
		d.call(c, wire.OpRSUnmonitor, wire.LifecycleArgs{Name: fmt.Sprintf("dummy%03d", i)})
	}
	measure("Start only: monitoring disabled", false)

	// For reference, what rgmd costs around the agent: the same agent as
	// the Start and Stop of a type whose methods are two-line shell
	// scripts (fixed environment, no properties read, no OpenRGM glue).
	for _, a := range []string{"start", "stop"} {
		check(os.WriteFile(filepath.Join(dir, "dummy_"+a), []byte("#!/bin/sh\nexec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin OCF_ROOT=/usr/lib/ocf HA_RSCTMP="+tmp+
			" OCF_RESOURCE_INSTANCE=\"$2\" "+dummyAgent+" "+a+"\n"), 0o755))
	}
	registerText(d, dir, "plain.rtr", "Resource_type = plain; Vendor_id = BENCH; RT_version = \"1\";\nStart = "+
		filepath.Join(dir, "dummy_start")+"; Stop = "+filepath.Join(dir, "dummy_stop")+";\n")
	d.call(c, wire.OpRGCreate, wire.RGArgs{Name: "plain"})
	for i := 0; i < n; i++ {
		d.call(c, wire.OpRSCreate, wire.RSArgs{Name: fmt.Sprintf("plain%03d", i), Group: "plain", Type: "BENCH.plain"})
	}
	d.call(c, wire.OpRGManage, wire.LifecycleArgs{Name: "plain"})
	var plain, pbase []time.Duration
	for r := 0; r < 5; r++ {
		t0 := time.Now()
		d.call(c, wire.OpRGOnline, wire.LifecycleArgs{Name: "plain"})
		if !settle(d, c, "plain", "ONLINE") {
			return
		}
		plain = append(plain, time.Since(t0))
		d.call(c, wire.OpRGOffline, wire.LifecycleArgs{Name: "plain"})
		if !settle(d, c, "plain", "OFFLINE") {
			return
		}
		pbase = append(pbase, direct("start"))
		direct("stop")
	}
	fmt.Printf("ocf     for reference, the agent as the Start of a type whose methods are 2-line shell scripts: median %v; directly %v; ratio %.2fx (what rgmd costs around a method, without the OCF glue)\n",
		pct(plain, 50).Round(time.Millisecond), pct(pbase, 50).Round(time.Millisecond), float64(pct(plain, 50))/float64(pct(pbase, 50)))
}

// settle waits until group has settled and reports whether it is in
// state; if not, it says why, from rgmd's log, for the figure to be read
// with that in mind.
func settle(d *daemon, c interface {
	Call(context.Context, string, any, any) error
}, group, state string) bool {
	for {
		var rep wire.WaitReply
		if err := c.Call(context.Background(), wire.OpRGWait, wire.WaitArgs{Groups: []string{group}, TimeoutMs: 10000}, &rep); err != nil {
			fail("rg.wait: %v", err)
		}
		if !rep.Settled {
			continue
		}
		if len(rep.Groups) == 1 && rep.Groups[0].State == state {
			return true
		}
		why := ""
		if b, err := os.ReadFile(filepath.Join(d.dir, "rgmd.log")); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if strings.Contains(l, "method failed") {
					why = l
					break
				}
			}
		}
		var bad []string
		for _, g := range rep.Groups {
			for _, r := range g.Resources {
				if r.State != "ONLINE" && r.State != "OFFLINE" {
					bad = append(bad, r.Name+" "+r.State)
				}
			}
		}
		fmt.Printf("ocf     group %s did not settle %s (%s); first method failure in rgmd's log: %s\n", group, state, strings.Join(bad, ", "), why)
		return false
	}
}

// waitGroups waits until every group of names has settled in state.
func waitGroups(c interface {
	Call(context.Context, string, any, any) error
}, names []string, state string) {
	for {
		var rep wire.WaitReply
		if err := c.Call(context.Background(), wire.OpRGWait, wire.WaitArgs{Groups: names, TimeoutMs: 10000}, &rep); err != nil {
			fail("rg.wait: %v", err)
		}
		if rep.Settled {
			for _, g := range rep.Groups {
				if g.State != state {
					fail("group %s is %s, not %s", g.Name, g.State, state)
				}
			}
			return
		}
	}
}

// vipBench: a client in another network namespace pings an
// ORGM.LogicalHostname address every 10 ms; the time from the request that
// brings its group online (rgmadm rg online, so the figure includes the
// request and everything up to Prenet_start, and bounds the time from
// Prenet_start from above) to the first answer, against the same gap when
// the address is added directly with ip addr add. Root only: it makes
// network namespaces (vipReady).
func vipBench() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	pid := os.Getpid()
	nsA, nsB := fmt.Sprintf("orgmb%d-a", pid), fmt.Sprintf("orgmb%d-b", pid)
	sub := fmt.Sprintf("10.215.%d", pid%200+20)
	defer delNetns(addNetns(nsA))
	defer delNetns(addNetns(nsB))
	ipCmd("-n", nsA, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", nsB)
	ipCmd("-n", nsA, "addr", "add", sub+".1/24", "dev", "va")
	ipCmd("-n", nsB, "addr", "add", sub+".2/24", "dev", "vb")
	ipCmd("-n", nsA, "link", "set", "va", "up")
	ipCmd("-n", nsB, "link", "set", "vb", "up")
	for i := 0; exec.Command("ip", "netns", "exec", nsB, "ping", "-c", "1", "-W", "1", sub+".1").Run() != nil; i++ {
		if i == 10 {
			fail("vip: the veth pair carries no packets")
		}
	}
	rtr := installHostnameType(dir)
	d := &daemon{dir: dir, socket: filepath.Join(dir, "rgmd.sock"), state: filepath.Join(dir, "state"), wrap: []string{"ip", "netns", "exec", nsA}}
	started.Lock()
	started.list = append(started.list, d)
	started.Unlock()
	// Debug: the log then says when each method starts.
	d.startAs("n1", "--log-level", "debug")
	defer d.stop()
	c := d.client()
	defer c.Close()
	d.call(c, wire.OpRTRegister, rtr)
	vip := sub + ".10"
	d.call(c, wire.OpRGCreate, wire.RGArgs{Name: "web"})
	d.call(c, wire.OpRSCreate, wire.RSArgs{Name: "vip", Group: "web", Type: "ORGM.LogicalHostname", Ext: map[string]string{"HostnameList": vip + "/24", "NetIfList": "va"}})
	d.call(c, wire.OpRGManage, wire.LifecycleArgs{Name: "web"})

	rgmadm := filepath.Join(*binDir, "rgmadm")
	const rounds = 10
	var via, fromPrenet, base []time.Duration
	lostVia := 0
	for r := 0; r < rounds; r++ {
		var began time.Time
		g, lost := pingGap(nsB, vip, func() {
			began = time.Now()
			cmd := exec.Command(rgmadm, "rg", "online", "web")
			cmd.Env = d.env()
			if out, err := cmd.CombinedOutput(); err != nil {
				fail("rg online: %v\n%s", err, out)
			}
		})
		via = append(via, g)
		if p, ok := lastStart(methodStarts(filepath.Join(dir, "rgmd.log"), began), "Prenet_start"); ok {
			fromPrenet = append(fromPrenet, g-p.Sub(began))
		}
		lostVia += lost
		waitGroups(c, []string{"web"}, "ONLINE")
		d.call(c, wire.OpRGOffline, wire.LifecycleArgs{Name: "web"})
		waitGroups(c, []string{"web"}, "OFFLINE")
		g, _ = pingGap(nsB, vip, func() { ipCmd("-n", nsA, "addr", "add", vip+"/24", "dev", "va") })
		base = append(base, g)
		ipCmd("-n", nsA, "addr", "del", vip+"/24", "dev", "va")
	}
	vm, bm := pct(via, 50), pct(base, 50)
	if len(fromPrenet) > 0 {
		pm := pct(fromPrenet, 50)
		fmt.Printf("vip     LogicalHostname on one node, a client pinging every 10 ms: first answer %v after Prenet_start began (median of %d, max %v; goal <= 100ms); ip addr add directly: %v; ratio %.2fx\n",
			pm.Round(time.Millisecond), len(fromPrenet), pct(fromPrenet, 100).Round(time.Millisecond), bm.Round(time.Millisecond), float64(pm)/float64(bm))
	}
	fmt.Printf("vip     the same from rgmadm rg online's start: %v (median of %d, max %v, %.1f pings lost a round); ratio to ip addr add %.2fx\n",
		vm.Round(time.Millisecond), rounds, pct(via, 100).Round(time.Millisecond), float64(lostVia)/rounds, float64(vm)/float64(bm))
}

// vipReady reports whether the LogicalHostname figures can be measured
// here, and says why not: they need root, for network namespaces.
func vipReady() bool {
	if os.Geteuid() != 0 {
		fmt.Println("vip     skipped: the LogicalHostname ping gaps need root (network namespaces)")
		return false
	}
	for _, p := range []string{"ip", "ping", "arping"} {
		if _, err := exec.LookPath(p); err != nil {
			fmt.Printf("vip     skipped: no %s\n", p)
			return false
		}
	}
	return true
}

// installHostnameType installs ORGM.LogicalHostname under dir as `make
// install` would, its methods links to this tree's orgm_agent (rgmd as
// root wants them in root's directories), and returns its registration.
func installHostnameType(dir string) wire.RTRegisterArgs {
	types := filepath.Join(dir, "types", "logicalhostname")
	check(os.MkdirAll(types, 0o755))
	rtr, err := os.ReadFile("callbacks/logicalhostname/logicalhostname.rtr")
	check(err)
	check(os.WriteFile(filepath.Join(types, "logicalhostname.rtr"), rtr, 0o644))
	for _, m := range []string{"prenet_start", "postnet_stop", "validate", "monitor_start", "monitor_stop", "monitor_check"} {
		check(os.Symlink(filepath.Join(*binDir, "orgm_agent"), filepath.Join(types, "hostname_"+m)))
	}
	return wire.RTRegisterArgs{Path: filepath.Join(types, "logicalhostname.rtr"), Text: string(rtr)}
}

// methodStart is a method's start in rgmd's log.
type methodStart struct {
	at               time.Time
	method, resource string
}

// methodStarts reads from rgmd's log the methods that started at or
// after since, in order (rgmd logs "method starting" at debug level, its
// time to the millisecond).
func methodStarts(log string, since time.Time) []methodStart {
	b, err := os.ReadFile(log)
	if err != nil {
		return nil
	}
	var out []methodStart
	field := func(l, name string) string {
		_, v, ok := strings.Cut(l, " "+name+"=")
		if !ok {
			return ""
		}
		v, _, _ = strings.Cut(v, " ")
		return v
	}
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, `msg="method starting"`) {
			continue
		}
		ts, _, _ := strings.Cut(strings.TrimPrefix(l, "time="), " ")
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || t.Before(since.Truncate(time.Millisecond)) {
			continue
		}
		out = append(out, methodStart{at: t, method: field(l, "method"), resource: field(l, "resource")})
	}
	return out
}

// lastStart is the start of the last method named method among starts.
func lastStart(starts []methodStart, method string) (time.Time, bool) {
	for i := len(starts) - 1; i >= 0; i-- {
		if starts[i].method == method {
			return starts[i].at, true
		}
	}
	return time.Time{}, false
}

// pingGap runs ping every 10 ms from namespace ns at addr, calls act, and
// returns the time from act's start to the first answer, and the number
// of requests sent meanwhile that got none.
func pingGap(ns, addr string, act func()) (time.Duration, int) {
	p := startPing(ns, addr)
	defer p.stop()
	time.Sleep(50 * time.Millisecond) // pinging before the act
	t0 := time.Now()
	act()
	// Requests go every 10 ms from the start: those sent since t0 before
	// the answer were lost.
	g := p.answer(t0, 0).at.Sub(t0)
	return g, int(g / (10 * time.Millisecond))
}

// pinger is ping(8) from a network namespace at an address, a request
// every 10 ms, its answers recorded as they come.
type pinger struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	got  []echo
	more chan struct{} // a token after each answer
	done chan struct{} // closed when ping's output ends
}

// echo is an answer: the request's sequence number, when the answer came
// (ping -D: the kernel's time of receipt), and its TTL, which says which
// host answered where each has its own default.
type echo struct {
	seq, ttl int
	at       time.Time
}

func startPing(ns, addr string) *pinger {
	p := &pinger{addr: addr, more: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd = exec.Command("ip", "netns", "exec", ns, "ping", "-n", "-D", "-i", "0.01", "-W", "1", addr)
	out, err := p.cmd.StdoutPipe()
	check(err)
	check(p.cmd.Start())
	go func() {
		defer close(p.done)
		// An answer: [1733500000.123456] 64 bytes from A: icmp_seq=N ttl=64 time=0.1 ms
		field := func(l, name string) (int, error) {
			_, v, _ := strings.Cut(l, " "+name+"=")
			v, _, _ = strings.Cut(v, " ")
			return strconv.Atoi(v)
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l := sc.Text()
			end := strings.IndexByte(l, ']')
			if !strings.HasPrefix(l, "[") || end < 0 || !strings.Contains(l, "bytes from") || strings.Contains(l, "DUP!") {
				continue
			}
			ts, err := strconv.ParseFloat(l[1:end], 64)
			seq, serr := field(l, "icmp_seq")
			ttl, terr := field(l, "ttl")
			if err != nil || serr != nil || terr != nil {
				continue
			}
			p.mu.Lock()
			p.got = append(p.got, echo{seq: seq, ttl: ttl, at: time.Unix(0, int64(ts*1e9))})
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
	}()
	return p
}

func (p *pinger) stop() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// answer waits for the first answer received at or after t, with TTL
// ttl unless that is 0.
func (p *pinger) answer(t time.Time, ttl int) echo {
	deadline := time.After(30 * time.Second)
	for {
		for _, e := range p.echoes() {
			if !e.at.Before(t) && (ttl == 0 || e.ttl == ttl) {
				return e
			}
		}
		select {
		case <-p.more:
		case <-p.done:
			fail("ping of %s ended", p.addr)
		case <-deadline:
			fail("no answer from %s within 30 s", p.addr)
		}
	}
}

// echoes returns the answers so far.
func (p *pinger) echoes() []echo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]echo(nil), p.got...)
}
