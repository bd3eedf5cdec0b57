package model

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/scha"
)

// testType builds a type the way the RTR parser does: every standard RT
// property present, some declared resource properties.
func testType(t *testing.T) *ResourceType {
	t.Helper()
	props := map[string]string{}
	for _, d := range RTProps() {
		if d.Default != nil {
			props[d.Name] = *d.Default
		}
	}
	props["Resource_type"], props["Vendor_id"], props["RT_version"] = "web", "ACME", "1.0"
	props["Start"], props["Stop"], props["Validate"] = "/bin/true", "/bin/true", "/bin/true"
	rc, _, _ := LookupResourceProp("Retry_count")
	rc.Default = sp("2")
	rc.Max = ip(10)
	return &ResourceType{
		Name:  "ACME.web:1.0",
		Props: props,
		Params: []PropDecl{
			rc,
			{Name: "Port", Type: TypeInt, Extension: true, Min: ip(1), Max: ip(65535), Tunable: TunableAnytime},
			{Name: "Mode", Type: TypeEnum, Extension: true, EnumList: []string{"Fast", "Safe"}, Default: sp("Safe"), Tunable: TunableAnytime},
			{Name: "Confdir", Type: TypeString, Extension: true, Default: sp("/etc"), Tunable: TunableAtCreation},
			{Name: "Dirs", Type: TypeStringArray, Extension: true, Default: sp(""), ArrayMaxSize: iptr(2), Tunable: TunableWhenDisabled},
			{Name: "Fixed", Type: TypeBoolean, Extension: true, Default: sp("TRUE"), Tunable: TunableNone},
		},
	}
}

func iptr(i int) *int { return &i }

