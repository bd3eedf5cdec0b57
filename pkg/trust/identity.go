package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// NewKey makes an ECDSA P-256 private key, the kind of every node and CA
// key: fast to make and to use, and understood by every TLS stack.
func NewKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// NewCSR returns a PEM certificate request for key with nodeName as its
// CommonName: what a joining node sends to the cluster, which answers
// with CA.SignNode's certificate. The request proves the node holds key;
// the private key itself stays on the node.
func NewCSR(key *ecdsa.PrivateKey, nodeName string) ([]byte, error) {
	if err := CheckName(nodeName); err != nil {
		return nil, fmt.Errorf("node name: %w", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: nodeName},
	}, key)
	if err != nil {
		return nil, err
	}
	return pemEncode(pemCSR, der), nil
}

// IssueNode makes a key for node nodeName, signs its certificate and
// returns the node's Identity, in one step: for the first node of a
// cluster, which holds the CA itself and has nobody to join, and for
// tests.
func (ca *CA) IssueNode(nodeName string, nodeID int, ttl time.Duration, now time.Time) (*Identity, error) {
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	csr, err := NewCSR(key, nodeName)
	if err != nil {
		return nil, err
	}
	certPEM, err := ca.SignNode(csr, nodeName, nodeID, ttl, now)
	if err != nil {
		return nil, err
	}
	return NewIdentity(key, certPEM, ca.CertPEM())
}

// Identity is what a node proves itself with: its private key, its node
// certificate and the cluster CA certificate that signed it. It is
// immutable once made and safe to share between goroutines.
type Identity struct {
	key    *ecdsa.PrivateKey
	cert   *x509.Certificate
	ca     *x509.Certificate
	tlsCrt tls.Certificate
	name   string
	id     int
}

// NewIdentity puts together a node's key, its certificate (PEM) and the
// CA certificate (PEM), as a joining node receives them. It checks that
// the key is the certificate's, that the CA signed the certificate and
// that it is a node certificate; it does not check validity dates, which
// the handshakes do at their own time. A joining node must also check
// that CAFingerprint equals its token's fingerprint before it saves the
// identity.
func NewIdentity(key *ecdsa.PrivateKey, certPEM, caPEM []byte) (*Identity, error) {
	if key == nil {
		return nil, errors.New("no node key")
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("node certificate: %w", err)
	}
	ca, err := ParseCertificatePEM(caPEM)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	name, id, ok := CertNode(cert)
	switch {
	case !ok:
		return nil, fmt.Errorf("certificate %q is not an OpenRGM node certificate", cert.Subject.CommonName)
	case !ca.IsCA || !ca.BasicConstraintsValid:
		return nil, fmt.Errorf("CA certificate %q is not a CA", ca.Subject.CommonName)
	case cert.CheckSignatureFrom(ca) != nil:
		return nil, fmt.Errorf("node certificate %q was not signed by the CA %q", name, ca.Subject.CommonName)
	case !key.PublicKey.Equal(cert.PublicKey):
		return nil, fmt.Errorf("node key does not match the certificate of node %q", name)
	}
	return &Identity{
		key:  key,
		cert: cert,
		ca:   ca,
		// The CA goes with the leaf so a joining node, which knows
		// only the CA's fingerprint, finds the CA in the handshake.
		tlsCrt: tls.Certificate{Certificate: [][]byte{cert.Raw, ca.Raw}, PrivateKey: key, Leaf: cert},
		name:   name,
		id:     id,
	}, nil
}

// SaveIdentity writes id to dir: node.key (mode 0600), ca.pem and
// node.pem (mode 0644), each atomically, creating dir (mode 0700) if
// needed. node.pem is written last, so that its presence means the
// identity is whole.
func SaveIdentity(dir string, id *Identity) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	keyPEM, err := encodeKeyPEM(id.key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(dir, NodeKeyFile, keyPEM, keyMode); err != nil {
		return err
	}
	if err := writeFileAtomic(dir, CACertFile, encodeCertPEM(id.ca.Raw), certMode); err != nil {
		return err
	}
	return writeFileAtomic(dir, NodeCertFile, id.CertPEM(), certMode)
}

// LoadIdentity reads the identity SaveIdentity wrote in dir, with the
// checks of NewIdentity, and refuses node.key if group or others may
// access it or another user owns it. When dir holds no node.pem (the
// node never joined) the error wraps fs.ErrNotExist.
func LoadIdentity(dir string) (*Identity, error) {
	certPath := filepath.Join(dir, NodeCertFile)
	keyPath := filepath.Join(dir, NodeKeyFile)
	caPath := filepath.Join(dir, CACertFile)
	certPEM, err := readCertFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("loading the node identity: %w", err)
	}
	keyPEM, err := readKeyFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("loading the node identity: %w", noExist(err))
	}
	caPEM, err := readCertFile(caPath)
	if err != nil {
		return nil, fmt.Errorf("loading the node identity: %w", noExist(err))
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading the node identity: %s: %w", keyPath, err)
	}
	id, err := NewIdentity(key, certPEM, caPEM)
	if err != nil {
		return nil, fmt.Errorf("loading the node identity from %s: %w", dir, err)
	}
	return id, nil
}

// noExist hides fs.ErrNotExist for a file whose absence does not mean
// "no identity here" but a broken one, so the caller does not take it
// for a node that never joined.
func noExist(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s is missing while %s is there: the identity is incomplete", pe.Path, NodeCertFile)
	}
	return err
}

// NodeName returns the node's name, its certificate's CommonName.
func (id *Identity) NodeName() string { return id.name }

// NodeID returns the node id the CA wrote in the certificate.
func (id *Identity) NodeID() int { return id.id }

// Certificate returns the node certificate. The caller must not modify it.
func (id *Identity) Certificate() *x509.Certificate { return id.cert }

// CertPEM returns the node certificate in PEM.
func (id *Identity) CertPEM() []byte { return encodeCertPEM(id.cert.Raw) }

// CACertificate returns the cluster CA certificate. The caller must not
// modify it.
func (id *Identity) CACertificate() *x509.Certificate { return id.ca }

// CAFingerprint returns the fingerprint of the cluster CA, as in join
// tokens.
func (id *Identity) CAFingerprint() string { return Fingerprint(id.ca) }

// CertNode reports whether cert is an OpenRGM node certificate, and if so
// the node's name and id. It looks at the certificate's content only and
// verifies nothing: use it on a certificate that has already been
// verified against the cluster CA, such as the one an AllowFunc receives.
func CertNode(cert *x509.Certificate) (name string, id int, ok bool) {
	s := cert.Subject
	if cert.IsCA || !slices.Equal(s.OrganizationalUnit, []string{ouNode}) ||
		!slices.Equal(cert.DNSNames, []string{s.CommonName}) || CheckName(s.CommonName) != nil ||
		!slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) ||
		!slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return "", 0, false
	}
	id, err := strconv.Atoi(s.SerialNumber)
	if err != nil || id < 1 {
		return "", 0, false
	}
	return s.CommonName, id, true
}

// CertUser reports whether cert is an OpenRGM user certificate, and if so
// the user's name and role. Like CertNode it verifies nothing.
func CertUser(cert *x509.Certificate) (name string, role Role, ok bool) {
	s := cert.Subject
	if cert.IsCA || len(s.OrganizationalUnit) != 1 || CheckName(s.CommonName) != nil ||
		!slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		return "", "", false
	}
	role, err := ParseRole(s.OrganizationalUnit[0])
	if err != nil {
		return "", "", false
	}
	return s.CommonName, role, true
}
