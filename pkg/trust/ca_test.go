package trust

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// t0 is the "now" of the tests: no test reads the clock.
var t0 = time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)

func newTestCA(t *testing.T, name string, now time.Time) *CA {
	t.Helper()
	ca, err := NewCA(name, now)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func issue(t *testing.T, ca *CA, node string, id int, ttl time.Duration, now time.Time) *Identity {
	t.Helper()
	ident, err := ca.IssueNode(node, id, ttl, now)
	if err != nil {
		t.Fatal(err)
	}
	return ident
}

func TestNewCA(t *testing.T) {
	ca := newTestCA(t, "prod", t0)
	c := ca.Certificate()
	if got, want := c.Subject.CommonName, "OpenRGM cluster prod CA"; got != want {
		t.Errorf("CommonName = %q, want %q", got, want)
	}
	if !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("not a CA: IsCA %v, BasicConstraintsValid %v, KeyUsage %b", c.IsCA, c.BasicConstraintsValid, c.KeyUsage)
	}
	if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("key is %T, want ECDSA P-256", c.PublicKey)
	}
	if c.NotBefore.After(t0) || c.NotAfter.Before(t0.AddDate(9, 11, 0)) {
		t.Errorf("validity %v to %v, want about ten years from %v", c.NotBefore, c.NotAfter, t0)
	}
	if ca.ClusterName() != "prod" {
		t.Errorf("ClusterName = %q", ca.ClusterName())
	}
	sum := sha256.Sum256(c.Raw)
	if got, want := ca.Fingerprint(), "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Fingerprint = %q, want %q", got, want)
	}
	for _, bad := range []string{"", "-x", "a b", "é", strings.Repeat("a", 46)} {
		if _, err := NewCA(bad, t0); err == nil {
			t.Errorf("NewCA(%q) accepted", bad)
		}
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestLoadOrCreateCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls") // created on demand
	ca, err := LoadOrCreateCA(dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if m := fileMode(t, filepath.Join(dir, CAKeyFile)); m != 0o600 {
		t.Errorf("ca.key mode %04o, want 0600", m)
	}
	if m := fileMode(t, filepath.Join(dir, CACertFile)); m != 0o644 {
		t.Errorf("ca.pem mode %04o, want 0644", m)
	}
	if m := fileMode(t, dir); m != 0o700 {
		t.Errorf("dir mode %04o, want 0700", m)
	}
	again, err := LoadOrCreateCA(dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint() != ca.Fingerprint() {
		t.Error("second LoadOrCreateCA made a new CA instead of loading the saved one")
	}
	if _, err := LoadOrCreateCA(dir, ""); err != nil {
		t.Errorf(`LoadOrCreateCA(dir, ""): %v`, err)
	}
	if _, err := LoadOrCreateCA(dir, "test"); err == nil || !strings.Contains(err.Error(), `"prod"`) {
		t.Errorf("LoadOrCreateCA of another cluster's dir: %v, want an error naming cluster prod", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("dir holds %d files, want ca.pem and ca.key only (a temp file left?)", len(ents))
	}
	// A crash between writing the key and the certificate leaves a
	// key alone; nothing was issued with it, so a new CA is made.
	os.Remove(filepath.Join(dir, CACertFile))
	fresh, err := LoadOrCreateCA(dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Fingerprint() == ca.Fingerprint() {
		t.Error("a CA without its certificate was reused")
	}
}

func TestLoadCARefuses(t *testing.T) {
	other := newTestCA(t, "other", t0)
	otherKey, _ := encodeKeyPEM(other.key)
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  string // in the error
	}{
		{"key mode 0644", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, CAKeyFile), 0o644)
		}, "mode 0644"},
		{"key mode 0640", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, CAKeyFile), 0o640)
		}, "group or others"},
		{"key of another CA", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, CAKeyFile), otherKey, 0o600)
		}, "does not match"},
		{"key missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, CAKeyFile))
		}, "refusing to make a new CA"},
		{"key garbage", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, CAKeyFile), []byte("hello"), 0o600)
		}, "no PEM"},
		{"key a directory", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, CAKeyFile))
			os.Mkdir(filepath.Join(dir, CAKeyFile), 0o700)
		}, "not a regular file"},
		{"cert not a CA", func(t *testing.T, dir string) {
			id := issue(t, other, "n1", 1, 0, t0)
			os.WriteFile(filepath.Join(dir, CACertFile), id.CertPEM(), 0o644)
		}, "not an OpenRGM cluster CA"},
		{"two certs", func(t *testing.T, dir string) {
			f, _ := os.OpenFile(filepath.Join(dir, CACertFile), os.O_APPEND|os.O_WRONLY, 0)
			f.Write(other.CertPEM())
			f.Close()
		}, "more than one PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := newTestCA(t, "prod", t0).Save(dir); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, dir)
			_, err := LoadCA(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadCA: %v, want an error with %q", err, tt.want)
			}
			if errors.Is(err, fs.ErrNotExist) {
				t.Errorf("LoadCA: %v wraps ErrNotExist: LoadOrCreateCA would replace the CA", err)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("LoadCA: %v does not name the file", err)
			}
			if _, err := LoadOrCreateCA(dir, "prod"); err == nil {
				t.Error("LoadOrCreateCA accepted it")
			}
		})
	}
}

