package daemon

import (
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/wire"
)

const simRTR = `Resource_type = "noop";
Vendor_id = TEST;
Failover = TRUE;
Start = /bin/true;
Stop = /bin/true;
`

// TestSavedConfig: a saved configuration is built on the live nodes and
// any node its Nodelists name, every group placed as a cluster start
// would, its enabled resources online there, the disabled ones not.
func TestSavedConfig(t *testing.T) {
	live := model.NewConfig("c", "n1")
	f := &wire.ImportArgs{
		Types: []wire.ImportType{{ConfigType: wire.ConfigType{Name: "TEST.noop", RTRFile: "/x/noop.rtr"}, Text: simRTR}},
		Groups: []wire.ConfigGroup{
			{Name: "db-rg", Props: map[string]string{"nodelist": "n2,n1"}},
			{Name: "off-rg", Props: map[string]string{"Auto_start_on_new_cluster": "FALSE"}},
		},
		Resources: []wire.ConfigResource{
			{Name: "db-rs", Group: "db-rg", Type: "TEST.noop"},
			{Name: "idle-rs", Group: "db-rg", Type: "TEST.noop", Disabled: true},
		},
	}
	c, err := savedConfig(live, f, 1_800_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.NodeNames(), ","); got != "n1,n2" {
		t.Errorf("nodes %s", got)
	}
	if st := c.Groups["db-rg"].Nodes["n2"]; st.State != model.RGStateOnline || st.Desired != model.RGStateOnline {
		t.Errorf("db-rg on n2: %+v", st)
	}
	if st := c.Groups["db-rg"].Nodes["n1"]; st.State != model.RGStateOffline {
		t.Errorf("db-rg on n1: %+v", st)
	}
	if st := c.Groups["off-rg"].Nodes["n1"]; st.State != model.RGStateOffline || st.Desired != model.RGStateOffline {
		t.Errorf("off-rg: %+v", st)
	}
	if got := c.Resources["db-rs"].Nodes["n2"].State; got != model.RStateOnline {
		t.Errorf("db-rs on n2: %s", got)
	}
	if got := c.Resources["idle-rs"].Nodes["n2"].State; got != model.RStateOffline {
		t.Errorf("disabled idle-rs on n2: %s", got)
	}
	f.Groups[0].Props["RG_affinities"] = "++nope-rg"
	if _, err := savedConfig(live, f, 0); err == nil || !strings.Contains(err.Error(), "nope-rg") {
		t.Errorf("a bad file: %v", err)
	}
}

func TestSimEvent(t *testing.T) {
	for _, tt := range []struct {
		a     wire.SimulateArgs
		words string
		err   string
	}{
		{wire.SimulateArgs{Event: "node-down", Operands: []string{"n3"}}, "n3 down", ""},
		{wire.SimulateArgs{Event: "node-up", Operands: []string{"n3"}}, "n3 up", ""},
		{wire.SimulateArgs{Event: "switch", Operands: []string{"db-rg", "n2"}}, "switch db-rg to n2", ""},
		{wire.SimulateArgs{Event: "fail", Operands: []string{"db-rs"}}, "db-rs fails", ""},
		{wire.SimulateArgs{Event: "switch", Operands: []string{"db-rg"}}, "", "takes 2 operand(s), got 1"},
		{wire.SimulateArgs{Event: "explode"}, "", "unknown event"},
	} {
		_, words, err := simEvent(tt.a)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%+v: %v, want %q", tt.a, err, tt.err)
			}
			continue
		}
		if err != nil || words != tt.words {
			t.Errorf("%+v: %q %v, want %q", tt.a, words, err, tt.words)
		}
	}
}
