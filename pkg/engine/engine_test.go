package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
)

// harness drives a State the way the daemon does: changes are applied to a
// model.Config, and method results are fed back as events.
type harness struct {
	t       *testing.T
	c       *model.Config
	s       *State
	running map[string]string // resource → method
	log     []string          // "Method resource", in dispatch order
	last    Output
}

func allMethods() map[string]string {
	m := map[string]string{}
	for _, name := range []string{Start, Stop, MonitorStart, MonitorStop, Init, Fini, Boot, Update, MonitorCheck} {
		m[name] = "/bin/true"
	}
	return m
}

func newHarness(t *testing.T, nodes []string, typeMethods map[string]string) *harness {
	t.Helper()
	c := model.NewConfig("c", nodes[0])
	for i, n := range nodes[1:] {
		c.Nodes = append(c.Nodes, model.Node{Name: n, ID: i + 2})
	}
	props := map[string]string{"Resource_type": "t", "RT_basedir": "/opt/t"}
	for _, d := range model.RTProps() {
		if _, ok := props[d.Name]; !ok && d.Default != nil {
			props[d.Name] = *d.Default
		}
	}
	for m, p := range typeMethods {
		props[m] = p
	}
	if err := c.RegisterType(&model.ResourceType{Name: "T", Props: props}); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, c: c, running: map[string]string{}}
}

func (h *harness) group(name string, props map[string]string) {
	h.t.Helper()
	if err := h.c.CreateGroup(name, props); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) resource(name, group string, props map[string]string) {
	h.t.Helper()
	if err := h.c.CreateResource(name, group, "T", props, nil); err != nil {
		h.t.Fatal(err)
	}
}

// start builds the engine and handles rgmd's start.
func (h *harness) start(rebooted bool) {
	h.s = New(h.c.Nodes[0].Name)
	h.s.Sync(h.c, nil)
	h.handle(Started{Rebooted: rebooted})
}

func (h *harness) handle(ev Event) Output {
	h.t.Helper()
	out := h.s.Handle(ev)
	// A refusal usually changes nothing; one that does (scha_control
	// beyond Retry_count) is applied as the daemon applies it.
	if out.Err != nil && len(out.Changes) == 0 && len(out.Runs) == 0 {
		h.last = out
		return out
	}
	if err := h.c.ApplyStates(out.Changes); err != nil {
		h.t.Fatal(err)
	}
	for _, r := range out.Runs {
		if m, busy := h.running[r.Resource]; busy {
			h.t.Fatalf("%s dispatched while %s of %s runs", r.Method, m, r.Resource)
		}
		h.running[r.Resource] = r.Method
		h.log = append(h.log, r.Method+" "+r.Resource)
	}
	h.last = out
	return out
}

func (h *harness) request(op, group, resource string) Output {
	h.t.Helper()
	out := h.handle(Request{Op: op, Group: group, Resource: resource})
	if out.Err != nil {
		h.t.Fatalf("%s %s%s: %v", op, group, resource, out.Err)
	}
	return out
}

// finish completes the running method of res.
func (h *harness) finish(res string, ok bool) {
	h.t.Helper()
	m, busy := h.running[res]
	if !busy {
		h.t.Fatalf("no method of %s runs; running %v", res, h.running)
	}
	delete(h.running, res)
	h.handle(MethodDone{Resource: res, Method: m, OK: ok, Reason: "exited 1"})
}

// drain completes every running method successfully, repeatedly, except
// those fail selects (resource → method that fails).
func (h *harness) drain(fail map[string]string) {
	h.t.Helper()
	for i := 0; len(h.running) > 0; i++ {
		if i > 1000 {
			h.t.Fatal("methods never settle")
		}
		names := sortedNames(h.running)
		for _, r := range names {
			m := h.running[r]
			h.finish(r, fail[r] != m)
		}
	}
}

func (h *harness) rstate(r string) string { return h.c.Resources[r].Nodes[h.s.Node].State }
func (h *harness) gstate(g string) string { return h.c.Groups[g].Nodes[h.s.Node].State }

func (h *harness) wantStates(t *testing.T, want map[string]string) {
	t.Helper()
	for name, st := range want {
		got := ""
		if _, ok := h.c.Groups[name]; ok {
			got = h.gstate(name)
		} else {
			got = h.rstate(name)
		}
		if got != st {
			t.Errorf("%s is %s, want %s (log %v)", name, got, st, h.log)
		}
	}
}

