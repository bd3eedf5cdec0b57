package schacmd

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// TestRequests checks what setstatus and control send to rgmd.
func TestRequests(t *testing.T) {
	tests := []struct {
		cmd  string
		args []string
		want string
	}{
		{"scha_resource_setstatus", []string{"-R", "web-rs", "-G", "web-rg", "-s", "degraded", "-m", "slow replies"},
			wire.OpSetStatus + ` {"resource":"web-rs","group":"web-rg","status":"DEGRADED","msg":"slow replies"}`},
		// Without -m the message is nil (Status_msg set to NULL) ...
		{"scha_resource_setstatus", []string{"-R", "web-rs", "-G", "web-rg", "-s", "OK"},
			wire.OpSetStatus + ` {"resource":"web-rs","group":"web-rg","status":"OK"}`},
		// ... which JSON cannot tell from an empty one; both clear it.
		{"scha_resource_setstatus", []string{"-R", "web-rs", "-G", "web-rg", "-s", "OK", "-m", ""},
			wire.OpSetStatus + ` {"resource":"web-rs","group":"web-rg","status":"OK","msg":""}`},
		{"scha_resource_setstatus", []string{"-m", "-x is not an option here", "-s", "FAULTED", "-Rweb-rs", "-Gweb-rg"},
			wire.OpSetStatus + ` {"resource":"web-rs","group":"web-rg","status":"FAULTED","msg":"-x is not an option here"}`},
		{"scha_control", []string{"-O", "resource_restart", "-R", "web-rs", "-G", "web-rg"},
			wire.OpControl + ` {"tag":"RESOURCE_RESTART","resource":"web-rs","group":"web-rg"}`},
		{"scha_control", []string{"-G", "web-rg", "-R", "web-rs", "-O", "CHECK_GIVEOVER", "-Z", "global"},
			wire.OpControl + ` {"tag":"CHECK_GIVEOVER","resource":"web-rs","group":"web-rg"}`},
	}
	for _, tt := range tests {
		f := newFake()
		var out, errb bytes.Buffer
		if code := Run(f, tt.cmd, tt.args, &out, &errb); code != 0 || out.Len() != 0 || errb.Len() != 0 {
			t.Errorf("%s %q: exit %d, stdout %q, stderr %q", tt.cmd, tt.args, code, out.String(), errb.String())
		}
		if len(f.calls) != 1 || f.calls[0] != tt.want {
			t.Errorf("%s %q sent %q, want %q", tt.cmd, tt.args, f.calls, tt.want)
		}
	}
	for _, tag := range scha.ControlTags() {
		f := newFake()
		if code := Run(f, "scha_control", []string{"-O", tag, "-R", "r", "-G", "g"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
			t.Errorf("scha_control -O %s: exit %d", tag, code)
		}
	}
}

// TestDaemonRefusal passes rgmd's code and message through: the daemon
// refuses scha_control for a group not online here with SCHA_ERR_STATE.
func TestDaemonRefusal(t *testing.T) {
	f := newFake()
	f.err = &scha.Error{Code: scha.ErrState, Detail: `resource group "web-rg" is not ONLINE on node phys-1`}
	var out, errb bytes.Buffer
	code := Run(f, "scha_control", []string{"-O", "GIVEOVER", "-R", "web-rs", "-G", "web-rg"}, &out, &errb)
	want := "scha_control: object is in wrong state: resource group \"web-rg\" is not ONLINE on node phys-1\n"
	if code != 9 || errb.String() != want || out.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 9, %q", code, errb.String(), want)
	}
	// A multi-line detail is folded onto one line.
	f.err = &scha.Error{Code: scha.ErrChecks, Detail: "line one\nline two"}
	errb.Reset()
	code = Run(f, "scha_control", []string{"-O", "RESTART", "-R", "web-rs", "-G", "web-rg"}, &out, &errb)
	if code != 16 || errb.String() != "scha_control: sanity checks failed: line one line two\n" {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestLocalErrorsNeedNoDaemon: usage mistakes and unknown tags are found
// before rgmd is asked anything.
func TestLocalErrorsNeedNoDaemon(t *testing.T) {
	for _, c := range goldenCases() {
		_, _, code, f := runCase(c)
		switch scha.ErrCode(code) {
		case scha.ErrInval, scha.ErrTag, scha.ErrRStatus:
			if c.file == "err-bad-nodeid" {
				continue // the daemon checks operand values
			}
			if f.gets != 0 || len(f.calls) != 0 {
				t.Errorf("%s %s: asked rgmd (%d gets, calls %q) for a local error", c.cmd, c.file, f.gets, f.calls)
			}
		}
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		argv     []string
		want     map[byte]string
		operands []string
		err      string
	}{
		{argv: []string{"-O", "STATUS", "-R", "r"}, want: map[byte]string{'O': "STATUS", 'R': "r"}},
		{argv: []string{"-OSTATUS", "-Rr"}, want: map[byte]string{'O': "STATUS", 'R': "r"}},
		{argv: []string{"-QOSTATUS"}, want: map[byte]string{'Q': "", 'O': "STATUS"}},
		{argv: []string{"-QO", "STATUS"}, want: map[byte]string{'Q': "", 'O': "STATUS"}},
		{argv: []string{"-O", "a", "-O", "b"}, want: map[byte]string{'O': "b"}},
		{argv: []string{"-O", "-R"}, want: map[byte]string{'O': "-R"}},
		{argv: []string{"x", "-O", "a", "y"}, want: map[byte]string{'O': "a"}, operands: []string{"x", "y"}},
		{argv: []string{"-O", "a", "--", "-R", "b"}, want: map[byte]string{'O': "a"}, operands: []string{"-R", "b"}},
		{argv: []string{"-", "-O", "a"}, want: map[byte]string{'O': "a"}, operands: []string{"-"}},
		{argv: []string{"-O"}, err: "option -O requires an argument"},
		{argv: []string{"-x"}, err: "unknown option -x"},
		{argv: []string{"-:"}, err: "unknown option -:"},
		{argv: []string{"-Q\x01"}, err: `unknown option -\x01`},
	}
	for _, tt := range tests {
		a, err := parseArgs("QO:R:", tt.argv)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parseArgs(%q) err = %v, want %q", tt.argv, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseArgs(%q): %v", tt.argv, err)
			continue
		}
		if len(a.vals) != len(tt.want) || strings.Join(a.operands, "|") != strings.Join(tt.operands, "|") {
			t.Errorf("parseArgs(%q) = %v %q, want %v %q", tt.argv, a.vals, a.operands, tt.want, tt.operands)
		}
		for k, v := range tt.want {
			if got, ok := a.get(k); !ok || got != v {
				t.Errorf("parseArgs(%q) -%c = %q, want %q", tt.argv, k, got, v)
			}
		}
	}
}

