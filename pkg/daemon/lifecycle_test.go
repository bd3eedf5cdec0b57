package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// logType registers a resource type whose every method is a script that
// appends "METHOD RESOURCE TIME ARGS" (and "METHOD-end RESOURCE TIME") to
// dir/log, Start's environment to dir/env-RESOURCE, and the resource's
// state as Start and Monitor_start find it to dir/state-METHOD-RESOURCE.
// Files in dir steer a method of a resource: sleep-METHOD-RES (seconds),
// fail-METHOD-RES (exit 1), hang-METHOD-RES (never return, with a
// grandchild that ignores SIGTERM and writes its pid to dir/grandchild).
func logType(t *testing.T, d *rgmtest.Daemon) string {
	t.Helper()
	dir := t.TempDir()
	methods := []string{"Start", "Stop", "Validate", "Update", "Init", "Fini", "Boot", "Monitor_start", "Monitor_stop", "Monitor_check"}
	rtr := fmt.Sprintf("Resource_type = logt; Vendor_id = TEST; RT_version = \"1\"; RT_basedir = %q;\n", dir)
	for _, m := range methods {
		script := fmt.Sprintf(`#!/bin/sh
M=%s
D=%s
while getopts 'cuR:T:G:r:x:g:Z:' o; do case $o in R) R=$OPTARG ;; G) G=$OPTARG ;; esac; done
echo "$M $R $(date +%%s.%%N) $*" >>$D/log
[ "$M" = Start ] && env | sort >$D/env-$R
case $M in Start|Monitor_start) scha_resource_get -O RESOURCE_STATE -R $R -G $G >$D/state-$M-$R 2>&1 ;; esac
[ -f $D/sleep-$M-$R ] && sleep "$(cat $D/sleep-$M-$R)"
if [ -f $D/hang-$M-$R ]; then
	sh -c 'trap "" TERM; echo $$ >'$D'/grandchild; while :; do sleep 1; done' &
	wait
fi
echo "$M-end $R $(date +%%s.%%N)" >>$D/log
[ -f $D/fail-$M-$R ] && exit 1
exit 0
`, m, dir)
		if err := os.WriteFile(filepath.Join(dir, "m_"+strings.ToLower(m)), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		rtr += fmt.Sprintf("%s = m_%s;\n", m, strings.ToLower(m))
	}
	rtr += `{ PROPERTY = Start_timeout; MIN = 1; DEFAULT = 60; }
{ PROPERTY = Failover_mode; DEFAULT = NONE; TUNABLE = ANYTIME; }
{ PROPERTY = Val; EXTENSION; STRING; DEFAULT = "x"; TUNABLE = ANYTIME; }
`
	p := filepath.Join(dir, "logt.rtr")
	if err := os.WriteFile(p, []byte(rtr), 0o644); err != nil {
		t.Fatal(err)
	}
	d.MustRun("rgmadm", "rt", "register", p)
	return dir
}

func touch(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

type entry struct {
	method, resource string
	time             float64
	args             string
}

func readLog(t *testing.T, dir string) []entry {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	var out []entry
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(l, " ", 4)
		if len(f) < 3 {
			continue
		}
		ts, _ := strconv.ParseFloat(f[2], 64)
		e := entry{method: f[0], resource: f[1], time: ts}
		if len(f) == 4 {
			e.args = f[3]
		}
		out = append(out, e)
	}
	return out
}

func find(log []entry, method, resource string) (entry, int) {
	for i, e := range log {
		if e.method == method && e.resource == resource {
			return e, i
		}
	}
	return entry{}, -1
}

func status(t *testing.T, d *rgmtest.Daemon) string {
	return d.MustRun("rgmadm", "status")
}

// statusLine is the STATE column of name's line in rgmadm status.
func stateOf(t *testing.T, d *rgmtest.Daemon, name string) string {
	t.Helper()
	for _, l := range strings.Split(status(t, d), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == name {
			return f[1]
		}
	}
	t.Fatalf("%s not in status:\n%s", name, status(t, d))
	return ""
}

func TestLifecycleOrderArgsParallelism(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := logType(t, d)
	d.MustRun("rgmadm", "rg", "create", "g1")
	d.MustRun("rgmadm", "rg", "create", "g2")
	d.MustRun("rgmadm", "rs", "create", "db", "-g", "g1", "-t", "logt")
	d.MustRun("rgmadm", "rs", "create", "app", "-g", "g1", "-t", "logt", "-p", "Resource_dependencies=db")
	d.MustRun("rgmadm", "rs", "create", "other", "-g", "g2", "-t", "logt")
	touch(t, dir, "sleep-Start-db", "1")
	touch(t, dir, "sleep-Start-other", "1")
	d.MustRun("rgmadm", "rg", "manage", "+", "--wait")
	d.MustRun("rgmadm", "rg", "online", "+", "--wait")
	log := readLog(t, dir)

	// Exact arguments.
	if e, _ := find(log, "Start", "app"); e.args != "-R app -T TEST.logt -G g1" {
		t.Errorf("Start args %q", e.args)
	}
	if e, i := find(log, "Validate", "app"); i < 0 || !strings.HasPrefix(e.args, "-c -R app -T TEST.logt -G g1 -r ") ||
		!strings.Contains(e.args, "-r Resource_dependencies=db") || !strings.Contains(e.args, "-x Val=x") || !strings.Contains(e.args, "-g Nodelist=node1") {
		t.Errorf("Validate args %q", e.args)
	}
	for _, res := range []string{"db", "app", "other"} {
		if _, i := find(log, "Init", res); i < 0 {
			t.Errorf("no Init for %s", res)
		}
	}
	// Order across the dependency: app starts after db's Start and
	// Monitor_start have ended.
	dbMon, _ := find(log, "Monitor_start-end", "db")
	appStart, _ := find(log, "Start", "app")
	if dbMon.time == 0 || appStart.time < dbMon.time {
		t.Errorf("app started at %f, before db was online at %f", appStart.time, dbMon.time)
	}
	// Independent groups in parallel: the two 1 s Starts overlap.
	s1, _ := find(log, "Start", "db")
	e1, _ := find(log, "Start-end", "db")
	s2, _ := find(log, "Start", "other")
	e2, _ := find(log, "Start-end", "other")
	if !(s1.time < e2.time && s2.time < e1.time) {
		t.Errorf("Starts of independent groups did not overlap: db %f-%f, other %f-%f", s1.time, e1.time, s2.time, e2.time)
	}
	// The environment: scha_* commands on PATH, the socket, C locale.
	env, _ := os.ReadFile(filepath.Join(dir, "env-db"))
	for _, want := range []string{"PATH=" + d.Bin + ":", "RGM_SOCKET=" + d.Socket, "LANG=C"} {
		if !strings.Contains(string(env), want) {
			t.Errorf("Start's environment lacks %q:\n%s", want, env)
		}
	}
	// Each method sees the state its own start recorded.
	for m, want := range map[string]string{"Start": "STARTING", "Monitor_start": "ONLINE"} {
		if b, _ := os.ReadFile(filepath.Join(dir, "state-"+m+"-app")); string(b) != want+"\n" {
			t.Errorf("%s found app %q, want %s", m, b, want)
		}
	}
	st := status(t, d)
	for _, want := range []string{"g1              ONLINE", "  app           ONLINE"} {
		if !strings.Contains(st, want) {
			t.Errorf("status lacks %q:\n%s", want, st)
		}
	}

	// Offline in reverse order.
	os.Remove(filepath.Join(dir, "log"))
	d.MustRun("rgmadm", "rg", "offline", "g1", "--wait")
	log = readLog(t, dir)
	appStop, _ := find(log, "Stop-end", "app")
	dbStop, _ := find(log, "Stop", "db")
	if appStop.time == 0 || dbStop.time < appStop.time {
		t.Errorf("db stopped before app: %+v", log)
	}
	if got := stateOf(t, d, "g1"); got != "OFFLINE" {
		t.Errorf("g1 is %s", got)
	}
}

func TestLifecycleValidateAndCycle(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := logType(t, d)
	d.MustRun("rgmadm", "rg", "create", "g1")
	d.MustRun("rgmadm", "rs", "create", "a", "-g", "g1", "-t", "logt")
	d.MustRun("rgmadm", "rs", "create", "b", "-g", "g1", "-t", "logt", "-p", "Resource_dependencies=a")
	touch(t, dir, "fail-Validate-a", "")
	r := d.Run("rgmadm", "rs", "set", "a", "-x", "Val=new")
	if r.Code != 16 || !strings.Contains(r.Stderr, "Validate") {
		t.Errorf("rs set with a failing Validate: exit %d, %s", r.Code, r.Stderr)
	}
	if got := d.MustRun("scha_resource_get", "-O", "EXTENSION", "-R", "a", "-G", "g1", "Val"); got != "STRING\nx\n" {
		t.Errorf("Val after a refused set: %q", got)
	}
	if e := findLast(readLog(t, dir), "Validate", "a"); e.args != "-u -R a -T TEST.logt -G g1 -x Val=new" {
		t.Errorf("update Validate args %q", e.args)
	}
	r = d.Run("rgmadm", "rs", "set", "a", "-p", "Resource_dependencies=b")
	if r.Code != 8 || !strings.Contains(r.Stderr, "cycle") {
		t.Errorf("cycle: exit %d, %s", r.Code, r.Stderr)
	}
}

func TestLifecycleFailures(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := logType(t, d)
	d.MustRun("rgmadm", "rg", "create", "g1")
	d.MustRun("rgmadm", "rs", "create", "a", "-g", "g1", "-t", "logt", "-p", "Start_timeout=1")
	d.MustRun("rgmadm", "rg", "manage", "g1")

	// A hanging Start is killed with its whole tree at Start_timeout;
	// Failover_mode NONE leaves the group ONLINE_FAULTED.
	touch(t, dir, "hang-Start-a", "")
	r := d.Run("rgmadm", "rg", "online", "g1", "--wait")
	if r.Code != 9 || !strings.Contains(r.Stderr, "START_FAILED") || !strings.Contains(r.Stderr, "timed out") {
		t.Errorf("online with a hanging Start: exit %d, %s", r.Code, r.Stderr)
	}
	if got := stateOf(t, d, "g1"); got != "ONLINE_FAULTED" {
		t.Errorf("g1 is %s", got)
	}
	b, err := os.ReadFile(filepath.Join(dir, "grandchild"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || rgmtest.Alive(pid) {
		t.Errorf("grandchild %d that ignores TERM survived the timeout", pid)
	}

	// SOFT on a single node: the group goes OFFLINE, the failed resource
	// stays START_FAILED after its cleanup Stop.
	os.Remove(filepath.Join(dir, "hang-Start-a"))
	touch(t, dir, "fail-Start-a", "")
	d.MustRun("rgmadm", "rg", "offline", "g1", "--wait")
	d.MustRun("rgmadm", "rs", "set", "a", "-p", "Failover_mode=SOFT", "-p", "Start_timeout=30")
	r = d.Run("rgmadm", "rg", "online", "g1", "--wait")
	if r.Code != 9 {
		t.Errorf("online with a failing SOFT Start: exit %d, %s", r.Code, r.Stderr)
	}
	if g, a := stateOf(t, d, "g1"), stateOf(t, d, "a"); g != "OFFLINE" || a != "START_FAILED" {
		t.Errorf("after SOFT failure: g1 %s, a %s", g, a)
	}

	// A failed Stop: STOP_FAILED / ERROR_STOP_FAILED until rs clear.
	os.Remove(filepath.Join(dir, "fail-Start-a"))
	d.MustRun("rgmadm", "rg", "online", "g1", "--wait")
	touch(t, dir, "fail-Stop-a", "")
	r = d.Run("rgmadm", "rg", "offline", "g1", "--wait")
	if r.Code != 9 || stateOf(t, d, "g1") != "ERROR_STOP_FAILED" || stateOf(t, d, "a") != "STOP_FAILED" {
		t.Errorf("offline with a failing Stop: exit %d, %s\n%s", r.Code, r.Stderr, status(t, d))
	}
	os.Remove(filepath.Join(dir, "fail-Stop-a"))
	d.MustRun("rgmadm", "rs", "clear", "a", "--wait")
	if g, a := stateOf(t, d, "g1"), stateOf(t, d, "a"); g != "OFFLINE" || a != "OFFLINE" {
		t.Errorf("after clear: g1 %s, a %s", g, a)
	}
}

func TestLifecycleCrashRecovery(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := logType(t, d)
	d.MustRun("rgmadm", "rg", "create", "g1")
	d.MustRun("rgmadm", "rs", "create", "a", "-g", "g1", "-t", "logt")
	d.MustRun("rgmadm", "rs", "create", "b", "-g", "g1", "-t", "logt")
	d.MustRun("rgmadm", "rg", "manage", "g1", "--wait")
	touch(t, dir, "sleep-Start-b", "2")
	d.MustRun("rgmadm", "rg", "online", "g1")
	// a must be fully up (its monitor started) before the crash: a crash
	// during a's own Start would rightly make rgmd stop and start it again.
	waitFor(t, func() bool {
		log := readLog(t, dir)
		_, b := find(log, "Start", "b")
		_, a := find(log, "Monitor_start-end", "a")
		return b >= 0 && a >= 0
	})
	d.Kill() // kill -9 in the middle of b's slow Start
	os.Remove(filepath.Join(dir, "sleep-Start-b"))
	os.Remove(filepath.Join(dir, "log"))
	d.Start()
	d.MustRun("rgmadm", "rg", "online", "g1", "--wait")
	log := readLog(t, dir)
	if _, i := find(log, "Start", "a"); i >= 0 {
		t.Errorf("healthy a was started again: %+v", log)
	}
	_, ma := find(log, "Monitor_start", "a")
	_, sb := find(log, "Stop", "b")
	_, stb := find(log, "Start", "b")
	if ma < 0 || sb < 0 || stb < sb {
		t.Errorf("recovery: want a's monitor restarted, b stopped then started; log %+v", log)
	}
	if got := stateOf(t, d, "g1"); got != "ONLINE" {
		t.Errorf("g1 is %s after recovery", got)
	}

	// kill -9 in the middle of a slow Stop.
	touch(t, dir, "sleep-Stop-a", "2")
	os.Remove(filepath.Join(dir, "log"))
	d.MustRun("rgmadm", "rg", "offline", "g1")
	waitFor(t, func() bool { _, i := find(readLog(t, dir), "Stop", "a"); return i >= 0 })
	d.Kill()
	os.Remove(filepath.Join(dir, "sleep-Stop-a"))
	os.Remove(filepath.Join(dir, "log"))
	d.Start()
	d.MustRun("rgmadm", "rg", "offline", "g1", "--wait")
	if _, i := find(readLog(t, dir), "Stop", "a"); i < 0 {
		t.Errorf("a caught STOPPING was not stopped again")
	}
	if g, a := stateOf(t, d, "g1"), stateOf(t, d, "a"); g != "OFFLINE" || a != "OFFLINE" {
		t.Errorf("after recovery: g1 %s, a %s", g, a)
	}

	// A reboot (another boot ID): Boot runs, the group comes back online.
	d.MustRun("rgmadm", "rg", "online", "g1", "--wait")
	d.Stop()
	os.Remove(filepath.Join(dir, "log"))
	d.Start("--boot-id", "another-boot")
	d.MustRun("rgmadm", "rg", "online", "g1", "--wait")
	log = readLog(t, dir)
	if _, i := find(log, "Boot", "a"); i < 0 {
		t.Errorf("no Boot after a reboot: %+v", log)
	}
	if _, i := find(log, "Start", "a"); i < 0 {
		t.Errorf("no Start after a reboot: %+v", log)
	}
}

func findLast(log []entry, method, resource string) entry {
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].method == method && log[i].resource == resource {
			return log[i]
		}
	}
	return entry{}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 400; i++ {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("condition not reached within 10s")
}

// The README's flow with the sample shell type.
func TestLifecycleHelloExample(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	work := t.TempDir()
	d.MustRun("rgmadm", "rt", "register", helloRTR())
	d.MustRun("rgmadm", "rg", "create", "web-rg")
	d.MustRun("rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "ORGM.hello", "-x", "Port=8080", "-x", "Workdir="+work)
	d.MustRun("rgmadm", "rg", "manage", "web-rg", "--wait")
	d.MustRun("rgmadm", "rg", "online", "web-rg", "--wait")
	st := status(t, d)
	if stateOf(t, d, "web-rg") != "ONLINE" || stateOf(t, d, "web-rs") != "ONLINE" || !strings.Contains(st, "OK      serving on port 8080") {
		t.Errorf("status after online:\n%s", st)
	}
	pidText, err := os.ReadFile(filepath.Join(work, "web-rs", "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidText)))
	d.MustRun("rgmadm", "rs", "set", "web-rs", "-x", "Port=8081")
	if r := d.Run("rgmadm", "rs", "set", "web-rs", "-x", "Port=80"); r.Code != 16 {
		t.Errorf("Port=80 accepted: %d %s", r.Code, r.Stderr)
	}
	d.MustRun("rgmadm", "rs", "disable", "web-rs", "--wait")
	if got := stateOf(t, d, "web-rs"); got != "OFFLINE" {
		t.Errorf("web-rs is %s after disable", got)
	}
	if pid > 0 && rgmtest.Alive(pid) {
		t.Errorf("the hello daemon %d survived disable", pid)
	}
	d.MustRun("rgmadm", "rg", "offline", "web-rg", "--wait")
	d.MustRun("rgmadm", "rg", "unmanage", "web-rg", "--wait")
	if got := stateOf(t, d, "web-rg"); got != "UNMANAGED" {
		t.Errorf("web-rg is %s", got)
	}
	if !strings.Contains(d.Log(), "method=Update") {
		t.Error("Update did not run after rs set while online")
	}
}