func index(log []string, entry string) int {
	return slices.Index(log, entry)
}

func managedOnline(t *testing.T, h *harness, groups ...string) {
	t.Helper()
	for _, g := range groups {
		h.request(OpManage, g, "")
	}
	h.drain(nil)
	for _, g := range groups {
		h.request(OpOnline, g, "")
	}
}

func TestOnlineOfflineDependencyOrder(t *testing.T) {
	h := newHarness(t, []string{"n1"}, allMethods())
	h.group("rg", nil)
	h.resource("db", "rg", nil)
	h.resource("app", "rg", map[string]string{"Resource_dependencies": "db"})
	h.resource("web", "rg", map[string]string{"Resource_dependencies_weak": "app"})
	h.start(false)
	h.request(OpManage, "rg", "")
	if h.gstate("rg") != "OFFLINE" {
		t.Fatalf("managed group is %s", h.gstate("rg"))
	}
	h.drain(nil)
	if !slices.Contains(h.log, "Init db") || !slices.Contains(h.log, "Init web") {
		t.Errorf("Init did not run for every resource: %v", h.log)
	}
	h.log = nil
	h.request(OpOnline, "rg", "")
	h.wantStates(t, map[string]string{"rg": "PENDING_ONLINE", "db": "STARTING", "app": "OFFLINE"})
	h.drain(nil)
	want := []string{"Start db", "Monitor_start db", "Start app", "Monitor_start app", "Start web", "Monitor_start web"}
	if !slices.Equal(h.log, want) {
		t.Errorf("online ran %v, want %v", h.log, want)
	}
	h.wantStates(t, map[string]string{"rg": "ONLINE", "db": "ONLINE", "app": "ONLINE", "web": "ONLINE"})
	if !h.s.Groups["rg"].Settled() {
		t.Error("online group not settled")
	}

	h.log = nil
	h.request(OpOffline, "rg", "")
	h.wantStates(t, map[string]string{"rg": "PENDING_OFFLINE", "web": "STOPPING", "db": "ONLINE"})
	h.drain(nil)
	want = []string{"Monitor_stop web", "Stop web", "Monitor_stop app", "Stop app", "Monitor_stop db", "Stop db"}
	if !slices.Equal(h.log, want) {
		t.Errorf("offline ran %v, want %v", h.log, want)
	}
	h.wantStates(t, map[string]string{"rg": "OFFLINE", "db": "OFFLINE", "app": "OFFLINE", "web": "OFFLINE"})

	h.log = nil
	h.request(OpUnmanage, "rg", "")
	h.drain(nil)
	h.wantStates(t, map[string]string{"rg": "UNMANAGED"})
	if len(h.log) != 3 || !strings.HasPrefix(h.log[0], "Fini") {
		t.Errorf("unmanage ran %v, want Fini of each resource", h.log)
	}
}

func TestIndependentGroupsStartTogether(t *testing.T) {
	h := newHarness(t, []string{"n1"}, map[string]string{Start: "s", Stop: "s"})
	h.group("a", nil)
	h.group("b", nil)
	h.resource("ra", "a", nil)
	h.resource("rb", "b", nil)
	h.start(false)
	h.request(OpManage, "a", "")
	h.request(OpManage, "b", "")
	h.request(OpOnline, "a", "")
	h.request(OpOnline, "b", "")
	if len(h.running) != 2 {
		t.Fatalf("running %v, want both Starts at once", h.running)
	}
	h.drain(nil)
	h.wantStates(t, map[string]string{"a": "ONLINE", "b": "ONLINE", "ra": "ONLINE", "rb": "ONLINE"})
}

func TestPrenetBarrierAndPostnet(t *testing.T) {
	m := map[string]string{PrenetStart: "p", Start: "s", Stop: "s", PostnetStop: "p"}
	h := newHarness(t, []string{"n1"}, m)
	h.group("rg", nil)
	h.resource("a", "rg", nil)
	h.resource("b", "rg", map[string]string{"Resource_dependencies": "a"})
	h.start(false)
	managedOnline(t, h, "rg")
	h.drain(nil)
	want := []string{"Prenet_start a", "Prenet_start b", "Start a", "Start b"}
	if !slices.Equal(h.log, want) {
		t.Errorf("online ran %v, want %v", h.log, want)
	}
	h.log = nil
	h.request(OpOffline, "rg", "")
	h.drain(nil)
	want = []string{"Stop b", "Stop a", "Postnet_stop b", "Postnet_stop a"}
	if !slices.Equal(h.log, want) {
		t.Errorf("offline ran %v, want %v", h.log, want)
	}
}

