// Command bench measures OpenRGM against the goals of its issues, each
// figure next to a baseline measured in the same run (these machines are
// shared and noisy, so ratios mean more than absolute times). It starts
// real rgmd daemons from ./bin in temporary directories.
//
// Usage: go run ./scripts/bench [-bin ./bin] [-only reads,writes,scha,capi,scale,import,lifecycle,recovery,durability,cluster,clusterscale,api,apireads,ocf,vip,failover]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

var (
	binDir = flag.String("bin", "bin", "directory of the built binaries")
	only   = flag.String("only", "", "comma-separated subset: reads,writes,scha,capi,scale,import,lifecycle,recovery,durability,cluster,clusterscale,api,apireads,ocf,vip,failover")
	groups = flag.Int("groups", 1000, "groups in the scale test (10 resources each)")
	loops  = flag.Int("loops", 100, "kill -9 cycles in the durability test")
	echoAt = flag.String("echo-server", "", "internal: serve the reads baseline's echo on this socket")
)

func main() {
	flag.Parse()
	if *echoAt != "" {
		echoServer(*echoAt)
		return
	}
	if *gossipNode != "" {
		runGossipNode(*gossipNode)
		return
	}
	abs, err := filepath.Abs(*binDir)
	check(err)
	*binDir = abs
	rtr, err := filepath.Abs("examples/hello/hello.rtr")
	check(err)
	want := func(name string) bool { return *only == "" || strings.Contains(","+*only+",", ","+name+",") }
	fmt.Printf("OpenRGM benchmarks (%d CPUs); ratios are against the baseline of the same run\n\n", numCPU())
	if want("reads") {
		reads(rtr)
	}
	if want("writes") {
		writes(rtr)
	}
	if want("scha") {
		schaLatency(rtr)
	}
	if want("capi") {
		capiBench(rtr)
	}
	if want("scale") {
		scale(rtr)
	}
	if want("import") {
		importBench(rtr)
	}
	if want("lifecycle") {
		lifecycle()
	}
	if want("recovery") {
		recovery()
	}
	if want("cluster") {
		clusterBench(rtr)
	}
	if want("clusterscale") {
		clusterScale(rtr)
	}
	if want("api") {
		apiBench(rtr, false)
	} else if want("apireads") {
		apiBench(rtr, true)
	}
	if want("durability") {
		durability(rtr)
	}
	if want("ocf") {
		ocfBench()
	}
	if want("failover") {
		failoverBench()
	}
	if want("vip") && vipReady() {
		vipBench()
		vipSwitchBench()
	}
}

// daemon is a real rgmd in a temporary directory.
type daemon struct {
	dir, socket, state string
	cmd                *exec.Cmd
	wrap               []string // runs rgmd, such as ip netns exec NS (it must exec rgmd)
}

// started lists every rgmd this run started, so that fail can stop them:
// os.Exit skips the deferred kills.
var started struct {
	sync.Mutex
	list  []*daemon
	netns []string // network namespaces (addNetns)
}

func startDaemon(dir string) (*daemon, time.Duration) {
	d := &daemon{dir: dir, socket: filepath.Join(dir, "rgmd.sock"), state: filepath.Join(dir, "state")}
	started.Lock()
	started.list = append(started.list, d)
	started.Unlock()
	return d, d.start()
}

// start runs rgmd and returns the time from exec to its first answer.
func (d *daemon) start() time.Duration { return d.startAs("n1") }

