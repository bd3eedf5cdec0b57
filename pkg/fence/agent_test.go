package fence_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/fence"
	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// script writes an executable sh script named name into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// readStdin is the agents' common head: the action into $action, every
// line into $D/stdin.
const readStdin = `action=
while IFS= read -r l; do echo "$l" >>"$D/stdin"; case $l in action=*) action=${l#action=};; esac; done
`

func agentDir(t *testing.T) string {
	t.Helper()
	return t.TempDir()
}

// Off, then status until off: the agent's state is a file that off
// writes and status reads after a few "on" answers.
func TestAgentFence(t *testing.T) {
	d := agentDir(t)
	p := script(t, d, "fence_slowoff", "D="+d+"\n"+readStdin+`
case $action in
off) echo 0 >"$D/count"; echo "Success: Powered OFF"; exit 0 ;;
status)
	n=$(cat "$D/count" 2>/dev/null || echo -1)
	[ "$n" -lt 0 ] && { echo "Status: ON"; exit 0; }
	echo $((n + 1)) >"$D/count"
	[ "$n" -lt 2 ] && { echo "Status: ON"; exit 0; }
	echo "Status: OFF"; exit 2 ;;
esac
exit 1
`)
	a := fence.Agent{Name: p, Params: map[string]string{"ipaddr": "10.0.0.9", "login": "admin",
		"pcmk_host_map": "n1:vm-one;n2:vm-two", "pcmk_delay_max": "5"}, Timeout: time.Minute}
	if pw, err := a.Status(context.Background(), "n2"); err != nil || pw != fence.PowerOn {
		t.Fatalf("status before: %v %v", pw, err)
	}
	os.Remove(filepath.Join(d, "stdin"))
	if err := a.Fence(context.Background(), "n2"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(d, "stdin"))
	in := string(b)
	first, _, _ := strings.Cut(in, "action=status")
	if first != "action=off\nnodename=n2\nplug=vm-two\nipaddr=10.0.0.9\nlogin=admin\n" {
		t.Fatalf("off's stdin:\n%s", in)
	}
	if strings.Count(in, "action=status") < 3 || strings.Contains(in, "pcmk_") {
		t.Fatalf("stdin:\n%s", in)
	}
	if pw, err := a.Status(context.Background(), "n2"); err != nil || pw != fence.PowerOff {
		t.Fatalf("status after: %v %v", pw, err)
	}
}

func TestAgentFailures(t *testing.T) {
	d := agentDir(t)
	failing := script(t, d, "fence_failing", "D="+d+"\n"+readStdin+`echo "Failed: Unable to connect to 10.0.0.9" >&2; exit 1`)
	hanging := script(t, d, "fence_hanging", "D="+d+"\n"+readStdin+`sleep 1000 & echo $! >"$D/child.pid"; echo "connecting..."; wait`)
	stuckOn := script(t, d, "fence_stuckon", "D="+d+"\n"+readStdin+`case $action in status) exit 0;; esac; exit 0`)
	badStatus := script(t, d, "fence_badstatus", "D="+d+"\n"+readStdin+`case $action in status) echo "Status: UNKNOWN"; exit 1;; esac; exit 0`)
	nostatus := script(t, d, "fence_nostatus", "D="+d+`
if [ "$1" = -o ]; then echo '<resource-agent name="fence_nostatus"><parameters/><actions><action name="off"/><action name="metadata"/></actions></resource-agent>'; exit 0; fi
`+readStdin+`case $action in status) echo "unsupported"; exit 1;; esac; exit 0`)
	ctx := context.Background()

	var ae *fence.AgentError
	if err := (fence.Agent{Name: failing}).Monitor(ctx); !errors.As(err, &ae) || ae.Action != "monitor" || !strings.Contains(err.Error(), "Unable to connect") {
		t.Fatalf("failing monitor: %v", err)
	}
	err := fence.Agent{Name: failing}.Fence(ctx, "n1")
	if !errors.As(err, &ae) || ae.Exit != 1 || !strings.Contains(err.Error(), "Unable to connect to 10.0.0.9") || !strings.Contains(err.Error(), "exited 1") {
		t.Fatalf("failing off: %v", err)
	}
	if _, err := (fence.Agent{Name: failing}).Status(ctx, "n1"); err == nil || !strings.Contains(err.Error(), "Unable to connect") {
		t.Fatalf("failing status: %v", err)
	}

	err = fence.Agent{Name: hanging, Timeout: 300 * time.Millisecond}.Fence(ctx, "n1")
	if !errors.As(err, &ae) || !ae.TimedOut || !strings.Contains(err.Error(), "connecting...") {
		t.Fatalf("hanging off: %v", err)
	}
	waitDead(t, "the hanging agent's child", readPID(t, filepath.Join(d, "child.pid")))

	err = fence.Agent{Name: stuckOn, Timeout: 500 * time.Millisecond}.Fence(ctx, "n1")
	if err == nil || !strings.Contains(err.Error(), "not confirmed off") || !strings.Contains(err.Error(), "still reports node n1 on") {
		t.Fatalf("status stuck on: %v", err)
	}
	err = fence.Agent{Name: badStatus, Timeout: 500 * time.Millisecond}.Fence(ctx, "n1")
	if err == nil || !strings.Contains(err.Error(), "Status: UNKNOWN") {
		t.Fatalf("status failing: %v", err)
	}
	if err := (fence.Agent{Name: nostatus}).Fence(ctx, "n1"); err != nil {
		t.Fatalf("an agent without status: %v", err)
	}
	if err := (fence.Agent{Name: failing, Params: map[string]string{"login": "a\nb"}}).Fence(ctx, "n1"); err == nil || !strings.Contains(err.Error(), "line break") {
		t.Fatalf("a parameter with a newline: %v", err)
	}
	if err := (fence.Agent{Name: failing, Params: map[string]string{"action": "on"}}).Fence(ctx, "n1"); err == nil {
		t.Fatal("a configured action was taken")
	}
}