func TestRGDependencies(t *testing.T) {
	h := newHarness(t, []string{"n1"}, map[string]string{Start: "s", Stop: "s"})
	h.group("base", nil)
	h.group("top", map[string]string{"RG_dependencies": "base"})
	h.resource("rbase", "base", nil)
	h.resource("rtop", "top", nil)
	h.start(false)
	h.request(OpManage, "base", "")
	h.request(OpManage, "top", "")
	h.request(OpOnline, "top", "")
	h.wantStates(t, map[string]string{"top": "PENDING_ONLINE_BLOCKED", "rtop": "OFFLINE"})
	h.request(OpOnline, "base", "")
	h.drain(nil)
	if i, j := index(h.log, "Start rbase"), index(h.log, "Start rtop"); i < 0 || j < i {
		t.Errorf("ran %v: top must start after base", h.log)
	}
	h.wantStates(t, map[string]string{"top": "ONLINE", "base": "ONLINE"})
	h.log = nil
	h.request(OpOffline, "top", "")
	h.request(OpOffline, "base", "")
	h.drain(nil)
	if i, j := index(h.log, "Stop rtop"), index(h.log, "Stop rbase"); i < 0 || j < i {
		t.Errorf("ran %v: top must stop before base", h.log)
	}
}

func TestCrossGroupStrongDependencyBlocks(t *testing.T) {
	h := newHarness(t, []string{"n1"}, map[string]string{Start: "s", Stop: "s"})
	h.group("g1", nil)
	h.group("g2", nil)
	h.resource("db", "g1", nil)
	h.resource("app", "g2", map[string]string{"Resource_dependencies": "db"})
	h.start(false)
	h.request(OpManage, "g1", "")
	h.request(OpManage, "g2", "")
	h.request(OpOnline, "g2", "")
	h.wantStates(t, map[string]string{"g2": "PENDING_ONLINE_BLOCKED", "app": "OFFLINE"})
	h.request(OpOnline, "g1", "")
	h.drain(nil)
	h.wantStates(t, map[string]string{"g2": "ONLINE", "app": "ONLINE", "g1": "ONLINE"})
}

func TestRestartDependencies(t *testing.T) {
	h := newHarness(t, []string{"n1"}, map[string]string{Start: "s", Stop: "s"})
	h.group("g1", nil)
	h.group("g2", nil)
	h.resource("db", "g1", nil)
	h.resource("app", "g2", map[string]string{"Resource_dependencies_restart": "db"})
	h.resource("cache", "g2", map[string]string{"Resource_dependencies_offline_restart": "db"})
	h.start(false)
	managedOnline(t, h, "g1", "g2")
	h.drain(nil)
	h.log = nil
	h.request(OpRestart, "g1", "")
	h.drain(nil)
	// offline-restart: cache goes offline with db; restart: app restarts
	// once db is back.
	for _, e := range []string{"Stop cache", "Stop db", "Start db", "Start cache", "Stop app", "Start app"} {
		if !slices.Contains(h.log, e) {
			t.Errorf("restart ran %v; missing %q", h.log, e)
		}
	}
	if index(h.log, "Stop cache") > index(h.log, "Stop db") || index(h.log, "Stop app") < index(h.log, "Start db") {
		t.Errorf("restart order wrong: %v", h.log)
	}
	h.wantStates(t, map[string]string{"g1": "ONLINE", "g2": "ONLINE", "app": "ONLINE", "cache": "ONLINE"})
}

