package api

import (
	"context"
	"encoding/json"
	"testing"

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
	n := startWireNode(b, &Server{Backend: nopBackend{}})
	c := n.client(b, n.cred(b, trust.RoleAdmin))
	ctx := context.Background()
	args := wire.GetArgs{Kind: wire.KindResource, Name: "r", Group: "g", Tag: "RETRY_COUNT"}
	var rep wire.GetReply
	for b.Loop() {
		if err := c.Call(ctx, wire.OpGet, args, &rep); err != nil {
			b.Fatal(err)
		}
	}
}
