package daemon

import (
	"net"

	"github.com/openrgm/openrgm/pkg/peercred"
)

// peerCred reads the peer's credentials once per connection; a field that
// cannot be read is -1, which no authorization check grants anything to.
func peerCred(c net.Conn) (Peer, error) {
	cred, err := peercred.Of(c)
	if err != nil {
		return Peer{PID: -1, UID: -1, GID: -1}, err
	}
	return Peer(cred), nil
}