func TestFailoverModes(t *testing.T) {
	tests := []struct {
		mode, action    string
		nodes           []string
		suspend         bool
		failStop        bool
		wantGroup       string
		wantA, wantB    string // states of the failing resource a and its group peer b
		wantDesired     string // of the group on n1
		wantDesiredN2   string
		wantNodeAction  string
		wantCleanupStop bool
	}{
		{mode: "NONE", nodes: []string{"n1"}, wantGroup: "ONLINE_FAULTED", wantA: "START_FAILED", wantB: "ONLINE", wantDesired: "ONLINE"},
		{mode: "RESTART_ONLY", nodes: []string{"n1"}, wantGroup: "ONLINE_FAULTED", wantA: "START_FAILED", wantB: "ONLINE", wantDesired: "ONLINE"},
		{mode: "LOG_ONLY", nodes: []string{"n1"}, wantGroup: "ONLINE_FAULTED", wantA: "START_FAILED", wantB: "ONLINE", wantDesired: "ONLINE"},
		{mode: "SOFT", nodes: []string{"n1"}, wantGroup: "OFFLINE", wantA: "START_FAILED", wantB: "OFFLINE", wantDesired: "OFFLINE", wantCleanupStop: true},
		{mode: "HARD", nodes: []string{"n1"}, wantGroup: "OFFLINE", wantA: "START_FAILED", wantB: "OFFLINE", wantDesired: "OFFLINE", wantCleanupStop: true},
		{mode: "SOFT", nodes: []string{"n1", "n2"}, wantGroup: "OFFLINE", wantA: "START_FAILED", wantB: "OFFLINE", wantDesired: "OFFLINE", wantDesiredN2: "ONLINE", wantCleanupStop: true},
		{mode: "SOFT", nodes: []string{"n1"}, suspend: true, wantGroup: "ONLINE_FAULTED", wantA: "START_FAILED", wantB: "ONLINE", wantDesired: "ONLINE"},
		{mode: "NONE", nodes: []string{"n1"}, failStop: true, wantGroup: "ERROR_STOP_FAILED", wantA: "STOP_FAILED", wantB: "OFFLINE", wantDesired: "OFFLINE"},
		{mode: "SOFT", nodes: []string{"n1"}, failStop: true, wantGroup: "ERROR_STOP_FAILED", wantA: "STOP_FAILED", wantB: "OFFLINE", wantDesired: "OFFLINE"},
		{mode: "HARD", nodes: []string{"n1"}, failStop: true, wantGroup: "ERROR_STOP_FAILED", wantA: "STOP_FAILED", wantB: "OFFLINE", wantDesired: "OFFLINE"},
		{mode: "HARD", action: StopFailedReboot, nodes: []string{"n1"}, failStop: true, wantGroup: "ERROR_STOP_FAILED", wantA: "STOP_FAILED", wantB: "OFFLINE", wantDesired: "OFFLINE", wantNodeAction: "reboot"},
		{mode: "HARD", action: StopFailedExit, nodes: []string{"n1"}, failStop: true, wantGroup: "ERROR_STOP_FAILED", wantA: "STOP_FAILED", wantB: "OFFLINE", wantDesired: "OFFLINE", wantNodeAction: "exit"},
	}
	for _, tt := range tests {
		name := tt.mode + "/" + strings.Join(tt.nodes, ",")
		if tt.failStop {
			name += "/stop-fails/" + tt.action
		}
		if tt.suspend {
			name += "/suspended"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, tt.nodes, map[string]string{Start: "s", Stop: "s"})
			h.group("rg", nil)
			h.resource("a", "rg", map[string]string{"Failover_mode": tt.mode})
			h.resource("b", "rg", nil)
			h.start(false)
			if tt.action != "" {
				h.s.StopFailedAction = tt.action
			}
			if tt.suspend {
				h.request(OpSuspend, "rg", "")
			}
			managedOnline(t, h, "rg")
			var nodeAction string
			if tt.failStop {
				h.drain(nil)
				h.request(OpOffline, "rg", "")
				for len(h.running) > 0 {
					for _, r := range sortedNames(h.running) {
						h.finish(r, r != "a")
						if h.last.NodeAction != "" {
							nodeAction = h.last.NodeAction
						}
					}
				}
			} else {
				h.drain(map[string]string{"a": Start})
			}
			h.wantStates(t, map[string]string{"rg": tt.wantGroup, "a": tt.wantA, "b": tt.wantB})
			if d := h.c.Groups["rg"].Nodes["n1"].Desired; d != tt.wantDesired {
				t.Errorf("desired on n1 = %s, want %s", d, tt.wantDesired)
			}
			if tt.wantDesiredN2 != "" {
				if d := h.c.Groups["rg"].Nodes["n2"].Desired; d != tt.wantDesiredN2 {
					t.Errorf("desired on n2 = %s, want %s", d, tt.wantDesiredN2)
				}
			}
			if nodeAction != tt.wantNodeAction {
				t.Errorf("node action %q, want %q", nodeAction, tt.wantNodeAction)
			}
			if got := slices.Contains(h.log, "Stop a") && !tt.failStop; got != tt.wantCleanupStop {
				t.Errorf("cleanup Stop of the failed resource: %v, want %v (log %v)", got, tt.wantCleanupStop, h.log)
			}
			if !h.s.Groups["rg"].Settled() {
				t.Error("group not settled")
			}
			if tt.wantA == "STOP_FAILED" {
				// clear: the operator says it is stopped.
				h.request(OpClear, "", "a")
				h.drain(nil)
				h.wantStates(t, map[string]string{"a": "OFFLINE", "rg": "OFFLINE"})
			}
			if tt.wantA == "START_FAILED" && tt.wantDesired == "ONLINE" {
				// A retry stops it first, then starts it.
				h.log = nil
				h.request(OpOnline, "rg", "")
				h.drain(nil)
				if !slices.Equal(h.log, []string{"Stop a", "Start a"}) {
					t.Errorf("retry ran %v, want Stop then Start", h.log)
				}
				h.wantStates(t, map[string]string{"a": "ONLINE", "rg": "ONLINE"})
			}
		})
	}
}

