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
	if zone == "" || zone == "global" {
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
