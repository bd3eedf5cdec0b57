package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

func TestMethodOf(t *testing.T) {
	for _, c := range []struct {
		argv   []string
		method string
		err    bool
	}{
		{[]string{"/x/systemd_unit_start", "-R", "r"}, "start", false},
		{[]string{"systemd_unit_monitor_check"}, "monitor_check", false},
		{[]string{"/usr/lib/openrgm/callbacks/systemd/orgm_systemd_unit", "stop", "-R", "r"}, "stop", false},
		{[]string{"orgm_systemd_unit"}, "", true},
		{[]string{"systemd_unit_reboot"}, "", true},
	} {
		m, _, err := methodOf(c.argv)
		if m != c.method || (err != nil) != c.err {
			t.Errorf("%q: %q, %v", c.argv, m, err)
		}
	}
}

func TestValidUnitName(t *testing.T) {
	for u, ok := range map[string]bool{"nginx.service": true, "data.mount": true, "nginx": false, "a/b.service": false, ".service": false, "x.bogus": false} {
		if err := validUnitName(u); (err == nil) != ok {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// standInSystemd is a stand-in for systemd on a private bus, NOT systemd:
// it implements only what orgm_systemd_unit calls of
// org.freedesktop.systemd1 (Manager.StartUnit, StopUnit and Subscribe, the
// JobRemoved signal, and the Unit properties LoadState and ActiveState),
// with units that exist only in its map.
type standInSystemd struct {
	conn  *dbus.Conn
	mu    sync.Mutex
	units map[string]*fakeUnit
	calls []string
	jobs  int
}

type fakeUnit struct {
	active  string // ActiveState
	failing bool   // start jobs end "failed"
}

func (s *standInSystemd) job(name, mode, verb string) (dbus.ObjectPath, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, verb+" "+name+" "+mode)
	u, ok := s.units[name]
	if !ok {
		return "", dbus.NewError("org.freedesktop.systemd1.NoSuchUnit", []any{"Unit " + name + " not found."})
	}
	s.jobs++
	id := uint32(s.jobs)
	path := dbus.ObjectPath("/org/freedesktop/systemd1/job/" + strconv.Itoa(s.jobs))
	result := "done"
	switch {
	case verb == "StopUnit":
		u.active = "inactive"
	case u.failing:
		u.active, result = "failed", "failed"
	default:
		u.active = "active"
	}
	// The reply goes out before the signal, as with systemd.
	go func() {
		time.Sleep(20 * time.Millisecond)
		s.conn.Emit("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager.JobRemoved", id, path, name, result)
	}()
	return path, nil
}

func (s *standInSystemd) StartUnit(name, mode string) (dbus.ObjectPath, *dbus.Error) {
	return s.job(name, mode, "StartUnit")
}
func (s *standInSystemd) StopUnit(name, mode string) (dbus.ObjectPath, *dbus.Error) {
	return s.job(name, mode, "StopUnit")
}
func (s *standInSystemd) Subscribe() *dbus.Error { return nil }

type unitProps struct{ s *standInSystemd }

func (p unitProps) Get(m dbus.Message, iface, prop string) (dbus.Variant, *dbus.Error) {
	path, _ := m.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	for name, u := range p.s.units {
		if unitPathOf(name) != path {
			continue
		}
		switch prop {
		case "ActiveState":
			return dbus.MakeVariant(u.active), nil
		case "LoadState":
			return dbus.MakeVariant("loaded"), nil
		}
	}
	if prop == "LoadState" { // systemd loads unknown names as not-found
		return dbus.MakeVariant("not-found"), nil
	}
	return dbus.MakeVariant("inactive"), nil
}

// unitPathOf escapes like systemd: bytes other than [A-Za-z0-9] as _xx.
func unitPathOf(name string) dbus.ObjectPath {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + b.String())
}

func startStandIn(t *testing.T, addr string) *standInSystemd {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &standInSystemd{conn: conn, units: map[string]*fakeUnit{
		"web.service":    {active: "inactive"},
		"broken.service": {active: "inactive", failing: true},
	}}
	if err := conn.Export(s, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"); err != nil {
		t.Fatal(err)
	}
	if err := conn.ExportSubtree(unitProps{s}, "/org/freedesktop/systemd1/unit", "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.freedesktop.systemd1", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning org.freedesktop.systemd1 on the private bus: %v %v", r, err)
	}
	return s
}

func (s *standInSystemd) called(want string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		if c == want {
			return true
		}
	}
	return false
}