func TestMonitorFailureAndSwitches(t *testing.T) {
	h := newHarness(t, []string{"n1"}, allMethods())
	h.group("rg", nil)
	h.resource("a", "rg", nil)
	h.start(false)
	managedOnline(t, h, "rg")
	h.drain(map[string]string{"a": MonitorStart})
	h.wantStates(t, map[string]string{"a": "MONITOR_FAILED", "rg": "ONLINE_FAULTED"})
	h.log = nil
	h.request(OpUnmonitor, "", "a")
	h.drain(nil)
	h.wantStates(t, map[string]string{"a": "ONLINE_NOT_MONITORED", "rg": "ONLINE"})
	h.request(OpMonitor, "", "a")
	h.drain(nil)
	h.wantStates(t, map[string]string{"a": "ONLINE"})
	h.request(OpDisable, "", "a")
	h.drain(nil)
	h.wantStates(t, map[string]string{"a": "OFFLINE", "rg": "ONLINE"})
	h.request(OpEnable, "", "a")
	h.drain(nil)
	h.wantStates(t, map[string]string{"a": "ONLINE"})
	h.log = nil
	h.handle(Updated{Resources: []string{"a"}})
	h.drain(nil)
	if !slices.Equal(h.log, []string{"Update a"}) {
		t.Errorf("Updated ran %v", h.log)
	}
}

func TestSwitchRunsMonitorCheck(t *testing.T) {
	for _, ok := range []bool{true, false} {
		h := newHarness(t, []string{"n1", "n2"}, allMethods())
		h.group("rg", nil)
		h.resource("a", "rg", nil)
		h.start(false)
		h.request(OpManage, "rg", "")
		h.drain(nil)
		h.log = nil
		h.handle(Request{Op: OpSwitch, Group: "rg", Node: "n1"})
		fail := map[string]string{}
		if !ok {
			fail["a"] = MonitorCheck
		}
		h.drain(fail)
		if len(h.log) == 0 || h.log[0] != "Monitor_check a" {
			t.Errorf("switch ran %v; want Monitor_check first", h.log)
		}
		want := "ONLINE"
		if !ok {
			want = "OFFLINE"
		}
		h.wantStates(t, map[string]string{"rg": want})
	}
}