// TestKeyOwner needs root, to give the key to another user; CI runs as
// root.
func TestKeyOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	if err := newTestCA(t, "prod", t0).Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(dir, CAKeyFile), 12345, 12345); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCA(dir)
	if err == nil || !strings.Contains(err.Error(), "owned by uid 12345") {
		t.Fatalf("LoadCA with a key of uid 12345: %v", err)
	}
}

func TestLoadCAMissing(t *testing.T) {
	_, err := LoadCA(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadCA of an empty dir: %v, want ErrNotExist", err)
	}
}

func TestSignNode(t *testing.T) {
	ca := newTestCA(t, "prod", t0)
	key, _ := NewKey()
	csr, err := NewCSR(key, "n2")
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Hour)
	certPEM, err := ca.SignNode(csr, "n2", 2, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCertificatePEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckSignatureFrom(ca.Certificate()); err != nil {
		t.Error(err)
	}
	if c.Subject.CommonName != "n2" || !slices.Equal(c.DNSNames, []string{"n2"}) ||
		!slices.Equal(c.Subject.OrganizationalUnit, []string{"node"}) {
		t.Errorf("subject %v, DNS names %v", c.Subject, c.DNSNames)
	}
	if !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Errorf("ExtKeyUsage %v, want client and server", c.ExtKeyUsage)
	}
	if c.IsCA {
		t.Error("node certificate is a CA")
	}
	if !c.NotAfter.Equal(now.Add(DefaultNodeTTL)) || c.NotBefore.After(now) {
		t.Errorf("validity %v to %v, want to %v", c.NotBefore, c.NotAfter, now.Add(DefaultNodeTTL))
	}
	if c.SerialNumber.BitLen() < 64 || c.SerialNumber.BitLen() > 128 {
		t.Errorf("serial number of %d bits, want 128 random bits", c.SerialNumber.BitLen())
	}
	if name, id, ok := CertNode(c); !ok || name != "n2" || id != 2 {
		t.Errorf("CertNode = %q, %d, %v", name, id, ok)
	}
	if _, _, ok := CertUser(c); ok {
		t.Error("CertUser accepts a node certificate")
	}
	again, _ := ca.SignNode(csr, "n2", 2, 0, now)
	c2, _ := ParseCertificatePEM(again)
	if c2.SerialNumber.Cmp(c.SerialNumber) == 0 {
		t.Error("two certificates with the same serial number")
	}

	// Never past the CA's own end.
	late := ca.Certificate().NotAfter.Add(-time.Hour)
	certPEM, err = ca.SignNode(csr, "n2", 2, 0, late)
	if err != nil {
		t.Fatal(err)
	}
	c, _ = ParseCertificatePEM(certPEM)
	if !c.NotAfter.Equal(ca.Certificate().NotAfter) {
		t.Errorf("NotAfter %v past the CA's %v", c.NotAfter, ca.Certificate().NotAfter)
	}
}

func TestSignNodeRefuses(t *testing.T) {
	ca := newTestCA(t, "prod", t0)
	key, _ := NewKey()
	csr, _ := NewCSR(key, "n2")

	block, _ := pem.Decode(csr)
	tampered := slices.Clone(block.Bytes)
	tampered[len(tampered)-1] ^= 0x01 // a bit of the signature
	badSig := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: tampered})

	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "n2"}}, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaCSR := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: rsaDER})

	tests := []struct {
		name string
		csr  []byte
		node string
		id   int
		ttl  time.Duration
		now  time.Time
		want string
	}{
		{"bad signature", badSig, "n2", 2, 0, t0, "signature"},
		{"another name", csr, "n3", 3, 0, t0, `request is for "n2"`},
		{"not PEM", []byte("garbage"), "n2", 2, 0, t0, "no PEM"},
		{"a certificate", ca.CertPEM(), "n2", 2, 0, t0, `want "CERTIFICATE REQUEST"`},
		{"two requests", append(slices.Clone(csr), csr...), "n2", 2, 0, t0, "more than one"},
		{"bad DER", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{0x30, 0x03, 1, 2, 3}}), "n2", 2, 0, t0, "certificate request"},
		{"bad node name", csr, "n 2", 2, 0, t0, "node name"},
		{"id 0", csr, "n2", 0, 0, t0, "node id 0"},
		{"negative ttl", csr, "n2", 2, -time.Hour, t0, "negative"},
		{"before the CA", csr, "n2", 2, 0, t0.Add(-time.Hour), "not valid at"},
		{"after the CA", csr, "n2", 2, 0, t0.AddDate(11, 0, 0), "not valid at"},
		{"RSA key", rsaCSR, "n2", 2, 0, t0, "not accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := ca.SignNode(tt.csr, tt.node, tt.id, tt.ttl, tt.now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SignNode: %v, want an error with %q", err, tt.want)
			}
			if cert != nil {
				t.Error("a certificate came with the error")
			}
		})
	}
}

