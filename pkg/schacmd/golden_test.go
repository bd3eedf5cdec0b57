package schacmd

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/scha"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenCase is one command line whose stdout, stderr and exit status are
// pinned in testdata/golden/<cmd>/<file>.{out,err,code}. A missing .err is
// empty stderr and a missing .code is exit 0.
type goldenCase struct {
	cmd, file string
	args      []string
	down      bool // rgmd is not running
}

// objectArgs names the fixture object each get command queries.
var objectArgs = map[string][]string{
	"scha_resource_get":      {"-R", "web-rs", "-G", "web-rg"},
	"scha_resourcetype_get":  {"-T", "SUNW.webapp:2.0"},
	"scha_resourcegroup_get": {"-G", "web-rg"},
	"scha_cluster_get":       nil,
}

var getKinds = map[string]string{
	"scha_resource_get":      scha.KindResource,
	"scha_resourcetype_get":  scha.KindResourceType,
	"scha_resourcegroup_get": scha.KindResourceGroup,
	"scha_cluster_get":       scha.KindCluster,
}

// tagOperands are the operands given to optags that take some.
var tagOperands = map[string][]string{
	"EXTENSION":                  {"Probe_timeout"},
	"EXTENSION_NODE":             {"Probe_timeout", "phys-2"},
	"NUM_RESOURCE_RESTARTS_ZONE": {"phys-1"},
	"NUM_RG_RESTARTS_ZONE":       {"phys-1"},
	"NODENAME_NODEID":            {"2"},
	"ALL_ZONES_NODEID":           {"2"},
	"ALL_NONGLOBAL_ZONES_NODEID": {"1"},
	"HARD_LOADLIMIT":             {"mem"},
	"SOFT_LOADLIMIT":             {"mem"},
	"LOADLIMIT_PROPS":            {"mem"},
}

func operandsFor(tag scha.Tag) []string {
	if ops, ok := tagOperands[tag.Name]; ok {
		return ops
	}
	if tag.Operands == 1 {
		return []string{"phys-2"} // a node
	}
	return nil
}

