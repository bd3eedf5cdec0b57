package daemon_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// The echo example survives an rgmd crash: the server started by its
// Start method under pmfadm keeps running, the new rgmd re-attaches to
// its tag and only restarts the fault monitor, whose probes find the
// server answering, so no restart is counted.
func TestEchoSurvivesRgmdCrash(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	withEchod(t, d)
	trace := filepath.Join(t.TempDir(), "trace")
	port := strconv.Itoa(freePort(t))
	d.MustRun("rgmadm", "rt", "register", filepath.Join(rgmtest.RepoRoot(), "examples/echo/echo.rtr"))
	d.MustRun("rgmadm", "rg", "create", "eg")
	d.MustRun("rgmadm", "rs", "create", "e", "-g", "eg", "-t", "echo", "-x", "Port="+port,
		"-x", "Trace_file="+trace, "-p", "Thorough_probe_interval=1")
	d.MustRun("rgmadm", "rg", "manage", "eg", "--wait")
	d.MustRun("rgmadm", "rg", "online", "eg", "--wait")
	server, monitor := tagPid(t, d, "eg,e,0.svc"), tagPid(t, d, "eg,e,0.mon")
	if server <= 0 || monitor <= 0 {
		t.Fatalf("server %d, monitor %d\n%s", server, monitor, d.Log())
	}
	// A status only a probe of the new monitor can replace.
	d.MustRun("scha_resource_setstatus", "-R", "e", "-G", "eg", "-s", "DEGRADED", "-m", "before the crash")

	d.Kill()
	d.Start()
	// The old monitor may still probe (its process outlives rgmd) until
	// crash recovery restarts it: wait for the new one, then for its probe.
	poll(t, 30*time.Second, "a restarted monitor", func() bool {
		pid := tagPid(t, d, "eg,e,0.mon")
		return pid > 0 && pid != monitor
	})
	d.MustRun("scha_resource_setstatus", "-R", "e", "-G", "eg", "-s", "DEGRADED", "-m", "after the restart")
	poll(t, 30*time.Second, "a new monitor's probe", func() bool {
		return get(d, "STATUS", "e", "eg") == "OK\nserving on port "+port
	})
	if pid := tagPid(t, d, "eg,e,0.svc"); pid != server {
		t.Errorf("server pid %d after the crash, was %d\n%s", pid, server, d.Log())
	}
	if r := d.Run("orgm_echod", "-probe", port); r.Code != 0 {
		t.Errorf("the server does not answer: %+v", r)
	}
	if got := get(d, "NUM_RESOURCE_RESTARTS", "e", "eg"); got != "0" {
		t.Errorf("NUM_RESOURCE_RESTARTS = %s", got)
	}
	if n := traceCount(trace, "start"); n != 1 {
		t.Errorf("Start ran %d times", n)
	}
	if s := stateOf(t, d, "e"); s != "ONLINE" {
		t.Errorf("e is %s", s)
	}
}
