package admcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// fake stands in for rgmd: it records each call, with its arguments as
// JSON (what would go on the wire), and answers from canned replies.
type fake struct {
	calls   []sent
	replies map[string]any   // op → reply data
	errs    map[string]error // op → error to return
}

type sent struct {
	op   string
	args string // JSON of the args, "" for none
}

func (f *fake) Call(_ context.Context, op string, args, out any) error {
	s := sent{op: op}
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return err
		}
		s.args = string(b)
	}
	f.calls = append(f.calls, s)
	if err := f.errs[op]; err != nil {
		return err
	}
	if r, ok := f.replies[op]; ok && out != nil {
		// Round-trip through JSON as the real client does.
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, out)
	}
	return nil
}

type result struct {
	code           int
	stdout, stderr string
	sockets        []string // what Connect was asked for
}

func runWith(t *testing.T, f *fake, env Env, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	var r result
	env.Stdout, env.Stderr = &out, &errb
	env.Connect = func(socket string) Caller {
		r.sockets = append(r.sockets, socket)
		return f
	}
	r.code = Run(context.Background(), &env, args...)
	r.stdout, r.stderr = out.String(), errb.String()
	return r
}

func run(t *testing.T, f *fake, args ...string) result {
	t.Helper()
	return runWith(t, f, Env{}, args...)
}

func tty(t *testing.T, f *fake, args ...string) result {
	t.Helper()
	return runWith(t, f, Env{IsTTY: true}, args...)
}

