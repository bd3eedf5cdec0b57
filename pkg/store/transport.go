package store

import (
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Pool size and I/O timeout of the TCP transport: raft's documented
// defaults for a LAN cluster of a few voters.
const (
	tcpMaxPool = 3
	tcpTimeout = 10 * time.Second
)

// newTCPTransport listens on bind for raft RPCs. advertise, when not "",
// is the address put in the cluster configuration for peers to dial.
func newTCPTransport(bind, advertise string, logger hclog.Logger) (*raft.NetworkTransport, error) {
	var adv net.Addr
	if advertise != "" {
		a, err := net.ResolveTCPAddr("tcp", advertise)
		if err != nil {
			return nil, fmt.Errorf("store: advertise address: %w", err)
		}
		adv = a
	}
	t, err := raft.NewTCPTransportWithLogger(bind, adv, tcpMaxPool, tcpTimeout, logger)
	if err != nil {
		return nil, fmt.Errorf("store: raft transport on %s: %w", bind, err)
	}
	return t, nil
}
