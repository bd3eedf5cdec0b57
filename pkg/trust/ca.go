package trust

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CALifetime is how long a new cluster CA is valid. Ten years: replacing
// a cluster's CA means re-issuing every node and user certificate, which
// is not implemented, so the CA should outlive the cluster's hardware.
const CALifetime = 10 * 365 * 24 * time.Hour

// DefaultNodeTTL is the lifetime of a node certificate when SignNode is
// given a ttl of 0.
//
// Renewal is not implemented yet: a node whose certificate expires can no
// longer talk to the others and has to be removed and joined again. A
// year leaves time to add renewal (a node asking the CA for a new
// certificate over its still valid mutual TLS connection) before the first
// clusters need it.
const DefaultNodeTTL = 365 * 24 * time.Hour

// backdate is subtracted from now for NotBefore: the clocks of two nodes
// are never quite equal, and a certificate issued by a leader whose clock
// is ahead must not look "not yet valid" to a node whose clock is behind.
const backdate = 5 * time.Minute

const (
	caCNPrefix = "OpenRGM cluster "
	caCNSuffix = " CA"
	orgName    = "OpenRGM"
	ouNode     = "node"

	// maxClusterName keeps the CA's CommonName within the 64 characters
	// X.520 allows (16 + 45 + 3).
	maxClusterName = 45
	// maxName is the length of a DNS label, since a node name is one.
	maxName = 63
)

// Role is what a user certificate allows its holder to do through the
// remote API. It is written in the certificate's OrganizationalUnit, where
// a node certificate has "node".
type Role string

// The roles of the remote API, from least to most powerful.
const (
	RoleViewer   Role = "viewer"   // every read and the event stream
	RoleOperator Role = "operator" // viewer, plus online, offline, switch, restart...
	RoleAdmin    Role = "admin"    // everything: types, properties, nodes, credentials
)

// ParseRole returns the Role named s, or an error listing the roles.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleViewer, RoleOperator, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want viewer, operator or admin)", s)
}

// CA is a cluster's certificate authority: its self-signed certificate
// and private key. The key is what makes a node or a user part of the
// cluster, so it lives in one file of mode 0600 (see LoadCA) and is never
// sent anywhere by this package.
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	cluster string
}

// NewCA makes a new CA for the cluster named clusterName, valid from now
// (less a few minutes for clock skew) for CALifetime. It only lives in
// memory until Save.
func NewCA(clusterName string, now time.Time) (*CA, error) {
	if err := checkClusterName(clusterName); err != nil {
		return nil, err
	}
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   caCNPrefix + clusterName + caCNSuffix,
			Organization: []string{orgName},
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CALifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		// The CA signs leaf certificates directly; no intermediate CA
		// may hang below it.
		MaxPathLenZero: true,
		KeyUsage:       x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("creating the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, cluster: clusterName}, nil
}

// ParseCA makes a CA of a certificate and a private key in PEM. It fails
// unless the certificate is an OpenRGM cluster CA (self-signed, IsCA, may
// sign certificates, with an "OpenRGM cluster <name> CA" CommonName) and
// the key is the certificate's.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	cluster, ok := strings.CutPrefix(cert.Subject.CommonName, caCNPrefix)
	if ok {
		cluster, ok = strings.CutSuffix(cluster, caCNSuffix)
	}
	switch {
	case !ok || checkClusterName(cluster) != nil:
		return nil, fmt.Errorf("CA certificate %q is not an OpenRGM cluster CA (its CommonName is not %q)", cert.Subject.CommonName, caCNPrefix+"<name>"+caCNSuffix)
	case !cert.BasicConstraintsValid || !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0:
		return nil, fmt.Errorf("CA certificate %q is not a CA certificate (IsCA and KeyUsageCertSign are needed)", cert.Subject.CommonName)
	case cert.CheckSignatureFrom(cert) != nil:
		return nil, fmt.Errorf("CA certificate %q is not self-signed", cert.Subject.CommonName)
	case !key.PublicKey.Equal(cert.PublicKey):
		return nil, fmt.Errorf("CA key does not match the CA certificate %q (were the files of two clusters mixed?)", cert.Subject.CommonName)
	}
	return &CA{cert: cert, key: key, cluster: cluster}, nil
}

