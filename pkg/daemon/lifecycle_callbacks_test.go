package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// TestLifecycleStopFailureWithDependent: rg offline --wait returns at once
// with the error when a Stop fails in a group whose other resource
// depends on the failed one, and nothing is left STOPPING.
func TestLifecycleStopFailureWithDependent(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := logType(t, d)
	d.MustRun("rgmadm", "rg", "create", "g1")
	d.MustRun("rgmadm", "rs", "create", "a", "-g", "g1", "-t", "logt")
	d.MustRun("rgmadm", "rs", "create", "b", "-g", "g1", "-t", "logt", "-p", "Resource_dependencies=a")
	d.MustRun("rgmadm", "rg", "manage", "g1")
	d.MustRun("rgmadm", "rg", "online", "g1", "--wait")
	touch(t, dir, "fail-Stop-a", "")
	r := d.Run("rgmadm", "rg", "offline", "g1", "--wait", "--timeout", "10m")
	if r.Code != 9 || !strings.Contains(r.Stderr, "STOP_FAILED") {
		t.Errorf("offline with a failing Stop: exit %d, %s", r.Code, r.Stderr)
	}
	if g, a, b := stateOf(t, d, "g1"), stateOf(t, d, "a"), stateOf(t, d, "b"); g != "ERROR_STOP_FAILED" || a != "STOP_FAILED" || b != "OFFLINE" {
		t.Errorf("after the failed Stop: g1 %s, a %s, b %s", g, a, b)
	}
	os.Remove(filepath.Join(dir, "fail-Stop-a"))
	d.MustRun("rgmadm", "rs", "clear", "a", "--wait")
	if g, a, b := stateOf(t, d, "g1"), stateOf(t, d, "a"), stateOf(t, d, "b"); g != "OFFLINE" || a != "OFFLINE" || b != "OFFLINE" {
		t.Errorf("after clear: g1 %s, a %s, b %s", g, a, b)
	}

	// rg restart: the same failure ends the restart at once.
	d.MustRun("rgmadm", "rg", "online", "g1", "--wait")
	touch(t, dir, "fail-Stop-a", "")
	r = d.Run("rgmadm", "rg", "restart", "g1", "--wait", "--timeout", "10m")
	if r.Code != 9 || !strings.Contains(r.Stderr, "STOP_FAILED") {
		t.Errorf("restart with a failing Stop: exit %d, %s", r.Code, r.Stderr)
	}
	if g, a, b := stateOf(t, d, "g1"), stateOf(t, d, "a"), stateOf(t, d, "b"); g != "ERROR_STOP_FAILED" || a != "STOP_FAILED" || b != "OFFLINE" {
		t.Errorf("after the failed restart: g1 %s, a %s, b %s", g, a, b)
	}
	os.Remove(filepath.Join(dir, "fail-Stop-a"))
	d.MustRun("rgmadm", "rs", "clear", "a", "--wait")
	if g, a, b := stateOf(t, d, "g1"), stateOf(t, d, "a"), stateOf(t, d, "b"); g != "ONLINE" || a != "ONLINE" || b != "ONLINE" {
		t.Errorf("after clear: g1 %s, a %s, b %s", g, a, b)
	}
}
