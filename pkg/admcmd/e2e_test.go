package admcmd_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// These tests drive the built rgmadm against a real rgmd.

func helloRTR() string { return filepath.Join(rgmtest.RepoRoot(), "examples", "hello", "hello.rtr") }

func exportOf(t *testing.T, d *rgmtest.Daemon) wire.ConfigFile {
	t.Helper()
	var f wire.ConfigFile
	if err := json.Unmarshal([]byte(d.MustRun("rgmadm", "export")), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func writeFile(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExportImport: a configuration exported from one rgmd and imported
// into an empty one exports the same; switches and properties survive,
// and what was left at its default is not written.
func TestExportImport(t *testing.T) {
	src := rgmtest.StartDaemon(t)
	src.MustRun("rgmadm", "rt", "register", helloRTR())
	// Load limits and Concentrate_load go with the file, the limits
	// before the groups whose Load_factors name their loads.
	src.MustRun("rgmadm", "node", "set", "node1", "-p", "loadlimit=licenses@4,memory@8G", "-p", "loadlimit_soft=licenses@2")
	src.MustRun("rgmadm", "cluster", "set", "-p", "Concentrate_load=TRUE")
	src.MustRun("rgmadm", "rg", "create", "db-rg", "-p", "Load_factors=licenses@1")
	src.MustRun("rgmadm", "rg", "create", "web-rg", "-p", "Pingpong_interval=600", "-p", "RG_dependencies=db-rg")
	src.MustRun("rgmadm", "rs", "create", "db", "-g", "db-rg", "-t", "ORGM.hello", "-x", "Port=5432")
	// Created disabled, so never started; it depends on web-b, which
	// sorts after it: the export must put web-b first.
	src.MustRun("rgmadm", "rs", "create", "web-b", "-g", "web-rg", "-t", "hello", "-x", "Port=8081")
	src.MustRun("rgmadm", "rs", "create", "web-a", "-d", "-g", "web-rg", "-t", "hello", "-x", "Port=8080",
		"-x", "Languages=en,fr", "-p", "Resource_dependencies=web-b")
	src.MustRun("rgmadm", "rs", "unmonitor", "web-b")

	f := exportOf(t, src)
	if f.Format != wire.ConfigFormat || len(f.Types) != 1 || f.Types[0].RTRFile != helloRTR() {
		t.Fatalf("export: %+v", f)
	}
	var order []string
	for _, r := range f.Resources {
		order = append(order, r.Name)
	}
	if strings.Join(order, " ") != "db web-b web-a" {
		t.Errorf("resources in order %v, want db web-b web-a", order)
	}
	for _, r := range f.Resources {
		switch r.Name {
		case "web-a":
			if !r.Disabled || r.Unmonitored || r.Ext["Languages"] != "en,fr" || r.Ext["Port"] != "8080" || r.Props["Resource_dependencies"] != "web-b" {
				t.Errorf("web-a exported as %+v", r)
			}
			if _, ok := r.Ext["Greeting"]; ok {
				t.Errorf("a default value was exported: %+v", r.Ext)
			}
		case "web-b":
			if r.Disabled || !r.Unmonitored {
				t.Errorf("web-b exported as %+v", r)
			}
		}
	}
	for _, g := range f.Groups {
		if _, ok := g.Props["Nodelist"]; ok {
			t.Errorf("group %s: a Nodelist of every node was exported", g.Name)
		}
	}
	if f.Groups[0].Name != "db-rg" || f.Groups[1].Props["Pingpong_interval"] != "600" {
		t.Errorf("groups: %+v", f.Groups)
	}
	if fmt.Sprint(f.Nodes) != "[{node1 licenses@4,memory@8589934592 licenses@2}]" || !f.ConcentrateLoad {
		t.Errorf("nodes %v, Concentrate_load %v", f.Nodes, f.ConcentrateLoad)
	}

	dst := rgmtest.StartDaemon(t)
	path := writeFile(t, f)
	out := dst.MustRun("rgmadm", "import", path)
	if out != "imported 1 resource types (0 already registered), 2 resource groups, 3 resources, the load limits of 1 nodes\n" {
		t.Errorf("import said %q", out)
	}
	g := exportOf(t, dst)
	if a, b := mustJSON(t, f), mustJSON(t, g); a != b {
		t.Errorf("export after import differs:\n%s\n%s", a, b)
	}
	if out := dst.MustRun("scha_resource_get", "-O", "ON_OFF_SWITCH", "-R", "web-a", "-G", "web-rg"); out != "DISABLED\n" {
		t.Errorf("web-a ON_OFF_SWITCH %q", out)
	}
	if out := dst.MustRun("scha_resource_get", "-O", "MONITORED_SWITCH", "-R", "web-b", "-G", "web-rg"); out != "DISABLED\n" {
		t.Errorf("web-b MONITORED_SWITCH %q", out)
	}
	// The same file again: every group exists, nothing changes; the type
	// is kept.
	r := dst.Run("rgmadm", "import", path)
	if r.Code != int(scha.ErrRG) || !strings.Contains(r.Stderr, "resource group db-rg: ") {
		t.Errorf("second import: %+v", r)
	}
	if h := exportOf(t, dst); mustJSON(t, h) != mustJSON(t, g) {
		t.Error("a refused import changed the configuration")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestImportAllOrNothing: an import refused part-way, by the model or by a
// Validate method, leaves the configuration as it was; so does a file that
// is not a configuration.
func TestImportAllOrNothing(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	d.MustRun("rgmadm", "rg", "create", "keep-rg")
	before := mustJSON(t, exportOf(t, d))
	base := func() wire.ConfigFile {
		f := wire.ConfigFile{Format: wire.ConfigFormat, Types: []wire.ConfigType{{Name: "ORGM.hello:1.0", RTRFile: helloRTR()}}}
		for i := range 20 {
			g := fmt.Sprintf("rg%02d", i)
			f.Groups = append(f.Groups, wire.ConfigGroup{Name: g})
			f.Resources = append(f.Resources, wire.ConfigResource{Name: g + "-rs", Group: g, Type: "ORGM.hello", Ext: map[string]string{"Port": "8080"}})
		}
		return f
	}
	tests := []struct {
		name string
		edit func(f *wire.ConfigFile)
		code scha.ErrCode
		want string
	}{
		{"Validate refuses the last", func(f *wire.ConfigFile) { f.Resources[19].Ext["Port"] = "80" }, scha.ErrChecks, "Port must be 1024 or more"},
		{"unknown property", func(f *wire.ConfigFile) { f.Resources[10].Ext["Bogus"] = "1" }, scha.ErrProp, "resource rg10-rs: "},
		{"out of range", func(f *wire.ConfigFile) { f.Resources[5].Ext["Port"] = "70000" }, scha.ErrProp, "resource rg05-rs: "},
		{"missing group", func(f *wire.ConfigFile) { f.Resources[3].Group = "nope" }, scha.ErrRG, "resource rg03-rs: "},
		{"existing group", func(f *wire.ConfigFile) { f.Groups[7].Name = "keep-rg" }, scha.ErrRG, "keep-rg"},
		{"group twice", func(f *wire.ConfigFile) { f.Groups[7].Name = "rg08" }, scha.ErrRG, "rg08 is in the import twice"},
		{"wrong type name", func(f *wire.ConfigFile) { f.Types[0].Name = "ORGM.other" }, scha.ErrRT, "registers ORGM.hello:1.0"},
		{"missing RTR file", func(f *wire.ConfigFile) { f.Types[0].RTRFile = "/nonexistent/x.rtr" }, scha.ErrInval, "cannot read RTR file"},
		{"wrong format", func(f *wire.ConfigFile) { f.Format = "x/2" }, scha.ErrInval, `format "x/2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.edit(&f)
			r := d.Run("rgmadm", "import", writeFile(t, f))
			if r.Code != int(tt.code) || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.Code, tt.code, r.Stderr, tt.want)
			}
			if after := mustJSON(t, exportOf(t, d)); after != before {
				t.Errorf("the configuration changed:\n%s\n%s", before, after)
			}
		})
	}
	p := filepath.Join(t.TempDir(), "typo.json")
	os.WriteFile(p, []byte(`{"format":"openrgm-config/1","group":[]}`), 0o644)
	if r := d.Run("rgmadm", "import", p); r.Code != int(scha.ErrInval) || !strings.Contains(r.Stderr, `unknown field "group"`) {
		t.Errorf("misspelt key: %+v", r)
	}
	// And one that is right goes in whole.
	d.MustRun("rgmadm", "import", writeFile(t, base()))
	if n := len(exportOf(t, d).Resources); n != 20 {
		t.Errorf("%d resources after a good import", n)
	}
}

// padRTR is a type without Validate whose Pad property makes entries big.
const padRTR = `Resource_type = pad; Vendor_id = TEST; RT_version = "1";
Start = /bin/true; Stop = /bin/true;
{ PROPERTY = Pad; EXTENSION; STRING; DEFAULT = ""; MAXLENGTH = 300; TUNABLE = ANYTIME; }
`

// TestImportInParts: a configuration bigger than one request goes in
// several parts and is still applied whole, or not at all.
func TestImportInParts(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	rtrFile := filepath.Join(t.TempDir(), "pad.rtr")
	if err := os.WriteFile(rtrFile, []byte(padRTR), 0o644); err != nil {
		t.Fatal(err)
	}
	f := wire.ConfigFile{Format: wire.ConfigFormat, Types: []wire.ConfigType{{Name: "TEST.pad", RTRFile: rtrFile}}}
	long := strings.Repeat("x", 250)
	for i := range 500 {
		g := fmt.Sprintf("rg%03d", i)
		f.Groups = append(f.Groups, wire.ConfigGroup{Name: g, Props: map[string]string{"RG_description": long}})
		for j := range 5 {
			f.Resources = append(f.Resources, wire.ConfigResource{Name: fmt.Sprintf("%s-rs%d", g, j), Group: g, Type: "TEST.pad",
				Ext: map[string]string{"Pad": long}})
		}
	}
	path := writeFile(t, f)
	if st, _ := os.Stat(path); st.Size() <= wire.MaxMessage {
		t.Fatalf("the file is only %d bytes", st.Size())
	}
	// Break the very last resource: nothing at all may be created.
	f.Resources[len(f.Resources)-1].Ext["Pad"] = strings.Repeat("y", 301)
	if r := d.Run("rgmadm", "import", writeFile(t, f)); r.Code != int(scha.ErrProp) || !strings.Contains(r.Stderr, "rg499-rs4") {
		t.Errorf("broken import: %+v", r)
	}
	if n := len(exportOf(t, d).Groups); n != 0 {
		t.Fatalf("a refused import in parts left %d groups", n)
	}
	d.MustRun("rgmadm", "import", path)
	if n := len(exportOf(t, d).Resources); n != 2500 {
		t.Errorf("%d resources imported, want 2500", n)
	}
}

// TestOperands: several operands and "+", array edits, rs create -d,
// rg online -M, show -v.
func TestOperands(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	work := t.TempDir()
	d.MustRun("rgmadm", "rt", "register", helloRTR())
	d.MustRun("rgmadm", "rg", "create", "a-rg")
	d.MustRun("rgmadm", "rg", "create", "b-rg")
	for i, g := range []string{"a", "b"} {
		d.MustRun("rgmadm", "rs", "create", g+"-rs", "-g", g+"-rg", "-t", "hello", "-x", fmt.Sprintf("Port=%d", 9100+i), "-x", "Workdir="+work+"/"+g)
	}
	d.MustRun("rgmadm", "rs", "create", "c-rs", "-d", "-g", "b-rg", "-t", "hello", "-x", "Port=9102", "-x", "Workdir="+work+"/c")

	// A misspelt operand among good ones changes nothing.
	if r := d.Run("rgmadm", "rs", "disable", "a-rs", "nope"); r.Code != int(scha.ErrRsrc) || !strings.Contains(r.Stderr, `"nope" does not exist`) {
		t.Errorf("rs disable a-rs nope: %+v", r)
	}
	if out := d.MustRun("scha_resource_get", "-O", "ON_OFF_SWITCH", "-R", "a-rs"); out != "ENABLED\n" {
		t.Errorf("a-rs after a refused disable: %q", out)
	}

	d.MustRun("rgmadm", "rg", "online", "-M", "+", "--wait")
	for _, g := range []string{"a-rg", "b-rg"} {
		if out := d.MustRun("scha_resourcegroup_get", "-O", "RG_STATE", "-G", g); out != "ONLINE\n" {
			t.Errorf("%s after rg online -M +: %q", g, out)
		}
	}
	if out := d.MustRun("scha_resource_get", "-O", "RESOURCE_STATE", "-R", "c-rs"); out != "OFFLINE\n" {
		t.Errorf("c-rs, created disabled, is %q", out)
	}
	d.MustRun("rgmadm", "rs", "disable", "+")
	d.MustRun("rgmadm", "rg", "offline", "a-rg", "b-rg", "--wait")
	for _, r := range []string{"a-rs", "b-rs", "c-rs"} {
		if out := d.MustRun("scha_resource_get", "-O", "ON_OFF_SWITCH", "-R", r); out != "DISABLED\n" {
			t.Errorf("%s after rs disable +: %q", r, out)
		}
	}

	d.MustRun("rgmadm", "rs", "set", "a-rs", "b-rs", "-x", "Languages+=fr,de")
	d.MustRun("rgmadm", "rs", "set", "a-rs", "-x", "languages-=en")
	for r, want := range map[string]string{"a-rs": "fr\nde\n", "b-rs": "en\nfr\nde\n"} {
		if out := d.MustRun("scha_resource_get", "-O", "EXTENSION", "-R", r, "Languages"); out != "STRINGARRAY\n"+want {
			t.Errorf("%s Languages %q", r, out)
		}
	}
	if r := d.Run("rgmadm", "rs", "set", "a-rs", "-x", "Languages-=it"); r.Code != int(scha.ErrProp) || !strings.Contains(r.Stderr, "it is not in Languages") {
		t.Errorf("removing an absent element: %+v", r)
	}
	if r := d.Run("rgmadm", "rs", "set", "a-rs", "-x", "Port+=1"); r.Code != int(scha.ErrProp) || !strings.Contains(r.Stderr, "not an array") {
		t.Errorf("+= on a scalar: %+v", r)
	}
	d.MustRun("rgmadm", "rg", "set", "b-rg", "-p", "RG_dependencies+=a-rg")
	if out := d.MustRun("scha_resourcegroup_get", "-O", "RG_DEPENDENCIES", "-G", "b-rg"); out != "a-rg\n" {
		t.Errorf("RG_dependencies after +=: %q", out)
	}
	d.MustRun("rgmadm", "rg", "set", "b-rg", "-p", "RG_dependencies-=a-rg")
	if out := d.MustRun("scha_resourcegroup_get", "-O", "RG_DEPENDENCIES", "-G", "b-rg"); out != "" {
		t.Errorf("RG_dependencies after -=: %q", out)
	}

	out := d.MustRun("rgmadm", "rg", "show", "-v", "b-rg")
	for _, want := range []string{"Resource b-rs:", "Resource c-rs:", "Properties of type ORGM.hello", "Languages"} {
		if !strings.Contains(out, want) {
			t.Errorf("rg show -v lacks %q:\n%s", want, out)
		}
	}
	var shown []map[string]any
	if err := json.Unmarshal([]byte(d.MustRun("rgmadm", "rs", "show", "-o", "json", "+")), &shown); err != nil || len(shown) != 3 {
		t.Errorf("rs show -o json +: %v, %d objects", err, len(shown))
	}
	d.MustRun("rgmadm", "rs", "delete", "+")
	d.MustRun("rgmadm", "rg", "unmanage", "+")
	d.MustRun("rgmadm", "rg", "delete", "a-rg", "b-rg")
	if out := d.MustRun("rgmadm", "rg", "list"); out != "" {
		t.Errorf("groups left: %q", out)
	}
}
