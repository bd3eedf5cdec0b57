package query

import (
	"slices"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

func sp(s string) *string { return &s }

var now = time.Unix(1_800_000_000, 0)

func fixture() *model.Config {
	return &model.Config{
		ClusterName: "democluster",
		Nodes:       []model.Node{{Name: "node2", ID: 2}, {Name: "node1", ID: 1}, {Name: "node3", ID: 3}},
		Types: map[string]*model.ResourceType{
			"ACME.webapp:1.0": {
				Name: "ACME.webapp:1.0",
				Props: map[string]string{
					"API_version": "2", "RT_basedir": "/opt/acme/bin", "Start": "webapp_start",
					"Stop": "webapp_stop", "Failover": "TRUE", "Init_nodes": "RG_PRIMARIES",
					"Installed_nodes": "*", "Pkglist": "ACMEweb,ACMEcommon", "RT_version": "1.0",
				},
				Params: []model.PropDecl{
					{Name: "Retry_count", Type: model.TypeInt, Default: sp("2")},
					{Name: "Confdir", Type: model.TypeString, Extension: true},
					{Name: "Log_level", Type: model.TypeEnum, Extension: true, EnumList: []string{"Low", "Normal"}, Default: sp("Normal")},
					{Name: "Dirs", Type: model.TypeStringArray, Extension: true, Default: sp("")},
					{Name: "Level", Type: model.TypeInt, Extension: true, PerNode: true, Default: sp("1")},
				},
				Seq: 3,
			},
			"ACME.other": {Name: "ACME.other", Props: map[string]string{}, Seq: 4},
			"BETA.other": {Name: "BETA.other", Props: map[string]string{}, Seq: 5},
		},
		Groups: map[string]*model.ResourceGroup{
			"web-rg": {
				Name:  "web-rg",
				Props: map[string]string{"Nodelist": "node1,node2", "RG_mode": "Failover"},
				Nodes: map[string]*model.RGNode{
					"node1": {State: "ONLINE", Desired: "ONLINE", Restarts: []int64{now.Unix() - 10, now.Unix() - 5000}},
					"node3": {Desired: "OFFLINE"},
				},
				Seq: 6,
			},
			"empty-rg": {Name: "empty-rg", Props: map[string]string{}, Seq: 7},
		},
		Resources: map[string]*model.Resource{
			"web": {
				Name: "web", Group: "web-rg", Type: "ACME.webapp:1.0",
				Props: map[string]string{
					"retry_count": "3", "Retry_interval": "600",
					"Resource_dependencies": "db{LOCAL_NODE},fs",
				},
				Ext:     map[string]string{"Confdir": "/etc/web", "Dirs": "/a,/b", "Level": "3"},
				ExtNode: map[string]map[string]string{"Level": {"node2": "5"}},
				Nodes: map[string]*model.RNode{
					"node1": {State: "ONLINE", Status: "DEGRADED", StatusMsg: "slow", OnOff: "ENABLED", Monitored: "ENABLED",
						Restarts: []int64{now.Unix() - 1, now.Unix() - 600, now.Unix() - 601}},
				},
				Seq: 8,
			},
			"app": {Name: "app", Group: "web-rg", Type: "ACME.webapp:1.0", Props: map[string]string{}, Seq: 9},
		},
		Seq: 9,
	}
}

var env = Env{Node: "node1", Now: now}

func TestGet(t *testing.T) {
	tests := []struct {
		name   string
		a      wire.GetArgs
		env    *Env
		want   []string
		typ    scha.ResultType
		ext    string
		seq    uint64
		code   scha.ErrCode
		detail string
	}{
		{name: "retry count folds case", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "Retry_Count"}, want: []string{"3"}, typ: scha.ResultInt, seq: 8},
		{name: "with group", a: wire.GetArgs{Kind: "resource", Name: "web", Group: "web-rg", Tag: "GROUP"}, want: []string{"web-rg"}, seq: 8},
		{name: "wrong group", a: wire.GetArgs{Kind: "resource", Name: "web", Group: "empty-rg", Tag: "GROUP"}, code: scha.ErrRG},
		{name: "unknown group", a: wire.GetArgs{Kind: "resource", Name: "web", Group: "nope", Tag: "GROUP"}, code: scha.ErrRG},
		{name: "unknown resource", a: wire.GetArgs{Kind: "resource", Name: "nope", Group: "nope", Tag: "GROUP"}, code: scha.ErrRsrc},
		{name: "undeclared property", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "THOROUGH_PROBE_INTERVAL"}, code: scha.ErrProp},
		{name: "standard default", a: wire.GetArgs{Kind: "resource", Name: "app", Tag: "FAILOVER_MODE"}, want: []string{"NONE"}, typ: scha.ResultEnum, seq: 9},
		{name: "type version from type", a: wire.GetArgs{Kind: "resource", Name: "app", Tag: "TYPE_VERSION"}, want: []string{"1.0"}, seq: 9},
		{name: "type", a: wire.GetArgs{Kind: "resource", Name: "app", Tag: "TYPE"}, want: []string{"ACME.webapp:1.0"}, seq: 9},
		{name: "rt prop via resource", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "rt_basedir"}, want: []string{"/opt/acme/bin"}, seq: 8},
		{name: "rt default via resource", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "PROXY"}, want: []string{"FALSE"}, typ: scha.ResultBoolean, seq: 8},
		{name: "deps keep qualifiers", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "RESOURCE_DEPENDENCIES"}, want: []string{"db{LOCAL_NODE}", "fs"}, typ: scha.ResultStringArray, seq: 8},
		{name: "empty deps", a: wire.GetArgs{Kind: "resource", Name: "app", Tag: "RESOURCE_DEPENDENCIES_WEAK"}, want: []string{}, typ: scha.ResultStringArray, seq: 9},
		{name: "extension", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION", Operands: []string{"confdir"}}, want: []string{"/etc/web"}, typ: scha.ResultExtension, ext: "STRING", seq: 8},
		{name: "extension default", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION", Operands: []string{"Log_level"}}, want: []string{"Normal"}, ext: "ENUM", seq: 8},
		{name: "extension array", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION", Operands: []string{"Dirs"}}, want: []string{"/a", "/b"}, ext: "STRINGARRAY", seq: 8},
		{name: "extension empty array", a: wire.GetArgs{Kind: "resource", Name: "app", Tag: "EXTENSION", Operands: []string{"Dirs"}}, want: []string{}, ext: "STRINGARRAY", seq: 9},
		{name: "extension not extension", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION", Operands: []string{"Retry_count"}}, code: scha.ErrProp},
		{name: "extension undeclared", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION", Operands: []string{"Nope"}}, code: scha.ErrProp},
		{name: "extension no operand", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION"}, code: scha.ErrInval},
		{name: "extension_node", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION_NODE", Operands: []string{"Confdir", "node2"}}, want: []string{"/etc/web"}, ext: "STRING", seq: 8},
		{name: "extension_node bad node", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION_NODE", Operands: []string{"Confdir", "nodeX"}}, code: scha.ErrNode},
		{name: "all extensions", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "ALL_EXTENSIONS"}, want: []string{"Confdir", "Log_level", "Dirs", "Level"}, seq: 8},
		{name: "per-node extension, local node", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION", Operands: []string{"Level"}}, want: []string{"3"}, ext: "INT", seq: 8},
		{name: "per-node extension, other node", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION", Operands: []string{"level"}}, env: &Env{Node: "node2"}, want: []string{"5"}, ext: "INT", seq: 8},
		{name: "extension_node own value", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION_NODE", Operands: []string{"Level", "node2"}}, want: []string{"5"}, ext: "INT", seq: 8},
		{name: "extension_node default", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION_NODE", Operands: []string{"Level", "node3"}}, want: []string{"3"}, ext: "INT", seq: 8},
		{name: "state local", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "RESOURCE_STATE"}, want: []string{"ONLINE"}, seq: 8},
		{name: "state other node default", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "RESOURCE_STATE_NODE", Operands: []string{"node2"}}, want: []string{"OFFLINE"}, seq: 8},
		{name: "state unknown node", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "RESOURCE_STATE_NODE", Operands: []string{"nodeX"}}, code: scha.ErrNode},
		{name: "state local node unknown", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "RESOURCE_STATE"}, env: &Env{Node: "stranger"}, code: scha.ErrNode},
		{name: "status", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "STATUS"}, want: []string{"DEGRADED", "slow"}, typ: scha.ResultStatus, seq: 8},
		{name: "status default", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "STATUS_NODE", Operands: []string{"node3"}}, want: []string{"OFFLINE", ""}, seq: 8},
		{name: "switch", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "ON_OFF_SWITCH"}, want: []string{"ENABLED"}, seq: 8},
		{name: "switch default", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "MONITORED_SWITCH_NODE", Operands: []string{"node2"}}, want: []string{"DISABLED"}, seq: 8},
		{name: "restarts in interval", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "NUM_RESOURCE_RESTARTS"}, want: []string{"2"}, seq: 8},
		{name: "restarts zone global", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "NUM_RESOURCE_RESTARTS_ZONE", Operands: []string{"global"}}, want: []string{"2"}, seq: 8},
		{name: "restarts zone other", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "NUM_RESOURCE_RESTARTS_ZONE", Operands: []string{"node2"}}, want: []string{"0"}, seq: 8},
		{name: "rg restarts in interval", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "NUM_RG_RESTARTS"}, want: []string{"1"}, seq: 8},
		{name: "rg restarts no interval counts all", a: wire.GetArgs{Kind: "resource", Name: "app", Tag: "NUM_RG_RESTARTS"}, want: []string{"2"}, seq: 9},
		{name: "unknown optag", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "NODELIST"}, code: scha.ErrTag},
		{name: "extra operand", a: wire.GetArgs{Kind: "resource", Name: "web", Tag: "RETRY_COUNT", Operands: []string{"x"}}, code: scha.ErrInval},
		{name: "unknown kind", a: wire.GetArgs{Kind: "node", Tag: "RETRY_COUNT"}, code: scha.ErrInval},

		{name: "rt full", a: wire.GetArgs{Kind: "resourcetype", Name: "ACME.webapp:1.0", Tag: "API_VERSION"}, want: []string{"2"}, seq: 3},
		{name: "rt short", a: wire.GetArgs{Kind: "resourcetype", Name: "webapp", Tag: "RT_VERSION"}, want: []string{"1.0"}, seq: 3},
		{name: "rt no version", a: wire.GetArgs{Kind: "resourcetype", Name: "ACME.webapp", Tag: "FAILOVER"}, want: []string{"TRUE"}, seq: 3},
		{name: "rt ambiguous", a: wire.GetArgs{Kind: "resourcetype", Name: "other", Tag: "FAILOVER"}, code: scha.ErrRT},
		{name: "rt unknown", a: wire.GetArgs{Kind: "resourcetype", Name: "nope", Tag: "FAILOVER"}, code: scha.ErrRT},
		{name: "rt installed all", a: wire.GetArgs{Kind: "resourcetype", Name: "webapp", Tag: "INSTALLED_NODES"}, want: []string{"*"}, seq: 3},
		{name: "rt resource list", a: wire.GetArgs{Kind: "resourcetype", Name: "webapp", Tag: "RESOURCE_LIST"}, want: []string{"app", "web"}, seq: 3},
		{name: "rt unset method", a: wire.GetArgs{Kind: "resourcetype", Name: "webapp", Tag: "VALIDATE"}, want: []string{""}, seq: 3},

		{name: "rg nodelist", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "nodelist"}, want: []string{"node1", "node2"}, seq: 6},
		{name: "rg mode", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "RG_MODE"}, want: []string{"Failover"}, seq: 6},
		{name: "rg default", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "PINGPONG_INTERVAL"}, want: []string{"3600"}, seq: 6},
		{name: "rg state", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "RG_STATE"}, want: []string{"ONLINE"}, seq: 6},
		{name: "rg state node", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "RG_STATE_NODE", Operands: []string{"node2"}}, want: []string{"UNMANAGED"}, seq: 6},
		{name: "rg state bad node", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "RG_STATE_NODE", Operands: []string{"x"}}, code: scha.ErrNode},
		{name: "rg resources", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "RESOURCE_LIST"}, want: []string{"app", "web"}, seq: 6},
		{name: "rg no resources", a: wire.GetArgs{Kind: "resourcegroup", Name: "empty-rg", Tag: "RESOURCE_LIST"}, want: []string{}, seq: 7},
		{name: "rg unknown", a: wire.GetArgs{Kind: "resourcegroup", Name: "nope", Tag: "RG_STATE"}, code: scha.ErrRG},
		{name: "rg missing nodelist", a: wire.GetArgs{Kind: "resourcegroup", Name: "empty-rg", Tag: "NODELIST"}, code: scha.ErrProp},

		{name: "cluster name", a: wire.GetArgs{Kind: "cluster", Tag: "CLUSTERNAME"}, want: []string{"democluster"}, seq: 9},
		{name: "node names by id", a: wire.GetArgs{Kind: "cluster", Tag: "ALL_NODENAMES"}, want: []string{"node1", "node2", "node3"}, seq: 9},
		{name: "node ids", a: wire.GetArgs{Kind: "cluster", Tag: "ALL_NODEIDS"}, want: []string{"1", "2", "3"}, typ: scha.ResultUintArray, seq: 9},
		{name: "nodeid local", a: wire.GetArgs{Kind: "cluster", Tag: "NODEID_LOCAL"}, want: []string{"1"}, typ: scha.ResultUint, seq: 9},
		{name: "nodename nodeid", a: wire.GetArgs{Kind: "cluster", Tag: "NODENAME_NODEID", Operands: []string{"2"}}, want: []string{"node2"}, seq: 9},
		{name: "nodename nodeid bad", a: wire.GetArgs{Kind: "cluster", Tag: "NODENAME_NODEID", Operands: []string{"two"}}, code: scha.ErrInval},
		{name: "nodename nodeid unknown", a: wire.GetArgs{Kind: "cluster", Tag: "NODENAME_NODEID", Operands: []string{"9"}}, code: scha.ErrNode},
		{name: "nodeid nodename", a: wire.GetArgs{Kind: "cluster", Tag: "NODEID_NODENAME", Operands: []string{"node3"}}, want: []string{"3"}, seq: 9},
		{name: "nodeid nodename unknown", a: wire.GetArgs{Kind: "cluster", Tag: "NODEID_NODENAME", Operands: []string{"x"}}, code: scha.ErrNode},
		{name: "nodestate local", a: wire.GetArgs{Kind: "cluster", Tag: "NODESTATE_LOCAL"}, want: []string{"UP"}, seq: 9},
		{name: "nodestate other", a: wire.GetArgs{Kind: "cluster", Tag: "NODESTATE_NODE", Operands: []string{"node2"}}, want: []string{"DOWN"}, seq: 9},
		{name: "facility default", a: wire.GetArgs{Kind: "cluster", Tag: "SYSLOG_FACILITY"}, want: []string{"24"}, seq: 9},
		{name: "facility set", a: wire.GetArgs{Kind: "cluster", Tag: "SYSLOG_FACILITY"}, env: &Env{Node: "node1", Facility: 128}, want: []string{"128"}, seq: 9},
		{name: "groups", a: wire.GetArgs{Kind: "cluster", Tag: "ALL_RESOURCEGROUPS"}, want: []string{"empty-rg", "web-rg"}, seq: 9},
		{name: "types", a: wire.GetArgs{Kind: "cluster", Tag: "ALL_RESOURCETYPES"}, want: []string{"ACME.other", "ACME.webapp:1.0", "BETA.other"}, seq: 9},
		{name: "zones", a: wire.GetArgs{Kind: "cluster", Tag: "ALL_ZONES_NODEID", Operands: []string{"3"}}, want: []string{"node3"}, seq: 9},
		{name: "hard loadlimit", a: wire.GetArgs{Kind: "cluster", Tag: "HARD_LOADLIMIT", Operands: []string{"mem"}}, want: []string{}, seq: 9},
		{name: "cluster unknown optag", a: wire.GetArgs{Kind: "cluster", Tag: "NO_SUCH_OPTAG"}, code: scha.ErrTag},
		{name: "resource security", a: wire.GetArgs{Kind: "cluster", Tag: "RESOURCE_SECURITY"}, want: []string{"SECURE"}, seq: 9},
		{name: "rg failover timeout", a: wire.GetArgs{Kind: "cluster", Tag: "RG_FAILOVER_TIMEOUT"}, want: []string{"0"}, typ: scha.ResultInt, seq: 9},
		{name: "rg target nodes", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "TARGET_NODES"}, want: []string{"node1"}, seq: 6},
		{name: "rg target nodes none", a: wire.GetArgs{Kind: "resourcegroup", Name: "empty-rg", Tag: "TARGET_NODES"}, want: []string{}, seq: 7},
		{name: "rg priority default", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "PRIORITY"}, want: []string{"500"}, typ: scha.ResultInt, seq: 6},
		{name: "rg load factors default", a: wire.GetArgs{Kind: "resourcegroup", Name: "web-rg", Tag: "LOAD_FACTORS"}, want: []string{}, seq: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env
			if tt.env != nil {
				e = *tt.env
				e.Now = now
			}
			got, err := Get(fixture(), e, tt.a)
			if tt.code != scha.ErrNoErr {
				if scha.CodeOf(err) != tt.code {
					t.Fatalf("err = %v (code %d), want code %d", err, scha.CodeOf(err), tt.code)
				}
				var se *scha.Error
				if got != nil || err == nil || !asScha(err, &se) {
					t.Fatalf("got %v, %T; want nil, *scha.Error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !slices.Equal(got.Values, tt.want) || got.Values == nil {
				t.Errorf("values = %q, want %q", got.Values, tt.want)
			}
			if tt.typ != "" && got.Type != tt.typ {
				t.Errorf("type = %q, want %q", got.Type, tt.typ)
			}
			if got.ExtType != tt.ext {
				t.Errorf("ext type = %q, want %q", got.ExtType, tt.ext)
			}
			if got.Seq != tt.seq {
				t.Errorf("seq = %d, want %d", got.Seq, tt.seq)
			}
		})
	}
}

