package store

import (
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// TestApplyImport: an import is applied whole or not at all, whatever
// part of it the model refuses.
func TestApplyImport(t *testing.T) {
	m := NewConfigMachine()
	if _, err := m.Apply(CmdInit, Encode(InitCmd{Cluster: "c", Node: "n1"})); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(CmdCreateGroup, Encode(PropsCmd{Name: "old"})); err != nil {
		t.Fatal(err)
	}
	snapshot := func() string { return snapshotOf(t, m) }
	before := snapshot()
	for _, tt := range []struct {
		name string
		cmd  ImportCmd
		code scha.ErrCode
	}{
		{"existing group last", ImportCmd{Groups: []PropsCmd{{Name: "a"}, {Name: "b"}, {Name: "old"}}}, scha.ErrRG},
		{"bad property", ImportCmd{Groups: []PropsCmd{{Name: "a"}, {Name: "b", Props: map[string]string{"Pingpong_interval": "x"}}}}, scha.ErrProp},
		{"resource of no type", ImportCmd{Groups: []PropsCmd{{Name: "a"}}, Resources: []ResourceCmd{{Name: "r", Group: "a", Type: "T"}}}, scha.ErrRT},
		{"switch of another resource", ImportCmd{Groups: []PropsCmd{{Name: "a"}}, Disabled: []string{"elsewhere"}}, scha.ErrRsrc},
		{"corrupt", ImportCmd{}, scha.ErrInternal},
	} {
		body := Encode(tt.cmd)
		if tt.name == "corrupt" {
			body = []byte("{")
		}
		if _, err := m.Apply(CmdImport, body); scha.CodeOf(err) != tt.code {
			t.Errorf("%s: %v, want code %d", tt.name, err, tt.code)
		}
		if after := snapshot(); after != before {
			t.Errorf("%s: the configuration changed", tt.name)
		}
	}
	if _, err := m.Apply(CmdImport, Encode(ImportCmd{Groups: []PropsCmd{{Name: "a"}, {Name: "b", Props: map[string]string{"RG_dependencies": "a"}}}})); err != nil {
		t.Fatal(err)
	}
	m.Read(func(c *model.Config) {
		if len(c.Groups) != 3 || c.Groups["b"].Props["RG_dependencies"] != "a" {
			t.Errorf("after a good import: %v", c.Groups)
		}
	})
}

// snapshotOf is m's configuration, serialized: to compare before and
// after a refused command.
func snapshotOf(t *testing.T, m *ConfigMachine) string {
	t.Helper()
	b, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
