package engine

import (
	"testing"

	"github.com/openrgm/openrgm/pkg/scha"
)

// online builds g (Nodelist nodes) with resource a, online on n1.
func controlHarness(t *testing.T, nodes []string) *harness {
	h := newHarness(t, nodes, allMethods())
	nl := nodes[0]
	for _, n := range nodes[1:] {
		nl += "," + n
	}
	h.group("g", map[string]string{"Nodelist": nl, "Pingpong_interval": "100"})
	h.resource("a", "g", nil)
	h.start(false)
	h.request(OpManage, "g", "")
	h.request(OpEnable, "", "a")
	h.request(OpMonitor, "", "a")
	h.request(OpOnline, "g", "")
	h.drain(nil)
	h.s.Now = 1000
	return h
}

func (h *harness) control(tag string) Output {
	h.t.Helper()
	return h.handle(Control{Tag: tag, Resource: "a", Group: "g"})
}

func TestControlResourceRestartCountsAndFaults(t *testing.T) {
	h := controlHarness(t, []string{"n1"})
	h.s.Resources["a"].RetryCount, h.s.Resources["a"].RetryInterval = 1, 60
	h.s.Resources["a"].FailoverMode = "RESTART_ONLY"
	h.log = nil
	if out := h.control(scha.ControlResourceRestart); out.Err != nil {
		t.Fatal(out.Err)
	}
	h.drain(nil)
	if want := "Monitor_stop a,Stop a,Start a,Monitor_start a"; join(h.log) != want {
		t.Errorf("methods %q, want %q", join(h.log), want)
	}
	if got := h.c.Resources["a"].Nodes["n1"].Restarts; len(got) != 1 || got[0] != 1000 {
		t.Errorf("Restarts %v", got)
	}
	// Retry_count 1 used up under RESTART_ONLY: refused with CHECKS, a
	// faulted.
	h.s.Now = 1010
	out := h.control(scha.ControlResourceRestart)
	if scha.CodeOf(out.Err) != scha.ErrChecks {
		t.Fatalf("second restart: %v", out.Err)
	}
	h.drain(nil)
	h.wantStates(t, map[string]string{"a": "START_FAILED", "g": "ONLINE_FAULTED"})
	// Outside Retry_interval the count is back to zero.
	h.request(OpClear, "", "a")
	h.drain(nil)
	h.s.Now = 1100
	if out := h.control(scha.ControlResourceRestart); out.Err != nil {
		t.Errorf("restart after Retry_interval: %v", out.Err)
	}
}

func TestControlGiveoverAndPingpong(t *testing.T) {
	h := controlHarness(t, []string{"n1", "n2"})
	if out := h.control(scha.ControlCheckGiveover); out.Err != nil || len(out.Changes) != 0 {
		t.Fatalf("CHECK_GIVEOVER: %v, %v", out.Err, out.Changes)
	}
	if out := h.control(scha.ControlGiveover); out.Err != nil {
		t.Fatal(out.Err)
	}
	h.drain(nil)
	g := h.c.Groups["g"]
	if g.Nodes["n1"].Desired != "OFFLINE" || g.Nodes["n2"].Desired != "ONLINE" || g.Nodes["n1"].GiveoverAt != 1000 {
		t.Errorf("after GIVEOVER: n1 %+v, n2 %+v", g.Nodes["n1"], g.Nodes["n2"])
	}
	h.wantStates(t, map[string]string{"g": "OFFLINE"})
	// n1 is barred as a target within Pingpong_interval (seen from n2).
	h.s.Now = 1050
	if !h.s.barred(h.s.Groups["g"], "n1") {
		t.Errorf("n1 not barred within Pingpong_interval")
	}
	h.s.Now = 1101
	if h.s.barred(h.s.Groups["g"], "n1") {
		t.Errorf("n1 still barred after Pingpong_interval")
	}
}

func TestControlGating(t *testing.T) {
	h := controlHarness(t, []string{"n1", "n2"})
	a := h.s.Resources["a"]
	cases := []struct {
		mode, tag string
		want      scha.ErrCode
	}{
		{"RESTART_ONLY", scha.ControlGiveover, scha.ErrChecks},
		{"RESTART_ONLY", scha.ControlCheckRestart, scha.ErrChecks},
		{"RESTART_ONLY", scha.ControlResourceDisable, scha.ErrChecks},
		{"RESTART_ONLY", scha.ControlCheckGiveover, scha.ErrChecks},
		{"LOG_ONLY", scha.ControlResourceRestart, scha.ErrChecks},
		{"LOG_ONLY", scha.ControlResourceIsRestarted, scha.ErrChecks},
		{"NONE", scha.ControlCheckRestart, scha.ErrNoErr},
		{"NONE", scha.ControlIgnoreFailedStart, scha.ErrState},
		{"NONE", scha.ControlChangeStateOnline, scha.ErrRT},
	}
	for _, c := range cases {
		a.FailoverMode = c.mode
		if got := scha.CodeOf(h.control(c.tag).Err); got != c.want {
			t.Errorf("%s %s: code %d, want %d", c.mode, c.tag, got, c.want)
		}
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}