// startAs runs rgmd as node name with extra arguments and returns the
// time from exec to its first answer.
func (d *daemon) startAs(name string, extra ...string) time.Duration {
	t0 := time.Now()
	args := append([]string{"--socket", d.socket, "--state-dir", d.state, "--node-name", name, "--log-level", "warn"}, extra...)
	d.cmd = exec.Command(filepath.Join(*binDir, "rgmd"), args...)
	if len(d.wrap) > 0 {
		d.cmd = exec.Command(d.wrap[0], append(append(d.wrap[1:len(d.wrap):len(d.wrap)], d.cmd.Path), args...)...)
	}
	log, err := os.OpenFile(filepath.Join(d.dir, "rgmd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	check(err)
	d.cmd.Stdout, d.cmd.Stderr = log, log
	check(d.cmd.Start())
	c := d.client()
	defer c.Close()
	for {
		if _, err := c.Ping(context.Background()); err == nil {
			return time.Since(t0)
		}
		// A joining node answers once the leader has added it.
		if time.Since(t0) > patience {
			fail("rgmd %s did not start within %v; see %s/rgmd.log", name, patience, d.dir)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// patience bounds every wait of the benchmarks (a call, a start, a group
// coming online). It only guards against a hang: a busy machine makes a
// step slower, and the run must report that rather than stop. Waits for
// groups ask rgmd in chunks of 10 s, well inside it.
const patience = 10 * time.Minute

func (d *daemon) client() *client.Client {
	return &client.Client{Socket: d.socket, Timeout: patience}
}

func (d *daemon) kill(sig syscall.Signal) {
	d.cmd.Process.Signal(sig)
	d.cmd.Wait()
}

// stop ends rgmd and the process monitor's trees, which outlive it by
// design (pmfadm(8)): SIGTERM to each supervisor recorded in the state
// directory stops its tree.
func (d *daemon) stop() {
	d.kill(syscall.SIGTERM)
	d.stopSupervisors()
}

func (d *daemon) stopSupervisors() {
	files, _ := filepath.Glob(filepath.Join(d.state, "pmf", "*.json"))
	var pids []int
	for _, f := range files {
		var rec struct {
			Supervisor int `json:"supervisor_pid"`
		}
		if b, err := os.ReadFile(f); err == nil && json.Unmarshal(b, &rec) == nil && rec.Supervisor > 1 &&
			syscall.Kill(rec.Supervisor, syscall.SIGTERM) == nil {
			pids = append(pids, rec.Supervisor)
		}
	}
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		alive := 0
		for _, pid := range pids {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(b), ") Z ") {
				alive++
			}
		}
		if alive == 0 {
			return
		}
	}
}

func (d *daemon) rss() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	check(err)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			return kb / 1024
		}
	}
	return -1
}

func (d *daemon) env() []string {
	return append(os.Environ(), "RGM_SOCKET="+d.socket, "PATH="+*binDir+":"+os.Getenv("PATH"))
}

// call makes one request, retrying SCHA_ERR_RECONF (an election in a
// cluster) for up to a minute as agents do; a create that was committed
// before its answer was lost then finds its object there.
func (d *daemon) call(c *client.Client, op string, args any) {
	reconf := false
	for end := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		err := c.Call(context.Background(), op, args, nil)
		switch {
		case err == nil:
			return
		case scha.CodeOf(err) == scha.ErrReconf && time.Now().Before(end):
			reconf = true
			continue
		case reconf && strings.Contains(err.Error(), "exists"):
			return
		}
		fail("%s: %v", op, err)
	}
}

// populate registers the sample type and makes groups × perGroup resources
// with `workers` concurrent clients.
func (d *daemon) populate(rtr string, groups, perGroup, workers int) {
	c := d.client()
	defer c.Close()
	text, err := os.ReadFile(rtr)
	check(err)
	d.call(c, wire.OpRTRegister, wire.RTRegisterArgs{Path: rtr, Text: string(text)})
	d.createGroups("rg", "ORGM.hello", map[string]string{"Port": "8080"}, groups, perGroup, workers)
}

// createGroups makes groups named PREFIX0000... with perGroup resources of
// typ each (PREFIX0000-rs00...), from `workers` concurrent clients.
func (d *daemon) createGroups(prefix, typ string, ext map[string]string, groups, perGroup, workers int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := d.client()
			defer c.Close()
			for {
				g := int(next.Add(1)) - 1
				if g >= groups {
					return
				}
				rg := fmt.Sprintf("%s%04d", prefix, g)
				d.call(c, wire.OpRGCreate, wire.RGArgs{Name: rg})
				for r := 0; r < perGroup; r++ {
					d.call(c, wire.OpRSCreate, wire.RSArgs{Name: fmt.Sprintf("%s-rs%02d", rg, r), Group: rg, Type: typ, Ext: ext})
				}
			}
		}()
	}
	wg.Wait()
}

// echoServer answers every request line with a fixed reply of the size
// of a get's, echoing the request ID.
func echoServer(path string) {
	ln, err := net.Listen("unix", path)
	check(err)
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			r := bufio.NewReader(conn)
			for {
				line, err := r.ReadSlice('\n')
				if err != nil {
					conn.Close()
					return
				}
				id := line[strings.Index(string(line), `"id":`)+5:]
				id = id[:strings.IndexAny(string(id), ",}")]
				fmt.Fprintf(conn, `{"v":1,"id":%s,"code":0,"data":{"type":"int","values":["2"],"seq":7}}`+"\n", id)
			}
		}()
	}
}

func tempDir() string {
	dir, err := os.MkdirTemp("", "rgmbench")
	check(err)
	return dir
}

