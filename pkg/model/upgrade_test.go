package model

import (
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/scha"
)

// upgradeConfig is newTestConfig plus version 2.0 of ACME.web, registered
// beside 1.0 with #$upgrade_from "1.0" when: it drops Fixed, adds Level
// (default 4) and narrows Port to at most 9000.
func upgradeConfig(t *testing.T, when string) *Config {
	t.Helper()
	c := newTestConfig(t)
	v2 := testType(t)
	v2.Name, v2.Props["RT_version"] = "ACME.web:2.0", "2.0"
	v2.Upgrade = true
	if when != "" {
		v2.UpgradeFrom = []UpgradeFrom{{Version: "1.0", When: when}}
	}
	var params []PropDecl
	for _, d := range v2.Params {
		switch d.Name {
		case "Fixed":
			continue
		case "Port":
			d.Max = ip(9000)
		}
		params = append(params, d)
	}
	v2.Params = append(params, PropDecl{Name: "Level", Type: TypeInt, Extension: true, Default: sp("4"), Tunable: TunableAnytime})
	if err := c.RegisterType(v2); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTypeUpgrade(t *testing.T) {
	online := func(c *Config) {
		c.ApplyStates([]StateChange{{Resource: "r1", Node: "n1", State: RStateOnline}})
	}
	tests := []struct {
		name    string
		when    string
		prepare func(c *Config)
		ext     map[string]string
		code    scha.ErrCode
		msg     string
	}{
		{"ANYTIME", "ANYTIME", online, nil, 0, ""},
		{"WHEN_DISABLED while enabled", "WHEN_DISABLED", nil, nil, scha.ErrProp, "must be disabled"},
		{"WHEN_DISABLED", "WHEN_DISABLED", func(c *Config) {
			c.ApplyStates([]StateChange{{Resource: "r1", Node: "n1", OnOff: SwitchDisabled}, {Resource: "r1", Node: "n2", OnOff: SwitchDisabled}})
		}, nil, 0, ""},
		{"WHEN_UNMONITORED while monitored", "WHEN_UNMONITORED", nil, nil, scha.ErrProp, "must be unmonitored"},
		{"WHEN_UNMONITORED", "WHEN_UNMONITORED", func(c *Config) {
			c.ApplyStates([]StateChange{{Resource: "r1", Node: "n1", Monitored: SwitchDisabled}, {Resource: "r1", Node: "n2", Monitored: SwitchDisabled}})
		}, nil, 0, ""},
		{"WHEN_OFFLINE", "WHEN_OFFLINE", nil, nil, 0, ""},
		{"WHEN_OFFLINE while online", "WHEN_OFFLINE", online, nil, scha.ErrProp, "must be offline"},
		{"WHEN_UNMANAGED", "WHEN_UNMANAGED", nil, nil, 0, ""},
		{"WHEN_UNMANAGED while managed", "WHEN_UNMANAGED", func(c *Config) {
			c.ApplyStates([]StateChange{{Group: "rg1", Node: "n1", State: RGStateOffline}})
		}, nil, scha.ErrProp, "unmanaged group"},
		{"AT_CREATION", "AT_CREATION", nil, nil, scha.ErrProp, "only for new resources"},
		{"no directive for the version", "", nil, nil, 0, ""},
		{"no directive for the version, managed", "", func(c *Config) {
			c.ApplyStates([]StateChange{{Group: "rg1", Node: "n1", State: RGStateOffline}})
		}, nil, scha.ErrProp, "WHEN_UNMANAGED"},
		{"no such version", "ANYTIME", nil, nil, scha.ErrRT, "no registered version"},
		{"value beyond the new MAX", "ANYTIME", func(c *Config) {
			if err := c.SetResource("r1", nil, map[string]string{"Port": "9500"}); err != nil {
				t.Fatal(err)
			}
		}, nil, scha.ErrProp, "does not fit"},
		{"value beyond the new MAX, fixed in the same set", "ANYTIME", func(c *Config) {
			if err := c.SetResource("r1", nil, map[string]string{"Port": "9500"}); err != nil {
				t.Fatal(err)
			}
		}, map[string]string{"Port": "8080"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := upgradeConfig(t, tt.when)
			if tt.prepare != nil {
				tt.prepare(c)
			}
			before := snapshot(t, c)
			version := "2.0"
			if tt.name == "no such version" {
				version = "3.0"
			}
			err := c.SetResource("r1", map[string]string{"type_version": version}, tt.ext)
			if got := scha.CodeOf(err); got != tt.code {
				t.Fatalf("code %d (%v), want %d", got, err, tt.code)
			}
			r := c.Resources["r1"]
			if err != nil {
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("error %q does not say %q", err, tt.msg)
				}
				if snapshot(t, c) != before {
					t.Error("a refused upgrade changed the configuration")
				}
				return
			}
			if r.Type != "ACME.web:2.0" || r.Props["Type_version"] != "2.0" {
				t.Errorf("after the upgrade: type %s, version %s", r.Type, r.Props["Type_version"])
			}
			if _, ok := r.Ext["Fixed"]; ok || r.Ext["Level"] != "4" || r.Ext["Port"] != "8080" {
				t.Errorf("extension properties after the upgrade: %v", r.Ext)
			}
			if got := strings.Join(c.ResourcesOfType("ACME.web:2.0"), ","); got != "r1" {
				t.Errorf("resources of 2.0: %q", got)
			}
		})
	}
	// The same version again changes nothing; a new resource may be
	// created at 2.0 directly.
	c := upgradeConfig(t, "AT_CREATION")
	if err := c.SetResource("r1", map[string]string{"Type_version": "1.0"}, nil); err != nil {
		t.Errorf("same version: %v", err)
	}
	if err := c.CreateResource("r2", "rg1", "ACME.web:2.0", nil, map[string]string{"Port": "80"}); err != nil {
		t.Errorf("create at 2.0: %v", err)
	}
}
