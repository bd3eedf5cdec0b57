package engine

import (
	"slices"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// statusOf is the resource's Status and Status_msg on the harness's node.
func (h *harness) statusOf(r string) string {
	st := h.c.Resources[r].Nodes[h.s.Node]
	return st.Status + " " + st.StatusMsg
}

// setStatus is scha_resource_setstatus from a running method or monitor.
func (h *harness) setStatus(r, status, msg string) {
	h.t.Helper()
	if err := h.c.SetStatus(r, "", h.s.Node, status, msg); err != nil {
		h.t.Fatal(err)
	}
}

// runUntil completes running methods (all succeed) until res runs method.
func (h *harness) runUntil(res, method string) {
	h.t.Helper()
	for i := 0; h.running[res] != method; i++ {
		if i > 1000 || len(h.running) == 0 {
			h.t.Fatalf("%s of %s never runs (log %v)", method, res, h.log)
		}
		for _, r := range sortedNames(h.running) {
			if r != res || h.running[r] != method {
				h.finish(r, true)
			}
		}
	}
}

// TestStatusSetByMethodsIsKept: the RGM sets Status on a state change only
// if the resource's methods or monitor have not set it (r_properties(5)).
func TestStatusSetByMethodsIsKept(t *testing.T) {
	tests := []struct {
		name       string
		method     string // the method that sets Status ("" none)
		status     string // what it sets
		fail       bool   // the method then fails
		op         string // what makes the method run: online or offline
		wantState  string
		wantStatus string
	}{
		{"Stop sets OFFLINE", Stop, "OFFLINE", false, OpOffline, "OFFLINE", "OFFLINE server stopped cleanly"},
		{"Stop sets nothing", "", "", false, OpOffline, "OFFLINE", "OFFLINE "},
		{"monitor's status before Stop is replaced", MonitorStart, "DEGRADED", false, OpOffline, "OFFLINE", "OFFLINE "},
		{"failed Stop sets FAULTED", Stop, "FAULTED", true, OpOffline, "STOP_FAILED", "FAULTED server stopped cleanly"},
		{"failed Stop sets nothing", "", "", true, OpOffline, "STOP_FAILED", "FAULTED Stop failed: exited 1"},
		{"Start sets OK", Start, "OK", false, OpOnline, "ONLINE", "OK server stopped cleanly"},
		{"failed Start sets FAULTED", Start, "FAULTED", true, OpOnline, "START_FAILED", "FAULTED server stopped cleanly"},
		{"failed Start sets nothing", "", "", true, OpOnline, "START_FAILED", "FAULTED Start failed: exited 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []string{"n1"}, allMethods())
			h.group("rg", nil)
			h.resource("a", "rg", nil)
			h.start(false)
			h.request(OpEnable, "", "a")
			h.request(OpMonitor, "", "a")
			h.request(OpManage, "rg", "")
			h.drain(nil)
			failing := Stop
			if tt.op == OpOnline {
				failing = Start
			} else {
				h.request(OpOnline, "rg", "")
				if tt.method == MonitorStart {
					h.runUntil("a", MonitorStart)
					h.setStatus("a", tt.status, "server stopped cleanly")
				}
				h.drain(nil)
			}
			h.request(tt.op, "rg", "")
			h.runUntil("a", failing)
			if tt.method == failing {
				h.setStatus("a", tt.status, "server stopped cleanly")
			}
			h.finish("a", !tt.fail)
			h.drain(nil)
			if got := h.rstate("a"); got != tt.wantState {
				t.Errorf("state %s, want %s (log %v)", got, tt.wantState, h.log)
			}
			if got := h.statusOf("a"); got != tt.wantStatus {
				t.Errorf("status %q, want %q", got, tt.wantStatus)
			}
		})
	}
}

