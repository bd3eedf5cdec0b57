package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"testing"
	"time"
)

// A peer that read the request and died gives an EOF where the answer
// should be; the call tries a fresh connection once, finds no peer, and
// must not say Unreachable: the request may have been carried out, and a
// forward that took Unreachable for "not sent" would send it to the next
// leader too. A peer whose port refuses the first connection is
// Unreachable.
func TestRPCUnreachableOnlyWhenNothingWasSent(t *testing.T) {
	cert := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		var kind [1]byte
		c.Read(kind[:])
		var req request
		readMsg(c, &req) // the first request: answered
		writeMsg(c, reply{})
		readMsg(c, &req) // the second: read, and the peer dies
		ln.Close()
		c.Close()
	}()
	r := &rpcClient{tls: func() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.call(ctx, addr, "first", nil, nil); err != nil {
		t.Fatalf("first call: %v", err)
	}
	err = r.call(ctx, addr, "second", nil, nil)
	<-served
	if err == nil {
		t.Fatal("the second call succeeded with its peer gone")
	}
	if Unreachable(err) {
		t.Fatalf("the second call's request was read by its peer, yet the call says it was not sent: %v", err)
	}
	err = (&rpcClient{tls: r.tls}).call(ctx, addr, "third", nil, nil)
	if !Unreachable(err) {
		t.Fatalf("a call to a port that refuses the connection: %v, want it Unreachable", err)
	}
}

// A kept connection whose peer died before the call is not used: the
// call finds no peer afresh, sent nothing, and says Unreachable (a
// forward then waits for the next leader).
func TestRPCKeptConnectionOfADeadPeer(t *testing.T) {
	cert := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	died := make(chan struct{})
	go func() {
		defer close(died)
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var kind [1]byte
		c.Read(kind[:])
		var req request
		readMsg(c, &req)
		writeMsg(c, reply{})
	}()
	r := &rpcClient{tls: func() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.call(ctx, addr, "first", nil, nil); err != nil {
		t.Fatalf("first call: %v", err)
	}
	<-died
	time.Sleep(50 * time.Millisecond) // its end reaches the kept connection
	if err := r.call(ctx, addr, "second", nil, nil); !Unreachable(err) {
		t.Fatalf("a call over a kept connection whose peer had died: %v, want it Unreachable", err)
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
