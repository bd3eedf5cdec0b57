package trust

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// AllowFunc decides whether a peer whose certificate chains to the
// cluster CA may talk to this node: peerName is the certificate's
// CommonName and cert the certificate (CertNode and CertUser tell its
// kind). The daemon uses it to refuse removed nodes and revoked user
// credentials, which the CA cannot un-sign. It runs during every
// handshake, resumed ones included, so it must be fast and must not block
// on the network. A nil AllowFunc allows every valid certificate.
type AllowFunc func(peerName string, cert *x509.Certificate) error

// ServerConfig returns the TLS configuration of this node's cluster port:
// TLS 1.3 only, presenting the node certificate (with the CA certificate
// after it, so a joining node can pin the CA).
//
// A client certificate is verified if given, not required: a joining
// node has none yet, and its join request must still get through. So the
// handshake alone proves nothing about the client, and each request
// handler decides whether it needs a node (PeerNode) or a user (PeerUser).
// A client certificate that is given must chain to the cluster CA, be
// within its validity, be a node or a user certificate, and pass allow;
// otherwise the handshake fails.
//
// Validity is checked at the config's Time (time.Now when nil); tests set
// it.
func (id *Identity) ServerConfig(allow AllowFunc) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(id.ca)
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		MaxVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.tlsCrt},
		// crypto/tls verifies a given client certificate against
		// ClientCAs (chain, dates at Config.Time, ClientAuth usage)
		// before VerifyConnection runs, and fills VerifiedChains.
		ClientAuth: tls.VerifyClientCertIfGiven,
		ClientCAs:  pool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return nil // no certificate: the request handlers decide
			}
			if len(cs.VerifiedChains) == 0 {
				// Not reached with VerifyClientCertIfGiven; kept so
				// a change of ClientAuth cannot open the door.
				return errors.New("client certificate was not verified against the cluster CA")
			}
			leaf := cs.VerifiedChains[0][0]
			if _, _, ok := CertNode(leaf); !ok {
				if _, _, ok := CertUser(leaf); !ok {
					return fmt.Errorf("client certificate %q is neither a node nor a user certificate of this cluster", leaf.Subject.CommonName)
				}
			}
			return checkAllow(allow, leaf)
		},
	}
}

// ClientConfig returns the TLS configuration for connecting to another
// node: TLS 1.3 only, presenting this node's certificate, and accepting
// only a server whose certificate is a node certificate of this cluster,
// valid, named serverNode (any node's name if serverNode is ""), and
// passing allow (nil allows all).
//
// Peers are dialed by address, and a node certificate names the node, not
// its addresses, so the usual host name check would refuse every peer:
// the server's chain is verified against the CA in VerifyConnection
// instead (crypto/tls's own check is turned off with
// InsecureSkipVerify, which therefore does not mean insecure here). For
// the same reason ConnectionState.VerifiedChains stays empty on this side
// and PeerNode reports false: the server's node name is
// PeerCertificates[0]'s CommonName, and it passed these checks.
//
// Validity is checked at the returned config's Time (time.Now when nil).
// The check reads Time from the config this function returned, so set
// Time on it, not on a clone.
func (id *Identity) ClientConfig(serverNode string, allow AllowFunc) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(id.ca)
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{id.tlsCrt},
		InsecureSkipVerify: true,
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		leaf, err := verifyServer(cs, pool, cfg.Time)
		if err != nil {
			return err
		}
		if serverNode != "" && leaf.Subject.CommonName != serverNode {
			return fmt.Errorf("server is node %q, not %q", leaf.Subject.CommonName, serverNode)
		}
		return checkAllow(allow, leaf)
	}
	return cfg
}

// JoinClientConfig returns the TLS configuration of a node joining with a
// token: TLS 1.3 only, presenting no certificate (the node has none yet),
// and accepting the server only if the chain it sends holds a CA
// certificate whose fingerprint is fingerprint (as CA.Fingerprint gives
// it, from the token) and its leaf is a valid node certificate signed by
// that CA. This pins the cluster: whoever answers at the address given to
// --join, the joining node sends its token's secret only to a node of
// the cluster the token came from.
//
// Validity is checked at the returned config's Time (time.Now when nil);
// as with ClientConfig, set Time on the returned config itself.
func JoinClientConfig(fingerprint string) *tls.Config {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, // the pin below is the verification
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		want, err := parseFingerprint(fingerprint)
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		var ca *x509.Certificate
		for _, c := range cs.PeerCertificates {
			sum := sha256.Sum256(c.Raw)
			if subtle.ConstantTimeCompare(sum[:], want) == 1 {
				ca = c
				break
			}
		}
		if ca == nil {
			return fmt.Errorf("join: the server did not present the cluster CA %s: it is not a node of the cluster the token is for", fingerprint)
		}
		if !ca.IsCA || !ca.BasicConstraintsValid || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
			return fmt.Errorf("join: certificate %s is not a CA", fingerprint)
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca)
		_, err = verifyServer(cs, pool, cfg.Time)
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		return nil
	}
	return cfg
}

// verifyServer verifies that the server's leaf chains to a CA in pool
// (directly: the cluster has no intermediate CAs), is valid at the time
// clock gives (time.Now if nil), may serve, and is a node certificate.
func verifyServer(cs tls.ConnectionState, pool *x509.CertPool, clock func() time.Time) (*x509.Certificate, error) {
	if len(cs.PeerCertificates) == 0 {
		return nil, errors.New("server presented no certificate")
	}
	now := time.Now
	if clock != nil {
		now = clock
	}
	leaf := cs.PeerCertificates[0]
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:       pool,
		CurrentTime: now(),
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("server certificate %q: %w", leaf.Subject.CommonName, err)
	}
	if _, _, ok := CertNode(leaf); !ok {
		return nil, fmt.Errorf("server certificate %q is not a node certificate", leaf.Subject.CommonName)
	}
	return leaf, nil
}

func checkAllow(allow AllowFunc, cert *x509.Certificate) error {
	if allow == nil {
		return nil
	}
	if err := allow(cert.Subject.CommonName, cert); err != nil {
		return fmt.Errorf("peer %q refused: %w", cert.Subject.CommonName, err)
	}
	return nil
}

// PeerNode returns the name of the node at the other end of a connection
// served with ServerConfig, when the client presented a node certificate
// that crypto/tls verified against the cluster CA; ok is false when it
// presented none (a joining node) or a user certificate. Request handlers
// that change anything for a node must check it.
func PeerNode(cs tls.ConnectionState) (name string, ok bool) {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return "", false
	}
	name, _, ok = CertNode(cs.VerifiedChains[0][0])
	return name, ok
}

// PeerUser is PeerNode for user certificates: the user's name and role,
// ok false when the client presented no certificate or a node's.
func PeerUser(cs tls.ConnectionState) (name string, role Role, ok bool) {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return "", "", false
	}
	return CertUser(cs.VerifiedChains[0][0])
}

// NewGossipKey returns 32 random bytes: an AES-256 key for memberlist's
// keyring, which the cluster distributes through the replicated log so
// that gossip is encrypted like everything else between nodes.
func NewGossipKey() ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}
