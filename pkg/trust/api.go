package trust

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"time"
)

// The remote API's certificates: the server certificate each node's
// HTTPS port presents, and the credential files users connect with.

// ouAPI is the OrganizationalUnit of an API server certificate.
const ouAPI = "api"

// SignAPIServer makes a key and a certificate for a node's HTTPS API:
// CommonName and a DNS name nodeName, plus each of hosts (a DNS name or
// an IP address, so that curl's host name check passes when the port is
// reached by address), usable only to serve (ServerAuth). It is not a
// node certificate (CertNode refuses it), so it cannot open the cluster
// port.
func (ca *CA) SignAPIServer(nodeName string, hosts []string, ttl time.Duration, now time.Time) (tls.Certificate, error) {
	if err := CheckName(nodeName); err != nil {
		return tls.Certificate{}, fmt.Errorf("node name: %w", err)
	}
	key, err := NewKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: nodeName, Organization: []string{orgName}, OrganizationalUnit: []string{ouAPI}},
		DNSNames:    []string{nodeName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" && h != nodeName {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	certPEM, err := ca.sign(tmpl, &key.PublicKey, ttl, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw, ca.cert.Raw}, PrivateKey: key, Leaf: cert}, nil
}

// IssueUser makes a key for user name and signs its certificate with
// role (SignUser), returning the credential file: the certificate, the
// private key and the CA certificate, in PEM, in that order (curl takes
// the file for both --cert and --cacert). serial is the certificate's
// serial number in hex, as Serial gives it.
func (ca *CA) IssueUser(name string, role Role, ttl time.Duration, now time.Time) (cred []byte, serial string, notAfter time.Time, err error) {
	key, err := NewKey()
	if err != nil {
		return nil, "", time.Time{}, err
	}
	certPEM, err := ca.SignUser(&key.PublicKey, name, role, ttl, now)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	keyPEM, err := encodeKeyPEM(key)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	var b bytes.Buffer
	b.Write(certPEM)
	b.Write(keyPEM)
	b.Write(ca.CertPEM())
	return b.Bytes(), Serial(cert), cert.NotAfter, nil
}

// Serial is a certificate's serial number in lower-case hex: how the
// replicated log names a credential.
func Serial(cert *x509.Certificate) string { return cert.SerialNumber.Text(16) }

// Credential is a user's credential file, parsed: what the remote client
// connects with.
type Credential struct {
	Name string
	Role Role
	Cert *x509.Certificate
	CA   *x509.Certificate
	tls  tls.Certificate
}

// ParseCredential reads a credential file as IssueUser writes it: a user
// certificate, its private key and the CA certificate, in any order.
func ParseCredential(b []byte) (*Credential, error) {
	var certs []*x509.Certificate
	var keyDER []byte
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		switch blk.Type {
		case pemCert:
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("credential: %w", err)
			}
			certs = append(certs, c)
		case "EC PRIVATE KEY", "PRIVATE KEY":
			keyDER = pem.EncodeToMemory(blk)
		}
	}
	var leaf, ca *x509.Certificate
	for _, c := range certs {
		if c.IsCA {
			ca = c
		} else {
			leaf = c
		}
	}
	switch {
	case leaf == nil:
		return nil, errors.New("credential: no user certificate in the file")
	case ca == nil:
		return nil, errors.New("credential: no CA certificate in the file")
	case keyDER == nil:
		return nil, errors.New("credential: no private key in the file")
	}
	name, role, ok := CertUser(leaf)
	if !ok {
		return nil, fmt.Errorf("credential: certificate %q is not an OpenRGM user certificate", leaf.Subject.CommonName)
	}
	if leaf.CheckSignatureFrom(ca) != nil {
		return nil, fmt.Errorf("credential: user certificate %q was not signed by the CA in the file", name)
	}
	certPEM := encodeCertPEM(leaf.Raw)
	pair, err := tls.X509KeyPair(certPEM, keyDER)
	if err != nil {
		return nil, fmt.Errorf("credential: %w", err)
	}
	return &Credential{Name: name, Role: role, Cert: leaf, CA: ca, tls: pair}, nil
}

// ClientConfig returns the TLS configuration of a remote client holding
// cr: TLS 1.3 only, presenting the user certificate, and accepting a
// server whose certificate chains to the credential's CA and may serve
// (ServerAuth). The host name is not checked: any node of the cluster
// serves the API, and the CA, which only the cluster's nodes hold, is
// what proves the server is one.
func (cr *Credential) ClientConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(cr.CA)
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{cr.tls},
		InsecureSkipVerify: true, // VerifyConnection below is the check
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("server presented no certificate")
		}
		now := time.Now
		if cfg.Time != nil {
			now = cfg.Time
		}
		leaf := cs.PeerCertificates[0]
		_, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			return fmt.Errorf("server certificate %q: %w", leaf.Subject.CommonName, err)
		}
		return nil
	}
	return cfg
}

// APIServerConfig returns the TLS configuration of the HTTPS API: TLS 1.3
// only, presenting cert, and requiring a client certificate that chains
// to ca, is within its validity, is a user certificate, and passes allow
// (nil allows all). A connection without one fails the handshake.
func APIServerConfig(cert tls.Certificate, ca *x509.Certificate, allow AllowFunc) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		MaxVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.VerifiedChains) == 0 {
				return errors.New("client certificate was not verified against the cluster CA")
			}
			leaf := cs.VerifiedChains[0][0]
			if _, _, ok := CertUser(leaf); !ok {
				return fmt.Errorf("client certificate %q is not a user certificate of this cluster", leaf.Subject.CommonName)
			}
			return checkAllow(allow, leaf)
		},
	}
}
