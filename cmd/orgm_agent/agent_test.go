package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

func TestMethodOf(t *testing.T) {
	for _, c := range []struct {
		argv         []string
		kind, method string
		err          bool
	}{
		{[]string{"/x/gds_start", "-R", "r"}, "gds", "start", false},
		{[]string{"hostname_prenet_start"}, "hostname", "prenet_start", false},
		{[]string{"hasp_monitor_check"}, "hasp", "monitor_check", false},
		{[]string{"/usr/lib/openrgm/callbacks/orgm_agent", "ocf", "stop", "-R", "r"}, "ocf", "stop", false},
		{[]string{"orgm_agent"}, "", "", true},
		{[]string{"gds_reboot"}, "", "", true},
		{[]string{"orgm_agent", "nfs", "start"}, "", "", true},
	} {
		k, m, _, err := methodOf(c.argv)
		if k != c.kind || m != c.method || (err != nil) != c.err {
			t.Errorf("%q: %q %q, %v", c.argv, k, m, err)
		}
	}
}

func TestFstab(t *testing.T) {
	f := filepath.Join(t.TempDir(), "fstab")
	os.WriteFile(f, []byte("# c\nUUID=1234 / ext4 defaults 0 1\n/dev/sdb1\t/srv/my\\040data  xfs noauto,nofail 0 2\n\n"), 0o644)
	m, err := readFstab(f)
	if err != nil {
		t.Fatal(err)
	}
	if e := m["/srv/my data"]; e.device != "/dev/sdb1" || e.fstype != "xfs" || e.options != "noauto,nofail" {
		t.Errorf("%+v", m)
	}
	if _, err := readFstab(f + ".none"); err == nil {
		t.Error("no error for a missing file")
	}
}

// agentTypes lays out the shipped types as make install does
// (rgmtest.InstallTypes).
func agentTypes(t *testing.T, d *rgmtest.Daemon) string { return rgmtest.InstallTypes(t, d) }