func TestAgentNames(t *testing.T) {
	ctx := context.Background()
	// Only directories anyone may search: a PATH entry this user cannot
	// read is reported before "not found".
	t.Setenv("PATH", "/usr/bin:/bin")
	if err := (fence.Agent{Name: "fence_no_such_agent_here"}).Fence(ctx, "n1"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing agent: %v", err)
	}
	for _, n := range []string{"./fence_x", "bin/fence_x", "../fence_x"} {
		if err := (fence.Agent{Name: n}).Check(); err == nil || !strings.Contains(err.Error(), "absolute") {
			t.Fatalf("%s: %v", n, err)
		}
	}
	if err := (fence.Agent{Name: "sh"}).Check(); err == nil || !strings.Contains(err.Error(), "fence_*") {
		t.Fatalf("sh: %v", err)
	}
	if err := (fence.Agent{Name: ""}).Check(); err == nil {
		t.Fatal("no name was taken")
	}
	d := agentDir(t)
	p := script(t, d, "fence_writable", "exit 0\n")
	os.Chmod(p, 0o775)
	err := fence.Agent{Name: p}.Check()
	if os.Geteuid() != 0 {
		if err != nil {
			t.Fatalf("a normal user's own agent: %v", err)
		}
		t.Log("not root: the ownership rules for root are not tested")
		return
	}
	if err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Fatalf("a group-writable agent as root: %v", err)
	}
}

func TestAgentMetadata(t *testing.T) {
	md, err := fence.ParseAgentMetadata([]byte(`<?xml version="1.0" ?>
<resource-agent name="fence_x" shortdesc="X">
<longdesc> long </longdesc>
<parameters>
	<parameter name="ipaddr" unique="0" required="1">
		<content type="string" />
		<shortdesc lang="en">IP address</shortdesc>
	</parameter>
	<parameter name="power_wait" unique="0" required="0">
		<content type="second" default="0" />
		<shortdesc lang="en">Wait after power</shortdesc>
	</parameter>
	<parameter name="debug" unique="0" required="0" deprecated="1">
		<content type="string" />
	</parameter>
</parameters>
<actions><action name="on"/><action name="off"/><action name="status"/></actions>
</resource-agent>`))
	if err != nil {
		t.Fatal(err)
	}
	if md.Name != "fence_x" || md.LongDesc != "long" || len(md.Parameters) != 3 || !md.HasAction("status") || md.HasAction("reboot") {
		t.Fatalf("%+v", md)
	}
	if p := md.Parameter("ipaddr"); p == nil || !p.Required || p.Type != "string" || p.ShortDesc != "IP address" {
		t.Fatalf("ipaddr %+v", p)
	}
	if p := md.Parameter("power_wait"); p == nil || p.Required || p.Default != "0" || p.Type != "second" {
		t.Fatalf("power_wait %+v", p)
	}
	if p := md.Parameter("debug"); p == nil || !p.Deprecated {
		t.Fatalf("debug %+v", p)
	}
	if _, err := fence.ParseAgentMetadata([]byte("Usage: fence_x [options]")); err == nil {
		t.Fatal("garbage parsed")
	}
}