// reads: resource property gets over persistent connections from 16
// concurrent clients, against a raw Unix-socket echo of the same request
// and reply lines.
func reads(rtr string) {
	const clients, perClient = 16, 10000
	dir := tempDir()
	defer os.RemoveAll(dir)
	d, _ := startDaemon(dir)
	defer d.kill(syscall.SIGTERM)
	d.populate(rtr, 1, 1, 1)
	args := wire.GetArgs{Kind: wire.KindResource, Name: "rg0000-rs00", Group: "rg0000", Tag: "RETRY_COUNT"}
	rate := func(do func(c *client.Client)) float64 {
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := d.client()
				defer c.Close()
				for j := 0; j < perClient; j++ {
					do(c)
				}
			}()
		}
		wg.Wait()
		return float64(clients*perClient) / time.Since(t0).Seconds()
	}
	got := rate(func(c *client.Client) {
		if _, err := c.Get(context.Background(), args); err != nil {
			fail("get: %v", err)
		}
	})
	// Baseline: an echo server in a process of its own, as rgmd is, that
	// answers each line with a reply line of the same shape, over the same
	// client code path.
	echo := filepath.Join(dir, "echo.sock")
	self, err := os.Executable()
	check(err)
	srv := exec.Command(self, "-echo-server", echo)
	check(srv.Start())
	defer func() { srv.Process.Kill(); srv.Wait() }()
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", echo); err == nil {
			c.Close()
			break
		}
		if i > 1000 {
			fail("echo server did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	base := rate(func(c *client.Client) {
		c.Socket = echo
		if _, err := c.Get(context.Background(), args); err != nil {
			fail("echo: %v", err)
		}
	})
	fmt.Printf("reads   %d clients, persistent connections: %.0f gets/s (goal >= 50000); raw socket echo %.0f/s; ratio %.2f of raw\n", clients, got, base, got/base)
}

// writes: `rs set` commits, each acknowledged after fsync, against a
// write+fdatasync of the same size on the same file system.
func writes(rtr string) {
	const n = 500
	dir := tempDir()
	defer os.RemoveAll(dir)
	d, _ := startDaemon(dir)
	defer d.kill(syscall.SIGTERM)
	d.populate(rtr, 1, 1, 1)
	c := d.client()
	defer c.Close()
	lat := make([]time.Duration, n)
	for i := range lat {
		t0 := time.Now()
		d.call(c, wire.OpRSSet, wire.RSArgs{Name: "rg0000-rs00", Ext: map[string]string{"Port": strconv.Itoa(1024 + i)}})
		lat[i] = time.Since(t0)
	}
	f, err := os.Create(filepath.Join(dir, "fsync"))
	check(err)
	defer f.Close()
	buf := make([]byte, 512)
	base := make([]time.Duration, n)
	for i := range base {
		t0 := time.Now()
		f.Write(buf)
		syscall.Fdatasync(int(f.Fd()))
		base[i] = time.Since(t0)
	}
	m, p99, bm := pct(lat, 50), pct(lat, 99), pct(base, 50)
	fmt.Printf("writes  rs set commit: median %v (goal < 5ms), p99 %v (goal < 20ms); one write+fdatasync median %v; ratio %.1fx\n", m, p99, bm, float64(m)/float64(bm))
}