// LoadCA reads the CA of dir: dir/ca.pem and dir/ca.key. The key file is
// refused if group or others may access it or if it belongs to another
// user than this process's; the pair is refused if the key is not the
// certificate's. Errors name the file and the reason. When the CA has
// never been saved in dir the error wraps fs.ErrNotExist.
func LoadCA(dir string) (*CA, error) {
	certPath := filepath.Join(dir, CACertFile)
	keyPath := filepath.Join(dir, CAKeyFile)
	certPEM, err := readCertFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("loading the cluster CA: %w", err)
	}
	keyPEM, err := readKeyFile(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		// Not ErrNotExist for the caller: the CA exists, its key is
		// lost, and making a new one would orphan every certificate
		// it issued.
		return nil, fmt.Errorf("loading the cluster CA: %s exists but its key %s does not: this directory holds a CA certificate without its key (a joined node's ca.pem?); refusing to make a new CA", certPath, keyPath)
	}
	if err != nil {
		return nil, fmt.Errorf("loading the cluster CA: %w", err)
	}
	ca, err := ParseCA(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading the cluster CA from %s and %s: %w", certPath, keyPath, err)
	}
	return ca, nil
}

// LoadOrCreateCA returns the CA saved in dir, or makes a new one for the
// cluster clusterName and saves it there if dir holds none (dir is
// created, mode 0700, if missing). The first node of a cluster calls it
// at every start. If a CA is found and clusterName is not empty, it must
// be the CA of that cluster: a state directory is not quietly reused for
// another cluster.
func LoadOrCreateCA(dir, clusterName string) (*CA, error) {
	ca, err := LoadCA(dir)
	if err == nil {
		if clusterName != "" && ca.cluster != clusterName {
			return nil, fmt.Errorf("%s is the CA of cluster %q, not of %q", filepath.Join(dir, CACertFile), ca.cluster, clusterName)
		}
		return ca, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ca, err = NewCA(clusterName, time.Now())
	if err != nil {
		return nil, err
	}
	if err := ca.Save(dir); err != nil {
		return nil, err
	}
	return ca, nil
}

// Save writes the CA to dir/ca.key (mode 0600) and dir/ca.pem (mode 0644),
// each atomically, creating dir (mode 0700) if needed. The key is written
// first and the certificate last: ca.pem is what says "a CA is here", so
// a crash in between leaves no half CA that LoadOrCreateCA would trust.
func (ca *CA) Save(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	keyPEM, err := encodeKeyPEM(ca.key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(dir, CAKeyFile, keyPEM, keyMode); err != nil {
		return err
	}
	return writeFileAtomic(dir, CACertFile, ca.CertPEM(), certMode)
}

// Certificate returns the CA certificate. The caller must not modify it.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the CA certificate in PEM, as written to ca.pem: what a
// joining node and a remote client are given to trust.
func (ca *CA) CertPEM() []byte { return encodeCertPEM(ca.cert.Raw) }

// ClusterName returns the name of the cluster the CA was made for.
func (ca *CA) ClusterName() string { return ca.cluster }

// Fingerprint returns the CA's fingerprint: "sha256:" and the lowercase
// hex SHA-256 of its certificate's DER. Join tokens carry it.
func (ca *CA) Fingerprint() string { return Fingerprint(ca.cert) }

// Fingerprint returns "sha256:" and the lowercase hex SHA-256 of cert's
// DER encoding.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return fingerprintPrefix + hex.EncodeToString(sum[:])
}

const fingerprintPrefix = "sha256:"

// SignNode signs a node's certificate request (NewCSR's PEM) and returns
// the node certificate in PEM. The request's signature must be valid (the
// node holds the key) and its CommonName must be nodeName. The certificate
// has nodeName as CommonName and DNS name, "node" as OrganizationalUnit,
// nodeID (1 or more) as the subject's serial number, and may be used both
// to serve and to connect, since nodes do both. It is valid from now for
// ttl (DefaultNodeTTL if 0), but never past the CA's own expiry. Nothing
// of the request but its key and name is used: what a node is allowed
// is decided here, not by the node.
func (ca *CA) SignNode(csrPEM []byte, nodeName string, nodeID int, ttl time.Duration, now time.Time) (certPEM []byte, err error) {
	if err := CheckName(nodeName); err != nil {
		return nil, fmt.Errorf("node name: %w", err)
	}
	if nodeID < 1 {
		return nil, fmt.Errorf("node %s: node id %d is not a positive number", nodeName, nodeID)
	}
	if ttl == 0 {
		ttl = DefaultNodeTTL
	}
	der, err := decodeOnePEM(csrPEM, pemCSR)
	if err != nil {
		return nil, fmt.Errorf("node %s: certificate request: %w", nodeName, err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("node %s: certificate request: %w", nodeName, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("node %s: certificate request has a bad signature (its sender does not hold the key it names): %w", nodeName, err)
	}
	if csr.Subject.CommonName != nodeName {
		return nil, fmt.Errorf("node %s: certificate request is for %q", nodeName, csr.Subject.CommonName)
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			CommonName:         nodeName,
			Organization:       []string{orgName},
			OrganizationalUnit: []string{ouNode},
			SerialNumber:       strconv.Itoa(nodeID),
		},
		DNSNames:    []string{nodeName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	return ca.sign(tmpl, csr.PublicKey, ttl, now)
}

// SignUser signs a user certificate for the remote API: name as
// CommonName, role as OrganizationalUnit, usable only to connect
// (ClientAuth), so a user certificate can never pass for a node, either
// as a client (PeerNode) or as a server. pub is the user's public key
// (ECDSA P-256 or P-384, or Ed25519). ttl must be positive: how long a
// credential lasts is the issuer's policy. Validity is from now, never
// past the CA's expiry.
func (ca *CA) SignUser(pub crypto.PublicKey, name string, role Role, ttl time.Duration, now time.Time) (certPEM []byte, err error) {
	if err := CheckName(name); err != nil {
		return nil, fmt.Errorf("user name: %w", err)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("user %s: certificate lifetime %v is not positive", name, ttl)
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			CommonName:         name,
			Organization:       []string{orgName},
			OrganizationalUnit: []string{string(role)},
		},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return ca.sign(tmpl, pub, ttl, now)
}

// sign fills in what every leaf certificate shares and signs tmpl for pub.
func (ca *CA) sign(tmpl *x509.Certificate, pub crypto.PublicKey, ttl time.Duration, now time.Time) ([]byte, error) {
	who := tmpl.Subject.CommonName
	if ttl < 0 {
		return nil, fmt.Errorf("%s: certificate lifetime %v is negative", who, ttl)
	}
	if err := checkPublicKey(pub); err != nil {
		return nil, fmt.Errorf("%s: %w", who, err)
	}
	if now.Before(ca.cert.NotBefore) || now.After(ca.cert.NotAfter) {
		return nil, fmt.Errorf("%s: the cluster CA is not valid at %s (valid %s to %s)", who,
			now.UTC().Format(time.RFC3339), ca.cert.NotBefore.UTC().Format(time.RFC3339), ca.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now.Add(-backdate)
	if tmpl.NotBefore.Before(ca.cert.NotBefore) {
		tmpl.NotBefore = ca.cert.NotBefore
	}
	tmpl.NotAfter = now.Add(ttl)
	if tmpl.NotAfter.After(ca.cert.NotAfter) {
		tmpl.NotAfter = ca.cert.NotAfter
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.BasicConstraintsValid = true // and IsCA false: a leaf
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return nil, fmt.Errorf("%s: signing the certificate: %w", who, err)
	}
	return encodeCertPEM(der), nil
}

// newSerial returns a random positive 128-bit serial number. Random
// serials make certificates unpredictable to whoever asks for them (the
// defence against chosen-prefix collisions) and need no counter, which a
// CA whose key may move between leaders could not keep.
func newSerial() (*big.Int, error) {
	b := make([]byte, 16)
	for {
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if n := new(big.Int).SetBytes(b); n.Sign() > 0 {
			return n, nil
		}
	}
}

// checkPublicKey accepts the key types a cluster certificate may hold.
func checkPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return fmt.Errorf("ECDSA key on curve %s is not accepted (want P-256 or P-384)", k.Curve.Params().Name)
		}
		return nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return errors.New("malformed Ed25519 public key")
		}
		return nil
	case nil:
		return errors.New("no public key")
	}
	return fmt.Errorf("public key of type %T is not accepted (want ECDSA P-256 or P-384, or Ed25519)", pub)
}

// CheckName reports why s cannot be a node or user name in a certificate,
// or nil if it can: 1 to 63 characters, letters, digits, '-', '_' and '.',
// starting with a letter or digit. A node name is also a DNS name of its
// certificate, hence the rule.
func CheckName(s string) error {
	return checkName(s, maxName)
}

func checkClusterName(s string) error {
	if err := checkName(s, maxClusterName); err != nil {
		return fmt.Errorf("cluster name: %w", err)
	}
	return nil
}

func checkName(s string, max int) error {
	if s == "" {
		return errors.New("empty name")
	}
	if len(s) > max {
		return fmt.Errorf("name %.20q... is %d characters long (at most %d)", s, len(s), max)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if i == 0 && !alnum {
			return fmt.Errorf("name %q does not start with a letter or digit", s)
		}
		if !alnum && c != '-' && c != '_' && c != '.' {
			return fmt.Errorf("name %q has a character that is not allowed at byte %d (only letters, digits, '-', '_' and '.' are)", s, i+1)
		}
	}
	return nil
}
