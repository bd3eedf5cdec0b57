package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/wire"
)

// trivialRTR is a type whose methods are /bin/true: what the lifecycle
// benchmarks measure is everything rgmd does around the forks.
const trivialRTR = `Resource_type = trivial; Vendor_id = BENCH; RT_version = "1";
Start = /bin/true; Stop = /bin/true; Monitor_start = /bin/true; Monitor_stop = /bin/true;
`

// trivialStartStopRTR has only Start and Stop, for the throughput test:
// one fork per resource brought online.
const trivialStartStopRTR = `Resource_type = trivial2; Vendor_id = BENCH; RT_version = "1";
Start = /bin/true; Stop = /bin/true;
`

func registerText(d *daemon, dir, name, text string) {
	p := filepath.Join(dir, name)
	check(os.WriteFile(p, []byte(text), 0o644))
	c := d.client()
	defer c.Close()
	d.call(c, wire.OpRTRegister, wire.RTRegisterArgs{Path: p, Text: text})
}

// lifecycle: the RGM's overhead on one `rgmadm rg online --wait` against
// forking the same methods directly, and the throughput of bringing 1,000
// groups x 10 resources online against running as many trivial processes
// with rgmd's parallelism.
func lifecycle() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	d, _ := startDaemon(dir)
	defer d.kill(syscall.SIGTERM)
	registerText(d, dir, "trivial.rtr", trivialRTR)
	c := d.client()
	d.call(c, wire.OpRGCreate, wire.RGArgs{Name: "one"})
	d.call(c, wire.OpRSCreate, wire.RSArgs{Name: "one-rs", Group: "one", Type: "BENCH.trivial"})
	d.call(c, wire.OpRGManage, wire.LifecycleArgs{Name: "one"})
	c.Close()

	rgmadm := filepath.Join(*binDir, "rgmadm")
	run := func(argv ...string) time.Duration {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = d.env()
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("%v: %v\n%s", argv, err, out)
		}
		return time.Since(t0)
	}
	const n = 100
	var online, direct []time.Duration
	for i := 0; i < n; i++ { // interleaved, so both see the same noise
		online = append(online, run(rgmadm, "rg", "online", "one", "--wait"))
		run(rgmadm, "rg", "offline", "one", "--wait")
		// Going online runs Start then Monitor_start, one after the other.
		t0 := time.Now()
		run("/bin/true")
		run("/bin/true")
		direct = append(direct, time.Since(t0))
	}
	om, dm := pct(online, 50), pct(direct, 50)
	fmt.Printf("online  rgmadm rg online --wait, 1 group x 1 resource (Start+Monitor_start = /bin/true): median %v; forking the 2 methods directly %v; ratio %.2fx (goal <= 3x)\n",
		om.Round(time.Microsecond), dm.Round(time.Microsecond), float64(om)/float64(dm))

	// Throughput.
	registerText(d, dir, "trivial2.rtr", trivialStartStopRTR)
	groups, per := *groups, 10
	d.createGroups("tp", "BENCH.trivial2", nil, groups, per, 8)
	c = d.client()
	defer c.Close()
	names := make([]string, groups)
	for g := range names {
		names[g] = fmt.Sprintf("tp%04d", g)
		d.call(c, wire.OpRGManage, wire.LifecycleArgs{Name: names[g]})
	}
	d.call(c, wire.OpRGOffline, wire.LifecycleArgs{Name: "one"})
	t0 := time.Now()
	d.call(c, wire.OpRGOnline, wire.LifecycleArgs{Name: "+"})
	for {
		var rep wire.WaitReply
		if err := c.Call(context.Background(), wire.OpRGWait, wire.WaitArgs{Groups: names, TimeoutMs: 10000}, &rep); err != nil {
			fail("rg.wait: %v", err)
		}
		if rep.Settled {
			for _, g := range rep.Groups {
				if g.State != "ONLINE" {
					fail("group %s is %s", g.Name, g.State)
				}
			}
			break
		}
	}
	got := time.Since(t0)

	// Baseline: as many /bin/true with rgmd's default parallelism.
	par := max(8, 4*runtime.NumCPU())
	total := groups * per
	var left atomic.Int64
	left.Store(int64(total))
	t0 = time.Now()
	var bw sync.WaitGroup
	for w := 0; w < par; w++ {
		bw.Add(1)
		go func() {
			defer bw.Done()
			for left.Add(-1) >= 0 {
				cmd := exec.Command("/bin/true")
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				if err := cmd.Run(); err != nil {
					fail("/bin/true: %v", err)
				}
			}
		}()
	}
	bw.Wait()
	base := time.Since(t0)
	fmt.Printf("online  %d groups x %d resources brought online: %v (%.0f resources/s); %d x /bin/true with %d in parallel: %v; ratio %.2fx (goal <= 1.5x)\n",
		groups, per, got.Round(time.Millisecond), float64(total)/got.Seconds(), total, par, base.Round(time.Millisecond), float64(got)/float64(base))
}
