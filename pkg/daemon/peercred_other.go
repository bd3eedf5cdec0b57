//go:build !linux

package daemon

import (
	"errors"
	"net"
)

// peerCred is Linux-only (SO_PEERCRED); elsewhere every peer is unknown and
// DefaultAuthorize allows it reads only.
func peerCred(net.Conn) (Peer, error) {
	return Peer{PID: -1, UID: -1, GID: -1}, errors.New("peer credentials: not supported on this system")
}