// schaLatency: end-to-end scha_resource_get against /bin/true, alone and
// under a concurrent loop of `rgmadm rs set`.
func schaLatency(rtr string) {
	const n = 1000
	dir := tempDir()
	defer os.RemoveAll(dir)
	d, _ := startDaemon(dir)
	defer d.kill(syscall.SIGTERM)
	d.populate(rtr, 1, 1, 1)
	get := []string{filepath.Join(*binDir, "scha_resource_get"), "-O", "RESOURCE_STATE", "-R", "rg0000-rs00", "-G", "rg0000"}
	run := func(argv []string) time.Duration {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = d.env()
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			fail("%s: %v", argv[0], err)
		}
		return time.Since(t0)
	}
	// The floor: a Go program that does nothing, built as the commands are.
	// Go's runtime start-up alone is most of the budget on these machines.
	empty := filepath.Join(dir, "empty")
	check(os.MkdirAll(empty, 0o755))
	check(os.WriteFile(filepath.Join(empty, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	check(os.WriteFile(filepath.Join(empty, "go.mod"), []byte("module empty\n"), 0o644))
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "empty", ".")
	build.Dir, build.Env = empty, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fail("building the empty Go program: %v\n%s", err, out)
	}
	emptyBin := filepath.Join(empty, "empty")
	measure := func() (time.Duration, time.Duration, time.Duration) {
		var a, b, e []time.Duration
		for i := 0; i < n; i++ { // interleaved, so all see the same noise
			a = append(a, run([]string{"/bin/true"}))
			b = append(b, run(get))
			e = append(e, run([]string{emptyBin}))
		}
		return pct(a, 50), pct(b, 50), pct(e, 50)
	}
	t1, g1, e1 := measure()
	fmt.Printf("scha    scha_resource_get -O RESOURCE_STATE: median %v; /bin/true median %v; ratio %.2fx (goal <= 2.5x, stretch 2.0x); an empty Go program: %.2fx\n", g1, t1, float64(g1)/float64(t1), float64(e1)/float64(t1))
	t1, g1 = shellLoop(d, get, n)
	fmt.Printf("scha    %d calls from one bash loop: median %v (/bin/true %v, ratio %.2fx)\n", n, g1, t1, float64(g1)/float64(t1))
	stop := make(chan struct{})
	var writes atomic.Int64
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			cmd := exec.Command(filepath.Join(*binDir, "rgmadm"), "rs", "set", "rg0000-rs00", "-x", "Port="+strconv.Itoa(2000+i%1000))
			cmd.Env = d.env()
			if cmd.Run() == nil {
				writes.Add(1)
			}
		}
	}()
	t2, g2 := shellLoop(d, get, n)
	close(stop)
	// The write loop keeps one of the machine's cores busy with process
	// start-ups, which slows every process, /bin/true included; the
	// change of the ratio to /bin/true is what rgmd's writes cost reads.
	r1, r2 := float64(g1)/float64(t1), float64(g2)/float64(t2)
	fmt.Printf("scha    %d calls from one bash loop under a loop of rgmadm rs set (%d writes): median %v (/bin/true %v, ratio %.2fx); change of the median %+.0f%%, of /bin/true's %+.0f%%, of the ratio %+.0f%% (goal within 20%%)\n",
		n, writes.Load(), g2, t2, r2, 100*(float64(g2)-float64(g1))/float64(g1), 100*(float64(t2)-float64(t1))/float64(t1), 100*(r2-r1)/r1)
}

// shellLoop makes n calls of get from one bash loop, the way a monitor
// script does, each timed by bash itself ($EPOCHREALTIME) and each after a
// /bin/true timed the same way, so that both see the same noise; it
// returns the two medians.
func shellLoop(d *daemon, get []string, n int) (tru, got time.Duration) {
	const script = `n=$1; shift
for ((i = 0; i < n; i++)); do
	a=$EPOCHREALTIME; /bin/true; b=$EPOCHREALTIME; "$@" >/dev/null; c=$EPOCHREALTIME
	echo "$a $b $c"
done`
	cmd := exec.Command("bash", append([]string{"-c", script, "bash", strconv.Itoa(n)}, get...)...)
	cmd.Env = d.env()
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fail("bash loop: %v", err)
	}
	// $EPOCHREALTIME is seconds with six decimals: without its decimal
	// point (whose character follows the locale) it is microseconds.
	micros := func(s string) int64 {
		v, err := strconv.ParseInt(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s), 10, 64)
		if err != nil || len(s) < 8 {
			fail("bash loop: bad time %q", s)
		}
		return v
	}
	var ts, gs []time.Duration
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			fail("bash loop: bad line %q", line)
		}
		a, b, c := micros(f[0]), micros(f[1]), micros(f[2])
		ts = append(ts, time.Duration(b-a)*time.Microsecond)
		gs = append(gs, time.Duration(c-b)*time.Microsecond)
	}
	if len(gs) != n {
		fail("bash loop: %d lines for %d calls", len(gs), n)
	}
	return pct(ts, 50), pct(gs, 50)
}