// goldenCases returns a case for every optag of every get command, then
// the variations and errors worth pinning.
func goldenCases() []goldenCase {
	var cs []goldenCase
	for _, cmd := range []string{"scha_resource_get", "scha_resourcetype_get", "scha_resourcegroup_get", "scha_cluster_get"} {
		for _, tag := range scha.Tags(getKinds[cmd]) {
			args := append([]string{"-O", tag.Name}, objectArgs[cmd]...)
			cs = append(cs, goldenCase{cmd: cmd, file: tag.Name, args: append(args, operandsFor(tag)...)})
		}
	}
	rg := "scha_resource_get"
	for _, ext := range []string{"Confdir", "Child_mon", "Log_level", "Extra_dirs", "Empty_list"} {
		cs = append(cs, goldenCase{cmd: rg, file: "EXTENSION-" + ext, args: []string{"-O", "EXTENSION", "-R", "web-rs", "-G", "web-rg", ext}})
	}
	cs = append(cs,
		// Variations of the command line that scripts use.
		goldenCase{cmd: rg, file: "var-extension-ingres-style", args: []string{"-O", "Extension", "-R", "web-rs", "-G", "web-rg", "probe_timeout"}},
		goldenCase{cmd: rg, file: "var-lower-case-optag", args: []string{"-O", "retry_count", "-R", "web-rs"}},
		goldenCase{cmd: rg, file: "var-attached-option", args: []string{"-Ostatus", "-Rweb-rs", "-Gweb-rg"}},
		goldenCase{cmd: rg, file: "var-options-any-order", args: []string{"-G", "web-rg", "-R", "web-rs", "-O", "RESOURCE_STATE"}},
		goldenCase{cmd: rg, file: "var-operand-before-options", args: []string{"-O", "EXTENSION", "Confdir", "-R", "web-rs"}},
		goldenCase{cmd: rg, file: "var-double-dash", args: []string{"-O", "EXTENSION", "-R", "web-rs", "--", "Confdir"}},
		goldenCase{cmd: rg, file: "var-dependencies-Q", args: []string{"-Q", "-O", "RESOURCE_DEPENDENCIES", "-R", "web-rs"}},
		goldenCase{cmd: rg, file: "var-dependencies-restart-Q", args: []string{"-QO", "RESOURCE_DEPENDENCIES_RESTART", "-R", "web-rs"}},
		goldenCase{cmd: rg, file: "var-zone-global", args: []string{"-O", "GROUP", "-R", "web-rs", "-Z", "global"}},
		goldenCase{cmd: rg, file: "var-zone-own-cluster", args: []string{"-O", "GROUP", "-R", "web-rs", "-Z", "geo-cluster"}},
		goldenCase{cmd: rg, file: "var-state-other-node", args: []string{"-O", "RESOURCE_STATE_NODE", "-R", "web-rs", "phys-2"}},
		goldenCase{cmd: rg, file: "var-status-other-node", args: []string{"-O", "STATUS_NODE", "-R", "db-rs", "phys-2"}},
		goldenCase{cmd: rg, file: "var-restarts-zone-global", args: []string{"-O", "NUM_RESOURCE_RESTARTS_ZONE", "-R", "web-rs", "global"}},
		goldenCase{cmd: "scha_resourcetype_get", file: "var-short-type-name", args: []string{"-O", "RT_VERSION", "-T", "webapp"}},
		goldenCase{cmd: "scha_resourcegroup_get", file: "var-state-unmanaged", args: []string{"-O", "RG_STATE", "-G", "idle-rg"}},
		goldenCase{cmd: "scha_resourcegroup_get", file: "var-empty-resource-list", args: []string{"-O", "RESOURCE_LIST", "-G", "idle-rg"}},
		goldenCase{cmd: "scha_cluster_get", file: "var-nodestate-local-by-name", args: []string{"-O", "NODESTATE_NODE", "phys-1"}},

		// Errors, one per exit code the commands produce themselves.
		goldenCase{cmd: rg, file: "err-unknown-optag", args: []string{"-O", "NO_SUCH_TAG", "-R", "web-rs"}},
		goldenCase{cmd: rg, file: "err-rg-optag", args: []string{"-O", "NODELIST", "-R", "web-rs"}},
		goldenCase{cmd: rg, file: "err-missing-O", args: []string{"-R", "web-rs"}},
		goldenCase{cmd: rg, file: "err-missing-R", args: []string{"-O", "STATUS"}},
		goldenCase{cmd: rg, file: "err-unknown-option", args: []string{"-O", "STATUS", "-R", "web-rs", "-x"}},
		goldenCase{cmd: rg, file: "err-option-needs-argument", args: []string{"-R", "web-rs", "-O"}},
		goldenCase{cmd: rg, file: "err-no-arguments", args: nil},
		goldenCase{cmd: rg, file: "err-unknown-resource", args: []string{"-O", "STATUS", "-R", "nope-rs"}},
		goldenCase{cmd: rg, file: "err-wrong-group", args: []string{"-O", "STATUS", "-R", "web-rs", "-G", "idle-rg"}},
		goldenCase{cmd: rg, file: "err-unknown-group", args: []string{"-O", "STATUS", "-R", "web-rs", "-G", "nope-rg"}},
		goldenCase{cmd: rg, file: "err-unknown-node", args: []string{"-O", "RESOURCE_STATE_NODE", "-R", "web-rs", "phys-9"}},
		goldenCase{cmd: rg, file: "err-property-not-declared", args: []string{"-O", "RETRY_COUNT", "-R", "db-rs"}},
		goldenCase{cmd: rg, file: "err-extension-not-declared", args: []string{"-O", "EXTENSION", "-R", "web-rs", "No_such_prop"}},
		goldenCase{cmd: rg, file: "err-missing-operand", args: []string{"-O", "EXTENSION", "-R", "web-rs"}},
		goldenCase{cmd: rg, file: "err-extra-operand", args: []string{"-O", "RETRY_COUNT", "-R", "web-rs", "extra"}},
		goldenCase{cmd: rg, file: "err-unknown-zone-cluster", args: []string{"-O", "GROUP", "-R", "web-rs", "-Z", "zc9"}},
		goldenCase{cmd: rg, file: "err-daemon-down", args: []string{"-O", "STATUS", "-R", "web-rs"}, down: true},
		goldenCase{cmd: rg, file: "err-unknown-optag-daemon-down", args: []string{"-O", "NO_SUCH_TAG", "-R", "web-rs"}, down: true},
		goldenCase{cmd: "scha_resourcetype_get", file: "err-unknown-type", args: []string{"-O", "API_VERSION", "-T", "SUNW.nope"}},
		goldenCase{cmd: "scha_resourcetype_get", file: "err-missing-T", args: []string{"-O", "API_VERSION"}},
		goldenCase{cmd: "scha_resourcetype_get", file: "err-operand", args: []string{"-O", "API_VERSION", "-T", "webapp", "extra"}},
		goldenCase{cmd: "scha_resourcegroup_get", file: "err-unknown-group", args: []string{"-O", "RG_STATE", "-G", "nope-rg"}},
		goldenCase{cmd: "scha_resourcegroup_get", file: "err-unknown-node", args: []string{"-O", "RG_STATE_NODE", "-G", "web-rg", "phys-9"}},
		goldenCase{cmd: "scha_resourcegroup_get", file: "err-resource-optag", args: []string{"-O", "RETRY_COUNT", "-G", "web-rg"}},
		goldenCase{cmd: "scha_cluster_get", file: "err-bad-nodeid", args: []string{"-O", "NODENAME_NODEID", "two"}},
		goldenCase{cmd: "scha_cluster_get", file: "err-unknown-nodeid", args: []string{"-O", "NODENAME_NODEID", "9"}},
		goldenCase{cmd: "scha_cluster_get", file: "err-unknown-nodename", args: []string{"-O", "NODEID_NODENAME", "phys-9"}},
		goldenCase{cmd: "scha_cluster_get", file: "err-daemon-down", args: []string{"-O", "CLUSTERNAME"}, down: true},

		goldenCase{cmd: "scha_resource_setstatus", file: "ok-with-message", args: []string{"-R", "web-rs", "-G", "web-rg", "-s", "DEGRADED", "-m", "slow replies"}},
		goldenCase{cmd: "scha_resource_setstatus", file: "ok-without-message", args: []string{"-s", "OK", "-R", "web-rs", "-G", "web-rg"}},
		goldenCase{cmd: "scha_resource_setstatus", file: "err-bad-status", args: []string{"-R", "web-rs", "-G", "web-rg", "-s", "ONLINE"}},
		goldenCase{cmd: "scha_resource_setstatus", file: "err-missing-s", args: []string{"-R", "web-rs", "-G", "web-rg"}},
		goldenCase{cmd: "scha_resource_setstatus", file: "err-missing-G", args: []string{"-R", "web-rs", "-s", "OK"}},
		goldenCase{cmd: "scha_resource_setstatus", file: "err-operand", args: []string{"-R", "web-rs", "-G", "web-rg", "-s", "OK", "extra"}},
		goldenCase{cmd: "scha_resource_setstatus", file: "err-daemon-down", args: []string{"-R", "web-rs", "-G", "web-rg", "-s", "OK"}, down: true},

		goldenCase{cmd: "scha_control", file: "ok-giveover", args: []string{"-O", "GIVEOVER", "-R", "web-rs", "-G", "web-rg"}},
		goldenCase{cmd: "scha_control", file: "err-unknown-tag", args: []string{"-O", "FAILOVER", "-R", "web-rs", "-G", "web-rg"}},
		goldenCase{cmd: "scha_control", file: "err-missing-G", args: []string{"-O", "RESTART", "-R", "web-rs"}},
		goldenCase{cmd: "scha_control", file: "err-operand", args: []string{"-O", "RESTART", "-R", "web-rs", "-G", "web-rg", "now"}},
		goldenCase{cmd: "scha_control", file: "err-daemon-down", args: []string{"-O", "RESTART", "-R", "web-rs", "-G", "web-rg"}, down: true},
		goldenCase{cmd: "not_a_scha_command", file: "err-unknown-command", args: []string{"-O", "X"}},
	)
	return cs
}

