package ocf_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// Integration tests: a real rgmd runs the methods of OCF types itself
// (ocf.Runner), with the shipped ocf_* links laid out as make install
// does. The agents are Dummy (Debian's resource-agents) and tiny, a
// shell agent written here whose actions record who ran them and can be
// told to hang or to report OCF_NOT_RUNNING.

const tinyMetaData = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="tiny" version="1.0">
<version>1.0</version>
<longdesc lang="en">An agent for OpenRGM's tests.</longdesc>
<shortdesc lang="en">test agent</shortdesc>
<parameters>
<parameter name="dir" required="1" unique="1">
<longdesc lang="en">Where it keeps its files</longdesc>
<shortdesc lang="en">its directory</shortdesc>
<content type="string"/>
</parameter>
</parameters>
<actions>
<action name="start" timeout="20s"/>
<action name="stop" timeout="20s"/>
<action name="monitor" timeout="20s" interval="1s"/>
<action name="validate-all" timeout="20s"/>
<action name="meta-data" timeout="5s"/>
</actions>
</resource-agent>`

// tiny records each action in DIR/log as "ACTION PARENT TIMEOUT_MS" (the
// parent's command name: rgmd when rgmd runs it itself). DIR/running is
// its service; DIR/broken makes monitor fail whatever, DIR/broken_PID
// when run by the rgmd of that pid; DIR/start_hang and
// DIR/monitor_hang make start or monitor hang, their pids ("shell sleep")
// in DIR/start_pid or DIR/monitor_pid.
const tinyAgent = `#!/bin/sh
d="$OCF_RESKEY_dir"
log() { echo "$1 $(cat /proc/$PPID/comm) $OCF_RESKEY_CRM_meta_timeout" >>"$d/log"; }
hang() { sleep 1000 & echo "$$ $!" >"$d/$1_pid"; wait; }
case "$1" in
meta-data) cat <<'EOF'
` + tinyMetaData + `
EOF
	exit 0;;
start) log start; [ -e "$d/start_hang" ] && hang start; touch "$d/running"; exit 0;;
stop) log stop; rm -f "$d/running"; exit 0;;
monitor) log monitor; [ -e "$d/monitor_hang" ] && hang monitor
	[ -e "$d/running" ] && [ ! -e "$d/broken" ] && [ ! -e "$d/broken_$PPID" ] && exit 0
	echo "tiny is not running"; exit 7;;
