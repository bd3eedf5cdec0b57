package client

import (
	"context"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Getter is the part of a client CheckZone needs; *Client has it.
type Getter interface {
	Get(ctx context.Context, args wire.GetArgs) (*wire.GetReply, error)
}

// CheckZone accepts a zone cluster name, as given to the scha_* commands'
// -Z and the C API's _zone functions. OpenRGM has no zone clusters, so ""
// and "global" and this cluster's own name mean "here"; any other name is
// SCHA_ERR_ZONE_CLUSTER. Only a name other than "" or "global" costs a
// question to rgmd.
func CheckZone(ctx context.Context, g Getter, zone string) error {
	if LocalZone(zone) {
		return nil
	}
	rep, err := g.Get(ctx, wire.GetArgs{Kind: wire.KindCluster, Tag: "CLUSTERNAME"})
	if err != nil {
		return err
	}
	name := ""
	if len(rep.Values) == 1 {
		name = rep.Values[0]
	}
	if name == zone {
		return nil
	}
	return scha.Errorf(scha.ErrZoneCluster, "no zone cluster %q: cluster %q has no zone clusters", zone, name)
}

// LocalZone reports whether zone names this cluster without asking rgmd:
// "" or "global". CheckZone's answer for them is nil; a caller holding its
// client in another interface type can test this first and spare itself
// the conversion to Getter, which the runtime's first of a kind costs a
// fresh process a page fault.
func LocalZone(zone string) bool { return zone == "" || zone == "global" }
