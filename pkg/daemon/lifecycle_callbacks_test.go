package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// TestLifecycleStopFailureWithDependent: rg offline --wait returns at once
// with the error when a Stop fails in a group whose other resource
// depends on the failed one, and nothing is left STOPPING.
func TestLifecycleStopFailureWithDependent(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := logType(t, d)
	d.MustRun("rgmadm", "rg", "create", "g1")
	d.MustRun("rgmadm", "rs", "create", "a", "-g", "g1", "-t", "logt")
	d.MustRun("rgmadm", "rs", "create", "b", "-g", "g1", "-t", "logt", "-p", "Resource_dependencies=a")
	d.MustRun("rgmadm", "rg", "manage", "g1")
	want := func(when, g1, a, b string) {
		t.Helper()
		if gg, ga, gb := stateOf(t, d, "g1"), stateOf(t, d, "a"), stateOf(t, d, "b"); gg != g1 || ga != a || gb != b {
			t.Errorf("%s: g1 %s, a %s, b %s; want %s, %s, %s", when, gg, ga, gb, g1, a, b)
		}
	}
	// rg offline and rg restart: the failure ends them at once; rs clear
	// then drives the group to what was asked.
	for _, tt := range []struct{ op, after string }{{"offline", "OFFLINE"}, {"restart", "ONLINE"}} {
		d.MustRun("rgmadm", "rg", "online", "g1", "--wait")
		touch(t, dir, "fail-Stop-a", "")
		r := d.Run("rgmadm", "rg", tt.op, "g1", "--wait", "--timeout", "10m")
		if r.Code != 9 || !strings.Contains(r.Stderr, "STOP_FAILED") {
			t.Errorf("%s with a failing Stop: exit %d, %s", tt.op, r.Code, r.Stderr)
		}
		want(tt.op+" with a failing Stop", "ERROR_STOP_FAILED", "STOP_FAILED", "OFFLINE")
		os.Remove(filepath.Join(dir, "fail-Stop-a"))
		d.MustRun("rgmadm", "rs", "clear", "a", "--wait")
		want("clear after "+tt.op, tt.after, tt.after, tt.after)
	}
}

