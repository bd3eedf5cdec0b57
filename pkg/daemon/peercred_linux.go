package daemon

import (
	"fmt"
	"net"
	"syscall"
)

// peerCred reads SO_PEERCRED: the pid, uid and gid of the process that
// connected, recorded by the kernel at connect time, so a client cannot lie
// about them and they need reading only once per connection.
func peerCred(c net.Conn) (Peer, error) {
	unknown := Peer{PID: -1, UID: -1, GID: -1}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return unknown, fmt.Errorf("peer credentials: %T is not a socket", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return unknown, fmt.Errorf("peer credentials: %w", err)
	}
	var cred *syscall.Ucred
	var cerr error
	err = raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		return unknown, fmt.Errorf("peer credentials: %w", err)
	}
	return Peer{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid)}, nil
}
