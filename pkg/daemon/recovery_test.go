package daemon_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

var (
	echodOnce sync.Once
	echodErr  error
)

// withEchod builds examples/echo/echod as orgm_echod beside the harness's
// binaries, where the methods' PATH finds it (as `make` puts it in bin/).
func withEchod(t *testing.T, d *rgmtest.Daemon) {
	t.Helper()
	echodOnce.Do(func() {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(d.Bin, "orgm_echod"), "./examples/echo/echod")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Dir = rgmtest.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			echodErr = fmt.Errorf("go build echod: %v\n%s", err, out)
		}
	})
	if echodErr != nil {
		t.Fatal(echodErr)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// poll waits for cond, checking every 50 ms, failing after limit (a
// generous guard, not a timing assertion).
func poll(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// tagPids are the pids of a process monitor tag's tree, the command
// first (pmfadm -l).
func tagPids(t *testing.T, d *rgmtest.Daemon, tag string) []int {
	t.Helper()
	r := d.Run("pmfadm", "-l", tag)
	var pids []int
	for _, l := range strings.Split(r.Stdout, "\n") {
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, "pids"); ok {
			for _, f := range strings.Fields(strings.TrimLeft(rest, ": \t")) {
				if pid, err := strconv.Atoi(f); err == nil {
					pids = append(pids, pid)
				}
			}
		}
	}
	return pids
}

func tagPid(t *testing.T, d *rgmtest.Daemon, tag string) int {
	if p := tagPids(t, d, tag); len(p) > 0 {
		return p[0]
	}
	return 0
}

func traceCount(path, event string) int {
	b, _ := os.ReadFile(path)
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, event+" ") {
			n++
		}
	}
	return n
}

func get(d *rgmtest.Daemon, optag, r, g string) string {
	return strings.TrimSpace(d.Run("scha_resource_get", "-O", optag, "-R", r, "-G", g).Stdout)
}

// The echo example end to end: its monitor notices a SIGKILLed server
// and has the RGM restart it, counted in NUM_RESOURCE_RESTARTS; under
// Failover_mode RESTART_ONLY the kill after Retry_count restarts within
// Retry_interval faults the resource on this single node (START_FAILED,
// group ONLINE_FAULTED, status FAULTED), and rs clear brings it back.
func TestEchoMonitorRestartsThenFaults(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	withEchod(t, d)
	trace := filepath.Join(t.TempDir(), "trace")
	port := freePort(t)
	d.MustRun("rgmadm", "rt", "register", filepath.Join(rgmtest.RepoRoot(), "examples/echo/echo.rtr"))
	d.MustRun("rgmadm", "rg", "create", "eg")
	d.MustRun("rgmadm", "rs", "create", "e", "-g", "eg", "-t", "echo", "-x", "Port="+strconv.Itoa(port),
		"-x", "Trace_file="+trace, "-p", "Thorough_probe_interval=1", "-p", "Retry_count=2", "-p", "Retry_interval=300", "-p", "Failover_mode=RESTART_ONLY")
	d.MustRun("rgmadm", "rg", "manage", "eg", "--wait")
	d.MustRun("rgmadm", "rg", "online", "eg", "--wait")
	if s := stateOf(t, d, "e"); s != "ONLINE" {
		t.Fatalf("e is %s\n%s", s, d.Log())
	}
	if got := get(d, "STATUS", "e", "eg"); got != "OK\nserving on port "+strconv.Itoa(port) {
		t.Errorf("STATUS %q", got)
	}
	// The monitor runs under the process monitor, labelled with e.
	if l := d.MustRun("pmfadm", "-l", "eg,e,0.mon"); !strings.Contains(l, "e") {
		t.Errorf("monitor tag: %s", l)
	}

	for kill := 1; kill <= 2; kill++ {
		pid := tagPid(t, d, "eg,e,0.svc")
		if pid <= 0 {
			t.Fatalf("kill %d: no server pid\n%s", kill, d.Log())
		}
		syscall.Kill(pid, syscall.SIGKILL)
		poll(t, 30*time.Second, fmt.Sprintf("restart %d", kill), func() bool {
			return traceCount(trace, "started") == kill+1 && get(d, "RESOURCE_STATE", "e", "eg") == "ONLINE"
		})
		if got := get(d, "NUM_RESOURCE_RESTARTS", "e", "eg"); got != strconv.Itoa(kill) {
			t.Errorf("after kill %d NUM_RESOURCE_RESTARTS = %s", kill, got)
		}
		if traceCount(trace, "probe_failed") < kill {
			t.Errorf("kill %d: the monitor never reported the failure", kill)
		}
	}

	// Retry_count (2) restarts are used up: the third kill faults it.
	syscall.Kill(tagPid(t, d, "eg,e,0.svc"), syscall.SIGKILL)
	poll(t, 30*time.Second, "fault", func() bool {
		return get(d, "RESOURCE_STATE", "e", "eg") == "START_FAILED" && stateOf(t, d, "eg") == "ONLINE_FAULTED"
	})
	if got := get(d, "STATUS", "e", "eg"); !strings.HasPrefix(got, "FAULTED") {
		t.Errorf("STATUS after the fault: %q", got)
	}
	if d.Run("pmfadm", "-q", "eg,e,0.mon").Code == 0 || d.Run("pmfadm", "-q", "eg,e,0.svc").Code == 0 {
		t.Errorf("monitor or server still running after the fault")
	}
	if traceCount(trace, "giveover") == 0 {
		t.Errorf("the monitor did not try GIVEOVER once restarts ran out")
	}
	st := d.MustRun("rgmadm", "status")
	if !strings.Contains(st, "Retry_count") {
		t.Errorf("status does not say why e is faulted:\n%s", st)
	}

	if r := d.Run("rgmadm", "rs", "clear", "e", "--wait"); r.Code != 0 {
		t.Fatalf("rgmadm rs clear e --wait: exit %d\n%s\nrgmd's log:\n%s", r.Code, r.Stderr, d.LogTail(60))
	}
	if s := stateOf(t, d, "e"); s != "ONLINE" {
		t.Errorf("after clear e is %s", s)
	}
}

