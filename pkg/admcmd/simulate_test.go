package admcmd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/wire"
)

// noopRTR is a failover type whose methods do nothing, so that groups
// come online on any node of a test cluster at once.
const noopRTR = `Resource_type = "noop";
Vendor_id = TEST;
RT_version = "1.0";
Failover = TRUE;
Start = /bin/true;
Stop = /bin/true;
Monitor_check = /bin/true;
{ PROPERTY = Retry_count; MIN = 0; DEFAULT = 2; TUNABLE = ANYTIME; }
{ PROPERTY = Retry_interval; MIN = 0; DEFAULT = 300; TUNABLE = ANYTIME; }
`

// retry runs a command until it succeeds, while the cluster settles
// (a leader being elected answers SCHA_ERR_RECONF).
func retry(t *testing.T, d *rgmtest.Daemon, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := d.Run("rgmadm", args...)
		if r.Code == 0 {
			return r.Stdout
		}
		if time.Now().After(deadline) {
			t.Fatalf("rgmadm %v: exit %d: %s", args, r.Code, r.Stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// groupStates is every group's state and Desired state on every node, as
// d sees them.
func groupStates(t *testing.T, d *rgmtest.Daemon, groups ...string) string {
	t.Helper()
	var out []string
	for _, g := range groups {
		var rg struct {
			Nodes map[string]struct {
				State   string `json:"state"`
				Desired string `json:"desired"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal([]byte(d.MustRun("rgmadm", "-o", "json", "rg", "show", g)), &rg); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"n1", "n2", "n3"} {
			out = append(out, g+"@"+n+"="+rg.Nodes[n].State+"/"+rg.Nodes[n].Desired)
		}
	}
	return strings.Join(out, " ")
}

// TestSimulate: rgmadm simulate on a real three-node cluster answers what
// the engine would do and changes nothing.
func TestSimulate(t *testing.T) {
	c := rgmtest.StartCluster(t, 3)
	n1, n3 := c.Nodes[0], c.Nodes[2]
	dir := t.TempDir()
	rtr := filepath.Join(dir, "noop.rtr")
	if err := os.WriteFile(rtr, []byte(noopRTR), 0o644); err != nil {
		t.Fatal(err)
	}
	retry(t, n1, "rt", "register", rtr)
	retry(t, n1, "rg", "create", "db-rg", "-p", "Nodelist=n3,n1,n2")
	retry(t, n1, "rs", "create", "db-rs", "-g", "db-rg", "-t", "TEST.noop")
	retry(t, n1, "rg", "create", "app-rg", "-p", "Nodelist=n3,n1,n2", "-p", "RG_affinities=+++db-rg")
	retry(t, n1, "rs", "create", "app-rs", "-g", "app-rg", "-t", "TEST.noop")
	retry(t, n3, "rg", "online", "-M", "db-rg", "app-rg", "--wait")
	deadline := time.Now().Add(60 * time.Second)
	want := "app-rg@n1=OFFLINE/OFFLINE app-rg@n2=OFFLINE/OFFLINE app-rg@n3=ONLINE/ONLINE db-rg@n1=OFFLINE/OFFLINE db-rg@n2=OFFLINE/OFFLINE db-rg@n3=ONLINE/ONLINE"
	for groupStates(t, n1, "app-rg", "db-rg") != want {
		if time.Now().After(deadline) {
			t.Fatalf("groups: %s, want %s", groupStates(t, n1, "app-rg", "db-rg"), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := groupStates(t, n1, "app-rg", "db-rg")

	for _, tt := range []struct {
		args []string
		want []string
		code int
	}{
		{[]string{"node-down", "n3"}, []string{
			"simulate n3 down (live configuration; up: n1 n2 n3); nothing is changed\n",
			"n3 down: db-rg n3 → n1 (n3 is down; first node of its Nodelist that can host it)\n",
			"n3 down: app-rg n3 → n1 (n3 is down; it follows db-rg (strong affinity +++db-rg))\n",
			"n1: Monitor_check app-rs, Monitor_check db-rs, Start app-rs, Start db-rs\n",
			"after: db-rg online on n1\n",
		}, 0},
		{[]string{"switch", "db-rg", "n2"}, []string{
			"switch db-rg to n2: db-rg n3 → n2 (rgmadm rg switch)\n",
			"switch db-rg to n2: app-rg n3 → n2 (strong affinity +++db-rg: db-rg is not on n3 (it is on n2); it follows db-rg",
			"n3: Stop app-rs, Stop db-rs\n",
			"after: app-rg online on n2\n",
		}, 0},
		{[]string{"fail", "db-rs"}, []string{
			"db-rs fails: no group moves\n",
			"n3: Stop db-rs, Start db-rs\n",
			"note: db-rs fails on n3: Failover_mode NONE: its monitor restarts it in place (restart 1 of Retry_count 2 within Retry_interval)\n",
		}, 0},
		{[]string{"node-up", "n2"}, []string{"n2 up: no group moves\n"}, 0},
		{[]string{"switch", "app-rg", "n1"}, []string{"strong affinity +++db-rg: db-rg is not on n1"}, 16},
		{[]string{"switch", "db-rg", "n9"}, []string{"not in the Nodelist"}, 11},
		{[]string{"reboot", "n1"}, []string{"unknown event"}, 3},
		{[]string{"node-down"}, []string{"missing ARG"}, 3},
	} {
		r := n1.Run("rgmadm", append([]string{"simulate"}, tt.args...)...)
		if r.Code != tt.code {
			t.Errorf("simulate %v: exit %d, want %d\n%s%s", tt.args, r.Code, tt.code, r.Stdout, r.Stderr)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(r.Stdout+r.Stderr, w) {
				t.Errorf("simulate %v: no %q in\n%s%s", tt.args, w, r.Stdout, r.Stderr)
			}
		}
	}

	// JSON, from another node.
	var rep wire.SimulateReply
	if err := json.Unmarshal([]byte(c.Nodes[1].MustRun("rgmadm", "simulate", "node-down", "n3", "-o", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Source != "live" || len(rep.Moves) != 2 || rep.Moves[0].To != "n1" || len(rep.Blocked) != 0 {
		t.Errorf("json: %+v", rep)
	}

	// A saved configuration: every node up, groups where a start puts
	// them (n3, first of their Nodelist).
	file := filepath.Join(dir, "cfg.json")
	if err := os.WriteFile(file, []byte(n1.MustRun("rgmadm", "export")), 0o644); err != nil {
		t.Fatal(err)
	}
	out := n1.MustRun("rgmadm", "simulate", "--config", file, "node-down", "n3")
	for _, w := range []string{"configuration " + file + ", as after a cluster start", "n3 down: db-rg n3 → n1", "after: db-rg online on n1"} {
		if !strings.Contains(out, w) {
			t.Errorf("--config: no %q in\n%s", w, out)
		}
	}

	if after := groupStates(t, n1, "app-rg", "db-rg"); after != before {
		t.Errorf("simulate changed the cluster:\n%s\nwas\n%s", after, before)
	}
}