// waitState polls rgmadm until the resource is in state on node1.
func waitState(t *testing.T, d *rgmtest.Daemon, rs, state string, within time.Duration) {
	t.Helper()
	end := time.Now().Add(within)
	for {
		got := strings.TrimSpace(d.MustRun("scha_resource_get", "-O", "RESOURCE_STATE", "-R", rs))
		if got == state {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s is %s, not %s, after %s\n%s", rs, got, state, within, d.LogTail(40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mustFail runs a command that must be refused with code, and returns its
// stderr.
func mustFail(t *testing.T, d *rgmtest.Daemon, code int, args ...string) string {
	t.Helper()
	r := d.Run("rgmadm", args...)
	if r.Code != code {
		t.Fatalf("rgmadm %s: exit %d, want %d\n%s%s", strings.Join(args, " "), r.Code, code, r.Stdout, r.Stderr)
	}
	return r.Stderr
}

func noResource(t *testing.T, d *rgmtest.Daemon, name string) {
	t.Helper()
	if out := d.MustRun("rgmadm", "rs", "list"); strings.Contains(out, name) {
		t.Fatalf("resource %s exists after a refused create:\n%s", name, out)
	}
}

func TestGDS(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	agentTypes(t, d)
	if out := d.MustRun("rgmadm", "rt", "register", "ORGM.gds"); strings.TrimSpace(out) != "ORGM.gds:1.0" {
		t.Fatalf("rt register ORGM.gds: %q", out)
	}
	r := d.Run("rgmadm", "rt", "register", "ORGM.nonesuch")
	if r.Code != 13 || !strings.Contains(r.Stderr, "ORGM.gds") {
		t.Fatalf("register of an unknown name: %d %s", r.Code, r.Stderr)
	}
	d.MustRun("rgmadm", "rg", "create", "app-rg")
	work := t.TempDir()
	os.Chmod(work, 0o755)
	flag := filepath.Join(work, "flag")
	pidf := filepath.Join(work, "pid")
	svc := filepath.Join(work, "svc.sh")
	os.WriteFile(svc, []byte("#!/bin/sh\necho $$ >"+pidf+"\ntouch "+flag+"\nexec sleep 3600\n"), 0o755)

	// Bad input: Validate refuses, nothing is created.
	stderr := mustFail(t, d, 16, "rs", "create", "bad", "-g", "app-rg", "-t", "ORGM.gds", "-x", "Start_command=/nonexistent/run")
	if !strings.Contains(stderr, "/nonexistent/run does not exist") {
		t.Errorf("bad Start_command: %s", stderr)
	}
	mustFail(t, d, 16, "rs", "create", "bad", "-g", "app-rg", "-t", "ORGM.gds", "-x", "Start_command="+svc, "-x", "Network_aware=TRUE")
	noResource(t, d, "bad")

	d.MustRun("rgmadm", "rs", "create", "app", "-g", "app-rg", "-t", "ORGM.gds",
		"-x", "Start_command="+svc, "-x", "Probe_command=test -f "+flag, "-x", "Probe_timeout=5",
		"-p", "Thorough_probe_interval=1", "-p", "Retry_count=3")
	d.MustRun("rgmadm", "rg", "online", "-M", "app-rg", "--wait")
	waitState(t, d, "app", "ONLINE", 10*time.Second)
	b, _ := os.ReadFile(pidf)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if !rgmtest.Alive(pid) {
		t.Fatalf("service pid %d not running", pid)
	}
	// A failing probe restarts the resource.
	os.Remove(flag)
	end := time.Now().Add(15 * time.Second)
	for strings.TrimSpace(d.MustRun("scha_resource_get", "-O", "NUM_RESOURCE_RESTARTS", "-R", "app")) == "0" {
		if time.Now().After(end) {
			t.Fatalf("no restart after the probe failed\n%s", d.LogTail(40))
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitState(t, d, "app", "ONLINE", 10*time.Second)
	if _, err := os.Stat(flag); err != nil {
		t.Error("Start_command did not run again")
	}
	b, _ = os.ReadFile(pidf)
	pid2, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid2 == pid || rgmtest.Alive(pid) {
		t.Errorf("restart: old pid %d alive %v, new %d", pid, rgmtest.Alive(pid), pid2)
	}
	d.MustRun("rgmadm", "rg", "offline", "app-rg", "--wait")
	waitState(t, d, "app", "OFFLINE", 10*time.Second)
	if rgmtest.Alive(pid2) {
		t.Errorf("service %d still runs after offline", pid2)
	}

	// A Start_command that exits at once fails Start, and leaves nothing.
	d.MustRun("rgmadm", "rg", "create", "quick-rg")
	d.MustRun("rgmadm", "rs", "create", "quick", "-g", "quick-rg", "-t", "ORGM.gds", "-x", "Start_command=/bin/true")
	d.Run("rgmadm", "rg", "online", "-M", "quick-rg", "--wait")
	waitState(t, d, "quick", "START_FAILED", 10*time.Second)
	if !strings.Contains(d.Log(), "it must keep running") && !strings.Contains(d.Log(), "was not restarted") {
		t.Errorf("no clear message for a Start_command that exits at once:\n%s", d.LogTail(30))
	}
	if out := d.MustRun("pmfadm", "-L"); strings.Contains(out, "quick") {
		t.Errorf("a tag is left: %s", out)
	}
}

// ocfOK skips unless resource-agents is installed.
func ocfOK(t *testing.T, agents ...string) {
	for _, a := range agents {
		if _, err := os.Stat("/usr/lib/ocf/resource.d/heartbeat/" + a); err != nil {
			t.Skipf("OCF agent heartbeat:%s is not installed (Debian's resource-agents)", a)
		}
	}
}

func TestOCFDummy(t *testing.T) {
	ocfOK(t, "Dummy")
	d := rgmtest.StartDaemon(t)
	agentTypes(t, d)

	// Bad input: no agent, bad meta-data; nothing is registered.
	mustFail(t, d, 13, "rt", "import-ocf", "heartbeat:NoSuchAgent")
	fake := t.TempDir()
	os.Chmod(fake, 0o755)
	os.MkdirAll(filepath.Join(fake, "resource.d", "acme"), 0o755)
	os.Chmod(filepath.Join(fake, "resource.d"), 0o755)
	os.Chmod(filepath.Join(fake, "resource.d", "acme"), 0o755)
	os.WriteFile(filepath.Join(fake, "resource.d", "acme", "broken"), []byte("#!/bin/sh\necho '<resource-agent name=\"broken\"><parameters>'\n"), 0o755)
	stderr := mustFail(t, d, 13, "rt", "import-ocf", "--ocf-root", fake, "acme:broken")
	if !strings.Contains(stderr, "bad meta-data") {
		t.Errorf("bad meta-data: %s", stderr)
	}
	os.WriteFile(filepath.Join(fake, "resource.d", "acme", "fails"), []byte("#!/bin/sh\necho no meta-data here >&2\nexit 3\n"), 0o755)
	if stderr := mustFail(t, d, 13, "rt", "import-ocf", "--ocf-root", fake, "acme:fails"); !strings.Contains(stderr, "no meta-data here") {
		t.Errorf("failing meta-data: %s", stderr)
	}
	if out := d.MustRun("rgmadm", "rt", "list"); strings.Contains(out, "OCF") {
		t.Fatalf("a type was registered: %s", out)
	}

	if out := d.MustRun("rgmadm", "rt", "import-ocf", "heartbeat:Dummy"); strings.TrimSpace(out) != "OCF.heartbeat_Dummy" {
		t.Fatalf("import-ocf: %q", out)
	}
	d.MustRun("rgmadm", "rg", "create", "d-rg")
	state := filepath.Join(t.TempDir(), "d2.state")
	os.Chmod(filepath.Dir(state), 0o777)
	d.MustRun("rgmadm", "rs", "create", "d1", "-g", "d-rg", "-t", "OCF.heartbeat_Dummy", "-p", "Thorough_probe_interval=1")
	d.MustRun("rgmadm", "rs", "create", "d2", "-g", "d-rg", "-t", "OCF.heartbeat_Dummy", "-x", "state="+state)
	// unique="1": a second resource may not share d2's state file.
	if stderr := mustFail(t, d, 16, "rs", "create", "d3", "-g", "d-rg", "-t", "OCF.heartbeat_Dummy", "-x", "state="+state); !strings.Contains(stderr, "unique") {
		t.Errorf("unique: %s", stderr)
	}
	noResource(t, d, "d3")

	// rgmadm export names the agent as the type's file; rgmadm import
	// makes the type again from it.
	conf := filepath.Join(t.TempDir(), "conf.json")
	if err := os.WriteFile(conf, []byte(d.MustRun("rgmadm", "export")), 0o644); err != nil {
		t.Fatal(err)
	}
	other := rgmtest.StartDaemon(t)
	other.MustRun("rgmadm", "import", conf)
	if out := other.MustRun("rgmadm", "rs", "list"); !strings.Contains(out, "d1") || !strings.Contains(out, "d2") {
		t.Errorf("import of the export: resources %q", out)
	}
	if out := other.MustRun("scha_resource_get", "-O", "EXTENSION", "-R", "d2", "state"); !strings.Contains(out, state) {
		t.Errorf("import of the export: d2's state is %q", out)
	}
	other.Stop()

	d.MustRun("rgmadm", "rg", "online", "-M", "d-rg", "--wait")
	waitState(t, d, "d1", "ONLINE", 10*time.Second)
	waitState(t, d, "d2", "ONLINE", 10*time.Second)
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("OCF_RESKEY_state not passed: %v", err)
	}
	// The monitor finds d1 not running (OCF_NOT_RUNNING) and restarts it.
	d1state := findDummyState(t, "d1")
	os.Remove(d1state)
	end := time.Now().Add(15 * time.Second)
	for strings.TrimSpace(d.MustRun("scha_resource_get", "-O", "NUM_RESOURCE_RESTARTS", "-R", "d1")) == "0" {
		if time.Now().After(end) {
			t.Fatalf("no restart after monitor found d1 stopped\n%s", d.LogTail(40))
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitState(t, d, "d1", "ONLINE", 10*time.Second)
	if _, err := os.Stat(d1state); err != nil {
		t.Errorf("d1 not started again: %v", err)
	}
	d.MustRun("rgmadm", "rg", "offline", "d-rg", "--wait")
	if _, err := os.Stat(state); err == nil {
		t.Error("d2's state file remains after stop")
	}
}

// findDummyState finds the state file of the Dummy resource rs in
// HA_RSCTMP: the agent's default, Dummy-RESOURCE.state.
func findDummyState(t *testing.T, rs string) string {
	t.Helper()
	m, _ := filepath.Glob("/run/resource-agents/Dummy-" + rs + ".state")
	if os.Geteuid() != 0 {
		m, _ = filepath.Glob(filepath.Join(os.TempDir(), "rgm*", "resource-agents", "Dummy-"+rs+".state"))
	}
	if len(m) == 0 {
		t.Fatalf("no state file of %s", rs)
	}
	return m[len(m)-1]
}

// netPair makes two network namespaces joined by a veth pair: rgmd's
// (interface va, 10.W.X.1/24) and a client's (vb, .2). It returns their
// names and the /24's first three bytes.
func netPair(t *testing.T) (string, string, string) {
	t.Helper()
	if ok, why := rgmtest.NetNSAvailable(); !ok {
		t.Skip(why)
	}
	k := os.Getpid()%200 + 20
	net := fmt.Sprintf("10.214.%d", k)
	a, b := fmt.Sprintf("orgmlh%d-a", os.Getpid()), fmt.Sprintf("orgmlh%d-b", os.Getpid())
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", a).Run()
		exec.Command("ip", "netns", "del", b).Run()
	})
	for _, args := range [][]string{
		{"netns", "add", a}, {"netns", "add", b},
		{"-n", a, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b},
		{"-n", a, "link", "set", "lo", "up"}, {"-n", b, "link", "set", "lo", "up"},
		{"-n", a, "addr", "add", net + ".1/24", "dev", "va"}, {"-n", b, "addr", "add", net + ".2/24", "dev", "vb"},
		{"-n", a, "addr", "add", "fd00:214::1/64", "dev", "va", "nodad"}, {"-n", b, "addr", "add", "fd00:214::2/64", "dev", "vb", "nodad"},
		{"-n", a, "link", "set", "va", "up"}, {"-n", b, "link", "set", "vb", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// Wait for the link to carry packets.
	for i := 0; inNS(a, "ping", "-c", "1", "-W", "1", net+".2").Run() != nil; i++ {
		if i == 10 {
			t.Fatal("the veth pair carries no packets")
		}
	}
	return a, b, net
}

func inNS(ns string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
}

func TestLogicalHostname(t *testing.T) {
	nsA, nsB, net := netPair(t)
	if _, err := exec.LookPath("arping"); err != nil {
		t.Skip("no arping (iputils-arping)")
	}
	d := rgmtest.StartDaemonWrapped(t, []string{"ip", "netns", "exec", nsA})
	agentTypes(t, d)
	d.MustRun("rgmadm", "rt", "register", "ORGM.LogicalHostname")
	d.MustRun("rgmadm", "rg", "create", "web-rg")

	// Bad input: an address another host (the client) has.
	stderr := mustFail(t, d, 16, "rs", "create", "bad", "-g", "web-rg", "-t", "ORGM.LogicalHostname", "-x", "HostnameList="+net+".2/24", "-x", "NetIfList=va")
	if !strings.Contains(stderr, "already in use") {
		t.Errorf("address in use: %s", stderr)
	}
	if _, err := exec.LookPath("ndisc6"); err == nil {
		if stderr := mustFail(t, d, 16, "rs", "create", "bad", "-g", "web-rg", "-t", "ORGM.LogicalHostname", "-x", "HostnameList=fd00:214::2/64", "-x", "NetIfList=va"); !strings.Contains(stderr, "already in use") {
			t.Errorf("IPv6 address in use: %s", stderr)
		}
	}
	mustFail(t, d, 16, "rs", "create", "bad", "-g", "web-rg", "-t", "ORGM.LogicalHostname", "-x", "HostnameList="+net+".9", "-x", "NetIfList=nosuch0")
	mustFail(t, d, 16, "rs", "create", "bad", "-g", "web-rg", "-t", "ORGM.LogicalHostname", "-x", "HostnameList=no-such-host.invalid")
	noResource(t, d, "bad")

	vip := net + ".10"
	// The client knows the address at a stale, wrong MAC: only the
	// gratuitous ARP can correct it before the client sends anything.
	if out, err := exec.Command("ip", "-n", nsB, "neigh", "replace", vip, "lladdr", "02:00:00:00:00:01", "dev", "vb", "nud", "stale").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	vip6 := "fd00:214::10"
	for _, a := range []string{vip, vip6} {
		if out, err := exec.Command("ip", "-n", nsB, "neigh", "replace", a, "lladdr", "02:00:00:00:00:01", "dev", "vb", "nud", "stale").CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}
	// No NetIfList: the interface of the route to the address (va).
	d.MustRun("rgmadm", "rs", "create", "vip", "-g", "web-rg", "-t", "ORGM.LogicalHostname", "-x", "HostnameList="+vip+"/24", "-p", "Thorough_probe_interval=1")
	d.MustRun("rgmadm", "rs", "create", "vip6", "-g", "web-rg", "-t", "ORGM.LogicalHostname", "-x", "HostnameList="+vip6+"/64", "-x", "NetIfList=va")
	d.MustRun("rgmadm", "rg", "online", "-M", "web-rg", "--wait")
	waitState(t, d, "vip", "ONLINE", 10*time.Second)
	waitState(t, d, "vip6", "ONLINE", 10*time.Second)
	macA := ifaceMAC(t, nsA, "va")
	for _, a := range []string{vip, vip6} {
		// The announcement (ARP, or the IPv6 neighbour advertisement) has
		// corrected the client's stale entry before it sent anything.
		end := time.Now().Add(3 * time.Second)
		for {
			out, _ := exec.Command("ip", "-n", nsB, "neigh", "show", a, "dev", "vb").CombinedOutput()
			if strings.Contains(string(out), macA) {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("the client's neighbour entry for %s is %q, not %s: no announcement seen", a, out, macA)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if out, err := inNS(nsB, "ping", "-c", "1", "-W", "2", a).CombinedOutput(); err != nil {
			t.Fatalf("the client cannot ping %s: %v\n%s", a, err, out)
		}
	}
	// OCF IPaddr2 beside it, when installed.
	if _, err := os.Stat("/usr/lib/ocf/resource.d/heartbeat/IPaddr2"); err == nil {
		d.MustRun("rgmadm", "rt", "import-ocf", "heartbeat:IPaddr2")
		d.MustRun("rgmadm", "rg", "create", "ip2-rg")
		d.MustRun("rgmadm", "rs", "create", "ip2", "-g", "ip2-rg", "-t", "OCF.heartbeat_IPaddr2", "-x", "ip="+net+".11", "-x", "cidr_netmask=24", "-x", "nic=va")
		d.MustRun("rgmadm", "rg", "online", "-M", "ip2-rg", "--wait")
		waitState(t, d, "ip2", "ONLINE", 20*time.Second)
		if out, err := inNS(nsB, "ping", "-c", "1", "-W", "2", net+".11").CombinedOutput(); err != nil {
			t.Errorf("the client cannot ping IPaddr2's %s.11: %v\n%s", net, err, out)
		}
		d.MustRun("rgmadm", "rg", "offline", "ip2-rg", "--wait")
		if out, _ := exec.Command("ip", "-n", nsA, "addr", "show", "dev", "va").CombinedOutput(); strings.Contains(string(out), net+".11/") {
			t.Errorf("IPaddr2's address is still up after offline:\n%s", out)
		}
	}
	if r := d.Run("rgmadm", "rg", "offline", "web-rg", "--wait"); r.Code != 0 {
		t.Fatalf("offline: %s\n%s", r.Stderr, d.LogTail(20))
	}
	waitState(t, d, "vip", "OFFLINE", 10*time.Second)
	if out, _ := exec.Command("ip", "-n", nsA, "addr", "show", "dev", "va").CombinedOutput(); strings.Contains(string(out), vip+"/") || strings.Contains(string(out), vip6+"/") {
		t.Errorf("address still up after offline:\n%s", out)
	}
}

func ifaceMAC(t *testing.T, ns, dev string) string {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-o", "link", "show", dev).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	for i := range f {
		if f[i] == "link/ether" && i+1 < len(f) {
			return f[i+1]
		}
	}
	t.Fatalf("no MAC in %s", out)
	return ""
}

// loopExt4 makes an ext4 file system on a loop device; it returns the
// device.
func loopExt4(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loop devices and mounts need root")
	}
	for _, p := range []string{"losetup", "mkfs.ext4", "unshare", "nsenter", "fsck.ext4"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("no %s", p)
		}
	}
	img := filepath.Join(t.TempDir(), "fs.img")
	if err := os.Truncate(img, 0); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	f, _ := os.Create(img)
	f.Truncate(32 << 20)
	f.Close()
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v %s", err, out)
	}
	if out, err := exec.Command("unshare", "-m", "--propagation", "private", "true").CombinedOutput(); err != nil {
		t.Skipf("no private mount namespace here (unshare -m): %v %s", err, out)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Skipf("no loop device: %v %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	return dev
}

func mountedIn(pid int, dir string) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[4] == dir {
			return true
		}
	}
	return false
}

func TestHAStoragePlus(t *testing.T) {
	dev := loopExt4(t)
	d := rgmtest.StartDaemonWrapped(t, []string{"unshare", "-m", "--propagation", "private"})
	agentTypes(t, d)
	d.MustRun("rgmadm", "rt", "register", "ORGM.HAStoragePlus")
	d.MustRun("rgmadm", "rg", "create", "st-rg")
	mp := t.TempDir()

	// Bad input: a mount point defined nowhere.
	stderr := mustFail(t, d, 16, "rs", "create", "bad", "-g", "st-rg", "-t", "ORGM.HAStoragePlus", "-x", "FilesystemMountPoints=/srv/orgm-test-nowhere")
	if !strings.Contains(stderr, "defined nowhere") {
		t.Errorf("mount point with no device: %s", stderr)
	}
	mustFail(t, d, 16, "rs", "create", "bad", "-g", "st-rg", "-t", "ORGM.HAStoragePlus", "-x", "FilesystemMountPoints="+mp, "-x", "FilesystemDevices=/dev/orgm-nonesuch")
	noResource(t, d, "bad")

	d.MustRun("rgmadm", "rs", "create", "data", "-g", "st-rg", "-t", "ORGM.HAStoragePlus", "-x", "FilesystemMountPoints="+mp, "-x", "FilesystemDevices="+dev)
	d.MustRun("rgmadm", "rg", "online", "-M", "st-rg", "--wait")
	waitState(t, d, "data", "ONLINE", 20*time.Second)
	if !mountedIn(d.PID(), mp) {
		t.Fatalf("%s not mounted in rgmd's mount namespace", mp)
	}
	if mountedIn(os.Getpid(), mp) {
		t.Errorf("%s is mounted outside rgmd's private mount namespace", mp)
	}
	// A process holding the mount is ended at Stop.
	holder := exec.Command("nsenter", "-t", strconv.Itoa(d.PID()), "-m", "sh", "-c", "cd "+mp+" && exec sleep 3600")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- holder.Wait() }()
	time.Sleep(300 * time.Millisecond)
	d.MustRun("rgmadm", "rg", "offline", "st-rg", "--wait")
	waitState(t, d, "data", "OFFLINE", 20*time.Second)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		holder.Process.Kill()
		t.Fatal("the process holding the mount was not ended")
	}
	if mountedIn(d.PID(), mp) {
		t.Fatal("still mounted after offline")
	}

	// OCF Filesystem on the same device.
	if _, err := os.Stat("/usr/lib/ocf/resource.d/heartbeat/Filesystem"); err == nil {
		d.MustRun("rgmadm", "rt", "import-ocf", "heartbeat:Filesystem")
		d.MustRun("rgmadm", "rg", "create", "fs-rg")
		d.MustRun("rgmadm", "rs", "create", "fs", "-g", "fs-rg", "-t", "OCF.heartbeat_Filesystem", "-x", "device="+dev, "-x", "directory="+mp, "-x", "fstype=ext4")
		d.MustRun("rgmadm", "rg", "online", "-M", "fs-rg", "--wait")
		waitState(t, d, "fs", "ONLINE", 30*time.Second)
		if !mountedIn(d.PID(), mp) {
			t.Errorf("Filesystem did not mount %s", mp)
		}
		d.MustRun("rgmadm", "rg", "offline", "fs-rg", "--wait")
		waitState(t, d, "fs", "OFFLINE", 30*time.Second)
		if mountedIn(d.PID(), mp) {
			t.Error("Filesystem left the mount after offline")
		}
	}
}