// TestAgainstStandInSystemd registers the shipped RTR file with a real
// rgmd and runs the type's methods as rgmd would, against the stand-in.
func TestAgainstStandInSystemd(t *testing.T) {
	addr := rgmtest.PrivateBus(t)
	sd := startStandIn(t, addr)
	d := rgmtest.StartDaemon(t)

	// The shipped RTR file, with its method links pointing at the
	// freshly built program.
	typeDir, err := os.MkdirTemp("", "sdunit")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(typeDir) })
	rtr, err := os.ReadFile(filepath.Join(rgmtest.RepoRoot(), "callbacks", "systemd", "systemd_unit.rtr"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(typeDir, "systemd_unit.rtr"), rtr, 0o644)
	prog := filepath.Join(d.Bin, "orgm_systemd_unit")
	for _, m := range []string{"start", "stop", "validate", "monitor_start", "monitor_stop", "monitor_check"} {
		if err := os.Symlink(prog, filepath.Join(typeDir, "systemd_unit_"+m)); err != nil {
			t.Fatal(err)
		}
	}
	d.MustRun("rgmadm", "rt", "register", filepath.Join(typeDir, "systemd_unit.rtr"))
	d.MustRun("rgmadm", "rg", "create", "web-rg")
	d.MustRun("rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "ORGM.systemd_unit", "-x", "Unit_name=web.service")
	d.MustRun("rgmadm", "rs", "create", "broken-rs", "-g", "web-rg", "-t", "ORGM.systemd_unit", "-x", "Unit_name=broken.service")

	method := func(m, resource string, extra ...string) (int, string) {
		t.Helper()
		args := append([]string{"-R", resource, "-T", "ORGM.systemd_unit", "-G", "web-rg"}, extra...)
		if m == "validate" {
			args = append([]string{"-u"}, args...)
		}
		cmd := exec.Command(filepath.Join(typeDir, "systemd_unit_"+m), args...)
		if m == "probe" {
			cmd = exec.Command(prog, append([]string{"probe"}, args...)...)
		}
		cmd.Env = []string{"PATH=" + d.Bin + ":/usr/bin:/bin", "RGM_SOCKET=" + d.Socket, "DBUS_SYSTEM_BUS_ADDRESS=" + addr, "LANG=C", "HOME=/"}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	status := func(r string) string {
		return d.MustRun("scha_resource_get", "-O", "STATUS", "-R", r, "-G", "web-rg")
	}

	if code, out := method("start", "web-rs"); code != 0 || !sd.called("StartUnit web.service replace") {
		t.Fatalf("start: exit %d: %s (calls %q)", code, out, sd.calls)
	}
	if code, out := method("probe", "web-rs"); code != 0 || !strings.Contains(status("web-rs"), "OK") {
		t.Errorf("probe of an active unit: exit %d: %s; status %q", code, out, status("web-rs"))
	}
	sd.mu.Lock()
	sd.units["web.service"].active = "failed"
	sd.mu.Unlock()
	method("probe", "web-rs") // its restart request may be refused; the status is what counts
	if st := status("web-rs"); !strings.Contains(st, "FAULTED") || !strings.Contains(st, "web.service is failed") {
		t.Errorf("status after the unit failed: %q", st)
	}
	if code, out := method("stop", "web-rs"); code != 0 || !sd.called("StopUnit web.service replace") {
		t.Errorf("stop: exit %d: %s", code, out)
	}
	if code, out := method("start", "broken-rs"); code == 0 || !strings.Contains(out, "job failed") {
		t.Errorf("start of a failing unit: exit %d: %s", code, out)
	}
	if code, out := method("monitor_check", "web-rs"); code != 0 {
		t.Errorf("monitor_check: exit %d: %s", code, out)
	}
	if code, out := method("validate", "web-rs", "-x", "Unit_name=nope"); code == 0 || !strings.Contains(out, "not a systemd unit name") {
		t.Errorf("validate of a bad name: exit %d: %s", code, out)
	}
	if code, out := method("validate", "web-rs", "-x", "Unit_name=missing.service"); code == 0 || !strings.Contains(out, "no unit missing.service") {
		t.Errorf("validate of an unknown unit: exit %d: %s", code, out)
	}

	// The fault monitor runs apart from its method and is stopped by
	// monitor_stop.
	if code, out := method("monitor_start", "web-rs"); code != 0 {
		t.Fatalf("monitor_start: exit %d: %s", code, out)
	}
	pidFile := filepath.Join(filepath.Dir(d.Socket), "systemd_unit", "web-rs.monitor.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		t.Fatalf("no monitor running (pid file %q)", b)
	}
	if code, out := method("monitor_stop", "web-rs"); code != 0 {
		t.Fatalf("monitor_stop: exit %d: %s", code, out)
	}
	for i := 0; syscall.Kill(pid, 0) == nil; i++ {
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, syscall.WNOHANG, nil) // not our child, but harmless
		if i > 200 {
			t.Fatalf("monitor %d still running after monitor_stop", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