func TestCrashRecovery(t *testing.T) {
	h := newHarness(t, []string{"n1"}, allMethods())
	h.group("rg", nil)
	h.resource("a", "rg", nil)
	h.resource("b", "rg", nil)
	h.start(false)
	managedOnline(t, h, "rg")
	h.drain(nil)
	// rgmd dies with b caught in STARTING (as the log would say).
	h.c.ApplyStates([]model.StateChange{{Resource: "b", Node: "n1", State: "STARTING"}, {Group: "rg", Node: "n1", State: "PENDING_ONLINE"}})
	h.log = nil
	h.running = map[string]string{}
	h.start(false)
	h.drain(nil)
	want := map[string]bool{"Monitor_stop a": true, "Monitor_start a": true, "Monitor_stop b": true, "Stop b": true, "Start b": true, "Monitor_start b": true}
	for _, e := range h.log {
		if !want[e] {
			t.Errorf("recovery ran %q (log %v)", e, h.log)
		}
	}
	if slices.Contains(h.log, "Start a") {
		t.Errorf("recovery restarted a healthy resource: %v", h.log)
	}
	if index(h.log, "Stop b") > index(h.log, "Start b") {
		t.Errorf("recovery must stop b before starting it: %v", h.log)
	}
	h.wantStates(t, map[string]string{"rg": "ONLINE", "a": "ONLINE", "b": "ONLINE"})

	// After a reboot nothing survived: OFFLINE, Boot, then online again.
	h.log = nil
	h.running = map[string]string{}
	h.start(true)
	h.drain(nil)
	if index(h.log, "Boot a") < 0 || index(h.log, "Boot a") > index(h.log, "Start a") {
		t.Errorf("after reboot ran %v; want Boot before Start", h.log)
	}
	if slices.Contains(h.log, "Stop a") {
		t.Errorf("after reboot ran Stop: %v", h.log)
	}
	h.wantStates(t, map[string]string{"rg": "ONLINE", "a": "ONLINE"})
}

func TestRequestsRefused(t *testing.T) {
	h := newHarness(t, []string{"n1"}, map[string]string{Start: "s", Stop: "s"})
	h.group("rg", nil)
	h.resource("a", "rg", nil)
	h.start(false)
	for _, r := range []Request{
		{Op: OpOnline, Group: "rg"},             // unmanaged
		{Op: OpOnline, Group: "nope"},           // no such group
		{Op: OpClear, Resource: "a"},            // not failed
		{Op: OpSwitch, Group: "rg", Node: "n9"}, // not in the Nodelist
	} {
		if out := h.handle(r); out.Err == nil || len(out.Changes) > 0 {
			t.Errorf("%+v accepted: %+v", r, out)
		}
	}
	managedOnline(t, h, "rg")
	h.drain(nil)
	if out := h.handle(Request{Op: OpUnmanage, Group: "rg"}); out.Err == nil {
		t.Error("unmanage of an online group accepted")
	}
}

func TestCreatedInManagedGroupGetsInit(t *testing.T) {
	h := newHarness(t, []string{"n1"}, allMethods())
	h.group("rg", nil)
	h.start(false)
	h.request(OpManage, "rg", "")
	h.resource("late", "rg", nil)
	h.s.Sync(h.c, []string{"rg"})
	h.handle(Tick{})
	if !slices.Equal(h.log, []string{"Init late"}) {
		t.Errorf("ran %v, want Init late", h.log)
	}
	h.drain(nil)
	if run, ok := FiniRun(h.c, "n1", "late"); !ok || run.Method != Fini || run.Path != "/bin/true" {
		t.Errorf("FiniRun = %+v, %v", run, ok)
	}
}

