package cluster

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/trust"
)

// A peer that read the request and died gives an EOF where the answer
// should be; the call tries a fresh connection once, finds no peer, and
// must not say Unreachable: the request may have been carried out, and a
// forward that took Unreachable for "not sent" would send it to the next
// leader too. A peer whose port refuses the first connection is
// Unreachable.
func TestRPCUnreachableOnlyWhenNothingWasSent(t *testing.T) {
	ln, r := rpcPeer(t)
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.call(ctx, addr, "first", nil, nil); err != nil {
		t.Fatalf("first call: %v", err)
	}
	err := r.call(ctx, addr, "second", nil, nil)
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
	ln, r := rpcPeer(t)
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

// rpcPeer is a node's cluster port on loopback, with the mutual TLS of
// a cluster (two node identities from one CA), for a test to serve by
// hand, and a client of another node of that cluster.
func rpcPeer(t *testing.T) (net.Listener, *rpcClient) {
	t.Helper()
	ca, err := trust.NewCA("test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.IssueNode("n1", 1, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.IssueNode("n2", 2, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server.ServerConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, &rpcClient{tls: func() *tls.Config { return client.ClientConfig("n1", nil) }}
}
