package daemon_test

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/scha"
)

func helloRTR() string { return filepath.Join(rgmtest.RepoRoot(), "examples", "hello", "hello.rtr") }

// setup registers the sample type and makes the README's group and
// resource.
func setup(t *testing.T, d *rgmtest.Daemon) {
	d.MustRun("rgmadm", "rt", "register", helloRTR())
	d.MustRun("rgmadm", "rg", "create", "web-rg", "-p", "Pingpong_interval=600")
	d.MustRun("rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "ORGM.hello", "-x", "Port=8080")
}

// state is everything rgmd stores, as the read verbs show it.
func state(t *testing.T, d *rgmtest.Daemon) string {
	t.Helper()
	var b strings.Builder
	for _, obj := range []string{"rt", "rg", "rs"} {
		b.WriteString(d.MustRun("rgmadm", obj, "list", "-o", "json"))
	}
	b.WriteString(d.MustRun("rgmadm", "status", "-o", "json"))
	return b.String()
}

func TestReadmeFlowSurvivesKill9(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	setup(t, d)
	d.MustRun("rgmadm", "rs", "set", "web-rs", "-x", "Port=8081")
	st := d.MustRun("rgmadm", "status")
	for _, want := range []string{"web-rg", "web-rs", "UNMANAGED", "OFFLINE"} {
		if !strings.Contains(st, want) {
			t.Errorf("status lacks %q:\n%s", want, st)
		}
	}
	before := state(t, d)

	d.Kill()
	d.Start()
	if after := state(t, d); after != before {
		t.Fatalf("state after kill -9 and restart differs:\nbefore %s\nafter  %s", before, after)
	}
	if got := d.MustRun("scha_resource_get", "-O", "EXTENSION", "-R", "web-rs", "-G", "web-rg", "Port"); got != "INT\n8081\n" {
		t.Errorf("Port after restart: %q", got)
	}
	if got := d.MustRun("scha_resourcegroup_get", "-O", "PINGPONG_INTERVAL", "-G", "web-rg"); got != "600\n" {
		t.Errorf("Pingpong_interval after restart: %q", got)
	}
}

func TestBadInputLeavesStateUnchanged(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	setup(t, d)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head := "Resource_type = bad; Vendor_id = T; RT_version = \"1\"; Start = /bin/true; Stop = /bin/true;\n"
	cases := []struct {
		name string
		args []string
		code scha.ErrCode
		want string
	}{
		{"truncated RTR", []string{"rt", "register", write("trunc.rtr", head+"{ PROPERTY = X; EXTENSION; INT; DEFAULT = ")}, scha.ErrRT, "trunc.rtr:2:"},
		{"unknown RTR keyword", []string{"rt", "register", write("kw.rtr", head+"Colour = red;\n")}, scha.ErrRT, "kw.rtr:2:1"},
		{"duplicate property", []string{"rt", "register", write("dup.rtr", head+"{ PROPERTY = X; EXTENSION; INT; DEFAULT = 1; }\n{ PROPERTY = x; EXTENSION; INT; DEFAULT = 1; }\n")}, scha.ErrRT, "dup.rtr:3:"},
		{"bad number", []string{"rt", "register", write("num.rtr", head+"{ PROPERTY = X; EXTENSION; INT; MIN = ten; }\n")}, scha.ErrRT, "num.rtr:2:"},
		{"MIN > MAX", []string{"rt", "register", write("minmax.rtr", head+"{ PROPERTY = X; EXTENSION; INT; MIN = 5; MAX = 1; DEFAULT = 3; }\n")}, scha.ErrRT, "MIN"},
		{"default out of bounds", []string{"rt", "register", write("def.rtr", head+"{ PROPERTY = X; EXTENSION; INT; MIN = 5; DEFAULT = 1; }\n")}, scha.ErrRT, "DEFAULT"},
		{"type registered twice", []string{"rt", "register", helloRTR()}, scha.ErrRT, "already registered"},
		{"unknown type", []string{"rs", "create", "r2", "-g", "web-rg", "-t", "NOPE.none", "-x", "Port=1"}, scha.ErrRT, "not registered"},
		{"unknown group", []string{"rs", "create", "r2", "-g", "nope", "-t", "ORGM.hello", "-x", "Port=1"}, scha.ErrRG, "does not exist"},
		{"unknown resource", []string{"rs", "set", "nope", "-x", "Port=1"}, scha.ErrRsrc, "does not exist"},
		{"wrong property type", []string{"rs", "set", "web-rs", "-x", "Port=http"}, scha.ErrProp, "not an integer"},
		{"out of range", []string{"rs", "set", "web-rs", "-x", "Port=70000"}, scha.ErrProp, "MAX"},
		{"not tunable now", []string{"rs", "set", "web-rs", "-x", "Workdir=/srv"}, scha.ErrProp, "WHEN_DISABLED"},
		{"unknown group property", []string{"rg", "set", "web-rg", "-p", "Colour=red"}, scha.ErrProp, "no property"},
		{"delete group with resources", []string{"rg", "delete", "web-rg"}, scha.ErrDepend, "web-rs"},
		{"unregister type in use", []string{"rt", "unregister", "ORGM.hello"}, scha.ErrDepend, "in use"},
		{"dependency cycle", []string{"rs", "set", "web-rs", "-p", "Resource_dependencies=web-rs"}, scha.ErrDepend, "itself"},
		{"group cycle", []string{"rg", "set", "web-rg", "-p", "RG_dependencies=web-rg"}, scha.ErrDepend, "itself"},
	}
	before := state(t, d)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := d.Run("rgmadm", tc.args...)
			if r.Code != int(tc.code) {
				t.Errorf("exit %d, want %d (%s)\nstderr: %s", r.Code, tc.code, tc.code.Symbol(), r.Stderr)
			}
			if !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("stderr lacks %q: %s", tc.want, r.Stderr)
			}
			if after := state(t, d); after != before {
				t.Errorf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestGarbageOnSocket(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	setup(t, d)
	before := state(t, d)
	for _, msg := range []string{
		"this is not json\n",
		`{"v":1,"id":1,"op":"rg.delete","args":{"name":` + "\n",
		strings.Repeat("x", 2<<20) + "\n",
		`{"v":1,"id":1,"op":"rs.set","args":{"name":"web-rs"` + "", // hangs up mid-message
	} {
		c, err := net.Dial("unix", d.Socket)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(msg))
		if strings.HasSuffix(msg, "\n") {
			line, _ := bufio.NewReader(c).ReadString('\n')
			var reply struct{ Code int }
			if json.Unmarshal([]byte(line), &reply) == nil && reply.Code == 0 {
				t.Errorf("garbage %.30q got a success reply: %s", msg, line)
			}
		}
		c.Close()
	}
	if after := state(t, d); after != before {
		t.Errorf("state changed by garbage")
	}
	if exited, _ := d.Exited(); exited {
		t.Fatalf("rgmd died:\n%s", d.Log())
	}
}

func TestSecondDaemonRefused(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	cmd := exec.Command(filepath.Join(d.Bin, "rgmd"), "--socket", d.Socket+"2", "--state-dir", d.StateDir, "--node-name", d.Node)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("a second rgmd on the same state dir started:\n%s", out)
	}
	if !strings.Contains(string(out), "another rgmd") {
		t.Errorf("message does not say why: %s", out)
	}
	cmd = exec.Command(filepath.Join(d.Bin, "rgmd"), "--socket", d.Socket, "--state-dir", d.StateDir+"2", "--node-name", d.Node)
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another rgmd") {
		t.Errorf("a second rgmd on the same socket: %v\n%s", err, out)
	}
	d.MustRun("rgmadm", "status")
}