// TestOnlineRecordedWithMonitorStart: when Start ends, ONLINE is recorded
// in the same turn that launches Monitor_start (marked Early, so the daemon
// need not wait for the record first), the group is ONLINE but not
// settled until Monitor_start ends, and dependents wait for it: a resource
// with a strong dependency, and a group with RG_dependencies.
func TestOnlineRecordedWithMonitorStart(t *testing.T) {
	h := newHarness(t, []string{"n1"}, allMethods())
	h.group("rg", nil)
	h.group("rg2", nil)
	h.group("dep-rg", map[string]string{"RG_dependencies": "rg2"})
	h.resource("a", "rg", nil)
	h.resource("b", "rg", map[string]string{"Resource_dependencies": "a"})
	h.resource("x", "rg2", nil)
	h.resource("c", "dep-rg", nil)
	h.start(false)
	managedOnline(t, h, "rg", "rg2", "dep-rg")
	for _, res := range []string{"a", "x"} {
		h.finish(res, true) // its Start
		out := h.last
		if len(out.Runs) != 1 || out.Runs[0].Method != MonitorStart || !out.Runs[0].Early {
			t.Fatalf("after Start of %s: runs %+v, want one Early Monitor_start", res, out.Runs)
		}
		recorded := false
		for _, ch := range out.Changes {
			if ch.Resource == res && ch.State == model.RStateOnline {
				recorded = true
			}
		}
		if !recorded {
			t.Errorf("ONLINE of %s not recorded with its Monitor_start: %+v", res, out.Changes)
		}
	}
	h.wantStates(t, map[string]string{"a": "ONLINE", "x": "ONLINE", "rg2": "ONLINE"})
	if _, ok := h.running["b"]; ok {
		t.Errorf("b started during a's Monitor_start (log %v)", h.log)
	}
	if _, ok := h.running["c"]; ok {
		t.Errorf("dep-rg started during rg2's Monitor_start (log %v)", h.log)
	}
	if h.s.Groups["rg2"].Settled() {
		t.Error("rg2 settled while x's Monitor_start runs")
	}
	h.finish("a", true)
	h.finish("x", true)
	for _, res := range []string{"b", "c"} {
		if _, ok := h.running[res]; !ok {
			t.Errorf("%s did not start after the Monitor_start it waited for (log %v)", res, h.log)
		}
	}
	h.drain(nil)
	h.wantStates(t, map[string]string{"a": "ONLINE", "b": "ONLINE", "rg": "ONLINE", "c": "ONLINE", "dep-rg": "ONLINE"})
	if !h.s.Groups["rg2"].Settled() {
		t.Error("rg2 not settled at the end")
	}
}

// A failover group switched to this node does not start here while it
// is still stopping on the other one: never online on two nodes at once.
func TestSwitchWaitsForTheOtherNodeToStop(t *testing.T) {
	h := newHarness(t, []string{"n1", "n2"}, allMethods())
	h.group("rg", map[string]string{"Nodelist": "n1,n2"})
	h.resource("rs", "rg", nil)
	h.start(false)
	h.request(OpManage, "rg", "")
	h.drain(nil)
	// n2's rgmd has it online, then begins to stop it.
	other := func(rgState, rsState string) {
		if err := h.c.ApplyStates([]model.StateChange{
			{Group: "rg", Node: "n2", State: rgState},
			{Resource: "rs", Node: "n2", State: rsState},
		}); err != nil {
			t.Fatal(err)
		}
		h.s.Sync(h.c, []string{"rg"})
		h.handle(Tick{})
	}
	other(model.RGStateOnline, model.RStateOnline)
	h.handle(Request{Op: OpSwitch, Group: "rg", Node: "n1"})
	h.drain(nil) // Monitor_check on n1
	for _, st := range []string{model.RGStatePendingOffline, model.RGStateErrorStopFailed} {
		other(st, model.RStateStopping)
		h.drain(nil)
		if i := index(h.log, "Start rs"); i >= 0 {
			t.Fatalf("Start ran on n1 while rg is %s on n2 (log %v)", st, h.log)
		}
	}
	other(model.RGStateOffline, model.RStateOffline)
	h.drain(nil)
	if index(h.log, "Start rs") < 0 {
		t.Fatalf("rg never started on n1 once n2 had stopped it (log %v)", h.log)
	}
}

// A group managed, then unmanaged, by another node's rgmd: Init and
// Fini run here too (Init_nodes is the whole Nodelist).
func TestManagedByAnotherNode(t *testing.T) {
	h := newHarness(t, []string{"n1", "n2"}, allMethods())
	h.group("rg", map[string]string{"Nodelist": "n1,n2"})
	h.resource("rs", "rg", nil)
	h.start(false)
	byOther := func(state string) {
		var ch []model.StateChange
		for _, n := range []string{"n1", "n2"} {
			ch = append(ch, model.StateChange{Group: "rg", Node: n, State: state, Desired: model.RGStateOffline})
		}
		if err := h.c.ApplyStates(ch); err != nil {
			t.Fatal(err)
		}
		h.s.Sync(h.c, []string{"rg"})
		h.handle(Tick{})
		h.drain(nil)
	}
	byOther(model.RGStateOffline)
	if index(h.log, "Init rs") < 0 {
		t.Fatalf("Init did not run when n2 managed the group (log %v)", h.log)
	}
	byOther(model.RGStateUnmanaged)
	if index(h.log, "Fini rs") < 0 {
		t.Fatalf("Fini did not run when n2 unmanaged the group (log %v)", h.log)
	}
	if n := strings.Count(strings.Join(h.log, ","), "Init rs"); n != 1 {
		t.Fatalf("Init ran %d times (log %v)", n, h.log)
	}
}

