package ctest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/scha"
)

var (
	root  = rgmtest.RepoRoot()
	capiD = filepath.Join(root, "capi")

	libOnce sync.Once
	libDir  string
	libErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if libDir != "" {
		os.RemoveAll(libDir)
	}
	os.Exit(code)
}

// needTools skips the test when gcc is missing (and cgo with it).
func needTools(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed: the C API is not built")
	}
}

// library builds libscha.so.1 once, the way `make capi` does, and returns
// its directory (which also holds the compiled test programs).
func library(t *testing.T) string {
	t.Helper()
	needTools(t)
	libOnce.Do(func() {
		dir, err := os.MkdirTemp("", "libscha")
		if err != nil {
			libErr = err
			return
		}
		libDir = dir
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "netgo,osusergo", "-buildmode=c-shared",
			"-ldflags", "-w -extldflags -Wl,-soname,libscha.so.1", "-o", filepath.Join(dir, "libscha.so.1"), "./capi")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			libErr = fmt.Errorf("building libscha: %v\n%s", err, out)
			return
		}
		os.Remove(filepath.Join(dir, "libscha.so.h"))
		libErr = os.Symlink("libscha.so.1", filepath.Join(dir, "libscha.so"))
	})
	if libErr != nil {
		t.Fatal(libErr)
	}
	return libDir
}

// compile builds a C program from srcs (relative to the repository) and
// returns its path.
func compile(t *testing.T, name string, srcs ...string) string {
	t.Helper()
	dir := library(t)
	out := filepath.Join(dir, name)
	args := []string{"-std=gnu11", "-Wall", "-Wextra", "-Werror", "-g", "-pthread", "-I", capiD, "-o", out}
	for _, s := range srcs {
		args = append(args, filepath.Join(root, s))
	}
	args = append(args, "-L", dir, "-lscha", "-Wl,-rpath,"+dir)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", name, err, b)
	}
	return out
}

// valgrind returns the command prefix that runs a program under valgrind,
// or nil when valgrind is missing and not required.
func valgrind(t *testing.T) []string {
	t.Helper()
	vg, err := exec.LookPath("valgrind")
	if err != nil {
		if os.Getenv("RGM_REQUIRE_VALGRIND") == "1" {
			t.Fatal("valgrind is not installed and RGM_REQUIRE_VALGRIND=1")
		}
		t.Log("valgrind is not installed: running the C tests without it")
		return nil
	}
	return []string{vg, "-q", "--leak-check=full", "--error-exitcode=1",
		"--suppressions=" + filepath.Join(capiD, "libscha.supp")}
}

