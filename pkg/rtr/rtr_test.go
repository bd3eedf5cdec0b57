package rtr

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

func sp(s string) *string { return &s }
func i64(n int64) *int64  { return &n }
func ip(n int) *int       { return &n }

// rtProps returns every standard RT property at its default, with set
// applied on top: what Props must hold.
func rtProps(set map[string]string) map[string]string {
	m := map[string]string{}
	for _, d := range model.RTProps() {
		m[d.Name] = ""
		if d.Default != nil {
			m[d.Name] = *d.Default
		}
	}
	for k, v := range set {
		if _, ok := m[k]; !ok {
			panic("not an RT property: " + k)
		}
		m[k] = v
	}
	return m
}

var failoverModes = []string{"NONE", "SOFT", "HARD", "RESTART_ONLY", "LOG_ONLY"}

func loadFile(t *testing.T, name string) *model.ResourceType {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Load(name, src)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return rt
}

func diff(t *testing.T, got, want *model.ResourceType) {
	t.Helper()
	if got.Name != want.Name {
		t.Errorf("Name = %q, want %q", got.Name, want.Name)
	}
	if !reflect.DeepEqual(got.Props, want.Props) {
		for k, v := range want.Props {
			if got.Props[k] != v {
				t.Errorf("Props[%s] = %q, want %q", k, got.Props[k], v)
			}
		}
		for k := range got.Props {
			if _, ok := want.Props[k]; !ok {
				t.Errorf("unexpected Props[%s]", k)
			}
		}
	}
	if len(got.Params) != len(want.Params) {
		t.Errorf("%d Params, want %d", len(got.Params), len(want.Params))
	}
	for i := range min(len(got.Params), len(want.Params)) {
		if !reflect.DeepEqual(got.Params[i], want.Params[i]) {
			t.Errorf("Params[%d]:\n got %s\nwant %s", i, declString(got.Params[i]), declString(want.Params[i]))
		}
	}
	if got.Upgrade != want.Upgrade || !reflect.DeepEqual(got.UpgradeFrom, want.UpgradeFrom) {
		t.Errorf("Upgrade = %v %+v, want %v %+v", got.Upgrade, got.UpgradeFrom, want.Upgrade, want.UpgradeFrom)
	}
	if got.SourceFile != want.SourceFile {
		t.Errorf("SourceFile = %q, want %q", got.SourceFile, want.SourceFile)
	}
}

