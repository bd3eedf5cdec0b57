package scha

import (
	"strings"
	"testing"
)

var kinds = []string{KindResource, KindResourceType, KindResourceGroup, KindCluster}

func TestTagTablesWellFormed(t *testing.T) {
	for _, kind := range kinds {
		seen := map[string]bool{}
		tags := Tags(kind)
		if len(tags) == 0 {
			t.Fatalf("%s: no tags", kind)
		}
		for _, tg := range tags {
			if tg.Name != strings.ToUpper(tg.Name) {
				t.Errorf("%s: tag %q is not upper case", kind, tg.Name)
			}
			if seen[tg.Name] {
				t.Errorf("%s: tag %q twice", kind, tg.Name)
			}
			seen[tg.Name] = true
			if tg.Type == "" {
				t.Errorf("%s: tag %q has no type", kind, tg.Name)
			}
			if tg.Operands < 0 || tg.Operands > 2 {
				t.Errorf("%s: tag %q takes %d operands", kind, tg.Name, tg.Operands)
			}
			if tg.RTProp && tg.Prop == "" {
				t.Errorf("%s: tag %q is an RT property without a name", kind, tg.Name)
			}
			// A property-reading optag is the property's name upper-cased.
			if tg.Prop != "" && !strings.EqualFold(tg.Prop, tg.Name) {
				t.Errorf("%s: tag %q reads %q", kind, tg.Name, tg.Prop)
			}
			got, ok := LookupTag(kind, strings.ToLower(tg.Name))
			if !ok || got.Name != tg.Name {
				t.Errorf("LookupTag(%s, lower %q) = %v, %v", kind, tg.Name, got, ok)
			}
		}
	}
}

func TestLookupTag(t *testing.T) {
	tests := []struct {
		kind, optag string
		want        Tag
		ok          bool
	}{
		{KindResource, "Retry_count", Tag{Name: "RETRY_COUNT", Type: ResultInt, Prop: "Retry_count"}, true},
		{KindResource, "thorough_probe_interval", Tag{Name: "THOROUGH_PROBE_INTERVAL", Type: ResultInt, Prop: "Thorough_probe_interval"}, true},
		{KindResource, "RT_BASEDIR", Tag{Name: "RT_BASEDIR", Type: ResultString, Prop: "RT_basedir", RTProp: true}, true},
		{KindResource, "Extension", Tag{Name: "EXTENSION", Type: ResultExtension, Operands: 1}, true},
		{KindResource, "EXTENSION_NODE", Tag{Name: "EXTENSION_NODE", Type: ResultExtension, Operands: 2}, true},
		{KindResource, "START_TIMEOUT", Tag{Name: "START_TIMEOUT", Type: ResultInt, Prop: "Start_timeout"}, true},
		{KindResource, "RESOURCE_DEPENDENCIES_OFFLINE_RESTART", Tag{Name: "RESOURCE_DEPENDENCIES_OFFLINE_RESTART", Type: ResultStringArray, Prop: "Resource_dependencies_offline_restart"}, true},
		{KindResource, "RESOURCE_LIST", Tag{}, false},
		{KindResource, "NODELIST", Tag{}, false},
		{KindResource, "", Tag{}, false},
		{KindResourceType, "api_version", Tag{Name: "API_VERSION", Type: ResultInt, Prop: "API_version", RTProp: true}, true},
		{KindResourceType, "RESOURCE_LIST", Tag{Name: "RESOURCE_LIST", Type: ResultStringArray}, true},
		{KindResourceType, "RETRY_COUNT", Tag{}, false},
		{KindResourceGroup, "Nodelist", Tag{Name: "NODELIST", Type: ResultStringArray, Prop: "Nodelist"}, true},
		{KindResourceGroup, "rg_mode", Tag{Name: "RG_MODE", Type: ResultEnum, Prop: "RG_mode"}, true},
		{KindResourceGroup, "RG_STATE_NODE", Tag{Name: "RG_STATE_NODE", Type: ResultEnum, Operands: 1}, true},
		{KindCluster, "nodename_nodeid", Tag{Name: "NODENAME_NODEID", Type: ResultString, Operands: 1}, true},
		{KindCluster, "SYSLOG_FACILITY", Tag{Name: "SYSLOG_FACILITY", Type: ResultInt}, true},
		{KindCluster, "HARD_LOADLIMIT", Tag{Name: "HARD_LOADLIMIT", Type: ResultStringArray, Operands: 1}, true},
		{KindCluster, "RG_STATE", Tag{}, false},
		{"bogus", "RG_STATE", Tag{}, false},
	}
	for _, tt := range tests {
		got, ok := LookupTag(tt.kind, tt.optag)
		if ok != tt.ok {
			t.Errorf("LookupTag(%q, %q) ok = %v, want %v", tt.kind, tt.optag, ok, tt.ok)
			continue
		}
		if ok && *got != tt.want {
			t.Errorf("LookupTag(%q, %q) = %+v, want %+v", tt.kind, tt.optag, *got, tt.want)
		}
	}
}