validate-all) [ -d "$d" ] && log validate-all; [ -d "$d" ] || { echo "no directory $d"; exit 6; }; exit 0;;
*) exit 3;;
esac
`

// tinyRoot makes an OCF_ROOT holding resource.d/test/tiny.
func tinyRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "resource.d", "test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{root, filepath.Join(root, "resource.d"), dir} {
		os.Chmod(p, 0o755)
	}
	if err := os.WriteFile(filepath.Join(dir, "tiny"), []byte(tinyAgent), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// tinyResource starts an rgmd, imports tiny and creates resource r in
// group g (unmanaged) with the properties given; it returns the daemon
// and the resource's directory.
func tinyResource(t *testing.T, props ...string) (*rgmtest.Daemon, string) {
	t.Helper()
	d := rgmtest.StartDaemon(t)
	rgmtest.InstallTypes(t, d)
	if out := d.MustRun("rgmadm", "rt", "import-ocf", "--ocf-root", tinyRoot(t), "test:tiny"); strings.TrimSpace(out) != "OCF.test_tiny" {
		t.Fatalf("import-ocf: %q", out)
	}
	dir := t.TempDir()
	d.MustRun("rgmadm", "rg", "create", "g")
	args := []string{"rs", "create", "r", "-g", "g", "-t", "OCF.test_tiny", "-x", "dir=" + dir}
	for _, p := range props {
		args = append(args, "-p", p)
	}
	d.MustRun("rgmadm", args...)
	return d, dir
}

// actions returns the lines of the agent's log whose action is one of
// want (all when none).
func actions(dir string, want ...string) []string {
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		a, _, _ := strings.Cut(l, " ")
		if l != "" && (len(want) == 0 || contains(want, a)) {
			out = append(out, l)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// eventually polls cond every 100 ms until it holds, failing after within.
func eventually(t *testing.T, d *rgmtest.Daemon, within time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(within)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not so after %s\n%s", what, within, d.LogTail(40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(d *rgmtest.Daemon, tag string) string {
	return strings.TrimSpace(d.MustRun("scha_resource_get", "-O", tag, "-R", "r", "-G", "g"))
}

// pids reads a hang's "shell sleep" pids.
func pids(t *testing.T, file string) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%s: %q", file, b)
		}
		out = append(out, n)
	}
	return out
}

func gone(pid int) bool { return syscall.Kill(pid, 0) == syscall.ESRCH }

// TestRgmdRunsAgent: Validate, Start, Stop and Monitor_check run the
// agent's actions with rgmd as their parent (no orgm_agent between),
// under the method's timeout; the fault monitor is no process monitor
// tag; the log has each method's start, as for any method.
func TestRgmdRunsAgent(t *testing.T) {
	d, dir := tinyResource(t, "Start_timeout=7")
	d.MustRun("rgmadm", "rg", "online", "-M", "g", "--wait")
	if got := get(d, "RESOURCE_STATE"); got != "ONLINE" {
		t.Fatalf("r is %s\n%s", got, d.LogTail(30))
	}
	if _, err := os.Stat(filepath.Join(dir, "running")); err != nil {
		t.Fatalf("start did not run: %v", err)
	}
	starts := actions(dir, "start")
	if len(starts) != 1 || starts[0] != "start rgmd 7000" {
		t.Errorf("start: %q, want [\"start rgmd 7000\"] (run by rgmd, told Start_timeout)", starts)
	}
	// A fault monitor runs (its probes come every second), and is no tag
	// of the process monitor.
	eventually(t, d, 20*time.Second, "a probe", func() bool { return len(actions(dir, "monitor")) > 0 })
	if m := actions(dir, "monitor"); !strings.HasPrefix(m[0], "monitor rgmd ") {
		t.Errorf("monitor: %q", m[0])
	}
	if out := d.MustRun("pmfadm", "-L"); strings.Contains(out, ".mon") {
		t.Errorf("pmfadm -L lists a fault monitor: %s", out)
	}
	if get(d, "STATUS") == "" {
		t.Error("no status")
	}
	for _, m := range []string{"Start", "Monitor_start"} {
		if !strings.Contains(d.Log(), `msg="method starting"`) || !strings.Contains(d.Log(), "method="+m) {
			t.Errorf("no method starting line for %s", m)
		}
	}
	d.MustRun("rgmadm", "rg", "offline", "g", "--wait")
	if _, err := os.Stat(filepath.Join(dir, "running")); err == nil {
		t.Error("stop did not run")
	}
	if got := actions(dir, "stop"); len(got) != 1 || !strings.HasPrefix(got[0], "stop rgmd ") {
		t.Errorf("stop: %q", got)
	}

	// Validate runs validate-all: refused for a directory that is not
	// there (OCF_ERR_CONFIGURED), with the agent's words.
	d.MustRun("rgmadm", "rs", "disable", "r")
	r := d.Run("rgmadm", "rs", "set", "r", "-x", "dir=/nonexistent/x")
	if r.Code != 16 || !strings.Contains(r.Stderr, "OCF_ERR_CONFIGURED") || !strings.Contains(r.Stderr, "no directory /nonexistent/x") {
		t.Errorf("rs set with a bad dir: exit %d, %s", r.Code, r.Stderr)
	}
	// unique="1": another resource may not share r's directory.
	r = d.Run("rgmadm", "rs", "create", "r2", "-g", "g", "-t", "OCF.test_tiny", "-x", "dir="+dir)
	if r.Code != 16 || !strings.Contains(r.Stderr, "unique") {
		t.Errorf("unique: exit %d, %s", r.Code, r.Stderr)
	}
}

// TestRgmdMonitorRestartsThenGivesOver: a probe that finds the agent not
// running (OCF_NOT_RUNNING) sets FAULTED and restarts the resource; once
// NUM_RESOURCE_RESTARTS reaches Retry_count the monitor asks for
// GIVEOVER, which a single node refuses, and restarts no more.
func TestRgmdMonitorRestartsThenGivesOver(t *testing.T) {
	d, dir := tinyResource(t, "Thorough_probe_interval=1", "Retry_count=1", "Retry_interval=3600")
	d.MustRun("rgmadm", "rg", "online", "-M", "g", "--wait")
	os.Remove(filepath.Join(dir, "running"))
	eventually(t, d, 30*time.Second, "a restart", func() bool { return get(d, "NUM_RESOURCE_RESTARTS") == "1" })
	eventually(t, d, 30*time.Second, "started again", func() bool { return len(actions(dir, "start")) == 2 })
	if !strings.Contains(d.Log(), "tiny monitor: exit 7 (OCF_NOT_RUNNING): not running: tiny is not running; requesting RESOURCE_RESTART") {
		t.Errorf("the monitor did not say why it restarted\n%s", d.LogTail(30))
	}
	// Now failing for good: after Retry_count restarts, GIVEOVER.
	os.WriteFile(filepath.Join(dir, "broken"), nil, 0o644)
	eventually(t, d, 30*time.Second, "FAULTED", func() bool { return strings.HasPrefix(get(d, "STATUS"), "FAULTED") })
	eventually(t, d, 30*time.Second, "a GIVEOVER", func() bool { return strings.Contains(d.Log(), "requesting GIVEOVER") })
	eventually(t, d, 30*time.Second, "the GIVEOVER refused", func() bool { return strings.Contains(d.Log(), "GIVEOVER refused") })
	if n := get(d, "NUM_RESOURCE_RESTARTS"); n != "1" {
		t.Errorf("NUM_RESOURCE_RESTARTS %s after the GIVEOVER, want 1", n)
	}
	if n := len(actions(dir, "start")); n != 2 {
		t.Errorf("%d starts, want 2", n)
	}
	// The monitor is healthy again once the agent is.
	os.Remove(filepath.Join(dir, "broken"))
	eventually(t, d, 30*time.Second, "OK", func() bool { return strings.HasPrefix(get(d, "STATUS"), "OK") })
}

// TestRgmdMonitorStop: Monitor_stop ends the probes (none after it), and
// kills a probe halfway through (SIGKILL to its process group) without
// waiting for Probe_timeout; rgmd's end ends them too.
func TestRgmdMonitorStop(t *testing.T) {
	d, dir := tinyResource(t, "Thorough_probe_interval=1")
	d.MustRun("rgmadm", "rs", "set", "r", "-x", "Probe_timeout=600")
	d.MustRun("rgmadm", "rg", "online", "-M", "g", "--wait")
	eventually(t, d, 20*time.Second, "two probes", func() bool { return len(actions(dir, "monitor")) >= 2 })
	d.MustRun("rgmadm", "rs", "unmonitor", "r", "--wait")
	n := len(actions(dir, "monitor"))
	time.Sleep(3500 * time.Millisecond) // over three intervals
	if m := len(actions(dir, "monitor")); m != n {
		t.Fatalf("%d probes after Monitor_stop", m-n)
	}

	// A probe that hangs is killed by Monitor_stop, at once.
	os.WriteFile(filepath.Join(dir, "monitor_hang"), nil, 0o644)
	d.MustRun("rgmadm", "rs", "monitor", "r", "--wait")
	eventually(t, d, 20*time.Second, "a hanging probe", func() bool {
		_, err := os.Stat(filepath.Join(dir, "monitor_pid"))
		return err == nil
	})
	hung := pids(t, filepath.Join(dir, "monitor_pid"))
	t0 := time.Now()
	d.MustRun("rgmadm", "rs", "unmonitor", "r", "--wait")
	for _, pid := range hung {
		eventually(t, d, 10*time.Second, "probe process "+strconv.Itoa(pid)+" killed", func() bool { return gone(pid) })
	}
	if el := time.Since(t0); el > 60*time.Second {
		t.Errorf("Monitor_stop took %s", el)
	}

	// rgmd's end ends the monitor and its probe.
	os.Remove(filepath.Join(dir, "monitor_pid"))
	d.MustRun("rgmadm", "rs", "monitor", "r", "--wait")
	eventually(t, d, 20*time.Second, "a hanging probe", func() bool {
		_, err := os.Stat(filepath.Join(dir, "monitor_pid"))
		return err == nil
	})
	hung = pids(t, filepath.Join(dir, "monitor_pid"))
	d.Stop()
	for _, pid := range hung {
		eventually(t, d, 10*time.Second, "probe process "+strconv.Itoa(pid)+" killed as rgmd stopped", func() bool { return gone(pid) })
	}
	n = len(actions(dir, "monitor"))
	time.Sleep(2500 * time.Millisecond)
	if m := len(actions(dir, "monitor")); m != n {
		t.Fatalf("%d probes after rgmd stopped", m-n)
	}
	// The next rgmd starts the monitor of the online resource again.
	os.Remove(filepath.Join(dir, "monitor_hang"))
	d.Start()
	eventually(t, d, 30*time.Second, "probes after rgmd's restart", func() bool { return len(actions(dir, "monitor")) > n })
}

// TestRgmdStartTimeout: a Start that outlives Start_timeout is killed,
// its whole process group, and the resource is START_FAILED.
func TestRgmdStartTimeout(t *testing.T) {
	d, dir := tinyResource(t, "Start_timeout=1")
	os.WriteFile(filepath.Join(dir, "start_hang"), nil, 0o644)
	d.Run("rgmadm", "rg", "online", "-M", "g", "--wait")
	eventually(t, d, 30*time.Second, "START_FAILED", func() bool { return get(d, "RESOURCE_STATE") == "START_FAILED" })
	for _, pid := range pids(t, filepath.Join(dir, "start_pid")) {
		eventually(t, d, 20*time.Second, "start process "+strconv.Itoa(pid)+" killed", func() bool { return gone(pid) })
	}
	if !strings.Contains(d.Log(), "timed out after 1s") {
		t.Errorf("no timeout in the log\n%s", d.LogTail(20))
	}
}

// TestCopiedProgramRunsAsMethod: methods that are a copy of orgm_agent,
// not the program beside rgmd, run as any type's methods do: orgm_agent
// runs the agent, and the fault monitor is a process monitor tag.
func TestCopiedProgramRunsAsMethod(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Mkdir(filepath.Join(dir, "ocf"), 0o755)
	b, err := os.ReadFile(filepath.Join(d.Bin, "orgm_agent"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "orgm_agent"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"start", "stop", "validate", "monitor_start", "monitor_stop", "monitor_check"} {
		if err := os.Symlink("../orgm_agent", filepath.Join(dir, "ocf", "ocf_"+m)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("RGM_TYPES_PATH", dir)
	d.MustRun("rgmadm", "rt", "import-ocf", "--ocf-root", tinyRoot(t), "test:tiny")
	rdir := t.TempDir()
	d.MustRun("rgmadm", "rg", "create", "g")
	d.MustRun("rgmadm", "rs", "create", "r", "-g", "g", "-t", "OCF.test_tiny", "-x", "dir="+rdir)
	d.MustRun("rgmadm", "rg", "online", "-M", "g", "--wait")
	if got := get(d, "RESOURCE_STATE"); got != "ONLINE" {
		t.Fatalf("r is %s\n%s", got, d.LogTail(30))
	}
	if s := actions(rdir, "start"); len(s) != 1 || strings.HasPrefix(s[0], "start rgmd ") {
		t.Errorf("start: %q, want one not run by rgmd", s)
	}
	if out := d.MustRun("pmfadm", "-L"); !strings.Contains(out, "g,r,0.mon") {
		t.Errorf("pmfadm -L: %q, want the fault monitor's tag", out)
	}
	d.MustRun("rgmadm", "rg", "offline", "g", "--wait")
	if out := d.MustRun("pmfadm", "-L"); strings.Contains(out, "g,r,0.mon") {
		t.Errorf("pmfadm -L after offline: %q", out)
	}
}

// TestRgmdMonitorGivesOver: on two nodes, a monitor that fails with
// Retry_count 0 asks for GIVEOVER at once, and the group moves (through
// the other node's Monitor_check, which rgmd runs itself too); there the
// monitor finds the agent healthy.
func TestRgmdMonitorGivesOver(t *testing.T) {
	c := rgmtest.StartCluster(t, 2)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	rgmtest.InstallTypes(t, n1)
	n1.MustRun("rgmadm", "rt", "import-ocf", "--ocf-root", tinyRoot(t), "test:tiny")
	dir := t.TempDir()
	n1.MustRun("rgmadm", "rg", "create", "g", "-p", "Nodelist=n1,n2", "-p", "Pingpong_interval=0")
	n1.MustRun("rgmadm", "rs", "create", "r", "-g", "g", "-t", "OCF.test_tiny", "-x", "dir="+dir,
		"-p", "Thorough_probe_interval=1", "-p", "Retry_count=0")
	n1.MustRun("rgmadm", "rg", "online", "-M", "g", "-n", "n1", "--wait")
	rgState := func(d *rgmtest.Daemon, node string) string {
		return strings.TrimSpace(d.MustRun("scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", "g", node))
	}
	if st := rgState(n1, "n1"); st != "ONLINE" {
		t.Fatalf("g is %s on n1\n%s", st, n1.LogTail(40))
	}
	os.WriteFile(filepath.Join(dir, "broken_"+strconv.Itoa(n1.PID())), nil, 0o644)
	eventually(t, n1, 60*time.Second, "g online on n2", func() bool { return rgState(n1, "n2") == "ONLINE" })
	if st := rgState(n1, "n1"); st != "OFFLINE" {
		t.Errorf("g is %s on n1 after the GIVEOVER", st)
	}
	if !strings.Contains(n1.Log(), "requesting GIVEOVER") {
		t.Errorf("n1's monitor did not ask for GIVEOVER\n%s", n1.LogTail(40))
	}
	if got := actions(dir, "start"); len(got) != 2 || !strings.HasPrefix(got[1], "start rgmd ") {
		t.Errorf("starts %q", got)
	}
	// n2's Monitor_check ran validate-all between the two starts.
	all := actions(dir, "start", "validate-all")
	if len(all) < 3 || !strings.HasPrefix(all[len(all)-2], "validate-all rgmd ") {
		t.Errorf("no Monitor_check before the start on n2: %q", all)
	}
	eventually(t, n2, 30*time.Second, "status OK on n2", func() bool {
		return strings.HasPrefix(strings.TrimSpace(n2.MustRun("scha_resource_get", "-O", "STATUS_NODE", "-R", "r", "-G", "g", "n2")), "OK")
	})
}

// TestRgmdChecksAgentFile: an rgmd running as root runs no agent that
// others may change (pkg/execfile): Start fails and says why.
func TestRgmdChecksAgentFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the ownership rules apply to an rgmd running as root")
	}
	d, dir := tinyResource(t)
	var agent string
	d.MustRun("rgmadm", "rs", "disable", "r") // Validate must not run the agent below
	for _, l := range strings.Split(d.MustRun("rgmadm", "rt", "show", "OCF.test_tiny"), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "RT_basedir" {
			agent = filepath.Join(f[1], "tiny")
		}
	}
	if agent == "" {
		t.Fatal("no RT_basedir in rgmadm rt show")
	}
	if err := os.Chmod(agent, 0o777); err != nil {
		t.Fatal(err)
	}
	d.MustRun("rgmadm", "rs", "enable", "r")
	d.Run("rgmadm", "rg", "online", "-M", "g", "--wait")
	// Start fails, and so does the Stop that follows (STOP_FAILED).
	eventually(t, d, 30*time.Second, "STOP_FAILED", func() bool { return get(d, "RESOURCE_STATE") == "STOP_FAILED" })
	if len(actions(dir)) != 1 { // Validate at creation
		t.Errorf("the agent ran: %q", actions(dir))
	}
	if !strings.Contains(d.Log(), "Start of r failed: tiny start: cannot execute: "+agent+" is writable by group or others") {
		t.Errorf("the log does not say why\n%s", d.LogTail(20))
	}
}
