package model

import (
	"strings"
	"testing"
)

func TestParseLoads(t *testing.T) {
	got, err := ParseLoads("cpu@2000,memory@6G,licenses@3")
	if err != nil {
		t.Fatal(err)
	}
	if got["cpu"] != 2000 || got["memory"] != 6<<30 || got["licenses"] != 3 {
		t.Fatalf("got %v", got)
	}
	for in, want := range map[string]string{
		"cpu":                      "want NAME@VALUE",
		"cpu@-1":                   "negative",
		"cpu@1.5":                  "not a whole number",
		"cpu@1G":                   "not a whole number", // suffixes are memory's
		"memory@9999999999T":       "more than",
		"cpu@99999999999999999999": "not a whole number",
		"9cpu@1":                   "load name",
		"cpu@1,cpu@2":              "given twice",
	} {
		if _, err := ParseLoads(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLoads(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func loadConfig(t *testing.T) *Config {
	t.Helper()
	c := NewConfig("c", "n1")
	if err := c.AddNode("n2"); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadFactorsNames(t *testing.T) {
	c := loadConfig(t)
	if err := c.CreateGroup("g", map[string]string{"Load_factors": "cpu@100,memory@1G"}); err != nil {
		t.Fatal(err)
	}
	err := c.CreateGroup("h", map[string]string{"Load_factors": "licences@1"})
	if err == nil || !strings.Contains(err.Error(), `no node has a limit for load "licences"`) {
		t.Fatalf("unknown load name: %v", err)
	}
	if err := c.SetLoadLimits("n2", map[string]int64{"licences": 4}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateGroup("h", map[string]string{"Load_factors": "licences@1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetGroup("g", map[string]string{"Load_factors": "cpu@-5"}); err == nil {
		t.Fatal("negative factor accepted")
	}
	if err := c.SetGroup("g", map[string]string{"Preemption_mode": "Sometimes"}); err == nil {
		t.Fatal("bad Preemption_mode accepted")
	}
	if err := c.SetGroup("g", map[string]string{"Preemption_mode": "never"}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadLimits(t *testing.T) {
	c := loadConfig(t)
	if err := c.SetInventory("n1", Inventory{MilliCPU: 2000, Memory: 4 << 30}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLoadLimits("n1", map[string]int64{"cpu": 1500}, map[string]int64{"cpu": 1000, "memory": 1 << 30}); err != nil {
		t.Fatal(err)
	}
	n, _ := c.Node("n1")
	eff := n.EffectiveLimits()
	if eff["cpu"] != (LoadLimit{Hard: 1500, Soft: 1000}) || eff["memory"] != (LoadLimit{Hard: 4 << 30, Soft: 1 << 30}) {
		t.Fatalf("effective limits %v", eff)
	}
	if err := c.SetLoadLimits("n1", nil, map[string]int64{"cpu": 2000}); err == nil || !strings.Contains(err.Error(), "above the hard limit") {
		t.Fatalf("soft above hard: %v", err)
	}
	if err := c.SetLoadLimits("n1", map[string]int64{"cpu": -1}, nil); err == nil {
		t.Fatal("negative limit accepted")
	}
	if err := c.SetLoadLimits("n1", map[string]int64{"cpu": 0}, map[string]int64{"cpu": 0}); err != nil {
		t.Fatal(err)
	}
	n, _ = c.Node("n1")
	if _, ok := n.Limits["cpu"]; ok || n.EffectiveLimits()["cpu"].Hard != 2000 {
		t.Fatalf("cpu limit not removed back to the inventory: %v %v", n.Limits, n.EffectiveLimits())
	}
	if err := c.SetInventory("n1", Inventory{MilliCPU: -1}); err == nil {
		t.Fatal("negative inventory accepted")
	}
}