// A monitor that dies for good (its tag's restarts used up) makes the
// resource MONITOR_FAILED and its group ONLINE_FAULTED; rs monitor
// starts it again.
func TestEchoMonitorDeath(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	withEchod(t, d)
	d.MustRun("rgmadm", "rt", "register", filepath.Join(rgmtest.RepoRoot(), "examples/echo/echo.rtr"))
	d.MustRun("rgmadm", "rg", "create", "eg")
	d.MustRun("rgmadm", "rs", "create", "e", "-g", "eg", "-t", "echo", "-x", "Port="+strconv.Itoa(freePort(t)), "-p", "Thorough_probe_interval=30")
	d.MustRun("rgmadm", "rg", "manage", "eg", "--wait")
	d.MustRun("rgmadm", "rg", "online", "eg", "--wait")
	// echo_monitor_start allows 2 restarts: the third death is final.
	for i := 0; i < 3; i++ {
		var pids []int
		poll(t, 10*time.Second, "monitor running", func() bool { pids = tagPids(t, d, "eg,e,0.mon"); return len(pids) > 0 })
		// The whole tree: the command's process group first, so that a
		// sleep the probe forks meanwhile dies too, then every listed pid.
		syscall.Kill(-pids[0], syscall.SIGKILL)
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		poll(t, 10*time.Second, "monitor restarted or gone", func() bool {
			now := tagPids(t, d, "eg,e,0.mon")
			return len(now) == 0 || now[0] != pids[0]
		})
	}
	poll(t, 10*time.Second, "MONITOR_FAILED", func() bool { return get(d, "RESOURCE_STATE", "e", "eg") == "MONITOR_FAILED" })
	if s := stateOf(t, d, "eg"); s != "ONLINE_FAULTED" {
		t.Errorf("group is %s", s)
	}
	d.MustRun("rgmadm", "rs", "monitor", "e", "--wait")
	poll(t, 10*time.Second, "monitored again", func() bool { return get(d, "RESOURCE_STATE", "e", "eg") == "ONLINE" })
	if d.Run("pmfadm", "-q", "eg,e,0.mon").Code != 0 {
		t.Errorf("monitor not running after rs monitor")
	}
}