// TestStopFailureWithDependentSettles: a stop method that fails in a group
// whose other resource depends on the failed one leaves the group
// ERROR_STOP_FAILED and settled (rgmadm rg offline --wait and rg restart
// --wait return), with nothing left STARTING or STOPPING; the dependee of
// a dependent that failed to stop stays online unless it was already on
// its way.
func TestStopFailureWithDependentSettles(t *testing.T) {
	withNet := map[string]string{Start: "s", Stop: "s", PrenetStart: "s", PostnetStop: "s", MonitorStart: "s", MonitorStop: "s"}
	tests := []struct {
		name    string
		methods map[string]string
		op      string
		before  int // methods of the online that complete before op
		failing string
		method  string
		wantA   string
		wantB   string
	}{
		{"dependee's Stop", allMethods(), OpOffline, 99, "a", Stop, "STOP_FAILED", "OFFLINE"},
		{"dependent's Stop", allMethods(), OpOffline, 99, "b", Stop, "ONLINE", "STOP_FAILED"},
		{"dependee's Stop, network methods", withNet, OpOffline, 99, "a", Stop, "STOP_FAILED", "OFFLINE"},
		{"dependent's Postnet_stop", withNet, OpOffline, 99, "b", PostnetStop, "OFFLINE", "STOP_FAILED"},
		{"dependent's Stop while the dependee starts", withNet, OpOffline, 2, "b", Stop, "OFFLINE", "STOP_FAILED"},
		{"restart, dependee's Stop", allMethods(), OpRestart, 99, "a", Stop, "STOP_FAILED", "OFFLINE"},
		{"restart, dependent's Stop", allMethods(), OpRestart, 99, "b", Stop, "ONLINE", "STOP_FAILED"},
		{"restart, dependent's Postnet_stop", withNet, OpRestart, 99, "b", PostnetStop, "ONLINE", "STOP_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []string{"n1"}, tt.methods)
			h.group("rg", nil)
			h.resource("a", "rg", nil)
			h.resource("b", "rg", map[string]string{"Resource_dependencies": "a"})
			h.start(false)
			h.request(OpEnable, "", "a")
			h.request(OpEnable, "", "b")
			managedOnline(t, h, "rg")
			for i := 0; i < tt.before && len(h.running) > 0; i++ {
				h.finish(sortedNames(h.running)[0], true)
			}
			h.request(tt.op, "rg", "")
			h.drain(map[string]string{tt.failing: tt.method})
			h.wantStates(t, map[string]string{"a": tt.wantA, "b": tt.wantB, "rg": "ERROR_STOP_FAILED"})
			if !h.s.Groups["rg"].Settled() {
				t.Errorf("group not settled: --wait would wait its whole timeout (log %v)", h.log)
			}
		})
	}
}

// TestResourceRestartMethods: RESOURCE_RESTART and a restart dependency run
// Monitor_stop, Stop, Start, Monitor_start when the type has Start and Stop
// (scha_control(1HA)); a type without them restarts through Postnet_stop
// and Prenet_start.
func TestResourceRestartMethods(t *testing.T) {
	tests := []struct {
		name    string
		methods []string
		want    string
	}{
		{"Start and Stop", []string{Start, Stop, MonitorStart, MonitorStop}, "Monitor_stop a,Stop a,Start a,Monitor_start a"},
		{"Start, Stop and network methods", []string{Start, Stop, PrenetStart, PostnetStop, MonitorStart, MonitorStop}, "Monitor_stop a,Stop a,Start a,Monitor_start a"},
		{"no monitor", []string{Start, Stop, PrenetStart, PostnetStop}, "Stop a,Start a"},
		{"network methods only", []string{PrenetStart, PostnetStop, MonitorStart, MonitorStop}, "Monitor_stop a,Postnet_stop a,Prenet_start a,Monitor_start a"},
		{"Start and Postnet_stop", []string{Start, PostnetStop}, "Postnet_stop a,Start a"},
	}
	for _, tt := range tests {
		for _, how := range []string{"RESOURCE_RESTART", "restart dependency"} {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				m := map[string]string{}
				for _, name := range tt.methods {
					m[name] = "/bin/true"
				}
				h := newHarness(t, []string{"n1"}, m)
				h.group("g", nil)
				h.resource("b", "g", nil)
				h.resource("a", "g", map[string]string{"Resource_dependencies_restart": "b"})
				h.start(false)
				h.request(OpEnable, "", "a")
				h.request(OpEnable, "", "b")
				managedOnline(t, h, "g")
				h.drain(nil)
				h.s.Now = 1000
				if how == "RESOURCE_RESTART" {
					h.log = nil
					if out := h.control(scha.ControlResourceRestart); out.Err != nil {
						t.Fatal(out.Err)
					}
				} else {
					h.log = nil
					if out := h.handle(Control{Tag: scha.ControlResourceIsRestarted, Resource: "b", Group: "g"}); out.Err != nil {
						t.Fatal(out.Err)
					}
				}
				h.drain(nil)
				if join(h.log) != tt.want {
					t.Errorf("methods %q, want %q", join(h.log), tt.want)
				}
				h.wantStates(t, map[string]string{"g": "ONLINE"})
				// A later offline runs every stop method again.
				h.log = nil
				h.request(OpOffline, "g", "")
				h.drain(nil)
				if slices.Contains(tt.methods, PostnetStop) && !slices.Contains(h.log, "Postnet_stop a") {
					t.Errorf("offline after the restart skipped Postnet_stop: %v (a %s, b %s, g %s)", h.log, h.rstate("a"), h.rstate("b"), h.gstate("g"))
				}
			})
		}
	}
}