func FuzzParseArgs(f *testing.F) {
	for _, c := range goldenCases() {
		f.Add(c.cmd, strings.Join(c.args, "\x00"))
	}
	f.Add("scha_resource_get", "-QO\x00--\x00-")
	f.Fuzz(func(t *testing.T, cmd, joined string) {
		argv := strings.Split(joined, "\x00")
		for i := range commands {
			a, err := parseArgs(commands[i].optstr, argv)
			if err != nil {
				if _, ok := err.(*usageError); !ok {
					t.Fatalf("error %T is not a usage error", err)
				}
				continue
			}
			for o := range a.vals {
				if _, known := optSpec(commands[i].optstr, o); !known {
					t.Fatalf("option -%c not in %q", o, commands[i].optstr)
				}
			}
		}
		// The whole command must not panic, must exit with a defined code
		// and must print either stdout (success) or stderr (failure).
		var out, errb bytes.Buffer
		code := Run(newFake(), cmd, argv, &out, &errb)
		if code < 0 || code > int(scha.MaxErrCode) {
			t.Fatalf("exit %d", code)
		}
		if code != 0 && (out.Len() != 0 || errb.Len() == 0) {
			t.Fatalf("exit %d with stdout %q stderr %q", code, out.String(), errb.String())
		}
		if code == 0 && errb.Len() != 0 {
			t.Fatalf("exit 0 with stderr %q", errb.String())
		}
	})
}

// forbiddenDeps may never be linked into a scha_* command: they are big,
// slow to initialise, or the daemon's.
var forbiddenDeps = []string{
	"github.com/openrgm/openrgm/pkg/model",
	"github.com/openrgm/openrgm/pkg/query",
	"github.com/openrgm/openrgm/pkg/daemon",
	"github.com/openrgm/openrgm/pkg/store",
	"github.com/openrgm/openrgm/pkg/engine",
	"github.com/openrgm/openrgm/pkg/methods",
	"github.com/openrgm/openrgm/pkg/cluster",
	"github.com/openrgm/openrgm/pkg/trust",
	"github.com/hashicorp/",
	"go.etcd.io/bbolt",
	"github.com/boltdb/",
	"github.com/godbus/",
	"github.com/spf13/pflag",
}

func TestCommandDependencies(t *testing.T) {
	// go test puts its own GOROOT/bin first in PATH.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	if testing.Short() {
		t.Skip("short")
	}
	for _, c := range commands {
		out, err := exec.Command(gobin, "list", "-deps", "../../cmd/"+c.name).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps cmd/%s: %v\n%s", c.name, err, out)
		}
		deps := strings.Fields(string(out))
		for _, d := range deps {
			for _, bad := range forbiddenDeps {
				if !strings.HasPrefix(d, bad) {
					continue
				}
				t.Errorf("cmd/%s links %s", c.name, d)
			}
		}
	}
}

func BenchmarkResourceGet(b *testing.B) {
	f := newFake()
	args := []string{"-O", "EXTENSION", "-R", "web-rs", "-G", "web-rg", "Probe_timeout"}
	var out, errb bytes.Buffer
	for b.Loop() {
		out.Reset()
		if Run(f, "scha_resource_get", args, &out, &errb) != 0 {
			b.Fatal(errb.String())
		}
	}
}
