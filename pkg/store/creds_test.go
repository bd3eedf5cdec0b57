package store

import (
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
)

func TestCredCommands(t *testing.T) {
	m := NewConfigMachine()
	cred := model.Credential{Name: "alice", Role: "operator", Serial: "abc", Issued: 1, Expires: 100}
	if _, err := m.Apply(CmdCredIssue, Encode(CredIssueCmd{Cred: cred, Now: 2})); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(CmdCredRevoke, Encode(CredRevokeCmd{Name: "bob", Now: 3})); err == nil {
		t.Error("revoking an unknown user succeeded")
	}
	if _, err := m.Apply(CmdCredRevoke, Encode(CredRevokeCmd{Name: "alice", Now: 3})); err != nil {
		t.Fatal(err)
	}
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	m2 := NewConfigMachine()
	if err := m2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	m2.Read(func(c *model.Config) {
		if !c.CredentialRevoked("abc") {
			t.Error("the revocation did not survive a snapshot")
		}
	})
}
