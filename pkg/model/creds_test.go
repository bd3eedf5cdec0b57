package model

import "testing"

func TestCredentials(t *testing.T) {
	c := NewConfig("c", "n1")
	now := int64(1000)
	if err := c.AddCredential(Credential{Name: "alice", Role: "operator", Serial: "a1", Expires: now + 100}, now); err != nil {
		t.Fatal(err)
	}
	if err := c.AddCredential(Credential{Name: "alice", Role: "admin", Serial: "a2", Expires: now + 100}, now); err != nil {
		t.Fatal(err)
	}
	if err := c.AddCredential(Credential{Name: "bob", Role: "viewer", Serial: "b1", Expires: now + 10}, now); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Credential{
		{Name: "alice", Serial: "a1", Expires: now + 100}, // serial taken
		{Name: "", Serial: "x", Expires: now + 100},
		{Name: "carol", Serial: "c1", Expires: now}, // expired
	} {
		if c.AddCredential(bad, now) == nil {
			t.Errorf("AddCredential(%+v) accepted", bad)
		}
	}
	clone := c.Clone()
	before := c.Trust
	if n, err := c.RevokeCredentials("alice", "a2", now); n != 1 || err != nil {
		t.Fatalf("revoke one: %d, %v", n, err)
	}
	if !c.CredentialRevoked("a2") || c.CredentialRevoked("a1") || clone.CredentialRevoked("a2") {
		t.Error("revoking a2 revoked the wrong ones, or reached a clone")
	}
	// rgmd keeps RevokedSerials for as long as the trust record is the
	// same pointer: a revocation must replace it.
	if c.Trust == before {
		t.Error("a revocation changed the trust record in place")
	}
	if rs := c.RevokedSerials(); len(rs) != 1 || !rs["a2"] || len(clone.RevokedSerials()) != 0 {
		t.Errorf("RevokedSerials %v, the clone's %v", rs, clone.RevokedSerials())
	}
	if n, err := c.RevokeCredentials("alice", "", now); n != 1 || err != nil {
		t.Fatalf("revoke the rest: %d, %v", n, err)
	}
	if _, err := c.RevokeCredentials("alice", "", now); err == nil {
		t.Error("revoking nobody succeeded")
	}
	// Issuing later drops expired records.
	before = c.Trust
	c.AddCredential(Credential{Name: "dave", Serial: "d1", Expires: now + 1000}, now+50)
	if c.Trust == before {
		t.Error("issuing changed the trust record in place")
	}
	for _, cr := range c.Credentials() {
		if cr.Name == "bob" {
			t.Error("bob's expired record was kept")
		}
	}
}