// ctlType registers TEST.ctl (and, with proxy, TEST.ctlproxy): every
// method appends "METHOD RESOURCE" to dir/log; dir/fail-METHOD makes it
// fail, dir/ignore-METHOD makes it call scha_control IGNORE_FAILED_START
// first.
func ctlType(t *testing.T, d *rgmtest.Daemon, name string, proxy bool) string {
	t.Helper()
	dir := t.TempDir()
	rtr := fmt.Sprintf("Resource_type = %s; Vendor_id = TEST; RT_version = \"1\"; RT_basedir = %q;\n", name, dir)
	if proxy {
		rtr += "Proxy = TRUE;\n"
	}
	for _, m := range []string{"Start", "Stop", "Monitor_start", "Monitor_stop", "Monitor_check"} {
		script := fmt.Sprintf(`#!/bin/sh
M=%s
D=%s
while getopts 'cuR:T:G:r:x:g:Z:' o; do case $o in R) R=$OPTARG ;; G) G=$OPTARG ;; esac; done
echo "$M $R" >>$D/log
if [ -f $D/ignore-$M ]; then scha_control -O IGNORE_FAILED_START -R $R -G $G; echo "ignore $?" >>$D/log; fi
[ -f $D/fail-$M ] && exit 1
exit 0
`, m, dir)
		if err := os.WriteFile(filepath.Join(dir, "m_"+strings.ToLower(m)), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		rtr += fmt.Sprintf("%s = m_%s;\n", m, strings.ToLower(m))
	}
	rtr += `{ PROPERTY = Failover_mode; DEFAULT = NONE; TUNABLE = ANYTIME; }
{ PROPERTY = Retry_count; DEFAULT = 2; TUNABLE = ANYTIME; }
{ PROPERTY = Retry_interval; DEFAULT = 300; TUNABLE = ANYTIME; }
`
	p := filepath.Join(dir, name+".rtr")
	if err := os.WriteFile(p, []byte(rtr), 0o644); err != nil {
		t.Fatal(err)
	}
	d.MustRun("rgmadm", "rt", "register", p)
	return dir
}

func methodLog(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	os.Remove(filepath.Join(dir, "log"))
	return strings.TrimSpace(string(b))
}

// Every scha_control tag's acceptance and refusal, with its code.
func TestControlTags(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := ctlType(t, d, "ctl", false)
	pdir := ctlType(t, d, "ctlproxy", true)
	d.MustRun("rgmadm", "rg", "create", "g")
	d.MustRun("rgmadm", "rs", "create", "a", "-g", "g", "-t", "ctl")
	d.MustRun("rgmadm", "rs", "create", "b", "-g", "g", "-t", "ctl", "-p", "Resource_dependencies_restart=a")
	d.MustRun("rgmadm", "rs", "create", "px", "-g", "g", "-t", "ctlproxy")
	d.MustRun("rgmadm", "rs", "create", "c", "-g", "g", "-t", "ctl", "-p", "Resource_dependencies_offline_restart=px")
	d.MustRun("rgmadm", "rg", "manage", "g", "--wait")
	ctl := func(tag, r string) int { return d.Run("scha_control", "-O", tag, "-R", r, "-G", "g").Code }
	expect := func(tag, r string, want int) {
		t.Helper()
		if got := ctl(tag, r); got != want {
			t.Errorf("scha_control %s -R %s: exit %d, want %d\n%s", tag, r, got, want, d.MustRun("rgmadm", "status"))
		}
	}

	// Not online here: SCHA_ERR_STATE for all but IGNORE_FAILED_START,
	// which needs a running Start (also STATE).
	for _, tag := range []string{"RESOURCE_RESTART", "RESTART", "GIVEOVER", "CHECK_RESTART", "RESOURCE_DISABLE", "IGNORE_FAILED_START"} {
		expect(tag, "a", 9)
	}
	expect("RESOURCE_RESTART", "nosuch", 14)
	expect("BOGUS", "a", 4)

	d.MustRun("rgmadm", "rg", "online", "g", "--wait")
	methodLog(dir)
	methodLog(pdir)

	// RESOURCE_RESTART: Monitor_stop, Stop, Start, Monitor_start of a; b
	// (restart dependency) is stopped once a started again, and starts
	// after a's Monitor_start; counted.
	expect("RESOURCE_RESTART", "a", 0)
	log := methodLog(dir)
	var ofA []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasSuffix(l, " a") {
			ofA = append(ofA, l)
		}
	}
	if strings.Join(ofA, ",") != "Monitor_stop a,Stop a,Start a,Monitor_start a" ||
		strings.Index(log, "Stop b") < strings.Index(log, "Start a") || strings.Index(log, "Start b") < strings.Index(log, "Monitor_start a") {
		t.Errorf("RESOURCE_RESTART methods:\n%s", log)
	}
	if got := get(d, "NUM_RESOURCE_RESTARTS", "a", "g"); got != "1" {
		t.Errorf("NUM_RESOURCE_RESTARTS = %s", got)
	}
	// RESOURCE_IS_RESTARTED: counted, no method of a; b restarts.
	expect("RESOURCE_IS_RESTARTED", "a", 0)
	log = methodLog(dir)
	if strings.Contains(log, " a") || !strings.Contains(log, "Start b") {
		t.Errorf("RESOURCE_IS_RESTARTED methods:\n%s", log)
	}
	if got := get(d, "NUM_RESOURCE_RESTARTS", "a", "g"); got != "2" {
		t.Errorf("NUM_RESOURCE_RESTARTS = %s", got)
	}
	// Retry_count 2 used up: CHECK_RESTART and RESTART still fine (group
	// restarts are counted apart, and not limited under NONE).
	expect("CHECK_RESTART", "b", 0)
	expect("RESTART", "b", 0)
	if got := get(d, "NUM_RG_RESTARTS", "b", "g"); got != "1" {
		t.Errorf("NUM_RG_RESTARTS = %s", got)
	}
	if s := stateOf(t, d, "g"); s != "ONLINE" {
		t.Errorf("after RESTART g is %s", s)
	}
	// Single node: every giveover is refused with SCHA_ERR_CHECKS.
	expect("CHECK_GIVEOVER", "a", 16)
	expect("GIVEOVER", "a", 16)

	// Proxy state changes: only for Proxy types (SCHA_ERR_RT); no
	// methods; the offline-restart dependent c follows px down and up.
	expect("CHANGE_STATE_OFFLINE", "a", 13)
	methodLog(pdir) // RESTART above ran px's methods
	expect("CHANGE_STATE_OFFLINE", "px", 0)
	poll(t, 10*time.Second, "c offline", func() bool { return stateOf(t, d, "c") == "OFFLINE" })
	if s := stateOf(t, d, "px"); s != "OFFLINE" {
		t.Errorf("px is %s", s)
	}
	expect("CHANGE_STATE_ONLINE", "px", 0)
	poll(t, 10*time.Second, "c online", func() bool { return stateOf(t, d, "c") == "ONLINE" })
	if plog := methodLog(pdir); plog != "" {
		t.Errorf("methods ran for the proxy: %s", plog)
	}

	// Failover_mode gating.
	d.MustRun("rgmadm", "rs", "set", "b", "-p", "Failover_mode=RESTART_ONLY")
	expect("RESTART", "b", 16)
	expect("GIVEOVER", "b", 16)
	expect("CHECK_RESTART", "b", 16)
	expect("RESOURCE_DISABLE", "b", 16)
	expect("RESOURCE_RESTART", "b", 0)
	d.MustRun("rgmadm", "rs", "set", "b", "-p", "Failover_mode=LOG_ONLY")
	expect("RESOURCE_RESTART", "b", 16)
	expect("RESOURCE_IS_RESTARTED", "b", 16)
	d.MustRun("rgmadm", "rs", "set", "b", "-p", "Failover_mode=NONE")

	// RESOURCE_DISABLE: b stops and is disabled on this node.
	expect("RESOURCE_DISABLE", "b", 0)
	if s := stateOf(t, d, "b"); s != "OFFLINE" || get(d, "ON_OFF_SWITCH", "b", "g") != "DISABLED" {
		t.Errorf("after RESOURCE_DISABLE b is %s, %s", s, get(d, "ON_OFF_SWITCH", "b", "g"))
	}

	// Beyond Retry_count: under NONE rgmd counts but does not limit (the
	// monitor's business); under RESTART_ONLY it refuses and faults a.
	expect("RESOURCE_RESTART", "a", 0)
	if got := get(d, "NUM_RESOURCE_RESTARTS", "a", "g"); got != "3" {
		t.Errorf("NUM_RESOURCE_RESTARTS = %s", got)
	}
	d.MustRun("rgmadm", "rs", "set", "a", "-p", "Failover_mode=RESTART_ONLY")
	expect("RESOURCE_RESTART", "a", 16)
	poll(t, 10*time.Second, "a faulted", func() bool { return stateOf(t, d, "a") == "START_FAILED" })
	if s := stateOf(t, d, "g"); s != "ONLINE_FAULTED" {
		t.Errorf("g is %s", s)
	}
	d.MustRun("rgmadm", "rg", "offline", "g", "--wait")

	// IGNORE_FAILED_START from a failing Start of a SOFT resource: no
	// failover (SOFT on one node would take g OFFLINE); a stays
	// START_FAILED and g ONLINE_FAULTED.
	d.MustRun("rgmadm", "rs", "set", "a", "-p", "Failover_mode=SOFT")
	touch(t, dir, "fail-Start", "")
	touch(t, dir, "ignore-Start", "")
	d.Run("rgmadm", "rg", "online", "g", "--wait")
	if log := methodLog(dir); !strings.Contains(log, "ignore 0") {
		t.Errorf("IGNORE_FAILED_START from Start was refused:\n%s", log)
	}
	if g, a := stateOf(t, d, "g"), stateOf(t, d, "a"); g != "ONLINE_FAULTED" || a != "START_FAILED" {
		t.Errorf("after an ignored failed start: g %s, a %s", g, a)
	}
}