// Debian's fence-agents: fence_dummy keeps its power state in a file.
func TestAgentFenceDummy(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/fence_dummy"); err != nil {
		t.Skip("no /usr/sbin/fence_dummy: install Debian's fence-agents")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("fence_dummy needs python3")
	}
	st := filepath.Join(t.TempDir(), "power")
	os.WriteFile(st, []byte("on"), 0o644)
	a := fence.Agent{Name: "fence_dummy", Params: map[string]string{"status_file": st}}
	ctx := context.Background()
	if pw, err := a.Status(ctx, "n1"); err != nil || pw != fence.PowerOn {
		t.Fatalf("status: %v %v", pw, err)
	}
	if err := a.Fence(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(st); string(b) != "off" {
		t.Fatalf("status file %q", b)
	}
	md, err := a.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := md.Parameter("status_file"); md.Name != "fence_dummy" || p == nil || p.Required || p.Default == "" || !md.HasAction("status") {
		t.Fatalf("metadata %+v", md)
	}
}

// The harness's agent powers off a frozen fake node: its "rgmd", its
// guard and its tagged processes, every one stopped; nothing else.
func TestHarnessAgent(t *testing.T) {
	dir := stateDir(t)
	tag := tagOf(t)
	if err := os.WriteFile(filepath.Join(dir, "fence.tag"), []byte(tag+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rgmd := exec.Command("/bin/sh", "-c", "while :; do sleep 1; done", "rgmd", "--state-dir", dir)
	if err := rgmd.Start(); err != nil {
		t.Fatal(err)
	}
	go rgmd.Wait()
	t.Cleanup(func() { rgmd.Process.Kill() })
	g := startGuard(t, dir)
	if err := g.Tag(tag); err != nil {
		t.Fatal(err)
	}
	guardPID := readPID(t, filepath.Join(dir, fence.GuardPIDFile))
	tree := startTree(t, tag)
	plain := startPlain(t)

	a := fence.Agent{Name: rgmtest.FenceAgent(), Params: map[string]string{"pcmk_host_map": "n7:" + dir}}
	ctx := context.Background()
	if pw, err := a.Status(ctx, "n7"); err != nil || pw != fence.PowerOn {
		t.Fatalf("status of a live node: %v %v", pw, err)
	}
	// The whole node freezes.
	frozen := []int{rgmd.Process.Pid, guardPID}
	for _, pid := range tree {
		frozen = append(frozen, pid)
	}
	for _, pid := range frozen {
		syscall.Kill(pid, syscall.SIGSTOP)
	}
	if err := a.Fence(ctx, "n7"); err != nil {
		t.Fatal(err)
	}
	for _, pid := range frozen {
		waitDead(t, "a process of the node", pid)
	}
	mustAlive(t, "an unrelated process", plain)
	if pw, err := a.Status(ctx, "n7"); err != nil || pw != fence.PowerOff {
		t.Fatalf("status of a fenced node: %v %v", pw, err)
	}
	if err := a.Monitor(ctx); err != nil {
		t.Fatalf("monitor: %v", err)
	}
	md, err := a.Metadata(ctx)
	if err != nil || md.Name != "fence_rgmtest" || !md.HasAction("off") {
		t.Fatalf("metadata %+v %v", md, err)
	}
	// By name under state_dir_root.
	b := fence.Agent{Name: rgmtest.FenceAgent(), Params: map[string]string{"state_dir_root": filepath.Dir(dir)}}
	if pw, err := b.Status(ctx, filepath.Base(dir)); err != nil || pw != fence.PowerOff {
		t.Fatalf("status by name: %v %v", pw, err)
	}
}

// The harness's agent powers off a real rgmd of the harness, frozen,
// with its tagged processes.
func TestHarnessAgentRealRgmd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts rgmd")
	}
	d := rgmtest.StartDaemon(t)
	tag := tagOf(t)
	if err := os.WriteFile(filepath.Join(d.StateDir, "fence.tag"), []byte(tag+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tree := startTree(t, tag)
	a := fence.Agent{Name: rgmtest.FenceAgent(), Params: rgmtest.FenceAgentParams(d)}
	ctx := context.Background()
	if pw, err := a.Status(ctx, d.Node); err != nil || pw != fence.PowerOn {
		t.Fatalf("status of a running node: %v %v", pw, err)
	}
	d.Freeze()
	if err := a.Fence(ctx, d.Node); err != nil {
		t.Fatal(err)
	}
	waitDead(t, "rgmd", d.PID())
	for _, n := range treeNames {
		waitDead(t, n, tree[n])
	}
	if pw, err := a.Status(ctx, d.Node); err != nil || pw != fence.PowerOff {
		t.Fatalf("status of a fenced node: %v %v", pw, err)
	}
}