func newTestConfig(t *testing.T) *Config {
	t.Helper()
	c := NewConfig("clu", "n1")
	c.Nodes = append(c.Nodes, Node{Name: "n2", ID: 2})
	if err := c.RegisterType(testType(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateGroup("rg1", map[string]string{"pingpong_interval": "600"}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateResource("r1", "rg1", "ACME.web", nil, map[string]string{"port": "8080"}); err != nil {
		t.Fatal(err)
	}
	return c
}

func snapshot(t *testing.T, c *Config) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCreateDefaults(t *testing.T) {
	c := newTestConfig(t)
	g := c.Groups["rg1"]
	if g.Props["Pingpong_interval"] != "600" || g.Props["Nodelist"] != "n1,n2" || g.Props["RG_mode"] != "Failover" {
		t.Errorf("group props: %v", g.Props)
	}
	if g.Nodes["n1"].State != RGStateUnmanaged || g.Nodes["n2"].State != RGStateUnmanaged {
		t.Errorf("group nodes: %+v", g.Nodes)
	}
	r := c.Resources["r1"]
	want := map[string]string{"Retry_count": "2", "Start_timeout": "3600", "Validate_timeout": "3600", "Failover_mode": "NONE", "Type_version": "1.0"}
	for k, v := range want {
		if r.Props[k] != v {
			t.Errorf("r1 %s = %q, want %q", k, r.Props[k], v)
		}
	}
	if _, ok := r.Props["Update_timeout"]; ok {
		t.Error("Update_timeout present though the type declares no Update")
	}
	if _, ok := r.Props["Thorough_probe_interval"]; ok {
		t.Error("conditional Thorough_probe_interval present though undeclared")
	}
	if r.Ext["Port"] != "8080" || r.Ext["Mode"] != "Safe" || r.Ext["Dirs"] != "" {
		t.Errorf("ext: %v", r.Ext)
	}
	if st := r.Nodes["n2"]; st.State != RStateOffline || st.OnOff != SwitchEnabled {
		t.Errorf("r1 on n2: %+v", st)
	}
}

func TestSeqChanges(t *testing.T) {
	c := newTestConfig(t)
	g0, r0 := c.Groups["rg1"].Seq, c.Resources["r1"].Seq
	if err := c.SetResource("r1", nil, map[string]string{"Port": "81"}); err != nil {
		t.Fatal(err)
	}
	if c.Resources["r1"].Seq == r0 {
		t.Error("resource Seq unchanged after set")
	}
	if err := c.CreateResource("r2", "rg1", "web", nil, map[string]string{"Port": "1"}); err != nil {
		t.Fatal(err)
	}
	if c.Groups["rg1"].Seq == g0 {
		t.Error("group Seq unchanged after its Resource_list changed")
	}
}

func TestRejectedChangesLeaveStateUnchanged(t *testing.T) {
	cases := []struct {
		name string
		code scha.ErrCode
		want string
		op   func(c *Config) error
	}{
		{"unknown type", scha.ErrRT, "not registered", func(c *Config) error { return c.CreateResource("r9", "rg1", "nope", nil, nil) }},
		{"unknown group", scha.ErrRG, "does not exist", func(c *Config) error { return c.CreateResource("r9", "nope", "web", nil, nil) }},
		{"duplicate resource", scha.ErrRsrc, "already exists", func(c *Config) error {
			return c.CreateResource("r1", "rg1", "web", nil, map[string]string{"Port": "1"})
		}},
		{"missing required", scha.ErrProp, "Port", func(c *Config) error { return c.CreateResource("r9", "rg1", "web", nil, nil) }},
		{"wrong type", scha.ErrProp, "not an integer", func(c *Config) error { return c.SetResource("r1", nil, map[string]string{"Port": "http"}) }},
		{"out of range", scha.ErrProp, "greater than MAX", func(c *Config) error { return c.SetResource("r1", nil, map[string]string{"Port": "70000"}) }},
		{"retry max", scha.ErrProp, "MAX 10", func(c *Config) error { return c.SetResource("r1", map[string]string{"retry_count": "11"}, nil) }},
		{"enum", scha.ErrProp, "not one of", func(c *Config) error { return c.SetResource("r1", nil, map[string]string{"Mode": "Slow"}) }},
		{"array size", scha.ErrProp, "ARRAY_MAXSIZE", func(c *Config) error {
			return c.CreateResource("r9", "rg1", "web", nil, map[string]string{"Port": "1", "Dirs": "a,b,c"})
		}},
		{"at creation", scha.ErrProp, "AT_CREATION", func(c *Config) error { return c.SetResource("r1", nil, map[string]string{"Confdir": "/x"}) }},
		{"when disabled", scha.ErrProp, "WHEN_DISABLED", func(c *Config) error { return c.SetResource("r1", nil, map[string]string{"Dirs": "/x"}) }},
		{"not tunable", scha.ErrProp, "not tunable", func(c *Config) error { return c.SetResource("r1", nil, map[string]string{"Fixed": "FALSE"}) }},
		{"undeclared system prop", scha.ErrProp, "does not declare", func(c *Config) error {
			return c.SetResource("r1", map[string]string{"Thorough_probe_interval": "5"}, nil)
		}},
		{"unknown prop", scha.ErrProp, "no property", func(c *Config) error { return c.SetResource("r1", nil, map[string]string{"Bogus": "1"}) }},
		{"query-only", scha.ErrProp, "query-only", func(c *Config) error { return c.SetGroup("rg1", map[string]string{"RG_is_frozen": "TRUE"}) }},
		{"type version not registered", scha.ErrRT, "no registered version", func(c *Config) error { return c.SetResource("r1", map[string]string{"Type_version": "2"}, nil) }},
		{"bad group prop", scha.ErrProp, "no property", func(c *Config) error { return c.SetGroup("rg1", map[string]string{"Colour": "red"}) }},
		{"bad group value", scha.ErrProp, "not an integer", func(c *Config) error { return c.SetGroup("rg1", map[string]string{"Pingpong_interval": "soon"}) }},
		{"rg mode later", scha.ErrProp, "created", func(c *Config) error { return c.SetGroup("rg1", map[string]string{"RG_mode": "Scalable"}) }},
		{"unknown node", scha.ErrNode, "not a cluster node", func(c *Config) error { return c.SetGroup("rg1", map[string]string{"Nodelist": "n1,n9"}) }},
		{"failover primaries", scha.ErrProp, "Maximum_primaries 1", func(c *Config) error {
			return c.SetGroup("rg1", map[string]string{"Maximum_primaries": "2", "Desired_primaries": "2"})
		}},
		{"bad name", scha.ErrRG, "start with a letter", func(c *Config) error { return c.CreateGroup("1rg", nil) }},
		{"delete group in use", scha.ErrDepend, "still holds", func(c *Config) error { return c.DeleteGroup("rg1") }},
		{"unregister type in use", scha.ErrDepend, "in use", func(c *Config) error { return c.UnregisterType("ACME.web:1.0") }},
		{"self dependency", scha.ErrDepend, "itself", func(c *Config) error {
			return c.SetResource("r1", map[string]string{"Resource_dependencies": "r1"}, nil)
		}},
		{"missing dependee", scha.ErrRsrc, "does not exist", func(c *Config) error {
			return c.SetResource("r1", map[string]string{"Resource_dependencies": "zz"}, nil)
		}},
		{"bad qualifier", scha.ErrProp, "qualifier", func(c *Config) error {
			return c.SetResource("r1", map[string]string{"Resource_dependencies": "r1{SOMEWHERE}"}, nil)
		}},
		{"bad status", scha.ErrRStatus, "not one of", func(c *Config) error { return c.SetStatus("r1", "rg1", "n1", "GREAT", "") }},
		{"status wrong group", scha.ErrRG, "does not exist", func(c *Config) error { return c.SetStatus("r1", "rgX", "n1", "OK", "") }},
		{"newline in value", scha.ErrProp, "newline", func(c *Config) error { return c.SetGroup("rg1", map[string]string{"RG_description": "a\nb"}) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestConfig(t)
			before := snapshot(t, c)
			err := tc.op(c)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := scha.CodeOf(err); got != tc.code {
				t.Errorf("code %v (%d), want %v: %v", got.Symbol(), got, tc.code.Symbol(), err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if after := snapshot(t, c); after != before {
				t.Errorf("state changed by a rejected change:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestDependencyCycleNamed(t *testing.T) {
	c := newTestConfig(t)
	for _, n := range []string{"r2", "r3"} {
		if err := c.CreateResource(n, "rg1", "web", nil, map[string]string{"Port": "1"}); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.SetResource("r1", map[string]string{"Resource_dependencies": "r2"}, nil))
	must(c.SetResource("r2", map[string]string{"Resource_dependencies_weak": "r3{LOCAL_NODE}"}, nil))
	before := snapshot(t, c)
	err := c.SetResource("r3", map[string]string{"Resource_dependencies_restart": "r1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "r3 -> r1 -> r2 -> r3") || scha.CodeOf(err) != scha.ErrDepend {
		t.Fatalf("cycle: %v", err)
	}
	if snapshot(t, c) != before {
		t.Error("state changed")
	}
	if err := c.DeleteResource("r3"); scha.CodeOf(err) != scha.ErrDepend {
		t.Errorf("deleting a dependee: %v", err)
	}

	must(c.CreateGroup("a", nil))
	must(c.CreateGroup("b", map[string]string{"RG_dependencies": "a"}))
	if err := c.SetGroup("a", map[string]string{"RG_dependencies": "b"}); err == nil || !strings.Contains(err.Error(), "a -> b -> a") {
		t.Errorf("group cycle: %v", err)
	}
	if err := c.DeleteGroup("a"); scha.CodeOf(err) != scha.ErrDepend {
		t.Errorf("deleting a group another depends on: %v", err)
	}
}

func TestFindTypeShortNames(t *testing.T) {
	c := newTestConfig(t)
	for _, n := range []string{"ACME.web:1.0", "ACME.web", "web"} {
		if rt, err := c.FindType(n); err != nil || rt.Name != "ACME.web:1.0" {
			t.Errorf("FindType(%q) = %v, %v", n, rt, err)
		}
	}
	rt2 := testType(t)
	rt2.Name = "OTHER.web"
	if err := c.RegisterType(rt2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindType("web"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("ambiguous short name: %v", err)
	}
	if err := c.RegisterType(testType(t)); scha.CodeOf(err) != scha.ErrRT {
		t.Errorf("double registration: %v", err)
	}
}

func TestWhenDisabledAllowedWhileDisabled(t *testing.T) {
	c := newTestConfig(t)
	for _, st := range c.Resources["r1"].Nodes {
		st.OnOff = SwitchDisabled
	}
	if err := c.SetResource("r1", nil, map[string]string{"Dirs": "/a,/b"}); err != nil {
		t.Fatal(err)
	}
	if got := c.Resources["r1"].Ext["Dirs"]; got != "/a,/b" {
		t.Errorf("Dirs = %q", got)
	}
}

func TestSetStatusAndNodelist(t *testing.T) {
	c := newTestConfig(t)
	if err := c.SetStatus("r1", "", "n2", "degraded", "slow disk"); err != nil {
		t.Fatal(err)
	}
	if st := c.Resources["r1"].Nodes["n2"]; st.Status != "DEGRADED" || st.StatusMsg != "slow disk" {
		t.Errorf("status %+v", st)
	}
	if err := c.SetGroup("rg1", map[string]string{"Nodelist": "n2"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Resources["r1"].Nodes["n1"]; ok {
		t.Error("resource kept state on a node that left the Nodelist")
	}
	if st := c.Resources["r1"].Nodes["n2"]; st.Status != "DEGRADED" {
		t.Error("state on a kept node was lost")
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct {
		d       PropDecl
		in, out string
		ok      bool
	}{
		{PropDecl{Type: TypeInt}, " 042", "42", true},
		{PropDecl{Type: TypeInt}, "4.2", "", false},
		{PropDecl{Type: TypeBoolean}, "true", "TRUE", true},
		{PropDecl{Type: TypeBoolean}, "yes", "", false},
		{PropDecl{Type: TypeEnum, EnumList: []string{"Low", "High"}}, "HIGH", "High", true},
		{PropDecl{Type: TypeStringArray}, "", "", true},
		{PropDecl{Type: TypeStringArray}, "a,,b", "", false},
		{PropDecl{Type: TypeUintArray}, "1,2", "1,2", true},
		{PropDecl{Type: TypeUintArray}, "1,-2", "", false},
		{PropDecl{Type: TypeString, MinLength: iptr(2)}, "a", "", false},
		{PropDecl{Type: TypeUint}, "-1", "", false},
	}
	for _, tc := range cases {
		got, err := tc.d.Normalize(tc.in)
		if (err == nil) != tc.ok || got != tc.out {
			t.Errorf("%v Normalize(%q) = %q, %v", tc.d.Type, tc.in, got, err)
		}
	}
}

func TestCheckDecl(t *testing.T) {
	bad := []PropDecl{
		{Name: "a", Type: TypeInt, Min: ip(5), Max: ip(1)},
		{Name: "b", Type: TypeInt, Min: ip(1), Default: sp("0")},
		{Name: "c", Type: TypeEnum},
		{Name: "d", Type: TypeEnum, EnumList: []string{"x", "X"}},
		{Name: "e", Type: TypeEnum, EnumList: []string{"x"}, Default: sp("y")},
		{Name: "f", Type: TypeString, Min: ip(1)},
		{Name: "g", Type: TypeString, MinLength: iptr(3), MaxLength: iptr(2)},
		{Name: "h", Type: TypeInt, ArrayMaxSize: iptr(2)},
	}
	for _, d := range bad {
		if err := d.Check(); err == nil {
			t.Errorf("Check(%+v) accepted", d)
		}
	}
	good := PropDecl{Name: "ok", Type: TypeEnum, EnumList: []string{"Low", "High"}, Default: sp("high")}
	if err := good.Check(); err != nil || *good.Default != "High" {
		t.Errorf("Check good: %v %q", err, *good.Default)
	}
}

func TestTypeName(t *testing.T) {
	if n, err := TypeName("SUNW", "qfs", "5", true); err != nil || n != "SUNW.qfs:5" {
		t.Errorf("%q %v", n, err)
	}
	if n, err := TypeName("SUNW", "qfs", "5", false); err != nil || n != "SUNW.qfs" {
		t.Errorf("%q %v", n, err)
	}
	if _, err := TypeName("SUNW", "qfs", "1 0", true); err == nil {
		t.Error("space in RT_version accepted")
	}
}
