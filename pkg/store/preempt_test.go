package store

import (
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
)

// TestPreemptCommands: a preemption takes its victims off and marks them
// in one entry, or, refused, changes nothing; the mark goes when the
// group is wanted online again or when cleared.
func TestPreemptCommands(t *testing.T) {
	m := NewConfigMachine()
	for _, step := range []struct {
		typ byte
		cmd any
	}{
		{CmdInit, InitCmd{Cluster: "c", Node: "n1"}},
		{CmdCreateGroup, PropsCmd{Name: "lo"}},
		{CmdCreateGroup, PropsCmd{Name: "hi"}},
		{CmdSetState, StateCmd{Origin: "n1", Changes: []model.StateChange{{Group: "lo", Node: "n1", State: model.RGStateOnline, Desired: model.RGStateOnline}}}},
	} {
		if _, err := m.Apply(step.typ, Encode(step.cmd)); err != nil {
			t.Fatal(err)
		}
	}
	snapshot := func() string { return snapshotOf(t, m) }
	off := []model.StateChange{{Group: "lo", Node: "n1", Desired: model.RGStateOffline}}
	before := snapshot()
	for _, bad := range []PreemptCmd{
		{Origin: "placement", Changes: off, Marks: []model.GroupMark{{Group: "lo", PreemptMark: model.PreemptMark{By: "hi", Node: "n9"}}}},
		{Origin: "placement", Changes: off, Marks: []model.GroupMark{{Group: "nope", PreemptMark: model.PreemptMark{By: "hi", Node: "n1"}}}},
		{Origin: "placement", Changes: off, Marks: []model.GroupMark{{Group: "lo", PreemptMark: model.PreemptMark{By: "nope", Node: "n1"}}}},
		{Origin: "placement", Changes: []model.StateChange{{Group: "lo", Node: "n1", Desired: "SIDEWAYS"}}, Marks: []model.GroupMark{{Group: "lo", PreemptMark: model.PreemptMark{By: "hi", Node: "n1"}}}},
	} {
		if _, err := m.Apply(CmdPreempt, Encode(bad)); err == nil {
			t.Errorf("%+v accepted", bad)
		}
		if snapshot() != before {
			t.Fatalf("%+v: a refused preemption changed the configuration", bad)
		}
	}
	good := PreemptCmd{Origin: "placement", Changes: off, Marks: []model.GroupMark{
		{Group: "lo", PreemptMark: model.PreemptMark{By: "hi", Node: "n1", At: 7}},
		{Group: "hi", PreemptMark: model.PreemptMark{Node: "n1", At: 7}}}}
	if _, err := m.Apply(CmdPreempt, Encode(good)); err != nil {
		t.Fatal(err)
	}
	m.Read(func(c *model.Config) {
		if c.Groups["lo"].Nodes["n1"].Desired != model.RGStateOffline || *c.Groups["lo"].Preempt != (model.PreemptMark{By: "hi", Node: "n1", At: 7}) {
			t.Errorf("lo after the preemption: %+v %+v", c.Groups["lo"].Nodes["n1"], c.Groups["lo"].Preempt)
		}
	})
	// hi wanted online: its mark goes; lo's is cleared by the operator.
	if _, err := m.Apply(CmdSetState, Encode(StateCmd{Origin: "placement", Changes: []model.StateChange{{Group: "hi", Node: "n1", Desired: model.RGStateOnline}}})); err != nil {
		t.Fatal(err)
	}
	m.Read(func(c *model.Config) {
		if got := c.Preempted(); len(got) != 1 || got[0] != "lo" {
			t.Errorf("marked after hi is wanted: %v", got)
		}
	})
	if _, err := m.Apply(CmdClearPreempt, Encode(ClearPreemptCmd{Groups: []string{"lo", "nope"}})); err != nil {
		t.Fatal(err)
	}
	m.Read(func(c *model.Config) {
		if got := c.Preempted(); len(got) != 0 {
			t.Errorf("marked after the clear: %v", got)
		}
	})
	if _, err := m.Apply(CmdPreempt, []byte("{")); err == nil {
		t.Error("a corrupt preemption accepted")
	}
}
