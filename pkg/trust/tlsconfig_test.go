package trust

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// at makes cfg check validity at t0, so no test depends on the clock.
func at(cfg *tls.Config) *tls.Config {
	cfg.Time = func() time.Time { return t0 }
	return cfg
}

// presenting returns a client configuration that sends cert whatever the
// server asks for and accepts any server: a client of another cluster, or
// one built by hand, as the server side sees it.
func presenting(cert *tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if cert == nil {
				return &tls.Certificate{}, nil
			}
			return cert, nil
		},
	}
}

// handshake runs a real TLS handshake between server and client over
// loopback TCP (net.Pipe has no buffer, so two sides that write at once,
// a refusal crossing a session ticket, would block each other), then has
// the server send one byte that the client reads, so that a refusal the
// server makes after the client's own handshake has finished (TLS 1.3
// verifies the client last) reaches the client too. It returns the
// server's connection state and each side's error.
func handshake(t *testing.T, server, client *tls.Config) (tls.ConnectionState, error, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		cs  tls.ConnectionState
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer s.Close()
		srv := tls.Server(s, server)
		err = srv.Handshake()
		if err == nil {
			_, err = srv.Write([]byte{1})
		}
		done <- result{srv.ConnectionState(), err}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cli := tls.Client(c, client)
	cerr := cli.Handshake()
	if cerr == nil {
		_, cerr = io.ReadFull(cli, make([]byte, 1))
	}
	c.Close()
	r := <-done
	return r.cs, r.err, cerr
}

var errRemoved = errors.New("node was removed from the cluster")