// TestPeerCredentials runs commands as an unprivileged user: reads work,
// mutations are refused with SCHA_ERR_ACCESS.
func TestPeerCredentials(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run commands as another user")
	}
	d := rgmtest.StartDaemon(t)
	setup(t, d)
	for _, p := range []string{filepath.Dir(d.Socket), d.Bin} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(d.Socket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o666 {
		t.Errorf("socket mode %v, want 0666", fi.Mode().Perm())
	}
	asNobody := func(name string, args ...string) (string, int) {
		cmd := exec.Command(filepath.Join(d.Bin, name), args...)
		cmd.Env = d.Env()
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := asNobody("scha_resource_get", "-O", "RETRY_COUNT", "-R", "web-rs"); code != 0 || out != "2\n" {
		t.Errorf("read as nobody: exit %d: %s", code, out)
	}
	if out, code := asNobody("rgmadm", "rg", "create", "sneaky"); code != int(scha.ErrAccess) {
		t.Errorf("mutation as nobody: exit %d: %s", code, out)
	}
	if out, code := asNobody("scha_resource_setstatus", "-R", "web-rs", "-G", "web-rg", "-s", "FAULTED"); code != int(scha.ErrAccess) {
		t.Errorf("setstatus as nobody: exit %d: %s", code, out)
	}
}

// lockedBuffer holds a child's output, which exec's copying goroutine
// writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestEventsFollow watches `rgmadm events` while another client changes
// things: configuration and status changes both arrive, filtered.
func TestEventsFollow(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	setup(t, d)
	cmd := exec.Command(filepath.Join(d.Bin, "rgmadm"), "events", "-r", "web-rs", "-n", "2", "-o", "json")
	cmd.Env = d.Env()
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	// The stream starts when rgmd has the request; keep changing things
	// (a bounded number of times) until two events of web-rs arrived.
	for i := 0; i < 200; i++ {
		d.MustRun("rgmadm", "rg", "set", "web-rg", "-p", "RG_description=noise") // filtered out
		d.MustRun("scha_resource_setstatus", "-R", "web-rs", "-G", "web-rg", "-s", "DEGRADED", "-m", "slow")
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("rgmadm events: %v\n%s", err, out.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("want 2 events, got:\n%s", out.String())
			}
			for _, l := range lines {
				var e struct {
					Kind, Name, Status string
					StatusMsg          string `json:"status_msg"`
				}
				if err := json.Unmarshal([]byte(l), &e); err != nil || e.Name != "web-rs" || e.Kind != "status" || e.StatusMsg != "slow" {
					t.Errorf("event %s (%v)", l, err)
				}
			}
			return
		default:
		}
	}
	cmd.Process.Kill()
	t.Fatalf("rgmadm events saw fewer than 2 events:\n%s", out.String())
}

// TestEventsFollowGroup: -g keeps a group's resource events, whatever
// command caused them (rs set carries no group; setstatus does).
func TestEventsFollowGroup(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	setup(t, d)
	cmd := exec.Command(filepath.Join(d.Bin, "rgmadm"), "events", "-g", "web-rg", "-n", "200", "-o", "json")
	cmd.Env = d.Env()
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	want := map[string]bool{"status": false, "config": false}
	for i := 0; i < 200 && (!want["status"] || !want["config"]); i++ {
		d.MustRun("scha_resource_setstatus", "-R", "web-rs", "-G", "web-rg", "-s", "DEGRADED", "-m", "x")
		d.MustRun("rgmadm", "rs", "set", "web-rs", "-x", "Port="+strconv.Itoa(8100+i))
		for _, l := range strings.Split(out.String(), "\n") {
			var e struct{ Kind, Object, Name string }
			if json.Unmarshal([]byte(l), &e) == nil && e.Object == "resource" && e.Name == "web-rs" {
				want[e.Kind] = true
			}
		}
	}
	if !want["status"] || !want["config"] {
		t.Errorf("events -g web-rg missed web-rs's events %v:\n%s", want, out.String())
	}
}
