package ocf

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/faultmon"
	"github.com/openrgm/openrgm/pkg/model"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		action   string
		code     int
		ok       bool
		degraded bool
	}{
		{"start", Success, true, false}, {"start", Degraded, true, false}, {"start", NotRunning, false, false}, {"start", -1, false, false},
		{"stop", Success, true, false}, {"stop", NotRunning, true, false}, {"stop", ErrGeneric, false, false},
		{"validate-all", ErrUnimplement, true, false}, {"validate-all", ErrConfigured, false, false},
		{"monitor", Success, true, false}, {"monitor", RunningPromoted, true, false}, {"monitor", NotRunning, false, false},
		{"monitor", Degraded, false, true}, {"monitor", DegradedPromo, false, true}, {"monitor", ErrUnimplement, false, false},
	} {
		err := Check("a", c.action, c.code, ": last words")
		if (err == nil) != c.ok {
			t.Errorf("%s exit %d: %v, want ok %v", c.action, c.code, err, c.ok)
			continue
		}
		if err == nil {
			continue
		}
		if !strings.Contains(err.Error(), "last words") || !strings.Contains(err.Error(), CodeName(c.code)) {
			t.Errorf("%s exit %d: %q", c.action, c.code, err)
		}
		var f *faultmon.Failure
		if isF := errors.As(err, &f); isF != (c.action == "monitor") || (isF && f.Degraded != c.degraded) {
			t.Errorf("%s exit %d: %#v", c.action, c.code, err)
		}
	}
}

func ptr(s string) *string { return &s }

func dummyType() *model.ResourceType {
	return &model.ResourceType{Name: "OCF.heartbeat_Dummy:1.0", Props: map[string]string{"RT_basedir": "/usr/lib/ocf/resource.d/heartbeat"},
		Params: []model.PropDecl{
			{Name: "state", Extension: true, Default: ptr("/run/x.state"), Description: "State file " + UniqueMark},
			{Name: "fake", Extension: true, Default: ptr("dummy")},
			{Name: "on", Extension: true, Type: model.TypeBoolean, Default: ptr("FALSE")},
			{Name: "Probe_timeout", Extension: true, Default: ptr("20")},
		}}
}

func TestAgentOf(t *testing.T) {
	a, err := AgentOf(dummyType())
	if err != nil || a != (Agent{Root: "/usr/lib/ocf", Provider: "heartbeat", Name: "Dummy", Path: "/usr/lib/ocf/resource.d/heartbeat/Dummy"}) {
		t.Errorf("%+v %v", a, err)
	}
	for _, rt := range []*model.ResourceType{
		{Name: "OCF.heartbeat_Dummy", Props: map[string]string{"RT_basedir": "/usr/lib/ocf/heartbeat"}},
		{Name: "OCF.acme_Dummy", Props: map[string]string{"RT_basedir": "/usr/lib/ocf/resource.d/heartbeat"}},
	} {
		if _, err := AgentOf(rt); err == nil {
			t.Errorf("%s in %s: no error", rt.Name, rt.Props["RT_basedir"])
		}
	}
}

func TestEnv(t *testing.T) {
	rt := dummyType()
	a, _ := AgentOf(rt)
	_, ext := Props(rt, &model.Resource{Name: "d1", Ext: map[string]string{"fake": "other", "on": "TRUE", "Probe_timeout": "5"}})
	env := a.Env([]string{"PATH=/bin", "RGM_SOCKET=/s", "RGM_FENCE_TAG=t", "HOME=/"}, Instance{Resource: "d1", Type: rt, Ext: ext}, "/tmp/rsc", 20*time.Second, 10*time.Second)
	for _, want := range []string{"PATH=/bin:/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT=/usr/lib/ocf", "OCF_RESOURCE_INSTANCE=d1", "OCF_RESOURCE_TYPE=Dummy",
		"OCF_RESOURCE_PROVIDER=heartbeat", "OCF_RESKEY_CRM_meta_timeout=20000", "OCF_RESKEY_CRM_meta_interval=10000", "OCF_CHECK_LEVEL=0",
		"RGM_SOCKET=/s", "RGM_FENCE_TAG=t", "HA_RSCTMP=/tmp/rsc", "OCF_RESKEY_fake=other", "OCF_RESKEY_on=true"} {
		if !slices.Contains(env, want) {
			t.Errorf("no %s in %q", want, env)
		}
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "OCF_RESKEY_state=") || strings.HasPrefix(kv, "OCF_RESKEY_Probe_timeout=") || strings.HasPrefix(kv, "HOME=") {
			t.Errorf("%s passed", kv)
		}
	}
}

func TestUnique(t *testing.T) {
	rt := dummyType()
	all := []model.Resource{{Name: "d1", Type: rt.Name, Ext: map[string]string{"state": "/a"}}, {Name: "x", Type: "other", Ext: map[string]string{"state": "/b"}}}
	for _, c := range []struct {
		res, state string
		ok         bool
	}{{"d2", "/a", false}, {"d1", "/a", true}, {"d2", "/b", true}, {"d2", "/run/x.state", true}} {
		err := Unique(Instance{Resource: c.res, Type: rt, Ext: map[string]string{"state": c.state}}, all)
		if (err == nil) != c.ok {
			t.Errorf("%s state=%s: %v", c.res, c.state, err)
		}
	}
	if !HasUnique(rt) {
		t.Error("HasUnique false")
	}
}