// TestWantedAgainRetriesStartFailed: a resource left START_FAILED here
// after its group failed over starts again when the log asks for the
// group here once more by an operator's request made elsewhere or the
// leader's placement (StateChange.Retry), as after rg online here: not
// ONLINE_FAULTED without a try. A failover's hand-back does not retry.
func TestWantedAgainRetriesStartFailed(t *testing.T) {
	h := newHarness(t, []string{"n1", "n2"}, map[string]string{Start: "s", Stop: "s"})
	h.group("rg", map[string]string{"Nodelist": "n1,n2", "Pingpong_interval": "0"})
	h.resource("a", "rg", map[string]string{"Failover_mode": "SOFT"})
	h.start(false)
	managedOnline(t, h, "rg")
	h.drain(map[string]string{"a": Start})
	h.wantStates(t, map[string]string{"rg": "OFFLINE", "a": "START_FAILED"})
	if d := h.c.Groups["rg"].Nodes["n2"].Desired; d != model.RGStateOnline {
		t.Fatalf("desired on n2 = %s, want ONLINE", d)
	}
	// n2's Start failed too, and its failover hands the group back here
	// (Pingpong_interval 0): no retry, or a group whose Start fails
	// everywhere would go back and forth for ever.
	back := func(retry bool) {
		t.Helper()
		if err := h.c.ApplyStates([]model.StateChange{
			{Group: "rg", Node: "n2", Desired: model.RGStateOffline},
			{Group: "rg", Node: "n1", Desired: model.RGStateOnline, Retry: retry},
		}); err != nil {
			t.Fatal(err)
		}
		h.log = nil
		h.s.Sync(h.c, []string{"rg"})
		h.handle(Tick{})
		h.drain(nil)
	}
	back(false)
	if slices.Contains(h.log, "Start a") {
		t.Fatalf("a failover's hand-back retried the failed Start (ran %v)", h.log)
	}
	// Another node's operator switches it here: a retry.
	back(true)
	if !slices.Contains(h.log, "Start a") {
		t.Fatalf("ran %v, want a Start of a", h.log)
	}
	h.wantStates(t, map[string]string{"rg": "ONLINE", "a": "ONLINE"})
}

// TestManageFromOutsideNodelist: rg manage and unmanage asked on a node
// outside the group's Nodelist change the group on its nodes (they were
// silently ignored), and unmanage is refused while the group is online
// on another node.
func TestManageFromOutsideNodelist(t *testing.T) {
	h := newHarness(t, []string{"n3", "n1", "n2"}, map[string]string{Start: "s", Stop: "s"})
	h.group("rg", map[string]string{"Nodelist": "n1,n2"})
	h.start(false)
	h.request(OpManage, "rg", "")
	for _, n := range []string{"n1", "n2"} {
		if st := h.c.Groups["rg"].Nodes[n].State; st != model.RGStateOffline {
			t.Fatalf("after manage on n3, rg is %s on %s, want OFFLINE", st, n)
		}
	}
	h.s.Sync(h.c, []string{"rg"})
	if err := h.c.ApplyStates([]model.StateChange{{Group: "rg", Node: "n1", State: model.RGStateOnline, Desired: model.RGStateOnline}}); err != nil {
		t.Fatal(err)
	}
	h.s.Sync(h.c, []string{"rg"})
	if out := h.handle(Request{Op: OpUnmanage, Group: "rg"}); out.Err == nil {
		t.Fatal("unmanage of a group online on n1, asked on n3: accepted")
	}
	if err := h.c.ApplyStates([]model.StateChange{{Group: "rg", Node: "n1", State: model.RGStateOffline, Desired: model.RGStateOffline}}); err != nil {
		t.Fatal(err)
	}
	h.s.Sync(h.c, []string{"rg"})
	h.request(OpUnmanage, "rg", "")
	for _, n := range []string{"n1", "n2"} {
		if st := h.c.Groups["rg"].Nodes[n].State; st != model.RGStateUnmanaged {
			t.Fatalf("after unmanage on n3, rg is %s on %s, want UNMANAGED", st, n)
		}
	}
}