// TestOperandCounts pins the number of operands of every optag that takes
// any, because scripts pass them positionally.
func TestOperandCounts(t *testing.T) {
	want := map[string]int{
		"resource/EXTENSION": 1, "resource/EXTENSION_NODE": 2,
		"resource/RESOURCE_STATE_NODE": 1, "resource/STATUS_NODE": 1,
		"resource/MONITORED_SWITCH_NODE": 1, "resource/ON_OFF_SWITCH_NODE": 1,
		"resource/NUM_RESOURCE_RESTARTS_ZONE": 1, "resource/NUM_RG_RESTARTS_ZONE": 1,
		"resourcegroup/RG_STATE_NODE": 1,
		"cluster/NODENAME_NODEID":     1, "cluster/NODEID_NODENAME": 1, "cluster/NODESTATE_NODE": 1,
		"cluster/PRIVATELINK_HOSTNAME_NODE": 1, "cluster/ALL_ZONES_NODEID": 1,
		"cluster/ALL_NONGLOBAL_ZONES_NODEID": 1,
		"cluster/HARD_LOADLIMIT":             1, "cluster/SOFT_LOADLIMIT": 1, "cluster/LOADLIMIT_PROPS": 1,
	}
	for _, kind := range kinds {
		for _, tg := range Tags(kind) {
			if got := tg.Operands; got != want[kind+"/"+tg.Name] {
				t.Errorf("%s/%s takes %d operands, want %d", kind, tg.Name, got, want[kind+"/"+tg.Name])
			}
		}
	}
}

func TestControlTagsAndStatuses(t *testing.T) {
	for _, tag := range []string{"GIVEOVER", "RESTART", "RESOURCE_RESTART", "RESOURCE_IS_RESTARTED",
		"CHECK_GIVEOVER", "CHECK_RESTART", "IGNORE_FAILED_START", "CHANGE_STATE_ONLINE",
		"CHANGE_STATE_OFFLINE", "RESOURCE_DISABLE"} {
		if got, ok := LookupControlTag(strings.ToLower(tag)); !ok || got != tag {
			t.Errorf("LookupControlTag(%q) = %q, %v", tag, got, ok)
		}
	}
	if _, ok := LookupControlTag("FAILOVER"); ok {
		t.Error("LookupControlTag(FAILOVER) ok")
	}
	if len(ControlTags()) != 10 {
		t.Errorf("%d control tags, want 10", len(ControlTags()))
	}
	for _, s := range []string{"OK", "DEGRADED", "FAULTED", "UNKNOWN", "OFFLINE"} {
		if got, ok := LookupStatus(strings.ToLower(s)); !ok || got != s {
			t.Errorf("LookupStatus(%q) = %q, %v", s, got, ok)
		}
	}
	for _, s := range []string{"ONLINE", "", "OK "} {
		if _, ok := LookupStatus(s); ok {
			t.Errorf("LookupStatus(%q) ok", s)
		}
	}
}

func BenchmarkLookupTag(b *testing.B) {
	for b.Loop() {
		LookupTag(KindResource, "validate")
	}
}