func TestSignUser(t *testing.T) {
	ca := newTestCA(t, "prod", t0)
	key, _ := NewKey()
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, pub := range []any{key.Public(), edPub} {
		certPEM, err := ca.SignUser(pub, "alice", RoleOperator, 720*time.Hour, t0)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := ParseCertificatePEM(certPEM)
		if name, role, ok := CertUser(c); !ok || name != "alice" || role != RoleOperator {
			t.Errorf("CertUser = %q, %q, %v", name, role, ok)
		}
		if _, _, ok := CertNode(c); ok {
			t.Error("CertNode accepts a user certificate")
		}
		if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
			t.Errorf("ExtKeyUsage %v, want client only", c.ExtKeyUsage)
		}
		if !c.NotAfter.Equal(t0.Add(720 * time.Hour)) {
			t.Errorf("NotAfter %v", c.NotAfter)
		}
	}
	for _, tt := range []struct {
		name string
		role Role
		ttl  time.Duration
	}{
		{"alice", "root", time.Hour},
		{"alice", "node", time.Hour},
		{"alice", RoleAdmin, 0},
		{"", RoleAdmin, time.Hour},
	} {
		if _, err := ca.SignUser(key.Public(), tt.name, tt.role, tt.ttl, t0); err == nil {
			t.Errorf("SignUser(%q, %q, %v) accepted", tt.name, tt.role, tt.ttl)
		}
	}
	if _, err := ca.SignUser(nil, "alice", RoleAdmin, time.Hour, t0); err == nil {
		t.Error("SignUser of no key accepted")
	}
}

func TestIdentitySaveLoad(t *testing.T) {
	ca := newTestCA(t, "prod", t0)
	dir := filepath.Join(t.TempDir(), "tls")
	if _, err := LoadIdentity(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadIdentity of a node that never joined: %v, want ErrNotExist", err)
	}
	id := issue(t, ca, "n1", 1, 0, t0)
	if err := SaveIdentity(dir, id); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{NodeKeyFile: 0o600, NodeCertFile: 0o644, CACertFile: 0o644} {
		if m := fileMode(t, filepath.Join(dir, name)); m != want {
			t.Errorf("%s mode %04o, want %04o", name, m, want)
		}
	}
	got, err := LoadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.NodeName() != "n1" || got.NodeID() != 1 || got.CAFingerprint() != ca.Fingerprint() ||
		!got.Certificate().Equal(id.Certificate()) || !got.key.Equal(id.key) {
		t.Errorf("loaded %s id %d CA %s, want n1 id 1 CA %s", got.NodeName(), got.NodeID(), got.CAFingerprint(), ca.Fingerprint())
	}

	// The same directory can hold the CA too: ca.pem is shared.
	if err := ca.Save(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIdentity(dir); err != nil {
		t.Errorf("LoadIdentity beside the CA: %v", err)
	}
	if _, err := LoadCA(dir); err != nil {
		t.Errorf("LoadCA beside the identity: %v", err)
	}

	other := issue(t, ca, "n2", 2, 0, t0)
	otherKey, _ := encodeKeyPEM(other.key)
	tests := []struct {
		name  string
		spoil func(dir string)
		want  string
	}{
		{"key mode 0644", func(dir string) { os.Chmod(filepath.Join(dir, NodeKeyFile), 0o644) }, "mode 0644"},
		{"key of another node", func(dir string) { os.WriteFile(filepath.Join(dir, NodeKeyFile), otherKey, 0o600) }, "does not match"},
		{"key missing", func(dir string) { os.Remove(filepath.Join(dir, NodeKeyFile)) }, "incomplete"},
		{"CA missing", func(dir string) { os.Remove(filepath.Join(dir, CACertFile)) }, "incomplete"},
		{"CA of another cluster", func(dir string) {
			os.WriteFile(filepath.Join(dir, CACertFile), newTestCA(t, "prod", t0).CertPEM(), 0o644)
		}, "not signed by the CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := SaveIdentity(dir, id); err != nil {
				t.Fatal(err)
			}
			tt.spoil(dir)
			_, err := LoadIdentity(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadIdentity: %v, want an error with %q", err, tt.want)
			}
			if errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%v wraps ErrNotExist: the caller would take the node for one that never joined", err)
			}
		})
	}
}

func TestNewIdentityRefuses(t *testing.T) {
	ca := newTestCA(t, "prod", t0)
	key, _ := NewKey()
	userPEM, _ := ca.SignUser(key.Public(), "alice", RoleAdmin, time.Hour, t0)
	if _, err := NewIdentity(key, userPEM, ca.CertPEM()); err == nil || !strings.Contains(err.Error(), "not an OpenRGM node certificate") {
		t.Errorf("NewIdentity of a user certificate: %v", err)
	}
	id := issue(t, ca, "n1", 1, 0, t0)
	if _, err := NewIdentity(key, id.CertPEM(), ca.CertPEM()); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("NewIdentity with another key: %v", err)
	}
	if _, err := NewIdentity(id.key, id.CertPEM(), id.CertPEM()); err == nil {
		t.Error("NewIdentity with a node certificate as CA accepted")
	}
}
