package trust

import (
	"testing"
	"time"
)

func TestIssueUserAndParse(t *testing.T) {
	now := time.Now()
	ca, err := NewCA("c1", now)
	if err != nil {
		t.Fatal(err)
	}
	cred, serial, notAfter, err := ca.IssueUser("alice", RoleOperator, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := ParseCredential(cred)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Name != "alice" || cr.Role != RoleOperator || Serial(cr.Cert) != serial || !cr.Cert.NotAfter.Equal(notAfter) {
		t.Errorf("parsed %s %s %s", cr.Name, cr.Role, Serial(cr.Cert))
	}
	if _, _, ok := CertNode(cr.Cert); ok {
		t.Error("a user credential passes for a node certificate")
	}
	srv, err := ca.SignAPIServer("n1", []string{"127.0.0.1", "n1.example"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := CertNode(srv.Leaf); ok {
		t.Error("an API server certificate passes for a node certificate")
	}
	if srv.Leaf.VerifyHostname("127.0.0.1") != nil || srv.Leaf.VerifyHostname("n1.example") != nil {
		t.Error("the API certificate does not name its hosts")
	}
	// Pieces missing or from elsewhere.
	other, _ := NewCA("c2", now)
	for name, b := range map[string][]byte{
		"empty":    nil,
		"no key":   append(append([]byte{}, other.CertPEM()...), ca.CertPEM()...),
		"CA only":  ca.CertPEM(),
		"other CA": append(cred[:len(cred)-len(ca.CertPEM())], other.CertPEM()...),
	} {
		if _, err := ParseCredential(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseCredential(f *testing.F) {
	ca, _ := NewCA("c1", time.Now())
	cred, _, _, _ := ca.IssueUser("alice", RoleViewer, time.Hour, time.Now())
	f.Add(cred)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseCredential(b)
	})
}