func TestHandshakes(t *testing.T) {
	// The CA was made two years before t0; the certificates of the
	// test were issued the day before t0 for a year, except expired's.
	caTime := t0.AddDate(-2, 0, 0)
	issued := t0.Add(-24 * time.Hour)
	ca := newTestCA(t, "prod", caTime)
	n1 := issue(t, ca, "n1", 1, 0, issued)
	n2 := issue(t, ca, "n2", 2, 0, issued)
	expired := issue(t, ca, "n4", 4, time.Hour, t0.Add(-48*time.Hour))
	// Another cluster, named alike and with alike node names: only
	// the key of its CA tells it apart.
	other := newTestCA(t, "prod", caTime)
	o2 := issue(t, other, "n2", 2, 0, issued)

	userKey, _ := NewKey()
	userPEM, err := ca.SignUser(userKey.Public(), "alice", RoleOperator, 24*time.Hour, issued)
	if err != nil {
		t.Fatal(err)
	}
	userCert, _ := ParseCertificatePEM(userPEM)
	alice := &tls.Certificate{Certificate: [][]byte{userCert.Raw}, PrivateKey: userKey}

	// n1 as a server with no CA after its leaf, and a server of the
	// other cluster that sends our CA after its own leaf: neither may
	// pass a joining node's pin.
	leafOnly := &tls.Certificate{Certificate: [][]byte{n1.cert.Raw}, PrivateKey: n1.key}
	borrowedCA := &tls.Certificate{Certificate: [][]byte{o2.cert.Raw, ca.cert.Raw}, PrivateKey: o2.key}
	serving := func(cert *tls.Certificate) *tls.Config {
		return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{*cert}}
	}

	refuse := func(name string) AllowFunc {
		return func(peer string, _ *x509.Certificate) error {
			if peer == name {
				return errRemoved
			}
			return nil
		}
	}
	tls12 := func(cfg *tls.Config) *tls.Config {
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		return cfg
	}

	tests := []struct {
		name      string
		server    *tls.Config
		client    *tls.Config
		serverErr string // in the server's error; "" for none, "?" for any
		clientErr string
		node      string // PeerNode on the server, "" for ok false
		user      string // PeerUser on the server
	}{
		{name: "node to node", server: n1.ServerConfig(nil), client: n2.ClientConfig("n1", nil), node: "n2"},
		{name: "node to any node", server: n1.ServerConfig(nil), client: n2.ClientConfig("", nil), node: "n2"},
		{name: "allowed by both", server: n1.ServerConfig(refuse("n3")), client: n2.ClientConfig("n1", refuse("n3")), node: "n2"},
		{name: "server is another node", server: n1.ServerConfig(nil), client: n2.ClientConfig("n3", nil),
			serverErr: "?", clientErr: `not "n3"`},
		{name: "client of another cluster", server: n1.ServerConfig(nil), client: presenting(&o2.tlsCrt),
			serverErr: "unknown authority", clientErr: "?"},
		{name: "server of another cluster", server: o2.ServerConfig(nil), client: n2.ClientConfig("", nil),
			serverErr: "?", clientErr: "unknown authority"},
		{name: "expired client", server: n1.ServerConfig(nil), client: expired.ClientConfig("", nil),
			serverErr: "expired", clientErr: "?"},
		{name: "expired server", server: expired.ServerConfig(nil), client: n2.ClientConfig("", nil),
			serverErr: "?", clientErr: "expired"},
		{name: "TLS 1.2 client", server: n1.ServerConfig(nil), client: tls12(n2.ClientConfig("", nil)),
			serverErr: "unsupported versions", clientErr: "?"},
		{name: "TLS 1.2 server", server: tls12(&tls.Config{Certificates: []tls.Certificate{n1.tlsCrt}}), client: n2.ClientConfig("", nil),
			serverErr: "?", clientErr: "?"},
		{name: "no client certificate", server: n1.ServerConfig(nil), client: presenting(nil)},
		{name: "removed node", server: n1.ServerConfig(refuse("n2")), client: n2.ClientConfig("", nil),
			serverErr: errRemoved.Error(), clientErr: "?"},
		{name: "client refuses a removed server", server: n1.ServerConfig(nil), client: n2.ClientConfig("", refuse("n1")),
			serverErr: "?", clientErr: errRemoved.Error()},
		{name: "user", server: n1.ServerConfig(nil), client: presenting(alice), user: "alice"},
		{name: "revoked user", server: n1.ServerConfig(refuse("alice")), client: presenting(alice),
			serverErr: errRemoved.Error(), clientErr: "?"},
		{name: "CA as client certificate", server: n1.ServerConfig(nil),
			client:    presenting(&tls.Certificate{Certificate: [][]byte{ca.cert.Raw}, PrivateKey: ca.key}),
			serverErr: "neither a node nor a user", clientErr: "?"},
		{name: "join", server: n1.ServerConfig(nil), client: JoinClientConfig(ca.Fingerprint())},
		{name: "join with a wrong fingerprint", server: n1.ServerConfig(nil), client: JoinClientConfig(other.Fingerprint()),
			serverErr: "?", clientErr: "did not present the cluster CA"},
		{name: "join with a malformed fingerprint", server: n1.ServerConfig(nil), client: JoinClientConfig("sha256:abc"),
			serverErr: "?", clientErr: "fingerprint"},
		{name: "join another cluster", server: o2.ServerConfig(nil), client: JoinClientConfig(ca.Fingerprint()),
			serverErr: "?", clientErr: "did not present the cluster CA"},
		{name: "join a server that hides the CA", server: serving(leafOnly), client: JoinClientConfig(ca.Fingerprint()),
			serverErr: "?", clientErr: "did not present the cluster CA"},
		{name: "join a server that borrows the CA", server: serving(borrowedCA), client: JoinClientConfig(ca.Fingerprint()),
			serverErr: "?", clientErr: "unknown authority"},
		{name: "join an expired server", server: expired.ServerConfig(nil), client: JoinClientConfig(ca.Fingerprint()),
			serverErr: "?", clientErr: "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, serr, cerr := handshake(t, at(tt.server), at(tt.client))
			t.Logf("server: %v\nclient: %v", serr, cerr)
			check := func(side string, err error, want string) {
				t.Helper()
				switch {
				case want == "" && err != nil:
					t.Errorf("%s: %v", side, err)
				case want == "?" && err == nil, want != "" && want != "?" && (err == nil || !strings.Contains(err.Error(), want)):
					t.Errorf("%s: %v, want an error with %q", side, err, want)
				}
			}
			check("server", serr, tt.serverErr)
			check("client", cerr, tt.clientErr)
			if serr != nil {
				return
			}
			if name, ok := PeerNode(cs); name != tt.node || ok != (tt.node != "") {
				t.Errorf("PeerNode = %q, %v, want %q", name, ok, tt.node)
			}
			name, role, ok := PeerUser(cs)
			if name != tt.user || ok != (tt.user != "") || (ok && role != RoleOperator) {
				t.Errorf("PeerUser = %q, %q, %v, want %q", name, role, ok, tt.user)
			}
		})
	}
}