// TestRetryCountByFailoverMode: rgmd limits restarts to Retry_count within
// Retry_interval only under RESTART_ONLY; LOG_ONLY allows none; under NONE,
// SOFT and HARD the monitor counts (NUM_RESOURCE_RESTARTS) and asks for
// GIVEOVER itself (r_properties(5), scha_control(1HA)).
func TestRetryCountByFailoverMode(t *testing.T) {
	type want struct {
		code  scha.ErrCode
		state string // a's state after the request settles
		group string
	}
	ok := want{scha.ErrNoErr, "ONLINE", "ONLINE"}
	refused := want{scha.ErrChecks, "ONLINE", "ONLINE"}
	faulted := want{scha.ErrChecks, "START_FAILED", "ONLINE_FAULTED"}
	tests := []struct {
		mode, tag string
		within    want // a request within Retry_count
		beyond    want // the request after Retry_count restarts
	}{
		{"NONE", scha.ControlResourceRestart, ok, ok},
		{"SOFT", scha.ControlResourceRestart, ok, ok},
		{"HARD", scha.ControlResourceRestart, ok, ok},
		{"RESTART_ONLY", scha.ControlResourceRestart, ok, faulted},
		{"LOG_ONLY", scha.ControlResourceRestart, refused, refused},
		{"NONE", scha.ControlResourceIsRestarted, ok, ok},
		{"SOFT", scha.ControlResourceIsRestarted, ok, ok},
		{"RESTART_ONLY", scha.ControlResourceIsRestarted, ok, faulted},
		{"LOG_ONLY", scha.ControlResourceIsRestarted, refused, refused},
		{"NONE", scha.ControlRestart, ok, ok},
		{"SOFT", scha.ControlRestart, ok, ok},
		{"HARD", scha.ControlRestart, ok, ok},
		{"RESTART_ONLY", scha.ControlRestart, refused, refused},
		{"LOG_ONLY", scha.ControlRestart, refused, refused},
		{"NONE", scha.ControlCheckRestart, ok, ok},
		{"SOFT", scha.ControlCheckRestart, ok, ok},
		{"RESTART_ONLY", scha.ControlCheckRestart, refused, refused},
		{"LOG_ONLY", scha.ControlCheckRestart, refused, refused},
	}
	for _, tt := range tests {
		t.Run(tt.mode+"/"+tt.tag, func(t *testing.T) {
			h := controlHarness(t, []string{"n1"})
			a := h.s.Resources["a"]
			a.FailoverMode, a.RetryCount, a.RetryInterval = tt.mode, 2, 60
			for i, w := range []want{tt.within, tt.within, tt.beyond, tt.beyond} {
				h.s.Now = int64(1000 + i)
				out := h.control(tt.tag)
				h.drain(nil)
				if got := scha.CodeOf(out.Err); got != w.code {
					t.Fatalf("request %d: code %d (%v), want %d", i+1, got, out.Err, w.code)
				}
				h.wantStates(t, map[string]string{"a": w.state, "g": w.group})
				if w.state == "START_FAILED" {
					return
				}
			}
		})
	}
}

// netType registers type LH, a network address type (Is_logical_hostname)
// with Start and Stop, beside the harness's T.
func (h *harness) netType() {
	h.t.Helper()
	props := map[string]string{"Resource_type": "LH", "RT_basedir": "/opt/lh", "Is_logical_hostname": "TRUE", Start: "s", Stop: "s"}
	for _, d := range model.RTProps() {
		if _, ok := props[d.Name]; !ok && d.Default != nil {
			props[d.Name] = *d.Default
		}
	}
	if err := h.c.RegisterType(&model.ResourceType{Name: "LH", Props: props}); err != nil {
		h.t.Fatal(err)
	}
}

// TestImplicitNetworkDependencies: with Implicit_network_dependencies TRUE
// (the default) the group's other resources start after its network
// address resources are online and stop before they go offline, as with a
// strong dependency; FALSE, or a scalable group, leaves them independent.
func TestImplicitNetworkDependencies(t *testing.T) {
	tests := []struct {
		name    string
		props   map[string]string
		ordered bool
	}{
		{"default", nil, true},
		{"TRUE", map[string]string{"Implicit_network_dependencies": "TRUE"}, true},
		{"FALSE", map[string]string{"Implicit_network_dependencies": "FALSE"}, false},
		{"scalable", map[string]string{"RG_mode": "Scalable", "Maximum_primaries": "1", "Desired_primaries": "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []string{"n1"}, map[string]string{Start: "s", Stop: "s"})
			h.netType()
			h.group("rg", tt.props)
			h.resource("app", "rg", nil)
			if err := h.c.CreateResource("ip", "rg", "LH", nil, nil); err != nil {
				t.Fatal(err)
			}
			h.start(false)
			h.request(OpEnable, "", "app")
			h.request(OpEnable, "", "ip")
			managedOnline(t, h, "rg")
			// Both would start at once without the dependency.
			started := join(h.log)
			h.drain(nil)
			h.wantStates(t, map[string]string{"rg": "ONLINE", "app": "ONLINE", "ip": "ONLINE"})
			want := "Start app,Start ip"
			if tt.ordered {
				want = "Start ip"
			}
			if started != want {
				t.Errorf("first dispatched %q, want %q", started, want)
			}
			h.log = nil
			h.request(OpOffline, "rg", "")
			stopping := join(h.log)
			h.drain(nil)
			want = "Stop app,Stop ip"
			if tt.ordered {
				want = "Stop app"
			}
			if stopping != want {
				t.Errorf("first stops %q, want %q", stopping, want)
			}
			h.wantStates(t, map[string]string{"rg": "OFFLINE", "app": "OFFLINE", "ip": "OFFLINE"})
		})
	}
}