func asScha(err error, se **scha.Error) bool {
	e, ok := err.(*scha.Error)
	*se = e
	return ok
}

// TestKindsMatchWire keeps scha's kind names equal to the protocol's.
func TestKindsMatchWire(t *testing.T) {
	if scha.KindResource != wire.KindResource || scha.KindResourceType != wire.KindResourceType ||
		scha.KindResourceGroup != wire.KindResourceGroup || scha.KindCluster != wire.KindCluster {
		t.Fatal("scha.Kind* and wire.Kind* differ")
	}
}

// TestEveryTagAnswers runs every optag of every kind against the fixture
// (with plausible operands) and checks none is left unimplemented and every
// property-reading optag names a property the model knows.
func TestEveryTagAnswers(t *testing.T) {
	cfg := fixture()
	// Declare every conditional property so that none answers ErrProp.
	web := cfg.Resources["web"]
	for _, tg := range scha.Tags(scha.KindResource) {
		if tg.Prop != "" && !tg.RTProp {
			if _, ok := prop(web.Props, tg.Prop); !ok {
				web.Props[tg.Prop] = "1"
			}
		}
	}
	operands := map[string][]string{
		"EXTENSION": {"Confdir"}, "EXTENSION_NODE": {"Confdir", "node2"},
		"NODENAME_NODEID": {"1"}, "ALL_ZONES_NODEID": {"1"}, "ALL_NONGLOBAL_ZONES_NODEID": {"1"},
	}
	names := map[string]string{"resource": "web", "resourcetype": "ACME.webapp:1.0", "resourcegroup": "web-rg"}
	for _, kind := range []string{scha.KindResource, scha.KindResourceType, scha.KindResourceGroup, scha.KindCluster} {
		for _, tg := range scha.Tags(kind) {
			ops, ok := operands[tg.Name]
			if !ok && tg.Operands == 1 {
				ops = []string{"node2"}
			}
			got, err := Get(cfg, env, wire.GetArgs{Kind: kind, Name: names[kind], Tag: tg.Name, Operands: ops})
			if err != nil {
				if kind == scha.KindResourceGroup && scha.CodeOf(err) == scha.ErrProp {
					continue // the fixture group sets few properties and some have no default
				}
				t.Errorf("%s %s: %v", kind, tg.Name, err)
				continue
			}
			if got.Type != tg.Type || got.Values == nil {
				t.Errorf("%s %s: got %+v", kind, tg.Name, got)
			}
			if tg.Prop != "" {
				var known bool
				switch {
				case tg.RTProp:
					_, known = model.LookupRTProp(tg.Prop)
				case kind == scha.KindResourceGroup:
					_, known = model.LookupRGProp(tg.Prop)
				default:
					_, _, known = model.LookupResourceProp(tg.Prop)
				}
				if !known {
					t.Errorf("%s %s reads %q, which pkg/model does not declare", kind, tg.Name, tg.Prop)
				}
			}
		}
	}
}