// valgrindEnv returns env for a program that valgrind runs: with
// GODEBUG=cpu.rdtscp=off added, since valgrind 3.19 tells the program
// (by its own CPUID) that the processor has RDTSCP even where it has
// not, and then stops the Go runtime's first RDTSCP with SIGILL
// (scha_calls(3), VALGRIND).
func valgrindEnv(env []string) []string {
	godebug := "cpu.rdtscp=off"
	if v := os.Getenv("GODEBUG"); v != "" {
		godebug = v + "," + godebug
	}
	return append(env, "GODEBUG="+godebug)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs prog with args against d, under valgrind when it is there.
func run(t *testing.T, d *rgmtest.Daemon, stdin string, prog string, args ...string) result {
	t.Helper()
	vg := valgrind(t)
	argv := append(vg, prog)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = d.Env()
	if vg != nil {
		cmd.Env = valgrindEnv(cmd.Env)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	return r
}

// mustPass runs a C test program and fails the test unless it exits 0.
func mustPass(t *testing.T, d *rgmtest.Daemon, prog string, args ...string) {
	t.Helper()
	if r := run(t, d, "", prog, args...); r.code != 0 {
		t.Fatalf("%s %s: exit %d\n%s%s", filepath.Base(prog), strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
}

// fixture starts rgmd with the sample shell type ORGM.hello (whose
// extension properties have every type), group rg1, resource r1 and r2,
// which depends on r1 with a qualifier.
func fixture(t *testing.T) *rgmtest.Daemon {
	t.Helper()
	library(t)
	d := rgmtest.StartDaemon(t)
	d.MustRun("rgmadm", "rt", "register", filepath.Join(root, "examples", "hello", "hello.rtr"))
	d.MustRun("rgmadm", "rg", "create", "rg1")
	d.MustRun("rgmadm", "rs", "create", "r1", "-g", "rg1", "-t", "ORGM.hello", "-x", "Port=8080")
	d.MustRun("rgmadm", "rs", "create", "r2", "-g", "rg1", "-t", "ORGM.hello", "-x", "Port=8081",
		"-p", "Resource_dependencies=r1{LOCAL_NODE}", "-p", "Resource_dependencies_weak=r1{ANY_NODE}")
	return d
}

// operandSets returns the operands to try with a tag of kind.
func operandSets(kind string, tag scha.Tag, node string) [][]string {
	switch {
	case tag.Operands == 0:
		return [][]string{nil}
	case tag.Name == "EXTENSION":
		var sets [][]string
		for _, p := range []string{"Port", "Greeting", "Log_level", "Languages", "Debug", "probe_timeout", "No_such"} {
			sets = append(sets, []string{p})
		}
		return sets
	case tag.Name == "EXTENSION_NODE":
		return [][]string{{"Port", node}, {"Languages", node}, {"Port", "no-such-node"}}
	case strings.HasSuffix(tag.Name, "_ZONE"):
		return [][]string{{"global"}, {node}}
	case strings.HasSuffix(tag.Name, "_NODEID") && tag.Name != "NODEID_NODENAME":
		return [][]string{{"1"}, {"7"}}
	case strings.HasSuffix(tag.Name, "LOADLIMIT") || tag.Name == "LOADLIMIT_PROPS":
		return [][]string{{"limit"}}
	}
	return [][]string{{node}, {"no-such-node"}}
}

// TestGetMatchesShell asks every tag of every kind through the C API and
// through the scha_* commands: same exit code, same output.
func TestGetMatchesShell(t *testing.T) {
	d := fixture(t)
	get := compile(t, "get", "capi/test/get.c")
	type query struct {
		line  string   // for the C program
		shell []string // the equivalent command
	}
	objects := []struct {
		kind, cmd string
		name      []string // C program's NAME GROUP
		opts      []string
	}{
		{scha.KindResource, "scha_resource_get", []string{"r2", "rg1"}, []string{"-R", "r2", "-G", "rg1"}},
		{scha.KindResource, "scha_resource_get", []string{"r1", "-"}, []string{"-R", "r1"}},
		{scha.KindResourceType, "scha_resourcetype_get", []string{"ORGM.hello", "-"}, []string{"-T", "ORGM.hello"}},
		{scha.KindResourceGroup, "scha_resourcegroup_get", []string{"rg1", "-"}, []string{"-G", "rg1"}},
		{scha.KindCluster, "scha_cluster_get", []string{"-", "-"}, nil},
	}
	for _, o := range objects {
		var qs []query
		tags := scha.Tags(o.kind)
		if o.kind == scha.KindResource {
			// The C-only qualified dependency tags are -Q of the shell.
			for _, dep := range []string{"", "_WEAK", "_RESTART", "_OFFLINE_RESTART"} {
				qs = append(qs, query{
					line:  fmt.Sprintf("resource %s %s RESOURCE_DEPENDENCIES_Q%s string_array", o.name[0], o.name[1], dep),
					shell: append([]string{o.cmd, "-Q", "-O", "RESOURCE_DEPENDENCIES" + dep}, o.opts...),
				})
			}
			qs = append(qs, query{
				line:  fmt.Sprintf("resource %s %s resource_state enum", o.name[0], o.name[1]),
				shell: append([]string{o.cmd, "-O", "resource_state"}, o.opts...),
			})
		}
		for _, tag := range tags {
			for _, ops := range operandSets(o.kind, tag, d.Node) {
				cops := append([]string(nil), ops...)
				if strings.HasSuffix(tag.Name, "_NODEID") && tag.Name != "NODEID_NODENAME" {
					cops[0] = "#" + cops[0] // passed as uint_t
				}
				line := strings.Join(append([]string{o.kind, o.name[0], o.name[1], tag.Name, string(tag.Type)}, cops...), " ")
				sh := append(append([]string{o.cmd, "-O", tag.Name}, o.opts...), ops...)
				qs = append(qs, query{line: line, shell: sh})
			}
		}
		var in strings.Builder
		for _, q := range qs {
			in.WriteString(q.line + "\n")
		}
		r := run(t, d, in.String(), get)
		if r.code != 0 {
			t.Fatalf("get (%s %s): exit %d\n%s", o.kind, o.name[0], r.code, r.stderr)
		}
		answers := strings.Split(r.stdout, "== ")[1:]
		if len(answers) != len(qs) {
			t.Fatalf("get (%s): %d answers to %d queries:\n%s", o.kind, len(answers), len(qs), r.stdout)
		}
		for i, q := range qs {
			code, value, _ := strings.Cut(answers[i], "\n")
			sh := d.Run(q.shell[0], q.shell[1:]...)
			if code != strconv.Itoa(sh.Code) || (sh.Code == 0 || sh.Code == int(scha.ErrSeqID)) && value != sh.Stdout {
				t.Errorf("%s\n  C:     code %s, %q\n  shell: code %d, %q (%s)", q.line, code, value, sh.Code, sh.Stdout, strings.TrimSpace(sh.Stderr))
			}
		}
		t.Logf("%s %s: %d queries agree", o.kind, o.name[0], len(qs))
	}
}

func TestHandles(t *testing.T) {
	d := fixture(t)
	mustPass(t, d, compile(t, "handles", "capi/test/handles.c"), "r1", "rg1", "ORGM.hello")
}

func TestCalls(t *testing.T) {
	d := fixture(t)
	cluster := strings.TrimSpace(d.MustRun("scha_cluster_get", "-O", "CLUSTERNAME"))
	control := d.Run("scha_control", "-O", "RESTART", "-R", "r1", "-G", "rg1")
	mustPass(t, d, compile(t, "calls", "capi/test/calls.c"), "r1", "rg1", d.Node, cluster, strconv.Itoa(control.Code))
	// What the C calls set is what the shell sees.
	if got := d.MustRun("scha_resource_get", "-O", "STATUS", "-R", "r1", "-G", "rg1"); got != "OK\nzone ok\n" {
		t.Errorf("STATUS after the C calls = %q", got)
	}
}

func TestThreads(t *testing.T) {
	d := fixture(t)
	mustPass(t, d, compile(t, "threads", "capi/test/threads.c"), "r1", "rg1")
}

func TestForkExec(t *testing.T) {
	d := fixture(t)
	mustPass(t, d, compile(t, "forkexec", "capi/test/forkexec.c"), "r1", "rg1")
}

func TestSignals(t *testing.T) {
	d := fixture(t)
	// The busy thread asks rgmd every time (no kept answers), so that the
	// signals interrupt it in its system calls, as before the cache. From
	// memory it would spin through Go code and the allocator a hundred
	// times as often, and valgrind, which cannot follow the runtime's
	// signal stacks, then reports the Go heap as unaddressable stack.
	t.Setenv("RGM_CACHE", "off")
	mustPass(t, d, compile(t, "signals", "capi/test/signals.c"), "r1", "rg1")
}

// keptHandles returns how many closed handles keep their values, as
// scha_calls(3) states it.
func keptHandles(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "man", "man3", "scha_calls.3"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`the values of the\s+(\d+)\s+handles closed last`).FindSubmatch(b)
	if m == nil {
		t.Fatal(`scha_calls(3) does not say "the values of the N handles closed last"`)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestAfterClose reads what closed handles returned, as old agents do;
// before the quarantine, close freed it at once and valgrind reported
// every such read as a read of freed memory.
func TestAfterClose(t *testing.T) {
	d := fixture(t)
	mustPass(t, d, compile(t, "afterclose", "capi/test/afterclose.c"), "r1", "rg1", d.Node, strconv.Itoa(keptHandles(t)))
}

// TestPassBack: a program that hands libscha its own strings back, and
// strings in blocks that end at their NUL, must be valgrind-clean (the
// library once scanned them with Go's 32-byte IndexByte, which valgrind
// reports as an invalid read past the block).
func TestPassBack(t *testing.T) {
	d := fixture(t)
	mustPass(t, d, compile(t, "passback", "capi/test/passback.c"), "r1", "rg1")
}

// TestValgrindCatchesLeak proves that libscha.supp hides only the Go runtime:
// a program that leaks in C must still fail under valgrind, with the leak
// reported as definitely lost in its own code.
func TestValgrindCatchesLeak(t *testing.T) {
	if _, err := exec.LookPath("valgrind"); err != nil {
		t.Skip("valgrind is not installed")
	}
	d := fixture(t)
	r := run(t, d, "", compile(t, "leak", "capi/test/leak.c"))
	if r.code == 0 {
		t.Fatalf("valgrind passed a leaking program:\n%s", r.stderr)
	}
	for _, want := range []string{"definitely lost", "by 0x", "main (leak.c:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("valgrind output lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Count(r.stderr, "are definitely lost") != 2 {
		t.Errorf("want both leaks (the node name and the program's block) reported:\n%s", r.stderr)
	}
}

// helloC builds the C example type examples/hello_c beside a copy of its
// RTR file, registers it with a real rgmd and creates resource hc of it in
// group rg1. It returns the daemon, the methods' paths by name, and a
// function reading one of the resource's pid files (0 when missing).
func helloC(t *testing.T) (d *rgmtest.Daemon, methods map[string]string, work string, pidOf func(string) int) {
	library(t)
	dir, err := os.MkdirTemp("", "hello_c")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	rtr, err := os.ReadFile(filepath.Join(root, "examples", "hello_c", "hello_c.rtr"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello_c.rtr"), rtr, 0o644); err != nil {
		t.Fatal(err)
	}
	methods = map[string]string{}
	for _, m := range []string{"start", "stop", "validate", "monitor_start", "monitor_stop", "probe"} {
		name := "hello_c_" + m
		bin := compile(t, name, "examples/hello_c/"+name+".c", "examples/hello_c/hello_c.c")
		// Beside the RTR file, where rgmd resolves relative method paths.
		if err := os.Rename(bin, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		methods[m] = filepath.Join(dir, name)
	}
	work = filepath.Join(dir, "work")
	d = rgmtest.StartDaemon(t)
	d.MustRun("rgmadm", "rt", "register", filepath.Join(dir, "hello_c.rtr"))
	d.MustRun("rgmadm", "rg", "create", "rg1")
	d.MustRun("rgmadm", "rs", "create", "hc", "-g", "rg1", "-t", "ORGM.hello_c", "-x", "Port=9090",
		"-x", "Workdir="+work, "-x", "Heartbeat_age=2", "-p", "Thorough_probe_interval=1")
	pidOf = func(name string) int {
		b, _ := os.ReadFile(filepath.Join(work, "hc", name))
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	t.Cleanup(func() {
		for _, f := range []string{"pid", "probe.pid"} {
			if p := pidOf(f); p > 0 {
				syscallKill(p)
			}
		}
	})
	return d, methods, work, pidOf
}

// waitStatus polls the resource's STATUS until it is want.
func waitStatus(t *testing.T, d *rgmtest.Daemon, want string) {
	t.Helper()
	status := func() string { return d.MustRun("scha_resource_get", "-O", "STATUS", "-R", "hc", "-G", "rg1") }
	for i := 0; i < 100; i++ {
		if status() == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("status %q, want %q", status(), want)
}

// TestHelloC runs the methods of the C example type the way rgmd does
// (METHOD -R r -T t -G g with RGM_SOCKET set), the short-lived ones under
// valgrind: what they read through libscha and the status they set must
// show through the shell commands.
func TestHelloC(t *testing.T) {
	d, methods, work, pidOf := helloC(t)
	// method runs one method; long-running children (the daemon, the
	// probe) would stay under valgrind, so only the others use it.
	method := func(m string, underValgrind bool, extra ...string) result {
		t.Helper()
		argv := []string{methods[m], "-R", "hc", "-T", "ORGM.hello_c", "-G", "rg1"}
		argv = append(argv, extra...)
		if underValgrind {
			return run(t, d, "", argv[0], argv[1:]...)
		}
		// Output to a file, not a pipe: the daemon and the probe keep
		// the method's stderr open long after it exits.
		log, err := os.CreateTemp(t.TempDir(), m+".log")
		if err != nil {
			t.Fatal(err)
		}
		defer log.Close()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = d.Env()
		cmd.Stdout, cmd.Stderr = log, log
		err = cmd.Run()
		out, _ := os.ReadFile(log.Name())
		r := result{stderr: string(out)}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}
	mustMethod := func(m string, underValgrind bool, extra ...string) {
		t.Helper()
		if r := method(m, underValgrind, extra...); r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", m, r.code, r.stdout, r.stderr)
		}
	}
	if r := method("validate", true, "-c", "-x", "Port=0"); r.code == 0 {
		t.Errorf("validate accepted Port=0")
	}
	mustMethod("validate", true, "-u", "-x", "Port=80")

	mustMethod("start", false)
	if b, err := os.ReadFile(filepath.Join(work, "hc", "greeting")); err != nil || string(b) != "Hello from OpenRGM in C (port 9090)\n" {
		t.Errorf("greeting = %q, %v", b, err)
	}
	waitStatus(t, d, "OK\nserving on port 9090\n")

	mustMethod("monitor_start", false)
	waitStatus(t, d, "OK\nheartbeat fresh, port 9090\n")
	// The service dies: the probe notices within Heartbeat_age + interval.
	syscallKill(pidOf("pid"))
	waitStatus(t, d, "FAULTED\ndaemon is not running\n")

	mustMethod("monitor_stop", true)
	if p := pidOf("probe.pid"); p != 0 {
		t.Errorf("probe pid file still names %d", p)
	}
	mustMethod("stop", true)
	waitStatus(t, d, "OFFLINE\nstopped\n")
}

// TestHelloCOnline drives the C example type through rgmd's lifecycle:
// rgmd runs Validate on a change, Start and Monitor_start bringing the
// group online, and Monitor_stop and Stop taking it offline; the C fault
// monitor reports through scha_resource_setstatus meanwhile.
func TestHelloCOnline(t *testing.T) {
	d, _, work, pidOf := helloC(t)
	// Validate runs in rgmd before the change is stored: Workdir must be
	// absolute (the RTR cannot say that), and may change only while the
	// resource is disabled.
	d.MustRun("rgmadm", "rs", "disable", "hc")
	if r := d.Run("rgmadm", "rs", "set", "hc", "-x", "Workdir=relative"); r.Code != int(scha.ErrChecks) {
		t.Errorf("rs set Workdir=relative: exit %d, want SCHA_ERR_CHECKS\n%s", r.Code, r.Stderr)
	}
	if got := d.MustRun("scha_resource_get", "-O", "EXTENSION", "-R", "hc", "-G", "rg1", "Workdir"); got != "STRING\n"+work+"\n" {
		t.Errorf("Workdir after the refused change = %q", got)
	}
	d.MustRun("rgmadm", "rs", "enable", "hc")
	d.MustRun("rgmadm", "rg", "manage", "rg1")
	d.MustRun("rgmadm", "rg", "online", "rg1", "--wait")
	if got := d.MustRun("scha_resource_get", "-O", "RESOURCE_STATE", "-R", "hc", "-G", "rg1"); got != "ONLINE\n" {
		t.Errorf("resource state %q after online", got)
	}
	if b, err := os.ReadFile(filepath.Join(work, "hc", "greeting")); err != nil || string(b) != "Hello from OpenRGM in C (port 9090)\n" {
		t.Errorf("greeting = %q, %v", b, err)
	}
	svc := pidOf("pid")
	if svc <= 0 || !rgmtest.Alive(svc) {
		t.Fatalf("the service (pid %d) is not running after online", svc)
	}
	if pidOf("probe.pid") <= 0 {
		t.Errorf("Monitor_start left no probe")
	}
	waitStatus(t, d, "OK\nheartbeat fresh, port 9090\n")

	d.MustRun("rgmadm", "rg", "offline", "rg1", "--wait")
	if got := d.MustRun("scha_resource_get", "-O", "RESOURCE_STATE", "-R", "hc", "-G", "rg1"); got != "OFFLINE\n" {
		t.Errorf("resource state %q after offline", got)
	}
	if rgmtest.Alive(svc) {
		t.Errorf("the service (pid %d) still runs after offline", svc)
	}
	if p := pidOf("probe.pid"); p != 0 {
		t.Errorf("probe pid file still names %d after offline", p)
	}
	// rgmd records OFFLINE (with no message) once Stop has succeeded.
	if got := d.MustRun("scha_resource_get", "-O", "STATUS", "-R", "hc", "-G", "rg1"); !strings.HasPrefix(got, "OFFLINE\n") {
		t.Errorf("status %q after offline", got)
	}
}

// TestHelloCDefaultWorkdir: with Workdir left empty (the RTR's default),
// the C example keeps its files in hello_c beside the socket of the rgmd
// that runs it, not in a directory of /tmp that another user may own.
func TestHelloCDefaultWorkdir(t *testing.T) {
	d, _, _, _ := helloC(t)
	d.MustRun("rgmadm", "rg", "create", "rg2")
	d.MustRun("rgmadm", "rs", "create", "hd", "-g", "rg2", "-t", "ORGM.hello_c", "-x", "Port=9091",
		"-p", "Thorough_probe_interval=1")
	if got := d.MustRun("scha_resource_get", "-O", "EXTENSION", "-R", "hd", "-G", "rg2", "Workdir"); got != "STRING\n\n" {
		t.Errorf("default Workdir = %q, want empty", got)
	}
	d.MustRun("rgmadm", "rg", "online", "-M", "rg2", "--wait")
	dir := filepath.Join(filepath.Dir(d.Socket), "hello_c", "hd")
	if b, err := os.ReadFile(filepath.Join(dir, "greeting")); err != nil || string(b) != "Hello from OpenRGM in C (port 9091)\n" {
		t.Errorf("greeting beside the socket = %q, %v", b, err)
	}
	d.MustRun("rgmadm", "rg", "offline", "rg2", "--wait")
	if b, err := os.ReadFile(filepath.Join(dir, "pid")); err == nil && strings.TrimSpace(string(b)) != "" {
		t.Errorf("pid file still names %q after offline", b)
	}
}

// TestCache drives capi/test/cache.c through a crash and a restart of
// rgmd between its gets: the library's kept answers must never outlive the
// rgmd that gave them.
func TestCache(t *testing.T) {
	d := fixture(t)
	prog := compile(t, "cache", "capi/test/cache.c")
	vg := valgrind(t)
	argv := append(vg, prog, "r1", "rg1")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = d.Env()
	if vg != nil {
		cmd.Env = valgrindEnv(cmd.Env)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	steps := bufio.NewScanner(out)
	for steps.Scan() {
		switch s := steps.Text(); s {
		case "kill":
			d.Kill()
		case "restart":
			d.Start()
			d.MustRun("rgmadm", "rs", "set", "r1", "-p", "R_description=third")
		default:
			t.Errorf("unknown step %q", s)
		}
		io.WriteString(in, "go\n")
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("cache: %v\n%s", err, errb.String())
	}
}