// TestPerNodeExtension: -x 'Prop{node}=v' sets a node's own value of a
// PER_NODE extension property, EXTENSION_NODE and EXTENSION (on that
// node) return it, other nodes have the default, Validate gets it as
// -X Prop{nodeid}=v; a node that is not in the cluster is refused with
// SCHA_ERR_NODE and changes nothing.
func TestPerNodeExtension(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := t.TempDir()
	touch(t, dir, "validate", "#!/bin/sh\necho \"$*\" >>"+dir+"/validate.log\n")
	touch(t, dir, "start", "#!/bin/sh\nexit 0\n")
	for _, f := range []string{"validate", "start"} {
		if err := os.Chmod(filepath.Join(dir, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	touch(t, dir, "pn.rtr", `Resource_type = pn; Vendor_id = TEST; RT_version = "1"; RT_basedir = `+dir+`;
Start = start; Stop = start; Validate = validate;
{ PROPERTY = Level; EXTENSION; INT; PER_NODE; DEFAULT = 1; MIN = 0; TUNABLE = ANYTIME; }
{ PROPERTY = Port; EXTENSION; INT; DEFAULT = 80; TUNABLE = ANYTIME; }
`)
	d.MustRun("rgmadm", "rt", "register", filepath.Join(dir, "pn.rtr"))
	d.MustRun("rgmadm", "rg", "create", "g")
	node := strings.TrimSpace(d.MustRun("scha_cluster_get", "-O", "NODENAME_LOCAL"))
	d.MustRun("rgmadm", "rs", "create", "p", "-g", "g", "-t", "pn")
	ext := func(args ...string) string {
		return strings.TrimSpace(d.MustRun("scha_resource_get", append([]string{"-R", "p", "-G", "g"}, args...)...))
	}
	if got := ext("-O", "EXTENSION_NODE", "Level", node); got != "INT\n1" {
		t.Errorf("default: %q", got)
	}
	d.MustRun("rgmadm", "rs", "set", "p", "-x", "Level{"+node+"}=5")
	if got := ext("-O", "EXTENSION_NODE", "Level", node); got != "INT\n5" {
		t.Errorf("EXTENSION_NODE after set: %q", got)
	}
	if got := ext("-O", "EXTENSION", "Level"); got != "INT\n5" {
		t.Errorf("EXTENSION on the node: %q", got)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "validate.log"))
	if !strings.Contains(string(b), "-X Level{1}=5") {
		t.Errorf("Validate did not get -X Level{1}=5:\n%s", b)
	}
	for _, tt := range []struct {
		x    string
		code int
	}{
		{"Level{nosuchnode}=6", 11},
		{"Port{" + node + "}=81", 15},
		{"Level{" + node + "}=-1", 15},
		{"Level{}=2", 15},
	} {
		if r := d.Run("rgmadm", "rs", "set", "p", "-x", tt.x); r.Code != tt.code {
			t.Errorf("rs set -x %s: exit %d, want %d: %s", tt.x, r.Code, tt.code, r.Stderr)
		}
	}
	if got := ext("-O", "EXTENSION_NODE", "Level", node); got != "INT\n5" {
		t.Errorf("after refused sets: %q", got)
	}
	if show := d.MustRun("rgmadm", "rs", "show", "p"); !strings.Contains(show, "Level{"+node+"}") {
		t.Errorf("rs show does not list the node's value:\n%s", show)
	}
	// Without braces: every node's value.
	d.MustRun("rgmadm", "rs", "set", "p", "-x", "Level=3")
	if got := ext("-O", "EXTENSION_NODE", "Level", node); got != "INT\n3" {
		t.Errorf("after -x Level=3: %q", got)
	}
}

// TestTypeUpgrade: version 2 of a type registered beside version 1;
// rs set -p Type_version=2 is refused while the #$upgrade_from condition
// (WHEN_DISABLED) does not hold, refused when the new type's Validate
// refuses, and otherwise moves the resource to the new type, whose
// methods run from then on.
func TestTypeUpgrade(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := t.TempDir()
	for _, v := range []string{"1", "2"} {
		touch(t, dir, "m"+v, "#!/bin/sh\necho \"v"+v+" $(basename $0) $*\" >>"+dir+"/log\n[ -f "+dir+"/fail-v"+v+" ] && exit 1\nexit 0\n")
		if err := os.Chmod(filepath.Join(dir, "m"+v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rtr := func(v, extra string) string {
		p := filepath.Join(dir, "up"+v+".rtr")
		touch(t, dir, "up"+v+".rtr", `Resource_type = up; Vendor_id = TEST; RT_version = "`+v+`"; RT_basedir = `+dir+`;
Start = m`+v+`; Stop = m`+v+`; Validate = m`+v+`;
#$upgrade
`+extra+`
{ PROPERTY = Port; EXTENSION; INT; DEFAULT = 80; TUNABLE = ANYTIME; }
`)
		return p
	}
	d.MustRun("rgmadm", "rt", "register", rtr("1", ""))
	d.MustRun("rgmadm", "rt", "register", rtr("2", `#$upgrade_from "1" WHEN_DISABLED`))
	d.MustRun("rgmadm", "rg", "create", "g")
	d.MustRun("rgmadm", "rs", "create", "u", "-g", "g", "-t", "TEST.up:1", "-x", "Port=81")
	d.MustRun("rgmadm", "rg", "manage", "g", "--wait")
	d.MustRun("rgmadm", "rg", "online", "g", "--wait")
	get := func(optag string) string {
		return strings.TrimSpace(d.MustRun("scha_resource_get", "-O", optag, "-R", "u", "-G", "g"))
	}
	if r := d.Run("rgmadm", "rs", "set", "u", "-p", "Type_version=2"); r.Code != 15 || !strings.Contains(r.Stderr, "disabled") {
		t.Errorf("upgrade while enabled: exit %d, %s", r.Code, r.Stderr)
	}
	if r := d.Run("rgmadm", "rs", "set", "u", "-p", "Type_version=3"); r.Code != 13 {
		t.Errorf("upgrade to an unregistered version: exit %d, %s", r.Code, r.Stderr)
	}
	d.MustRun("rgmadm", "rs", "disable", "u", "--wait")
	touch(t, dir, "fail-v2", "")
	if r := d.Run("rgmadm", "rs", "set", "u", "-p", "Type_version=2"); r.Code != 16 {
		t.Errorf("upgrade the new Validate refuses: exit %d, %s", r.Code, r.Stderr)
	}
	if got := get("TYPE_VERSION"); got != "1" {
		t.Errorf("after refused upgrades TYPE_VERSION = %s", got)
	}
	os.Remove(filepath.Join(dir, "fail-v2"))
	d.MustRun("rgmadm", "rs", "set", "u", "-p", "Type_version=2")
	port := strings.TrimSpace(d.MustRun("scha_resource_get", "-O", "EXTENSION", "-R", "u", "-G", "g", "Port"))
	if v, typ := get("TYPE_VERSION"), get("TYPE"); v != "2" || typ != "TEST.up:2" || port != "INT\n81" {
		t.Errorf("after the upgrade: TYPE_VERSION %s, TYPE %s, Port %s", v, typ, port)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	if !strings.Contains(string(b), "v2 m2 -u -R u -T TEST.up:2 -G g") {
		t.Errorf("the new type's Validate did not run:\n%s", b)
	}
	d.MustRun("rgmadm", "rs", "enable", "u", "--wait")
	b, _ = os.ReadFile(filepath.Join(dir, "log"))
	if l := strings.Split(strings.TrimSpace(string(b)), "\n"); !strings.HasPrefix(l[len(l)-1], "v2 m2 -R u") {
		t.Errorf("the new type's Start did not run:\n%s", b)
	}
}