func BenchmarkGet(b *testing.B) {
	cfg := fixture()
	a := wire.GetArgs{Kind: "resource", Name: "web", Tag: "EXTENSION", Operands: []string{"Dirs"}}
	for b.Loop() {
		if _, err := Get(cfg, env, a); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTimedTags: a tag whose answer moves with the time of asking must say
// so (Tag.Timed), or the C library would keep a stale answer (capi/cache.go).
func TestTimedTags(t *testing.T) {
	cfg := fixture()
	later := env
	later.Now = now.Add(24 * time.Hour)
	names := map[string]string{"resource": "web", "resourcetype": "ACME.webapp:1.0", "resourcegroup": "web-rg"}
	operands := map[string][]string{"EXTENSION": {"Confdir"}, "EXTENSION_NODE": {"Confdir", "node1"}}
	timed := 0
	for _, kind := range []string{scha.KindResource, scha.KindResourceType, scha.KindResourceGroup, scha.KindCluster} {
		for _, tg := range scha.Tags(kind) {
			ops, ok := operands[tg.Name]
			if !ok && tg.Operands == 1 {
				ops = []string{"node1"} // the node whose restarts the fixture records
			}
			a := wire.GetArgs{Kind: kind, Name: names[kind], Group: "web-rg", Tag: tg.Name, Operands: ops}
			if kind != scha.KindResource {
				a.Group = ""
			}
			g1, err1 := Get(cfg, env, a)
			g2, err2 := Get(cfg, later, a)
			moved := (err1 == nil) != (err2 == nil) || err1 == nil && !slices.Equal(g1.Values, g2.Values)
			if moved && !tg.Timed {
				t.Errorf("%s %s answers %v now and %v a day later, but is not Timed", kind, tg.Name, g1.Values, g2.Values)
			}
			if moved {
				timed++
			}
		}
	}
	if timed == 0 {
		t.Error("no tag moved with time: the fixture no longer exercises this test")
	}
}

// TestReferenceOptagsKnown: every optag the reference lists for a command
// is known (none answers SCHA_ERR_TAG).
func TestReferenceOptagsKnown(t *testing.T) {
	tags := map[string][]string{
		scha.KindResource: {"AFFINITY_TIMEOUT", "CHEAP_PROBE_INTERVAL", "THOROUGH_PROBE_INTERVAL", "RETRY_COUNT", "RETRY_INTERVAL",
			"BOOT_TIMEOUT", "FINI_TIMEOUT", "INIT_TIMEOUT", "START_TIMEOUT", "STOP_TIMEOUT", "PRENET_START_TIMEOUT", "POSTNET_STOP_TIMEOUT",
			"MONITOR_START_TIMEOUT", "MONITOR_STOP_TIMEOUT", "MONITOR_CHECK_TIMEOUT", "UPDATE_TIMEOUT", "VALIDATE_TIMEOUT",
			"ALL_EXTENSIONS", "EXTENSION", "EXTENSION_NODE", "FAILOVER_MODE", "GROUP", "TYPE", "TYPE_VERSION", "R_DESCRIPTION",
			"RESOURCE_PROJECT_NAME", "LOAD_BALANCING_POLICY", "LOAD_BALANCING_WEIGHTS", "NETWORK_RESOURCES_USED", "PORT_LIST",
			"RESOURCE_DEPENDENCIES", "RESOURCE_DEPENDENCIES_WEAK", "RESOURCE_DEPENDENCIES_RESTART", "RESOURCE_DEPENDENCIES_OFFLINE_RESTART",
			"MONITORED_SWITCH", "ON_OFF_SWITCH", "MONITORED_SWITCH_NODE", "ON_OFF_SWITCH_NODE", "NUM_RESOURCE_RESTARTS", "NUM_RG_RESTARTS",
			"NUM_RESOURCE_RESTARTS_ZONE", "NUM_RG_RESTARTS_ZONE", "RESOURCE_STATE", "RESOURCE_STATE_NODE", "STATUS", "STATUS_NODE",
			"SCALABLE", "UDP_AFFINITY", "WEAK_AFFINITY", "GLOBAL_ZONE_OVERRIDE",
			"API_VERSION", "BOOT", "FINI", "INIT", "START", "STOP", "PRENET_START", "POSTNET_STOP", "MONITOR_START", "MONITOR_STOP",
			"MONITOR_CHECK", "UPDATE", "VALIDATE", "FAILOVER", "GLOBAL_ZONE", "IS_LOGICAL_HOSTNAME", "IS_SHARED_ADDRESS", "PROXY",
			"RT_SYSTEM", "SINGLE_INSTANCE", "INIT_NODES", "INSTALLED_NODES", "PKGLIST", "RT_BASEDIR", "RT_DESCRIPTION", "RT_VERSION"},
		scha.KindResourceType: {"API_VERSION", "BOOT", "FAILOVER", "FINI", "GLOBAL_ZONE", "INIT", "INIT_NODES", "INSTALLED_NODES", "RESOURCE_LIST"},
		scha.KindResourceGroup: {"NODELIST", "RG_STATE", "RG_STATE_NODE", "RG_MODE", "FAILBACK", "RESOURCE_LIST",
			"AUTO_START_ON_NEW_CLUSTER", "IMPLICIT_NETWORK_DEPENDENCIES", "RG_IS_FROZEN", "RG_SYSTEM", "SUSPEND_AUTOMATIC_RECOVERY",
			"DESIRED_PRIMARIES", "MAXIMUM_PRIMARIES", "PINGPONG_INTERVAL", "RG_SLM_CPU_SHARES", "RG_SLM_PSET_MIN",
			"GLOBAL_RESOURCES_USED", "RG_AFFINITIES", "RG_DEPENDENCIES", "PATHPREFIX", "RG_DESCRIPTION", "RG_PROJECT_NAME",
			"RG_SLM_TYPE", "RG_SLM_PSET_TYPE", "TARGET_NODES", "PRIORITY", "LOAD_FACTORS"},
		scha.KindCluster: {"NODENAME_LOCAL", "NODENAME_NODEID", "NODEID_LOCAL", "NODEID_NODENAME", "ALL_NODENAMES", "ALL_NODEIDS",
			"NODESTATE_LOCAL", "NODESTATE_NODE", "ALL_RESOURCEGROUPS", "ALL_RESOURCETYPES", "CLUSTERNAME", "ALL_PRIVATELINK_HOSTNAMES",
			"PRIVATELINK_HOSTNAME_LOCAL", "PRIVATELINK_HOSTNAME_NODE", "ALL_ZONES", "ALL_ZONES_NODEID", "ZONE_LOCAL", "ALL_NONGLOBAL_ZONES",
			"ALL_NONGLOBAL_ZONES_NODEID", "ALL_LOADLIMITS", "HARD_LOADLIMIT", "SOFT_LOADLIMIT", "LOADLIMIT_PROPS", "ALL_PSTRINGS",
			"RESOURCE_SECURITY", "RG_FAILOVER_TIMEOUT", "SYSLOG_FACILITY"},
	}
	for kind, names := range tags {
		for _, name := range names {
			if _, ok := scha.LookupTag(kind, name); !ok {
				t.Errorf("%s optag %s is unknown", kind, name)
			}
		}
	}
}