// scale: groups × 10 resources; RSS, `rgmadm status -o json`, restart to
// ready, against an empty rgmd's RSS and start.
func scale(rtr string) {
	dir := tempDir()
	defer os.RemoveAll(dir)
	empty, emptyStart := startDaemon(tempDirIn(dir, "empty"))
	emptyRSS := empty.rss()
	empty.kill(syscall.SIGTERM)

	d, _ := startDaemon(tempDirIn(dir, "full"))
	t0 := time.Now()
	d.populate(rtr, *groups, 10, 8)
	created := time.Since(t0)
	rss := d.rss()
	statusTime := func() time.Duration {
		var best time.Duration
		for i := 0; i < 3; i++ {
			cmd := exec.Command(filepath.Join(*binDir, "rgmadm"), "status", "-o", "json")
			cmd.Env = d.env()
			t0 := time.Now()
			out, err := cmd.Output()
			if err != nil {
				fail("rgmadm status: %v", err)
			}
			if el := time.Since(t0); best == 0 || el < best {
				best = el
			}
			if i == 0 && !strings.Contains(string(out), fmt.Sprintf("rg%04d-rs09", *groups-1)) {
				fail("status lacks the last resource")
			}
		}
		return best
	}
	st := statusTime()
	d.kill(syscall.SIGTERM)
	restart := d.start()
	rssAfter := d.rss()
	d.kill(syscall.SIGKILL)
	crashRestart := d.start()
	d.kill(syscall.SIGTERM)
	n := *groups * 10
	fmt.Printf("scale   %d groups x 10 resources created in %v (%.0f objects/s)\n", *groups, created.Round(time.Millisecond), float64(n+*groups)/created.Seconds())
	fmt.Printf("scale   rgmd RSS %d MB (goal < 150 MB; empty rgmd %d MB); after restart %d MB\n", rss, emptyRSS, rssAfter)
	fmt.Printf("scale   rgmadm status -o json: %v (goal < 1s)\n", st.Round(time.Millisecond))
	fmt.Printf("scale   restart to ready: %v after SIGTERM, %v after SIGKILL (goal < 2s); empty rgmd starts in %v; ratio %.1fx\n",
		restart.Round(time.Millisecond), crashRestart.Round(time.Millisecond), emptyStart.Round(time.Millisecond), float64(crashRestart)/float64(emptyStart))
}

func tempDirIn(parent, name string) string {
	p := filepath.Join(parent, name)
	check(os.MkdirAll(p, 0o755))
	return p
}

// durability: writes from a client while rgmd is killed with SIGKILL at a
// random moment; after each restart every acknowledged change is there.
func durability(rtr string) {
	dir := tempDir()
	defer os.RemoveAll(dir)
	d, _ := startDaemon(dir)
	d.populate(rtr, 1, 0, 1)
	acked := map[string]string{} // resource → last acknowledged Port
	rng := rand.New(rand.NewSource(1))
	total := 0
	for loop := 0; loop < *loops; loop++ {
		var mu sync.Mutex
		done := make(chan struct{})
		go func() {
			defer close(done)
			c := d.client()
			defer c.Close()
			for i := 0; ; i++ {
				name := fmt.Sprintf("r%03d-%d", loop, i%5)
				var err error
				port := strconv.Itoa(1024 + i)
				if i < 5 {
					err = c.Call(context.Background(), wire.OpRSCreate, wire.RSArgs{Name: name, Group: "rg0000", Type: "ORGM.hello", Ext: map[string]string{"Port": port}}, nil)
				} else {
					err = c.Call(context.Background(), wire.OpRSSet, wire.RSArgs{Name: name, Ext: map[string]string{"Port": port}}, nil)
				}
				if err != nil {
					return // rgmd was killed
				}
				mu.Lock()
				acked[name] = port
				total++
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(5+rng.Intn(60)) * time.Millisecond)
		d.kill(syscall.SIGKILL)
		<-done
		d.start()
		c := d.client()
		for name, port := range acked {
			var r struct {
				Ext map[string]string `json:"ext"`
			}
			if err := c.Call(context.Background(), wire.OpRSShow, wire.NameArgs{Name: name}, &r); err != nil {
				fail("durability: loop %d: acknowledged resource %s lost: %v", loop, name, err)
			}
			if r.Ext["Port"] != port {
				// The last write may have committed without its
				// acknowledgement arriving; anything older is a loss.
				if p, _ := strconv.Atoi(r.Ext["Port"]); strconv.Itoa(p) != port && p < atoi(port) {
					fail("durability: loop %d: %s has Port %s, acknowledged %s", loop, name, r.Ext["Port"], port)
				}
			}
		}
		c.Close()
	}
	d.kill(syscall.SIGTERM)
	fmt.Printf("durable %d kill -9 cycles, %d acknowledged changes, none lost\n", *loops, total)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	started.Lock()
	for _, d := range started.list {
		if d.cmd != nil && d.cmd.Process != nil {
			d.cmd.Process.Kill()
			d.stopSupervisors()
		}
	}
	for _, ns := range started.netns {
		delNetns(ns)
	}
	started.Unlock()
	os.Exit(1)
}
