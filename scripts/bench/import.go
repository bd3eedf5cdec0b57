package main

import (
	"encoding/json"
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

// importBench: `rgmadm import` of 1,000 groups x 10 resources into an
// empty rgmd (goal <= 5 s, issue 21), once with ORGM.hello, whose Validate
// (a shell script) runs for each resource, once with a type that has none.
// The baseline is the Validate alone: as many runs of hello_validate, with
// the arguments rgmd gives it, as many at a time as rgmd runs them.
func importBench(rtr string) {
	groups, per := *groups, 10
	dir := tempDir()
	defer os.RemoveAll(dir)
	trivial := filepath.Join(dir, "trivial2.rtr")
	check(os.WriteFile(trivial, []byte(trivialStartStopRTR), 0o644))
	config := func(rtrFile, typ string, ext map[string]string) string {
		f := wire.ConfigFile{Format: wire.ConfigFormat, Types: []wire.ConfigType{{RTRFile: rtrFile}}}
		for g := range groups {
			name := fmt.Sprintf("rg%04d", g)
			f.Groups = append(f.Groups, wire.ConfigGroup{Name: name})
			for r := range per {
				f.Resources = append(f.Resources, wire.ConfigResource{Name: fmt.Sprintf("%s-rs%02d", name, r), Group: name, Type: typ, Ext: ext})
			}
		}
		b, err := json.Marshal(&f)
		check(err)
		p := filepath.Join(dir, typ+".json")
		check(os.WriteFile(p, b, 0o644))
		return p
	}
	run := func(name, file string) time.Duration {
		sub := tempDirIn(dir, name)
		d, _ := startDaemon(sub)
		defer d.kill(syscall.SIGTERM)
		cmd := exec.Command(filepath.Join(*binDir, "rgmadm"), "import", file)
		cmd.Env = d.env()
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("rgmadm import: %v\n%s", err, out)
		}
		return time.Since(t0)
	}
	hello := run("hello", config(rtr, "ORGM.hello", map[string]string{"Port": "8080"}))
	plain := run("trivial", config(trivial, "BENCH.trivial2", nil))

	total := groups * per
	par := min(4*runtime.NumCPU(), 32) // daemon.validateImport's
	// spawn runs argv total times, par at a time, as rgmd runs Validate
	// (own process group, output read through a pipe).
	spawn := func(env []string, argv ...string) time.Duration {
		var left atomic.Int64
		left.Store(int64(total))
		t0 := time.Now()
		var wg sync.WaitGroup
		for range par {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for left.Add(-1) >= 0 {
					cmd := exec.Command(argv[0], argv[1:]...)
					cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
					cmd.Env = env
					if out, err := cmd.CombinedOutput(); err != nil {
						fail("%s: %v\n%s", argv[0], err, out)
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}
	validate := filepath.Join(filepath.Dir(rtr), "hello_validate")
	base := spawn(append(os.Environ(), "RGM_SOCKET="+filepath.Join(dir, "rgmd.sock")), // as rgmd gives its methods
		validate, "-c", "-R", "rg0000-rs00", "-T", "ORGM.hello:1.0", "-G", "rg0000", "-x", "Port=8080", "-x", "Workdir=") // the default, as rgmd passes it
	// The floor for any type whose Validate is a program: starting that
	// many processes that do nothing.
	floor := spawn(os.Environ(), "/bin/true")
	fmt.Printf("import  rgmadm import of %d groups x %d resources (ORGM.hello, Validate each): %v (goal <= 5s); %d x hello_validate, %d at a time: %v; ratio %.2fx; "+
		"the same without Validate (BENCH.trivial2): %v\n",
		groups, per, hello.Round(time.Millisecond), total, par, base.Round(time.Millisecond), float64(hello)/float64(base), plain.Round(time.Millisecond))
	fmt.Printf("import  the floor of any Validate program on this machine: %d x /bin/true, %d at a time: %v (%.2f ms of the %d CPUs' time for each process started)\n",
		total, par, floor.Round(time.Millisecond), floor.Seconds()*1000*float64(runtime.NumCPU())/float64(total), runtime.NumCPU())
}