func TestSends(t *testing.T) {
	tests := []struct {
		args []string
		op   string
		json string
	}{
		{[]string{"rt", "unregister", "ACME.web"}, wire.OpRTUnregister, `{"name":"ACME.web"}`},
		{[]string{"rt", "list"}, wire.OpRTList, ""},
		{[]string{"rt", "show", "ACME.web"}, wire.OpRTShow, `{"name":"ACME.web"}`},
		{[]string{"resourcetype", "show", "ACME.web"}, wire.OpRTShow, `{"name":"ACME.web"}`},

		{[]string{"rg", "create", "rg1"}, wire.OpRGCreate, `{"name":"rg1"}`},
		{[]string{"rg", "create", "rg1", "-p", "Pingpong_interval=600", "-p", "Nodelist=n1,n2"}, wire.OpRGCreate,
			`{"name":"rg1","props":{"Nodelist":"n1,n2","Pingpong_interval":"600"}}`},
		{[]string{"rg", "create", "-p", "Pingpong_interval=600", "rg1"}, wire.OpRGCreate,
			`{"name":"rg1","props":{"Pingpong_interval":"600"}}`},
		{[]string{"rg", "create", "rg1", "--property=Desc=a=b"}, wire.OpRGCreate, `{"name":"rg1","props":{"Desc":"a=b"}}`},
		{[]string{"rg", "create", "rg1", "-p", "Desc="}, wire.OpRGCreate, `{"name":"rg1","props":{"Desc":""}}`},
		{[]string{"rg", "delete", "rg1"}, wire.OpRGDelete, `{"name":"rg1"}`},
		{[]string{"rg", "set", "rg1", "-p", "Pingpong_interval=60"}, wire.OpRGSet, `{"name":"rg1","props":{"Pingpong_interval":"60"}}`},
		{[]string{"rg", "list"}, wire.OpRGList, ""},
		{[]string{"rg", "show", "rg1"}, wire.OpRGShow, `{"name":"rg1"}`},
		{[]string{"resourcegroup", "delete", "rg1"}, wire.OpRGDelete, `{"name":"rg1"}`},

		{[]string{"rs", "create", "web", "-g", "rg1", "-t", "ACME.web"}, wire.OpRSCreate,
			`{"name":"web","group":"rg1","type":"ACME.web"}`},
		{[]string{"rs", "create", "web", "-g", "rg1", "-t", "ACME.web", "-x", "Port=8080", "-p", "Resource_dependencies=db"}, wire.OpRSCreate,
			`{"name":"web","group":"rg1","type":"ACME.web","props":{"Resource_dependencies":"db"},"ext":{"Port":"8080"}}`},
		{[]string{"rs", "create", "--group=rg1", "--type=ACME.web", "--extension", "Port=8080", "web"}, wire.OpRSCreate,
			`{"name":"web","group":"rg1","type":"ACME.web","ext":{"Port":"8080"}}`},
		{[]string{"rs", "delete", "web"}, wire.OpRSDelete, `{"name":"web"}`},
		{[]string{"rs", "set", "web", "-x", "Port=8081"}, wire.OpRSSet, `{"name":"web","ext":{"Port":"8081"}}`},
		{[]string{"rs", "set", "web", "-p", "Retry_count=3"}, wire.OpRSSet, `{"name":"web","props":{"Retry_count":"3"}}`},
		{[]string{"rs", "list"}, wire.OpRSList, ""},
		{[]string{"rs", "show", "web"}, wire.OpRSShow, `{"name":"web"}`},
		{[]string{"resource", "show", "web"}, wire.OpRSShow, `{"name":"web"}`},

		{[]string{"status"}, wire.OpStatus, ""},
		{[]string{"status", "-o", "json"}, wire.OpStatus, ""},
		{[]string{"-o", "json", "rg", "list"}, wire.OpRGList, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := &fake{}
			r := run(t, f, tt.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			want := []sent{{tt.op, tt.json}}
			if len(f.calls) != 1 || f.calls[0] != want[0] {
				t.Errorf("sent %+v, want %+v", f.calls, want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the stderr line
	}{
		{nil, "missing object; known objects: rt, rg, rs, status"},
		{[]string{"frob"}, `unknown object "frob"`},
		{[]string{"rg"}, "rg: missing verb; known verbs: create, delete, set, list, show, manage, unmanage, online, offline, switch, remaster, quiesce, restart, suspend, resume"},
		{[]string{"rg", "frob", "rg1"}, `rg: unknown verb "frob"; known verbs: create, delete, set, list, show, manage, unmanage, online, offline, switch, remaster, quiesce, restart, suspend, resume`},
		{[]string{"rs", "frob", "web"}, `rs: unknown verb "frob"; known verbs: create, delete, set, list, show, enable, disable, monitor, unmonitor, clear`},
		{[]string{"rg", "switch", "rg1"}, "rg switch: missing -n NODE"},
		{[]string{"rg", "online"}, "rg online: missing NAME"},
		{[]string{"rt", "register"}, "rt register: missing FILE"},
		{[]string{"rt", "show"}, "rt show: missing NAME"},
		{[]string{"rg", "delete"}, "rg delete: missing NAME"},
		{[]string{"rs", "show"}, "rs show: missing NAME"},
		{[]string{"rg", "create", "a", "b"}, `rg create: unexpected argument "b"`},
		{[]string{"rg", "list", "x"}, `rg list: unexpected argument "x"`},
		{[]string{"status", "x"}, `status: unexpected argument "x"`},
		{[]string{"rg", "create", "rg1", "-p", "Pingpong_interval"}, `-p "Pingpong_interval": want PROPERTY=VALUE`},
		{[]string{"rg", "create", "rg1", "-p", "=5"}, `-p "=5": empty property name`},
		{[]string{"rg", "create", "rg1", "-p", "A=1", "-p", "a=2"}, `-p: property a given twice ("A=1" and "a=2")`},
		{[]string{"rg", "create", "rg1", "-p"}, "flag needs an argument"},
		{[]string{"rg", "create", "rg1", "-x", "A=1"}, "unknown shorthand flag: 'x'"},
		{[]string{"rg", "set", "rg1"}, "rg set: nothing to set"},
		{[]string{"rs", "set", "web"}, "rs set: nothing to set"},
		{[]string{"rs", "set", "web", "-x", "Port"}, `-x "Port": want PROPERTY=VALUE`},
		{[]string{"rs", "set", "web", "-x", "Port=1", "-x", "port=2"}, "-x: property port given twice"},
		{[]string{"rs", "create", "web", "-t", "T"}, "rs create: missing -g GROUP"},
		{[]string{"rs", "create", "web", "-g", "rg1"}, "rs create: missing -t TYPE"},
		{[]string{"rs", "create", "web", "-g", "rg1", "-t", "T", "-x", "Port"}, `-x "Port"`},
		{[]string{"rg", "list", "-o", "yaml"}, `rg list: -o "yaml": want table or json`},
		{[]string{"-o", "json", "rg", "create", "rg1"}, "rg create: -o applies only to list, show and status"},
		{[]string{"rg", "create", "rg1", "-o", "json"}, "unknown shorthand flag: 'o'"},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"help", "rg", "frob"}, `unknown verb "frob"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := &fake{}
			r := run(t, f, tt.args...)
			if r.code != int(scha.ErrInval) {
				t.Errorf("exit %d, want 3", r.code)
			}
			if !strings.HasPrefix(r.stderr, "rgmadm: invalid input argument: ") || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", r.stderr, tt.want)
			}
			if strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if len(f.calls) != 0 || len(r.sockets) != 0 {
				t.Errorf("a usage error reached the daemon: %+v", f.calls)
			}
		})
	}
}

func TestRTRegister(t *testing.T) {
	dir := t.TempDir()
	text := "RESOURCE_TYPE = \"web\";\nVENDOR_ID = ACME;\n"
	if err := os.WriteFile(filepath.Join(dir, "web.rtr"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // a relative FILE must reach rgmd as an absolute path

	f := &fake{replies: map[string]any{wire.OpRTRegister: model.ResourceType{Name: "ACME.web"}}}
	r := run(t, f, "rt", "register", "web.rtr")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(f.calls) != 1 || f.calls[0].op != wire.OpRTRegister {
		t.Fatalf("calls %+v", f.calls)
	}
	var got wire.RTRegisterArgs
	if err := json.Unmarshal([]byte(f.calls[0].args), &got); err != nil {
		t.Fatal(err)
	}
	// t.Chdir resolves symlinks in neither direction, so compare files.
	if !filepath.IsAbs(got.Path) || filepath.Base(got.Path) != "web.rtr" {
		t.Errorf("Path %q, want an absolute path to web.rtr", got.Path)
	}
	if b, err := os.ReadFile(got.Path); err != nil || string(b) != text {
		t.Errorf("Path %q does not name the file: %v", got.Path, err)
	}
	if got.Text != text {
		t.Errorf("Text %q, want %q", got.Text, text)
	}
	if r.stdout != "ACME.web\n" {
		t.Errorf("stdout %q, want the registered name", r.stdout)
	}
}

func TestRTRegisterUnreadable(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.rtr"), "cannot read RTR file " + filepath.Join(dir, "missing.rtr") + ": no such file or directory"},
		{dir, "is a directory"},
	} {
		f := &fake{}
		r := run(t, f, "rt", "register", tt.file)
		if r.code != int(scha.ErrInval) {
			t.Errorf("%s: exit %d, want 3", tt.file, r.code)
		}
		if !strings.HasPrefix(r.stderr, "rgmadm: invalid input argument: ") || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: stderr %q, want %q", tt.file, r.stderr, tt.want)
		}
		if len(f.calls) != 0 {
			t.Errorf("%s: sent %+v", tt.file, f.calls)
		}
	}
}

func TestDaemonErrors(t *testing.T) {
	tests := []struct {
		args   []string
		op     string
		err    error
		code   int
		stderr string
	}{
		{[]string{"rg", "delete", "rg1"}, wire.OpRGDelete, scha.Errorf(scha.ErrRG, "resource group rg1 does not exist"),
			12, "rgmadm: invalid resource group: resource group rg1 does not exist\n"},
		{[]string{"rs", "show", "web"}, wire.OpRSShow, scha.Errorf(scha.ErrRsrc, "no resource web"),
			14, "rgmadm: invalid resource: no resource web\n"},
		{[]string{"rg", "list"}, wire.OpRGList, &scha.Error{Code: scha.ErrAccess},
			6, "rgmadm: permission denied\n"},
		{[]string{"status"}, wire.OpStatus, scha.Errorf(scha.ErrInternal, "cannot connect to rgmd at /x.sock: no such file or directory"),
			18, "rgmadm: internal error was encountered: cannot connect to rgmd at /x.sock: no such file or directory\n"},
		// Several problems from the daemon still make one line.
		{[]string{"rg", "create", "rg1"}, wire.OpRGCreate, scha.Errorf(scha.ErrProp, "bad A\nbad B\n"),
			15, "rgmadm: invalid property: bad A; bad B\n"},
		// An error without a code is an internal one.
		{[]string{"rt", "list"}, wire.OpRTList, errors.New("boom"),
			18, "rgmadm: internal error was encountered: boom\n"},
		{[]string{"rg", "create", "rg1"}, wire.OpRGCreate, scha.Errorf(scha.ErrTimeout, "rgmd did not answer"),
			19, "rgmadm: operation timed out: rgmd did not answer\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := &fake{errs: map[string]error{tt.op: tt.err}}
			r := run(t, f, tt.args...)
			if r.code != tt.code || r.stderr != tt.stderr {
				t.Errorf("exit %d, stderr %q; want %d, %q", r.code, r.stderr, tt.code, tt.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
}

func TestSocket(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"rg", "list"}, ""},
		{[]string{"--socket", "/tmp/a.sock", "rg", "list"}, "/tmp/a.sock"},
		{[]string{"rg", "list", "--socket=/tmp/b.sock"}, "/tmp/b.sock"},
		{[]string{"rg", "delete", "--socket", "/tmp/c.sock", "rg1"}, "/tmp/c.sock"},
		{[]string{"--socket", "/tmp/a.sock", "status", "--socket", "/tmp/d.sock"}, "/tmp/d.sock"},
	} {
		r := run(t, &fake{}, tt.args...)
		if r.code != 0 || len(r.sockets) != 1 || r.sockets[0] != tt.want {
			t.Errorf("%q: exit %d, connected to %q, want %q", tt.args, r.code, r.sockets, tt.want)
		}
	}
}

// replies is a small cluster as the daemon would describe it.
func replies() map[string]any {
	rt := model.ResourceType{
		Name:  "ACME.web:1.0",
		Props: map[string]string{"RT_version": "1.0", "Failover": "TRUE", "Resource_list": "", "API_version": "2"},
		Params: []model.PropDecl{
			{Name: "Port", Type: model.TypeInt, Extension: true, Default: ptr("80"), Tunable: model.TunableAnytime},
			{Name: "Start_timeout", Type: model.TypeInt, Default: ptr("300"), Tunable: model.TunableAnytime},
		},
	}
	rg := model.ResourceGroup{
		Name:  "rg1",
		Props: map[string]string{"RG_mode": "Failover", "Nodelist": "n1,n2", "Pingpong_interval": "600"},
		Nodes: map[string]*model.RGNode{"n1": {State: "ONLINE"}, "n2": {State: "OFFLINE"}},
	}
	rs := model.Resource{
		Name: "web", Group: "rg1", Type: "ACME.web:1.0",
		Props: map[string]string{"Retry_count": "2", "Resource_dependencies": ""},
		Ext:   map[string]string{"Port": "8080", "Docroot": "/srv/www"},
		Nodes: map[string]*model.RNode{"n1": {State: "START_FAILED", Status: "FAULTED", StatusMsg: "bind: address in use", OnOff: "ENABLED", Monitored: "ENABLED"}},
	}
	return map[string]any{
		wire.OpPing:   wire.PingReply{Node: "n1", Cluster: "c1"},
		wire.OpRTList: []model.ResourceType{rt},
		wire.OpRTShow: rt,
		wire.OpRGList: []model.ResourceGroup{rg, {Name: "rg0", Props: map[string]string{"RG_mode": "Scalable", "Nodelist": "n1"}, Nodes: map[string]*model.RGNode{"n1": {State: "PENDING_ONLINE"}}}},
		wire.OpRGShow: rg,
		wire.OpRSList: []model.Resource{rs},
		wire.OpRSShow: rs,
		wire.OpStatus: wire.StatusReply{Cluster: "c1", Node: "n1", Nodes: []wire.Node{{Name: "n1", ID: 1}},
			Groups: []wire.GroupStatus{{Name: "rg1", State: "ONLINE", Resources: []wire.ResourceStatus{
				{Name: "web", Type: "ACME.web:1.0", State: "ONLINE", Status: "OK", StatusMsg: "serving"},
				{Name: "db", Type: "ACME.db", State: "STOP_FAILED", Status: "FAULTED"},
			}}}},
	}
}

func ptr(s string) *string { return &s }

var readCommands = [][]string{
	{"rt", "list"}, {"rt", "show", "ACME.web:1.0"},
	{"rg", "list"}, {"rg", "show", "rg1"},
	{"rs", "list"}, {"rs", "show", "web"},
	{"status"},
}

func TestJSON(t *testing.T) {
	for _, args := range readCommands {
		for _, isTTY := range []bool{false, true} {
			f := &fake{replies: replies()}
			r := runWith(t, f, Env{IsTTY: isTTY}, append(args, "-o", "json")...)
			if r.code != 0 {
				t.Fatalf("%q: exit %d: %s", args, r.code, r.stderr)
			}
			if !json.Valid([]byte(r.stdout)) {
				t.Errorf("%q: invalid JSON:\n%s", args, r.stdout)
			}
			if strings.Contains(r.stdout, "\x1b") {
				t.Errorf("%q (tty %v): escape in JSON", args, isTTY)
			}
			if len(f.calls) != 1 {
				t.Errorf("%q: JSON needs one call, made %+v", args, f.calls)
			}
		}
	}

	// Field names are those of the wire and model types.
	r := run(t, &fake{replies: replies()}, "rs", "show", "web", "-o", "json")
	var got model.Resource
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Ext["Port"] != "8080" || got.Nodes["n1"].Status != "FAULTED" {
		t.Errorf("rs show -o json did not round-trip: %v\n%s", err, r.stdout)
	}
	if !strings.Contains(r.stdout, `"status_msg": "bind: address in use"`) {
		t.Errorf("rs show -o json lacks model field names:\n%s", r.stdout)
	}

	// An empty list is [] so scripts can iterate without a special case.
	r = run(t, &fake{}, "rg", "list", "-o", "json")
	if r.stdout != "[]\n" {
		t.Errorf("empty rg list -o json = %q, want []", r.stdout)
	}
}

func TestList(t *testing.T) {
	// Off a terminal: bare names, sorted, and no ping needed.
	f := &fake{replies: replies()}
	r := run(t, f, "rg", "list")
	if r.stdout != "rg0\nrg1\n" {
		t.Errorf("rg list (no tty) = %q", r.stdout)
	}
	if len(f.calls) != 1 {
		t.Errorf("plain list made %d calls", len(f.calls))
	}
	for _, tt := range []struct{ obj, want string }{{"rt", "ACME.web:1.0\n"}, {"rs", "web\n"}} {
		if r := run(t, &fake{replies: replies()}, tt.obj, "list"); r.stdout != tt.want {
			t.Errorf("%s list (no tty) = %q, want %q", tt.obj, r.stdout, tt.want)
		}
	}

	// -o table asks for the table anyway, still without colour.
	r = run(t, &fake{replies: replies()}, "rg", "list", "-o", "table")
	want := "" +
		"NAME  MODE      STATE           NODELIST\n" +
		"rg0   Scalable  PENDING_ONLINE  n1\n" +
		"rg1   Failover  ONLINE          n1,n2\n"
	if r.stdout != want {
		t.Errorf("rg list -o table =\n%s\nwant\n%s", r.stdout, want)
	}

	// On a terminal: the table, with states coloured.
	r = tty(t, &fake{replies: replies()}, "rg", "list")
	wantTTY := "" +
		"NAME  MODE      STATE           NODELIST\n" +
		"rg0   Scalable  " + sgrYellow + "PENDING_ONLINE" + sgrReset + "  n1\n" +
		"rg1   Failover  " + sgrGreen + "ONLINE" + sgrReset + "          n1,n2\n"
	if r.stdout != wantTTY {
		t.Errorf("rg list (tty) = %q\nwant %q", r.stdout, wantTTY)
	}

	r = runWith(t, &fake{replies: replies()}, Env{IsTTY: true, NoColor: true}, "rg", "list")
	if r.stdout != want {
		t.Errorf("rg list (tty, NO_COLOR) =\n%s", r.stdout)
	}

	r = run(t, &fake{replies: replies()}, "rt", "list", "-o", "table")
	want = "" +
		"NAME          RT_VERSION  FAILOVER  RESOURCES\n" +
		"ACME.web:1.0  1.0         TRUE      1\n"
	if r.stdout != want {
		t.Errorf("rt list -o table =\n%s", r.stdout)
	}

	r = tty(t, &fake{replies: replies()}, "rs", "list")
	want = "" +
		"NAME  GROUP  TYPE          STATE\n" +
		"web   rg1    ACME.web:1.0  " + sgrRed + "START_FAILED" + sgrReset + "\n"
	if r.stdout != want {
		t.Errorf("rs list (tty) = %q", r.stdout)
	}

	// The table's STATE is the local node's, which needs ping.
	f = &fake{replies: replies(), errs: map[string]error{wire.OpPing: scha.Errorf(scha.ErrInternal, "no ping")}}
	if r := tty(t, f, "rs", "list"); r.code != 18 {
		t.Errorf("rs list with failing ping: exit %d", r.code)
	}
}

// TestTTYOnlyColours checks that show and status print the same text on a
// terminal and off one, apart from the escapes.
func TestTTYOnlyColours(t *testing.T) {
	for _, args := range readCommands {
		plain := run(t, &fake{replies: replies()}, args...)
		if plain.code != 0 {
			t.Fatalf("%q: exit %d: %s", args, plain.code, plain.stderr)
		}
		if strings.Contains(plain.stdout, "\x1b") {
			t.Errorf("%q: escape sequence off a terminal:\n%q", args, plain.stdout)
		}
		for _, line := range strings.Split(plain.stdout, "\n") {
			if strings.TrimRight(line, " ") != line {
				t.Errorf("%q: trailing space in %q", args, line)
			}
		}
		if args[len(args)-1] == "list" {
			continue // list is a table only on a terminal
		}
		colour := tty(t, &fake{replies: replies()}, args...)
		stripped := strings.NewReplacer(sgrRed, "", sgrGreen, "", sgrYellow, "", sgrReset, "").Replace(colour.stdout)
		if stripped != plain.stdout {
			t.Errorf("%q: terminal output differs beyond colour:\n%s\nvs\n%s", args, colour.stdout, plain.stdout)
		}
	}
}

func TestShow(t *testing.T) {
	r := run(t, &fake{replies: replies()}, "rs", "show", "web")
	want := "" +
		"Name                   web\n" +
		"Group                  rg1\n" +
		"Type                   ACME.web:1.0\n" +
		"Resource_dependencies\n" +
		"Retry_count            2\n" +
		"\n" +
		"Extension properties:\n" +
		"Docroot                /srv/www\n" +
		"Port                   8080\n" +
		"\n" +
		"NODE  STATE         STATUS   ENABLED  MONITORED  MESSAGE\n" +
		"n1    START_FAILED  FAULTED  ENABLED  ENABLED    bind: address in use\n"
	if r.stdout != want {
		t.Errorf("rs show =\n%s\nwant\n%s", r.stdout, want)
	}

	r = run(t, &fake{replies: replies()}, "rg", "show", "rg1")
	want = "" +
		"Name               rg1\n" +
		"Nodelist           n1,n2\n" +
		"Pingpong_interval  600\n" +
		"RG_mode            Failover\n" +
		"\n" +
		"NODE  STATE\n" +
		"n1    ONLINE\n" +
		"n2    OFFLINE\n"
	if r.stdout != want {
		t.Errorf("rg show =\n%s\nwant\n%s", r.stdout, want)
	}

	r = run(t, &fake{replies: replies()}, "rt", "show", "ACME.web:1.0")
	want = "" +
		"Name           ACME.web:1.0\n" +
		"API_version    2\n" +
		"Failover       TRUE\n" +
		"Resource_list\n" +
		"RT_version     1.0\n" +
		"\n" +
		"Resource properties declared by the type:\n" +
		"PROPERTY       TYPE  KIND       TUNABLE  DEFAULT\n" +
		"Port           INT   extension  ANYTIME  \"80\"\n" +
		"Start_timeout  INT   standard   ANYTIME  \"300\"\n"
	if r.stdout != want {
		t.Errorf("rt show =\n%s\nwant\n%s", r.stdout, want)
	}
}

func TestStatus(t *testing.T) {
	r := run(t, &fake{replies: replies()}, "status")
	want := "" +
		"Node n1 in cluster c1\n" +
		"\n" +
		"GROUP/RESOURCE  STATE        DESIRED  STATUS   MESSAGE\n" +
		"rg1             ONLINE       -\n" +
		"  db            STOP_FAILED  -        FAULTED\n" +
		"  web           ONLINE       -        OK       serving\n"
	if r.stdout != want {
		t.Errorf("status =\n%s\nwant\n%s", r.stdout, want)
	}
	r = tty(t, &fake{replies: replies()}, "status")
	if !strings.Contains(r.stdout, sgrRed+"STOP_FAILED"+sgrReset) || !strings.Contains(r.stdout, sgrGreen+"OK"+sgrReset) {
		t.Errorf("status on a terminal is not coloured: %q", r.stdout)
	}
}

// TestStatusCluster: on a cluster, each group and each resource says
// where else it is not OFFLINE, on the nodes of the group's Nodelist: a
// resource that failed on another node shows.
func TestStatusCluster(t *testing.T) {
	rep := replies()
	rep[wire.OpStatus] = wire.StatusReply{Cluster: "c1", Node: "n1",
		Nodes: []wire.Node{{Name: "n1", ID: 1, State: "UP"}, {Name: "n2", ID: 2, State: "UP"}, {Name: "n3", ID: 3, State: "UP"}},
		Groups: []wire.GroupStatus{
			{Name: "web-rg", State: "OFFLINE", Desired: "OFFLINE", Nodes: map[string]string{"n1": "OFFLINE", "n2": "ONLINE", "n3": "OFFLINE"},
				Resources: []wire.ResourceStatus{
					{Name: "web-rs", State: "OFFLINE", Desired: "OFFLINE", Status: "OFFLINE"},
					{Name: "app-rs", State: "OFFLINE", Desired: "OFFLINE", Status: "OFFLINE"},
				}},
			{Name: "db-rg", State: "ONLINE", Desired: "ONLINE", Nodes: map[string]string{"n1": "ONLINE", "n2": "OFFLINE"},
				Resources: []wire.ResourceStatus{{Name: "db-rs", State: "ONLINE", Desired: "ONLINE", Status: "OK", StatusMsg: "serving"}}},
		}}
	rep[wire.OpRSList] = []model.Resource{
		{Name: "web-rs", Group: "web-rg", Nodes: map[string]*model.RNode{
			"n1": {State: "OFFLINE", Status: "OFFLINE"}, "n2": {State: "ONLINE", Status: "OK"}, "n3": {State: "START_FAILED", Status: "FAULTED"}}},
		{Name: "app-rs", Group: "web-rg", Nodes: map[string]*model.RNode{
			"n1": {State: "OFFLINE", Status: "OFFLINE"}, "n2": {State: "ONLINE_NOT_MONITORED"}, "n3": {State: "OFFLINE", Status: "OFFLINE"}}},
		{Name: "db-rs", Group: "db-rg", Nodes: map[string]*model.RNode{
			"n1": {State: "ONLINE", Status: "OK"}, "n2": {State: "OFFLINE", Status: "OFFLINE"}, "n3": {State: "STOP_FAILED", Status: "FAULTED"}}}, // n3: not in db-rg's Nodelist
	}
	r := run(t, &fake{replies: rep}, "status")
	want := "" +
		"Node n1 in cluster c1\n" +
		"\n" +
		"NODE  ID  STATE\n" +
		"n1    1   UP\n" +
		"n2    2   UP\n" +
		"n3    3   UP\n" +
		"\n" +
		"GROUP/RESOURCE  STATE    DESIRED  STATUS   MESSAGE  ELSEWHERE\n" +
		"db-rg           ONLINE   ONLINE                     -\n" +
		"  db-rs         ONLINE   ONLINE   OK       serving  -\n" +
		"web-rg          OFFLINE  OFFLINE                    n2 ONLINE\n" +
		"  app-rs        OFFLINE  OFFLINE  OFFLINE           n2 ONLINE_NOT_MONITORED\n" +
		"  web-rs        OFFLINE  OFFLINE  OFFLINE           n2 ONLINE (OK), n3 START_FAILED (FAULTED)\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("status: exit %d\n%s\nwant\n%s%s", r.code, r.stdout, want, r.stderr)
	}
}

func TestHelp(t *testing.T) {
	check := func(args ...string) string {
		t.Helper()
		f := &fake{}
		r := run(t, f, args...)
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "Usage: rgmadm") {
			t.Errorf("%q: exit %d, stderr %q, stdout %q", args, r.code, r.stderr, r.stdout)
		}
		if len(r.sockets) != 0 {
			t.Errorf("%q: help connected to rgmd", args)
		}
		return r.stdout
	}
	top := check("--help")
	check("-h")
	check("help")
	for _, o := range objects {
		names := append([]string{o.name}, o.aliases...)
		for _, n := range names {
			if !strings.Contains(top, n) {
				t.Errorf("top help lacks %s", n)
			}
		}
		if o.self != nil {
			check(o.name, "-h")
			check("help", o.name)
			continue
		}
		oh := check(o.name, "--help")
		check("help", o.name)
		for _, v := range o.verbs {
			if v.run == nil || v.summary == "" {
				t.Errorf("%s %s: no run or summary", o.name, v.name)
			}
			if !strings.Contains(oh, "rgmadm "+o.name+" "+v.name) {
				t.Errorf("%s help lacks %s", o.name, v.name)
			}
			vh := check(o.name, v.name, "-h")
			if vh != check("help", o.name, v.name) {
				t.Errorf("%s %s: -h and help differ", o.name, v.name)
			}
			if v.read != strings.Contains(vh, "--output") {
				t.Errorf("%s %s: -o offered = %v, want %v", o.name, v.name, !v.read, v.read)
			}
		}
	}
	if !strings.Contains(check("rs", "create", "--help"), "--extension PROP=VALUE") {
		t.Error("rs create help lacks -x")
	}
}

func TestVersion(t *testing.T) {
	r := run(t, &fake{}, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "rgmadm (OpenRGM) ") || !strings.HasSuffix(r.stdout, ", protocol 1\n") {
		t.Errorf("--version: exit %d, %q", r.code, r.stdout)
	}
}

func TestMutationsAreQuiet(t *testing.T) {
	for _, args := range [][]string{
		{"rg", "create", "rg1"}, {"rg", "set", "rg1", "-p", "A=1"}, {"rg", "delete", "rg1"},
		{"rs", "create", "web", "-g", "rg1", "-t", "T"}, {"rs", "set", "web", "-x", "Port=1"}, {"rs", "delete", "web"},
		{"rt", "unregister", "T"},
	} {
		if r := run(t, &fake{replies: replies()}, args...); r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

// TestManPage keeps rgmadm(8) in step with the grammar: every object,
// alias, verb and flag must appear in it.
func TestManPage(t *testing.T) {
	b, err := os.ReadFile("../../man/man8/rgmadm.8")
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ReplaceAll(string(b), `\-`, "-")
	var words []string
	for _, o := range objects {
		words = append(words, o.name)
		words = append(words, o.aliases...)
		verbs := o.verbs
		if o.self != nil {
			verbs = []*verb{o.self}
		}
		for _, v := range verbs {
			words = append(words, v.name)
			var op opts
			fs := verbFlags(o.name, v, &op)
			fs.VisitAll(func(fl *pflag.Flag) {
				words = append(words, "--"+fl.Name)
				if fl.Shorthand != "" {
					words = append(words, "-"+fl.Shorthand)
				}
			})
		}
	}
	words = append(words, "--version", "RGM_SOCKET", "NO_COLOR")
	for _, w := range words {
		if !strings.Contains(page, w) {
			t.Errorf("rgmadm.8 does not mention %s", w)
		}
	}
	for code := scha.ErrNoErr; code <= scha.MaxErrCode; code++ {
		if !strings.Contains(page, code.Symbol()) {
			t.Errorf("rgmadm.8 does not list %s", code.Symbol())
		}
	}
}