// TestAllowSeesThePeer checks what allow is called with on each side.
func TestAllowSeesThePeer(t *testing.T) {
	ca := newTestCA(t, "prod", t0.AddDate(-1, 0, 0))
	n1 := issue(t, ca, "n1", 1, 0, t0)
	n2 := issue(t, ca, "n2", 2, 0, t0)
	var (
		mu   sync.Mutex // the client's check and the server's run in two goroutines
		seen []string
	)
	record := func(peer string, cert *x509.Certificate) error {
		mu.Lock()
		defer mu.Unlock()
		name, id, ok := CertNode(cert)
		if !ok || name != peer {
			t.Errorf("allow(%q) got a certificate of %q (node %v)", peer, name, ok)
		}
		seen = append(seen, peer+"#"+string(rune('0'+id)))
		return nil
	}
	_, serr, cerr := handshake(t, at(n1.ServerConfig(record)), at(n2.ClientConfig("n1", record)))
	if serr != nil || cerr != nil {
		t.Fatal(serr, cerr)
	}
	if strings.Join(seen, " ") != "n1#1 n2#2" {
		t.Errorf("allow saw %v, want the client check n1#1 then the server check n2#2", seen)
	}
	// The peer names the error carries are the ones refused.
	_, serr, _ = handshake(t, at(n1.ServerConfig(func(string, *x509.Certificate) error { return errRemoved })), at(n2.ClientConfig("", nil)))
	if !errors.Is(serr, errRemoved) || !strings.Contains(serr.Error(), `"n2"`) {
		t.Errorf("server error %v, want errRemoved naming n2", serr)
	}
}

// TestResumedSessionIsChecked checks that a node removed after it
// connected cannot come back by resuming its TLS session: allow runs on
// resumed handshakes too.
func TestResumedSessionIsChecked(t *testing.T) {
	ca := newTestCA(t, "prod", t0.AddDate(-1, 0, 0))
	n1 := issue(t, ca, "n1", 1, 0, t0)
	n2 := issue(t, ca, "n2", 2, 0, t0)
	removed := false
	server := at(n1.ServerConfig(func(peer string, _ *x509.Certificate) error {
		if removed && peer == "n2" {
			return errRemoved
		}
		return nil
	}))
	client := at(n2.ClientConfig("n1", nil))
	client.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	client.ServerName = "n1" // the session cache key; the address changes
	for i, want := range []struct{ resumed, refused bool }{{false, false}, {true, false}, {true, true}} {
		removed = want.refused
		cs, serr, _ := handshake(t, server, client)
		if want.refused {
			if !errors.Is(serr, errRemoved) {
				t.Errorf("handshake %d after removal: %v, want errRemoved", i+1, serr)
			}
			continue
		}
		if serr != nil || cs.DidResume != want.resumed {
			t.Fatalf("handshake %d: %v, resumed %v, want resumed %v", i+1, serr, cs.DidResume, want.resumed)
		}
		if name, ok := PeerNode(cs); !ok || name != "n2" {
			t.Errorf("handshake %d: PeerNode = %q, %v", i+1, name, ok)
		}
	}
}

func TestConfigsAreTLS13Only(t *testing.T) {
	ca := newTestCA(t, "prod", t0)
	n1 := issue(t, ca, "n1", 1, 0, t0)
	for name, cfg := range map[string]*tls.Config{
		"server": n1.ServerConfig(nil),
		"client": n1.ClientConfig("", nil),
		"join":   JoinClientConfig(ca.Fingerprint()),
	} {
		if cfg.MinVersion != tls.VersionTLS13 || cfg.MaxVersion != tls.VersionTLS13 {
			t.Errorf("%s: versions %x to %x, want TLS 1.3 only", name, cfg.MinVersion, cfg.MaxVersion)
		}
	}
	if cfg := n1.ServerConfig(nil); cfg.ClientAuth != tls.VerifyClientCertIfGiven {
		t.Errorf("server ClientAuth %v, want VerifyClientCertIfGiven", cfg.ClientAuth)
	}
	if len(JoinClientConfig(ca.Fingerprint()).Certificates) != 0 {
		t.Error("join configuration presents a certificate")
	}
}

func TestNewGossipKey(t *testing.T) {
	a, err := NewGossipKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewGossipKey()
	if len(a) != 32 || string(a) == string(b) {
		t.Errorf("gossip keys %x and %x: want 32 random bytes each", a, b)
	}
}
