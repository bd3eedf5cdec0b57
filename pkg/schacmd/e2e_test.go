package schacmd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// TestHelloAgentScripts runs the callbacks of examples/hello as rgmd runs
// them — `METHOD -R r -T t -G g` with a clean environment holding PATH and
// RGM_SOCKET — against a real rgmd: they read extension and standard
// properties with scha_resource_get, parse the output with tail and
// shell arithmetic, and report with scha_resource_setstatus, as Solaris
// agents do.
func TestHelloAgentScripts(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := filepath.Join(rgmtest.RepoRoot(), "examples", "hello")
	work := t.TempDir()
	d.MustRun("rgmadm", "rt", "register", filepath.Join(dir, "hello.rtr"))
	d.MustRun("rgmadm", "rg", "create", "web-rg")
	d.MustRun("rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "ORGM.hello",
		"-x", "Port=8080", "-x", "Workdir="+work, "-x", "Greeting=Hi there", "-p", "Thorough_probe_interval=1", "-p", "Retry_count=1")

	env := []string{"PATH=" + d.Bin + ":/usr/bin:/bin", "RGM_SOCKET=" + d.Socket, "LANG=C", "HOME=/"}
	method := func(name string, extraEnv ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(dir, name), "-R", "web-rs", "-T", "ORGM.hello:1.0", "-G", "web-rg")
		cmd.Env = append(append([]string(nil), env...), extraEnv...)
		cmd.Stdin = nil
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	status := func() string {
		return d.MustRun("scha_resource_get", "-O", "STATUS", "-R", "web-rs", "-G", "web-rg")
	}
	t.Cleanup(func() { method("hello_stop") })

	method("hello_start")
	greeting, err := os.ReadFile(filepath.Join(work, "web-rs", "greeting"))
	if err != nil || string(greeting) != "Hi there (port 8080)\n" {
		t.Fatalf("greeting %q, %v", greeting, err)
	}
	if got := status(); got != "OK\nserving on port 8080\n" {
		t.Errorf("status after Start: %q", got)
	}

	method("hello_probe", "HELLO_PROBE_ONCE=1")
	if got := status(); !strings.HasPrefix(got, "OK\nheartbeat ") {
		t.Errorf("status after a healthy probe: %q", got)
	}

	// Kill the service behind the agent's back: the probe reports it,
	// counting failures against Retry_count as the script reads it.
	pid, err := os.ReadFile(filepath.Join(work, "web-rs", "pid"))
	if err != nil {
		t.Fatal(err)
	}
	exec.Command("kill", "-9", strings.TrimSpace(string(pid))).Run()
	for i := 0; i < 100; i++ { // until the kill has landed
		if exec.Command("kill", "-0", strings.TrimSpace(string(pid))).Run() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	method("hello_probe", "HELLO_PROBE_ONCE=1")
	if got := status(); got != "FAULTED\nno heartbeat (1/1)\n" {
		t.Errorf("status after a failed probe: %q", got)
	}

	d.MustRun("rgmadm", "rs", "set", "web-rs", "-x", "Greeting=Hello again")
	method("hello_start")
	method("hello_update")
	greeting, _ = os.ReadFile(filepath.Join(work, "web-rs", "greeting"))
	if string(greeting) != "Hello again (port 8080)\n" {
		t.Errorf("greeting after Update: %q", greeting)
	}
	method("hello_stop")
	if got := status(); got != "OFFLINE\n\n" {
		t.Errorf("status after Stop: %q", got)
	}
}

// TestHelloValidate runs Validate the way rgmd passes proposed values.
func TestHelloValidate(t *testing.T) {
	validate := filepath.Join(rgmtest.RepoRoot(), "examples", "hello", "hello_validate")
	// A file where the resource's directory would go: no user, root
	// included, can make that directory.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"-c", "-R", "r", "-T", "t", "-G", "g", "-x", "Port=8080", "-x", "Workdir=" + t.TempDir()}, true},
		{[]string{"-c", "-R", "r", "-T", "t", "-G", "g", "-x", "Port=8080", "-x", "Workdir="}, true}, // beside RGM_SOCKET
		{[]string{"-u", "-R", "r", "-T", "t", "-G", "g", "-x", "Port=80"}, false},
		{[]string{"-u", "-R", "r", "-T", "t", "-G", "g", "-x", "Workdir=relative"}, false},
		{[]string{"-u", "-R", "r", "-T", "t", "-G", "g", "-x", "Workdir=" + file}, false},
		{[]string{"-u", "-R", "r", "-T", "t", "-G", "g", "-x", "Workdir=" + file + "/sub"}, false},
	} {
		cmd := exec.Command(validate, tc.args...)
		cmd.Env = append(os.Environ(), "RGM_SOCKET="+filepath.Join(t.TempDir(), "rgmd.sock"))
		out, err := cmd.CombinedOutput()
		if (err == nil) != tc.ok {
			t.Errorf("hello_validate %v: %v\n%s", tc.args, err, out)
		}
	}
}

// TestHelloStartFails runs the Start of examples/hello where it cannot
// write one of its files (a directory in the way, which stops root as
// well): it fails, and leaves no daemon running.
func TestHelloStartFails(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := filepath.Join(rgmtest.RepoRoot(), "examples", "hello")
	d.MustRun("rgmadm", "rt", "register", filepath.Join(dir, "hello.rtr"))
	d.MustRun("rgmadm", "rg", "create", "web-rg")
	work := t.TempDir()
	d.MustRun("rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "ORGM.hello", "-x", "Port=8080", "-x", "Workdir="+work)
	for _, file := range []string{"greeting", "heartbeat"} {
		in := filepath.Join(work, "web-rs")
		if err := os.RemoveAll(in); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(in, file), 0o700); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(dir, "hello_start"), "-R", "web-rs", "-T", "ORGM.hello:1.0", "-G", "web-rg")
		cmd.Env = []string{"PATH=" + d.Bin + ":/usr/bin:/bin", "RGM_SOCKET=" + d.Socket, "LANG=C", "HOME=/"}
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("hello_start with a directory for its %s succeeded:\n%s", file, out)
		}
		if out, err := exec.Command("pgrep", "-f", in).Output(); err == nil {
			t.Errorf("hello_start with a directory for its %s left a daemon running:\n%s", file, out)
			for _, f := range strings.Fields(string(out)) {
				if pid, _ := strconv.Atoi(f); pid > 0 {
					syscall.Kill(-pid, syscall.SIGTERM) // the daemon leads its process group
					syscall.Kill(pid, syscall.SIGTERM)
				}
			}
		}
	}
}