// daemonDown is the error pkg/client returns when no rgmd listens.
var daemonDown = &scha.Error{Code: scha.ErrInternal, Detail: "cannot connect to rgmd at /run/openrgm/rgmd.sock: no such file or directory (is rgmd running? start it with `rgmd &` or `systemctl start rgmd`)"}

func runCase(c goldenCase) (stdout, stderr string, code int, fake *fakeClient) {
	fake = newFake()
	if c.down {
		fake.err = daemonDown
	}
	var out, errb bytes.Buffer
	code = Run(fake, c.cmd, c.args, &out, &errb)
	return out.String(), errb.String(), code, fake
}

func TestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range goldenCases() {
		base := filepath.Join("testdata", "golden", c.cmd, c.file)
		if seen[base] {
			t.Fatalf("duplicate golden case %s", base)
		}
		seen[base] = true
		t.Run(c.cmd+"/"+c.file, func(t *testing.T) {
			stdout, stderr, code, _ := runCase(c)
			if *update {
				writeGolden(t, base+".out", stdout, true)
				writeGolden(t, base+".err", stderr, false)
				codeText := ""
				if code != 0 {
					codeText = strconv.Itoa(code) + "\n"
				}
				writeGolden(t, base+".code", codeText, false)
				return
			}
			if want := readGolden(t, base+".out"); stdout != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
			}
			if want := readGolden(t, base+".err"); stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
			}
			want := 0
			if s := strings.TrimSpace(readGolden(t, base+".code")); s != "" {
				want, _ = strconv.Atoi(s)
			}
			if code != want {
				t.Errorf("exit status %d, want %d", code, want)
			}
			// The documented shape: stdout only on success, one error line
			// (plus a usage line for usage errors) otherwise.
			if code != 0 {
				if stdout != "" {
					t.Errorf("stdout %q on failure", stdout)
				}
				lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
				if !strings.HasPrefix(lines[0], c.cmd+": "+scha.Strerror(scha.ErrCode(code))) {
					t.Errorf("stderr %q does not start with %q", stderr, c.cmd+": "+scha.Strerror(scha.ErrCode(code)))
				}
				if len(lines) > 2 || (len(lines) == 2 && !strings.HasPrefix(lines[1], "usage: ")) {
					t.Errorf("stderr has more than the error line and a usage line: %q", stderr)
				}
			} else if stderr != "" {
				t.Errorf("stderr %q on success", stderr)
			}
		})
	}
}

// writeGolden writes content to path, or removes path when content is
// empty and keepEmpty is false (a missing file means "empty").
func writeGolden(t *testing.T, path, content string, keepEmpty bool) {
	t.Helper()
	if content == "" && !keepEmpty {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readGolden(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEveryOptagHasGolden fails when an optag is added to pkg/scha without
// its golden file, and when a golden file is left over from a removed case.
func TestEveryOptagHasGolden(t *testing.T) {
	if *update {
		t.Skip("updating")
	}
	for cmd, kind := range getKinds {
		for _, tag := range scha.Tags(kind) {
			p := filepath.Join("testdata", "golden", cmd, tag.Name+".out")
			if _, err := os.Stat(p); err != nil {
				t.Errorf("no golden output for %s -O %s: %v", cmd, tag.Name, err)
			}
		}
	}
	known := map[string]bool{}
	for _, c := range goldenCases() {
		known[filepath.Join("testdata", "golden", c.cmd, c.file)] = true
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*", "*"))
	for _, f := range files {
		if !known[strings.TrimSuffix(f, filepath.Ext(f))] {
			t.Errorf("golden file %s belongs to no case (run go test -update)", f)
		}
	}
}
