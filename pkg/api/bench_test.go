package api

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/client/remote"
	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

type nopBackend struct{}

func (nopBackend) Call(context.Context, Caller, string, json.RawMessage) (json.RawMessage, error) {
	return json.RawMessage(`{"type":"int","values":["2"],"seq":7}`), nil
}
func (nopBackend) Follow(context.Context, wire.EventsArgs, bool, func(wire.Event) error) error {
	return nil
}
func (nopBackend) Refused(context.Context, Caller, string, json.RawMessage, error) {}
func (nopBackend) Revoked(string) bool                                             { return false }

// BenchmarkCall is one remote get through the API layer alone (a backend
// that answers at once), in one process: what the layer costs. The
// client's get goes over the wire protocol (wire.go), as rgmadm's do.
func BenchmarkCall(b *testing.B) {
	now := time.Now()
	ca, err := trust.NewCA("bench", now)
	if err != nil {
		b.Fatal(err)
	}
	cert, err := ca.SignAPIServer("n1", []string{"127.0.0.1"}, time.Hour, now)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &Server{Backend: nopBackend{}}
	go s.Serve(ctx, ln, trust.APIServerConfig(cert, ca.Certificate(), nil))
	credPEM, _, _, err := ca.IssueUser("u", trust.RoleAdmin, time.Hour, now)
	if err != nil {
		b.Fatal(err)
	}
	cred, _ := trust.ParseCredential(credPEM)
	c, err := remote.NewWithCredential([]string{ln.Addr().String()}, cred)
	if err != nil {
		b.Fatal(err)
	}
	args := wire.GetArgs{Kind: wire.KindResource, Name: "r", Group: "g", Tag: "RETRY_COUNT"}
	var rep wire.GetReply
	for b.Loop() {
		if err := c.Call(ctx, wire.OpGet, args, &rep); err != nil {
			b.Fatal(err)
		}
	}
}
