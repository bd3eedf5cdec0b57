package pmf

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// fakeCaller records requests and answers with err.
type fakeCaller struct {
	op   string
	args string
	err  error
	data any
}

func (f *fakeCaller) Call(_ context.Context, op string, args any, out any) error {
	if op == wire.OpPing {
		b, _ := json.Marshal(wire.PingReply{Node: "node1"})
		return json.Unmarshal(b, out)
	}
	f.op = op
	b, _ := json.Marshal(args)
	f.args = string(b)
	if f.data != nil && out != nil {
		b, _ := json.Marshal(f.data)
		json.Unmarshal(b, out)
	}
	return f.err
}

func TestParseAndCall(t *testing.T) {
	t.Setenv("PATH", "/bin")
	t.Setenv("RGM_SOCKET", "/s")
	for _, tc := range []struct {
		args string
		op   string
		want []string // substrings of the JSON arguments
	}{
		{"-c web sleep 10", wire.OpPMFStart, []string{`"tag":"web"`, `"argv":["sleep","10"]`, `"retries":0`, `"period_ms":-1`, `"level":-1`, `"env":["PATH=/bin","RGM_SOCKET=/s"]`}},
		{"-c web -n 3 -t 2 -C 1 -a /bin/act -e A=1 -e PATH=/x cmd -n 9", wire.OpPMFStart, []string{`"argv":["cmd","-n","9"]`, `"retries":3`, `"period_ms":120000`, `"level":1`, `"action":"/bin/act"`, `"env":["PATH=/x","RGM_SOCKET=/s","A=1"]`}},
		{"-c web -t 30s -n -1 cmd", wire.OpPMFStart, []string{`"period_ms":30000`, `"retries":-1`}},
		{"-c web -t -1 -E cmd", wire.OpPMFStart, []string{`"period_ms":-1`, `"PATH=/bin"`}},
		{"-c web -t 1.5h cmd", wire.OpPMFStart, []string{`"period_ms":5400000`}},
		{"-k web", wire.OpPMFStop, []string{`"kill":true`}},
		{"-k web -w 2.5 KILL", wire.OpPMFStop, []string{`"kill":true`, `"signal":9`, `"wait_ms":2500`}},
		{"-s web", wire.OpPMFStop, []string{`{"tag":"web"}`}},
		{"-s web sigusr1", wire.OpPMFStop, []string{`"signal":10`}},
		{"-m web -n 5", wire.OpPMFModify, []string{`"retries":5`}},
		{"-m web -t 10", wire.OpPMFModify, []string{`"period_ms":600000`}},
		{"-l web", wire.OpPMFShow, []string{`"tag":"web"`}},
		{"-l web -h node1", wire.OpPMFShow, []string{`"tag":"web"`}},
		{"-q web -h localhost", wire.OpPMFShow, []string{`"tag":"web"`}},
		{"-L", wire.OpPMFList, nil},
	} {
		f := &fakeCaller{}
		var out, errb bytes.Buffer
		if code := Run(f, strings.Fields(tc.args), &out, &errb); code != 0 {
			t.Errorf("%s: exit %d: %s", tc.args, code, errb.String())
			continue
		}
		if f.op != tc.op {
			t.Errorf("%s: op %q, want %q", tc.args, f.op, tc.op)
		}
		for _, w := range tc.want {
			if !strings.Contains(f.args, w) {
				t.Errorf("%s: args %s lack %s", tc.args, f.args, w)
			}
		}
	}
}

// The node's fence tag reaches the command without -E: the fencing
// guard finds the process monitor's trees by it.
func TestFenceTagKept(t *testing.T) {
	t.Setenv("PATH", "/bin")
	t.Setenv("RGM_SOCKET", "/s")
	t.Setenv("RGM_FENCE_TAG", "n1-x")
	f := &fakeCaller{}
	var out, errb bytes.Buffer
	if code := Run(f, strings.Fields("-c web sleep 10"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(f.args, `"env":["PATH=/bin","RGM_SOCKET=/s","RGM_FENCE_TAG=n1-x"]`) {
		t.Fatalf("args %s", f.args)
	}
}

func TestBadUsage(t *testing.T) {
	for _, args := range []string{
		"", "-c", "-c web", "-c web -k web cmd", "-k web -n 2", "-s web TERM extra", "-s web NOSIG",
		"-m web", "-m web -a x", "-l web extra", "-L extra", "-q web -w 3", "-c web -e A=1 -E cmd",
		"-c web -e novalue cmd", "-c web -n -2 cmd", "-c web -n x cmd", "-c web -t 0 cmd", "-c web -t 5d cmd",
		"-c web -C -1 cmd", "-k web -w 0", "-k web -w x", "-c web -n 1 -n 2 cmd", "-z", "-l web -h other",
	} {
		f := &fakeCaller{}
		var out, errb bytes.Buffer
		if code := Run(f, strings.Fields(args), &out, &errb); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, ExitUsage, errb.String())
		}
		if f.op != "" {
			t.Errorf("%q: called %s", args, f.op)
		}
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args string
		err  error
		want int
	}{
		{"-q web", scha.Errorf(scha.ErrTag, "no such nametag"), ExitNoTag},
		{"-k web", scha.Errorf(scha.ErrTag, "no such nametag"), ExitNoTag},
		{"-c web x", scha.Errorf(scha.ErrState, "exists"), ExitNoTag},
		{"-s web KILL", scha.Errorf(scha.ErrAccess, "not yours"), ExitAccess},
		{"-s web -w 1", scha.Errorf(scha.ErrTimeout, "still there"), ExitTimeout},
		{"-c web x", scha.Errorf(scha.ErrMethod, "no such file"), ExitNoExec},
		{"-L", scha.Errorf(scha.ErrInternal, "unreachable"), ExitInternal},
	} {
		var out, errb bytes.Buffer
		if code := Run(&fakeCaller{err: tc.err}, strings.Fields(tc.args), &out, &errb); code != tc.want {
			t.Errorf("%s with %v: exit %d, want %d", tc.args, tc.err, code, tc.want)
		}
	}
}

func TestFormatInfo(t *testing.T) {
	in := &wire.PMFInfo{Tag: "web", UID: 1, GID: 2, State: "running", Argv: []string{"sh", "-c", "it's"}, Dir: "/",
		Retries: -1, PeriodMS: 90000, Level: 2, Failures: 1, Label: "web-rs", Pids: []int{10, 11}}
	want := "nametag: web\nowner: 1:2\nstate: running\ncommand: sh -c 'it'\\''s'\ndirectory: /\naction: none\n" +
		"retries: unlimited\nperiod: 90s\nfailures: 1\nmonitor children: 2\nresource: web-rs\npids: 10 11\n"
	if got := FormatInfo(in); got != want {
		t.Errorf("FormatInfo:\n%s\nwant:\n%s", got, want)
	}
	f := &fakeCaller{data: in}
	var out, errb bytes.Buffer
	if code := Run(f, []string{"-l", "web"}, &out, &errb); code != 0 || out.String() != want {
		t.Errorf("-l: exit %d, output:\n%s", code, out.String())
	}
	f = &fakeCaller{data: wire.PMFListReply{Tags: []string{"a", "b"}}}
	out.Reset()
	if code := Run(f, []string{"-L"}, &out, &errb); code != 0 || out.String() != "a\nb\n" {
		t.Errorf("-L: exit %d, output %q", code, out.String())
	}
}