func declString(d model.PropDecl) string {
	var b strings.Builder
	b.WriteString(d.Name + " " + d.Type.String() + " tunable=" + d.Tunable.String())
	if d.Default != nil {
		b.WriteString(" default=" + *d.Default)
	}
	for _, p := range []struct {
		n string
		v *int64
	}{{"min", d.Min}, {"max", d.Max}} {
		if p.v != nil {
			b.WriteString(" " + p.n + "=" + itoa(int(*p.v)))
		}
	}
	for _, p := range []struct {
		n string
		v *int
	}{{"minlength", d.MinLength}, {"maxlength", d.MaxLength}, {"array_minsize", d.ArrayMinSize}, {"array_maxsize", d.ArrayMaxSize}} {
		if p.v != nil {
			b.WriteString(" " + p.n + "=" + itoa(*p.v))
		}
	}
	if d.EnumList != nil {
		b.WriteString(" enum=" + strings.Join(d.EnumList, "|"))
	}
	if d.Extension {
		b.WriteString(" extension")
	}
	if d.PerNode {
		b.WriteString(" per_node")
	}
	if d.Description != "" {
		b.WriteString(" description=" + d.Description)
	}
	return b.String()
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

// TestLoadACME loads the example of the reference, §6, verbatim.
func TestLoadACME(t *testing.T) {
	got := loadFile(t, "testdata/acme.webapp")
	want := &model.ResourceType{
		Name: "ACME.webapp:1.0",
		Props: rtProps(map[string]string{
			"Resource_type":  "webapp",
			"Vendor_id":      "ACME",
			"RT_description": "Example web application",
			"RT_version":     "1.0",
			"API_version":    "2",
			"Failover":       "TRUE",
			"Init_nodes":     "RG_PRIMARIES",
			"RT_basedir":     "/opt/ACMEwebapp/bin",
			"Pkglist":        "ACMEwebapp",
			"Start":          "webapp_start",
			"Stop":           "webapp_stop",
			"Validate":       "webapp_validate",
			"Update":         "webapp_update",
			"Monitor_start":  "webapp_mstart",
			"Monitor_stop":   "webapp_mstop",
			"Monitor_check":  "webapp_mcheck",
		}),
		Params: []model.PropDecl{
			{Name: "Start_timeout", Type: model.TypeInt, Default: sp("300"), Min: i64(60), Tunable: model.TunableAnytime},
			{Name: "Failover_mode", Type: model.TypeEnum, Default: sp("SOFT"), EnumList: failoverModes, Tunable: model.TunableAnytime},
			{Name: "Retry_count", Type: model.TypeInt, Default: sp("2"), Min: i64(-1), Max: i64(10), Tunable: model.TunableAnytime},
			{Name: "Retry_interval", Type: model.TypeInt, Default: sp("600"), Min: i64(0), Max: i64(3600), Tunable: model.TunableAnytime},
			{Name: "Port_list", Type: model.TypeStringArray, Default: sp("8080/tcp"), Tunable: model.TunableAtCreation},
			{Name: "Confdir", Type: model.TypeString, Extension: true, MinLength: ip(1), Tunable: model.TunableAtCreation, Description: "Configuration directory"},
			{Name: "Log_level", Type: model.TypeEnum, Extension: true, EnumList: []string{"Low", "Normal", "High"}, Default: sp("Normal"), Tunable: model.TunableAnytime, Description: "Verbosity"},
			{Name: "Extra_dirs", Type: model.TypeStringArray, Extension: true, Default: sp(""), ArrayMaxSize: ip(8), Tunable: model.TunableWhenDisabled, Description: "Extra dirs"},
		},
		Upgrade:     true,
		UpgradeFrom: []model.UpgradeFrom{{Version: "", When: "WHEN_UNMANAGED"}},
		SourceFile:  "testdata/acme.webapp",
	}
	diff(t, got, want)
}

// TestLoadSunStyle loads a file written the way Sun's agents were.
func TestLoadSunStyle(t *testing.T) {
	got := loadFile(t, "testdata/SUNW.demofs")
	timeout := func(name string, min int64, def string) model.PropDecl {
		return model.PropDecl{Name: name, Type: model.TypeInt, Default: sp(def), Min: i64(min), Tunable: model.TunableAnytime}
	}
	want := &model.ResourceType{
		Name: "SUNW.demofs:3.2",
		Props: rtProps(map[string]string{
			"Resource_type":   "demofs",
			"Vendor_id":       "SUNW",
			"RT_description":  `Demo "shared" file system on Sun Cluster`,
			"RT_version":      "3.2",
			"API_version":     "3",
			"Failover":        "TRUE",
			"Init_nodes":      "RT_INSTALLED_NODES",
			"Single_instance": "FALSE",
			"RT_basedir":      "/opt/SUNWdemofs/sc/bin",
			"Pkglist":         "SUNWdemofsr,SUNWdemofsu",
			"Init":            "demofs_init",
			"Fini":            "demofs_fini",
			"Boot":            "demofs_boot",
			"Prenet_start":    "demofs_prenet_start",
			"Postnet_stop":    "demofs_postnet_stop",
			"Monitor_start":   "demofs_monitor_start",
			"Monitor_stop":    "demofs_monitor_stop",
			"Monitor_check":   "/usr/cluster/lib/demofs/demofs_monitor_check",
			"Validate":        "demofs_validate",
			"Update":          "demofs_update",
		}),
		Params: []model.PropDecl{
			timeout("Prenet_start_timeout", 60, "360"),
			timeout("Postnet_stop_timeout", 60, "120"),
			timeout("Monitor_start_timeout", 60, "120"),
			timeout("Monitor_stop_timeout", 60, "120"),
			timeout("Monitor_check_timeout", 60, "180"),
			timeout("Init_timeout", 30, "300"),
			timeout("Boot_timeout", 30, "300"),
			timeout("Fini_timeout", 60, "120"),
			timeout("Validate_timeout", 60, "180"),
			timeout("Update_timeout", 60, "120"),
			{Name: "Failover_mode", Type: model.TypeEnum, Default: sp("SOFT"), EnumList: failoverModes, Tunable: model.TunableAnytime},
			{Name: "Thorough_probe_interval", Type: model.TypeInt, Default: sp("60"), Min: i64(0), Max: i64(3600), Tunable: model.TunableAnytime},
			{Name: "Cheap_probe_interval", Type: model.TypeInt, Default: sp("30"), Min: i64(5), Max: i64(600), Tunable: model.TunableWhenDisabled},
			{Name: "Retry_count", Type: model.TypeInt, Default: sp("2"), Min: i64(-1), Max: i64(10), Tunable: model.TunableAnytime},
			{Name: "Retry_interval", Type: model.TypeInt, Default: sp("750"), Min: i64(0), Max: i64(3600), Tunable: model.TunableAnytime},
			{Name: "Network_resources_used", Type: model.TypeStringArray, Default: sp(""), Tunable: model.TunableWhenDisabled},
			{Name: "Port_list", Type: model.TypeStringArray, Default: sp(""), Tunable: model.TunableAtCreation},
			{Name: "Scalable", Type: model.TypeBoolean, Default: sp("FALSE"), Tunable: model.TunableAtCreation},
			{Name: "Load_balancing_policy", Type: model.TypeString, Default: sp("LB_WEIGHTED"), Tunable: model.TunableAtCreation},
			{Name: "Load_balancing_weights", Type: model.TypeStringArray, Default: sp(""), Tunable: model.TunableAnytime, Description: "Weights as weight@node"},
			{Name: "LeaseRecoveryPolicy", Type: model.TypeEnum, Extension: true, EnumList: []string{"Timeout", "Auto", "Cluster"}, Default: sp("Auto"), Tunable: model.TunableAnytime, Description: "Wait for lease recovery policy"},
			{Name: "FileSystems", Type: model.TypeStringArray, Extension: true, ArrayMinSize: ip(1), Tunable: model.TunableWhenDisabled, Description: "The demo file system mount points"},
			{Name: "Umount_await_clients", Type: model.TypeInt, Extension: true, Default: sp("30"), Min: i64(0), Max: i64(300), Tunable: model.TunableAnytime, Description: "Seconds to wait for client unmounts"},
			{Name: "Child_mon_level", Type: model.TypeInt, Extension: true, Default: sp("-1"), Min: i64(-1), Tunable: model.TunableAnytime, Description: "Child monitoring level for PMF"},
			{Name: "Debug_level", Type: model.TypeInt, Extension: true, Default: sp("1"), Min: i64(0), Max: i64(2), Tunable: model.TunableAnytime, PerNode: true},
			{Name: "Monitor_enabled", Type: model.TypeBoolean, Extension: true, Default: sp("FALSE"), Tunable: model.TunableNone, Description: "Whether the probe runs"},
			{Name: "Mount_options", Type: model.TypeString, Extension: true, Default: sp(""), MaxLength: ip(256), Tunable: model.TunableAtCreation},
			{Name: "Search_dirs", Type: model.TypeStringArray, Extension: true, Default: sp("/var/demofs,/etc/demofs"), MinLength: ip(1), ArrayMaxSize: ip(4), Tunable: model.TunableAnytime},
		},
		Upgrade: true,
		UpgradeFrom: []model.UpgradeFrom{
			{Version: "3.1", When: "ANYTIME"},
			{Version: "1.0", When: "WHEN_DISABLED"},
			{Version: "", When: "WHEN_UNMANAGED"},
		},
		SourceFile: "testdata/SUNW.demofs",
	}
	diff(t, got, want)
}

// TestLoadSmall covers details the two files don't, each on a minimal file.
func TestLoadSmall(t *testing.T) {
	tests := []struct {
		name     string
		filename string
		src      string
		check    func(t *testing.T, rt *model.ResourceType)
	}{{
		name: "no RT_version, no vendor",
		src:  "resource_type = old;\nstart = /bin/start; stop = /bin/stop;",
		check: func(t *testing.T, rt *model.ResourceType) {
			if rt.Name != "old" || rt.Props["RT_version"] != "" || rt.Props["Vendor_id"] != "" {
				t.Errorf("Name %q, RT_version %q", rt.Name, rt.Props["RT_version"])
			}
		},
	}, {
		name: "version without #$upgrade stays out of the name",
		src:  "Resource_type = x; Vendor_id = V; RT_version = 2.0; Start = /s; Stop = /t;",
		check: func(t *testing.T, rt *model.ResourceType) {
			if rt.Name != "V.x" {
				t.Errorf("Name = %q, want V.x", rt.Name)
			}
		},
	}, {
		name:     "RT_basedir defaults to the directory of an absolute file name",
		filename: "/opt/FOOx/etc/FOO.x",
		src:      "Resource_type = x;\nStart = x_start;\nStop = /abs/x_stop;",
		check: func(t *testing.T, rt *model.ResourceType) {
			if rt.Props["RT_basedir"] != "/opt/FOOx/etc" || rt.Props["Start"] != "x_start" {
				t.Errorf("RT_basedir %q, Start %q", rt.Props["RT_basedir"], rt.Props["Start"])
			}
		},
	}, {
		name:     "no basedir needed when every path is absolute",
		filename: "rel/FOO.x",
		src:      "Resource_type = x; Start = /a; Stop = /b;",
		check: func(t *testing.T, rt *model.ResourceType) {
			if rt.Props["RT_basedir"] != "" {
				t.Errorf("RT_basedir = %q", rt.Props["RT_basedir"])
			}
		},
	}, {
		name: "escapes, empty values, lists, CRLF, BOM, trailing semicolons",
		src: "\uFEFFResource_type = \"x\";\r\nRT_description = \"a \\\"q\\\" b\\\\c \\n\";\r\nPkglist = A, \"B\" ,C;\r\n" +
			"Vendor_id = ;\r\nStart = /s; Stop = /t;\r\n" +
			"{ PROPERTY = Ext; EXTENSION; ENUM { a, \"B\" }; DEFAULT = b; };\r\n",
		check: func(t *testing.T, rt *model.ResourceType) {
			if got := rt.Props["RT_description"]; got != `a "q" b\c \n` {
				t.Errorf("RT_description = %q", got)
			}
			if got := rt.Props["Pkglist"]; got != "A,B,C" {
				t.Errorf("Pkglist = %q", got)
			}
			if rt.Name != "x" {
				t.Errorf("Name = %q", rt.Name)
			}
			if d := rt.Params[0]; *d.Default != "B" || !reflect.DeepEqual(d.EnumList, []string{"a", "B"}) {
				t.Errorf("Ext = %s", declString(d))
			}
		},
	}, {
		name: "negative MIN and MAX, bare negative default",
		src:  "Resource_type = x; Start = /s; Stop = /t;\n{ PROPERTY = N; EXTENSION; INT; MIN = -10; MAX = -2; DEFAULT = -5; }",
		check: func(t *testing.T, rt *model.ResourceType) {
			d := rt.Params[0]
			if *d.Min != -10 || *d.Max != -2 || *d.Default != "-5" {
				t.Errorf("N = %s", declString(d))
			}
		},
	}, {
		name: "unknown #$ words are comments",
		src:  "#$Id: FOO.x,v 1.2 $\nResource_type = x; Start = /s; Stop = /t; #$Revision$",
		check: func(t *testing.T, rt *model.ResourceType) {
			if rt.Upgrade {
				t.Error("Upgrade set")
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := tt.filename
			if fn == "" {
				fn = "test.rtr"
			}
			rt, err := Load(fn, []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if rt.SourceFile != fn {
				t.Errorf("SourceFile = %q", rt.SourceFile)
			}
			tt.check(t, rt)
		})
	}
}

const hdr = "Resource_type = t;\nStart = /s;\nStop = /t;\n" // blocks start on line 4

// TestLoadErrors checks each kind of bad file: the first error, where it
// is and what it says.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		pos  string // line:col
		msg  string // a fragment of the message
	}{
		// Syntax.
		{"truncated mid-block", hdr + "{ PROPERTY = Retry_count; MAX = 10;", "4:36", "expected '}' to close the property block opened at 4:1, found end of file"},
		{"truncated mid-value", "Resource_type = t;\nStart = /s", "2:11", "expected ';' after value of Start, found end of file"},
		{"truncated after =", hdr + "{ PROPERTY = Retry_count; MAX =", "4:32", "expected a value or ';' after '=' in MAX, found end of file"},
		{"truncated in ENUM", hdr + "{ PROPERTY = E; EXTENSION; ENUM { A,", "4:37", "expected a value in the list of ENUM, found end of file"},
		{"missing semicolon", "Resource_type = t\nStart = /s;", "2:1", `expected ';' after value of Resource_type, found "Start"`},
		{"two words", "Resource_type = t;\nRT_description = Demo agent;", "2:23", `expected ';' after value of RT_description, found "agent"`},
		{"missing =", "Resource_type t;", "1:15", `expected '=' after Resource_type, found "t"`},
		{"unterminated string", "Resource_type = \"abc;\nStart = /s;", "1:17", "unterminated string"},
		{"unterminated string at EOF", "Resource_type = \"abc", "1:17", "unterminated string"},
		{"stray character", "Resource_type = t;\nStart = /s; |\n", "2:13", "unexpected character '|'"},
		{"stray control byte", "Resource_type = t;\x01", "1:19", "unexpected byte 0x01"},
		{"stray semicolon", "Resource_type = t;;", "1:19", "expected a property name, '{' or an upgrade directive, found ';'"},
		{"stray brace", hdr + "}", "4:1", "found '}'"},
		{"path as a name", "/opt/x = 1;", "1:1", `expected a property name, found "/opt/x"`},
		{"attribute without semicolon", hdr + "{ PROPERTY = X; EXTENSION\n STRING; }", "5:2", `expected ';' after EXTENSION, found "STRING"`},
		{"value after comma missing", "Resource_type = t; Pkglist = a,;", "1:32", "expected a value after ',' in Pkglist, found ';'"},
		{"invalid UTF-8 in string", "Resource_type = t; RT_description = \"\xff\";", "1:38", "invalid UTF-8"},
		{"unknown directive", "Resource_type = t;\n#$upgrade_form \"1\" anytime", "2:1", "unknown directive #$upgrade_form"},
		{"directive missing condition", hdr + "#$upgrade\n#$upgrade_from \"1.0\"\n", "5:1", "expected ANYTIME, WHEN_OFFLINE"},
		{"directive junk", hdr + "#$upgrade now\n", "4:11", `unexpected "now" after #$upgrade`},

		// The first declaration.
		{"empty file", "", "1:1", "missing Resource_type"},
		{"only comments", "# nothing\n#pragma ident \"x\"\n", "3:1", "missing Resource_type"},
		{"Resource_type not first", "Vendor_id = X;\nResource_type = t;", "1:1", "expected Resource_type = name; as the first declaration, found Vendor_id"},
		{"block first", "{ PROPERTY = Retry_count; }\nResource_type = t;", "1:1", "found a property block"},

		// RT properties.
		{"unknown keyword", "Resource_type = t;\nFoo = 1;", "2:1", `unknown resource type property "Foo" (expected one of Resource_type, Vendor_id,`},
		{"resource property at RT level", "Resource_type = t;\nRetry_count = 1;", "2:1", "Retry_count is a resource property"},
		{"Installed_nodes", "Resource_type = t;\nInstalled_nodes = n1;", "2:1", "Installed_nodes can't be set in an RTR file"},
		{"RT_system", "Resource_type = t;\nrt_system = TRUE;", "2:1", "RT_system can't be set in an RTR file"},
		{"Resource_list", "Resource_type = t;\nResource_list = r;", "2:1", "Resource_list is query-only"},
		{"duplicate RT property", "Resource_type = t;\nStart = /s;\nSTART = /u;", "3:1", "duplicate Start (first set at 2:1)"},
		{"list for a scalar", "Resource_type = t;\nStart = /a, /b;", "2:13", "Start takes one value, not a list"},
		{"bad boolean", "Resource_type = t;\nFailover = yes;", "2:12", `bad value for Failover: "yes" is not TRUE or FALSE`},
		{"bad Init_nodes", "Resource_type = t;\nInit_nodes = all;", "2:14", "bad value for Init_nodes"},
		{"API_version too small", "Resource_type = t;\nAPI_version = 1;", "2:15", "less than MIN 2"},
		{"API_version not a number", "Resource_type = t;\nAPI_version = two;", "2:15", "not an integer"},
		{"missing start", "Resource_type = t;\nStop = /x;", "1:1", "missing a start method: declare Start or Prenet_start"},
		{"missing stop", "Resource_type = t;\nPrenet_start = /x;", "1:1", "missing a stop method: declare Stop or Postnet_stop"},
		{"empty start", "Resource_type = t;\nStart = ;\nStop = /x;", "1:1", "missing a start method"},
		{"bad type name", "Resource_type = \"9lives\";\nStart = /s; Stop = /t;", "1:17", "must start with a letter"},
		{"empty type name", "Resource_type = ;\nStart = /s; Stop = /t;", "1:1", "empty Resource_type name"},
		{"bad vendor", "Resource_type = t;\nVendor_id = \"AC ME\";\nStart = /s; Stop = /t;", "2:13", "Vendor_id name"},
		{"bad version", "Resource_type = t;\nRT_version = \"1 0\";\nStart = /s; Stop = /t;", "2:14", "RT_version \"1 0\" may not contain"},
		{"relative RT_basedir", "Resource_type = t;\nRT_basedir = opt/x;\nStart = /s; Stop = /t;", "2:14", "RT_basedir \"opt/x\" must be an absolute path"},
		{"relative method, no basedir", "Resource_type = t;\nStart = /s;\nStop = t_stop;", "3:8", `Stop path "t_stop" is relative and RT_basedir is not set`},
		{"assignment after a block", hdr + "{ PROPERTY = Retry_count; }\nFailover = TRUE;", "5:1", "Failover must come before the property blocks (the first is at 4:1)"},

		// Upgrade directives.
		{"upgrade_from without upgrade", hdr + "#$upgrade_from \"1\" anytime\n", "4:1", "#$upgrade_from without #$upgrade"},
		{"upgrade without RT_version", hdr + "#$upgrade\n", "4:1", "#$upgrade needs RT_version"},
		{"duplicate upgrade", hdr + "RT_version = 2;\n#$upgrade\n#$Upgrade\n", "6:1", "duplicate #$upgrade (first at 5:1)"},
		{"unknown condition", hdr + "RT_version = 2;\n#$upgrade\n#$upgrade_from \"1\" sometimes\n", "6:20", `unknown upgrade condition "sometimes"`},
		{"duplicate upgrade_from", hdr + "RT_version = 2;\n#$upgrade\n#$upgrade_from \"1\" anytime\n#$upgrade_from \"1\" when_offline\n", "7:1", `duplicate #$upgrade_from "1" (first at 6:1)`},
		{"bad upgrade version", hdr + "RT_version = 2;\n#$upgrade\n#$upgrade_from \"1;2\" anytime\n", "6:16", "bad version in #$upgrade_from"},

		// Property blocks.
		{"empty block", hdr + "{ }", "4:3", "expected PROPERTY = name; as the first attribute"},
		{"PROPERTY not first", hdr + "{ DEFAULT = 1; PROPERTY = Retry_count; }", "4:3", "expected PROPERTY = name; as the first attribute"},
		{"PROPERTY twice", hdr + "{ PROPERTY = Retry_count; PROPERTY = x; }", "4:27", "duplicate PROPERTY"},
		{"PROPERTY list", hdr + "{ PROPERTY = a, b; }", "4:3", "PROPERTY takes one name"},
		{"unknown attribute", hdr + "{ PROPERTY = Retry_count; MAXIMUM = 10; }", "4:27", `unknown attribute "MAXIMUM" in the block of Retry_count (expected one of PROPERTY, EXTENSION,`},
		{"duplicate attribute", hdr + "{ PROPERTY = Retry_count; MAX = 1;\n max = 2; }", "5:2", "duplicate MAX in the block of Retry_count (first at 4:27)"},
		{"duplicate property", hdr + "{ PROPERTY = Retry_count; }\n{ PROPERTY = retry_COUNT; }", "5:14", "duplicate property block for retry_COUNT (first at 4:14)"},
		{"duplicate extension", hdr + "{ PROPERTY = E; EXTENSION; INT; }\n{ PROPERTY = e; EXTENSION; STRING; }", "5:14", "duplicate property block for e"},
		{"bad number", hdr + "{ PROPERTY = Retry_count; MAX = 1O; }", "4:33", `bad number "1O" for MAX: expected an integer`},
		{"number too large", hdr + "{ PROPERTY = Retry_count; MIN = 99999999999; }", "4:33", `bad number "99999999999" for MIN`},
		{"negative length", hdr + "{ PROPERTY = S; EXTENSION; STRING; MINLENGTH = -1; }", "4:48", "bad number -1 for MINLENGTH: it can't be negative"},
		{"MIN > MAX", hdr + "{ PROPERTY = Retry_count; MIN = 5; MAX = 2; }", "4:36", "property Retry_count: MIN 5 is greater than MAX 2"},
		{"MAXLENGTH < MINLENGTH", hdr + "{ PROPERTY = S; EXTENSION; STRING;\n MAXLENGTH = 1;\n MINLENGTH = 3; }", "6:2", "MINLENGTH 3 is greater than MAXLENGTH 1"},
		{"MIN on a string", hdr + "{ PROPERTY = S; EXTENSION; STRING; MIN = 1; }", "4:36", "MIN and MAX apply only to INT properties"},
		{"ARRAY_MAXSIZE on a scalar", hdr + "{ PROPERTY = Failover_mode; ARRAY_MAXSIZE = 1; }", "4:29", "ARRAY_MINSIZE and ARRAY_MAXSIZE apply only to array properties"},
		{"default above MAX", hdr + "{ PROPERTY = Retry_count; MAX = 10; DEFAULT = 11; }", "4:47", `property Retry_count: DEFAULT "11" is not valid: 11 is greater than MAX 10`},
		{"standard default outside new bound", hdr + "{ PROPERTY = Start_timeout; MAX = 60; }", "4:29", `DEFAULT "3600" is not valid`},
		{"default too short", hdr + "{ PROPERTY = S; EXTENSION; STRING; MINLENGTH = 2; DEFAULT = a; }", "4:61", "less than MINLENGTH 2"},
		{"default too many elements", hdr + "{ PROPERTY = L; EXTENSION; STRINGARRAY; ARRAY_MAXSIZE = 1; DEFAULT = a, b; }", "4:70", "more than ARRAY_MAXSIZE 1"},
		{"enum default not in list", hdr + "{ PROPERTY = Log_level; EXTENSION; ENUM { Low, High };\n DEFAULT = Medium; }", "5:12", `"Medium" is not one of Low, High`},
		{"bad system enum default", hdr + "{ PROPERTY = Failover_mode; DEFAULT = sometimes; }", "4:39", `"sometimes" is not one of NONE, SOFT`},
		{"bad boolean default", hdr + "{ PROPERTY = B; EXTENSION; BOOLEAN; DEFAULT = 1; }", "4:47", `"1" is not TRUE or FALSE`},
		{"list default for a scalar", hdr + "{ PROPERTY = S; EXTENSION; STRING; DEFAULT = a, b; }", "4:49", "DEFAULT takes one value, not a list"},
		{"empty int default", hdr + "{ PROPERTY = Retry_count; DEFAULT = ; }", "4:27", "is not an integer"},
		{"enum value twice", hdr + "{ PROPERTY = E; EXTENSION; ENUM { A, b, a }; }", "4:41", `enum value "a" of E listed twice (first at 4:35)`},
		{"enum value not a name", hdr + "{ PROPERTY = E; EXTENSION; ENUM { A, \"b c\" }; }", "4:38", `enum value "b c" of E is not a name`},
		{"empty enum", hdr + "{ PROPERTY = E; EXTENSION; ENUM { }; }", "4:28", "ENUM of E has no values"},
		{"ENUM without braces", hdr + "{ PROPERTY = E; EXTENSION; ENUM; }", "4:28", "expected '{' after ENUM"},
		{"flag with a value", hdr + "{ PROPERTY = E; EXTENSION = TRUE; INT; }", "4:17", "EXTENSION takes no value"},
		{"value attribute as a flag", hdr + "{ PROPERTY = E; EXTENSION; INT; DEFAULT; }", "4:33", "expected '=' after DEFAULT"},
		{"braces on DEFAULT", hdr + "{ PROPERTY = E; EXTENSION; INT; DEFAULT { 1 }; }", "4:33", "DEFAULT takes no list in braces"},
		{"bad TUNABLE", hdr + "{ PROPERTY = Retry_count; TUNABLE = SOMETIMES; }", "4:37", `unknown TUNABLE "SOMETIMES"`},
		{"type redeclared on system property", hdr + "{ PROPERTY = Retry_count; INT; }", "4:27", "Retry_count is a system property; its type can't be redeclared"},
		{"ENUM on system property", hdr + "{ PROPERTY = failover_mode; ENUM { A }; }", "4:29", "Failover_mode is a system property; its type can't be redeclared"},
		{"EXTENSION on system property", hdr + "{ PROPERTY = Retry_count; EXTENSION; }", "4:27", "Retry_count is a system property"},
		{"PER_NODE on system property", hdr + "{ PROPERTY = Retry_count; PER_NODE; }", "4:27", "PER_NODE applies only to extension properties"},
		{"query-only system property", hdr + "{ PROPERTY = Type_version; DEFAULT = 1; }", "4:14", "Type_version is a query-only system property"},
		{"timeout of an undeclared method", hdr + "{ PROPERTY = Boot_timeout; MIN = 60; }", "4:14", "Boot_timeout is declared, but the type has no Boot method"},
		{"extension without type", hdr + "{ PROPERTY = Confdir; EXTENSION; DEFAULT = x; }", "4:23", "extension property Confdir: expected a type: STRING, INT, BOOLEAN, ENUM or STRINGARRAY"},
		{"extension with two types", hdr + "{ PROPERTY = C; EXTENSION; STRING; INT; }", "4:36", "a second type INT for C (first STRING at 4:28)"},
		{"unknown system property", hdr + "{ PROPERTY = Confdir; STRING; }", "4:14", "unknown system property Confdir; an extension property needs EXTENSION and a type"},
		{"RT property in a block", hdr + "{ PROPERTY = Failover; DEFAULT = TRUE; }", "4:14", "Failover is a resource type property"},
		{"bad extension name", hdr + "{ PROPERTY = \"my.prop\"; EXTENSION; STRING; }", "4:14", "may hold only letters, digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := Load("bad.rtr", []byte(tt.src))
			if err == nil {
				t.Fatalf("Load succeeded: %+v", rt)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if got := e.Line; itoa(got)+":"+itoa(e.Col) != tt.pos {
				t.Errorf("position %d:%d, want %s (%v)", e.Line, e.Col, tt.pos, err)
			}
			if !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("message %q\n  does not contain %q", e.Msg, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "bad.rtr:"+tt.pos+": ") {
				t.Errorf("Error() = %q", err.Error())
			}
			if c := scha.CodeOf(err); c != scha.ErrRT {
				t.Errorf("scha.CodeOf = %v, want ErrRT", c.Symbol())
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "f.rtr", Line: 3, Col: 7, Msg: "expected ';'"}
	if got := e.Error(); got != "f.rtr:3:7: expected ';'" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Line: 1, Col: 2, Msg: "m"}).Error(); got != "1:2: m" {
		t.Errorf("Error() without file = %q", got)
	}
	var err error = e
	if scha.CodeOf(err) != scha.ErrRT || scha.DetailOf(err) != "f.rtr:3:7: expected ';'" {
		t.Errorf("CodeOf %v, DetailOf %q", scha.CodeOf(err), scha.DetailOf(err))
	}
	_, err = Parse("p.rtr", []byte("{"))
	if scha.CodeOf(err) != scha.ErrRT {
		t.Errorf("Parse error code = %v", scha.CodeOf(err))
	}
}

func TestParse(t *testing.T) {
	src := "Resource_type = \"x\"; # c\n#$upgrade\n#$upgrade_from \"1\" anytime\n{ PROPERTY = E;\n  EXTENSION; ENUM { A, B }; DEFAULT = ; }\n"
	f, err := Parse("p.rtr", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		Name: "p.rtr",
		Decls: []Decl{
			&Assign{NamePos: Pos{1, 1}, Name: "Resource_type", Values: []Value{{Pos: Pos{1, 17}, Text: "x", Quoted: true}}},
			&Upgrade{Pos: Pos{2, 1}},
			&UpgradeFrom{Pos: Pos{3, 1}, Version: Value{Pos: Pos{3, 16}, Text: "1", Quoted: true}, When: Value{Pos: Pos{3, 20}, Text: "anytime"}},
			&Block{Lbrace: Pos{4, 1}, Rbrace: Pos{5, 41}, Attrs: []*Attr{
				{NamePos: Pos{4, 3}, Name: "PROPERTY", Form: AttrAssign, Values: []Value{{Pos: Pos{4, 14}, Text: "E"}}},
				{NamePos: Pos{5, 3}, Name: "EXTENSION", Form: AttrFlag},
				{NamePos: Pos{5, 14}, Name: "ENUM", Form: AttrList, Values: []Value{{Pos: Pos{5, 21}, Text: "A"}, {Pos: Pos{5, 24}, Text: "B"}}},
				{NamePos: Pos{5, 29}, Name: "DEFAULT", Form: AttrAssign},
			}},
		},
		End: Pos{6, 1},
	}
	if !reflect.DeepEqual(f, want) {
		for i := range min(len(f.Decls), len(want.Decls)) {
			if !reflect.DeepEqual(f.Decls[i], want.Decls[i]) {
				t.Errorf("Decls[%d] = %+v, want %+v", i, f.Decls[i], want.Decls[i])
			}
		}
		t.Errorf("Parse = %+v, want %+v", f, want)
	}
}

// TestNoAliasing makes sure a loaded type shares nothing with the
// standard tables of package model.
func TestNoAliasing(t *testing.T) {
	rt := loadFile(t, "testdata/acme.webapp")
	rt.Params[1].EnumList[0] = "CHANGED"
	*rt.Params[0].Min = 1234
	d, _, _ := model.LookupResourceProp("Failover_mode")
	if d.EnumList[0] != "NONE" {
		t.Error("Failover_mode's enum list of package model changed")
	}
	d, _, _ = model.LookupResourceProp("Start_timeout")
	if *d.Min != 1 {
		t.Error("Start_timeout's MIN of package model changed")
	}
}

func FuzzLoad(f *testing.F) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			continue // directories such as testdata/fuzz
		}
		f.Add(src)
	}
	f.Add([]byte(hdr + "{ PROPERTY = E; EXTENSION; ENUM { A, B }; DEFAULT = a; }\n#$upgrade\n#$upgrade_from \"1\" anytime\n"))
	f.Add([]byte("Resource_type = \"x\\\"y\"; Pkglist = a, b; Start = s; Stop = t;"))
	f.Fuzz(func(t *testing.T, src []byte) {
		rt, err := Load("/fuzz/FOO.rtr", src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			if e.Line < 1 || e.Col < 1 {
				t.Fatalf("bad position in %v", err)
			}
			if scha.CodeOf(err) != scha.ErrRT {
				t.Fatalf("code %v for %v", scha.CodeOf(err), err)
			}
			return
		}
		for _, d := range model.RTProps() {
			if _, ok := rt.Props[d.Name]; !ok {
				t.Fatalf("Props lacks %s", d.Name)
			}
		}
		if len(rt.Props) != len(model.RTProps()) {
			t.Fatalf("Props has %d entries, want %d", len(rt.Props), len(model.RTProps()))
		}
		for i := range rt.Params {
			d := rt.Params[i]
			if err := d.Check(); err != nil {
				t.Fatalf("loaded declaration fails Check: %v", err)
			}
		}
	})
}
