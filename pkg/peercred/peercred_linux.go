package peercred

import (
	"fmt"
	"syscall"
)

// Of reads the SO_PEERCRED of c, a Unix socket connection with
// SyscallConn (a *net.UnixConn, or an *os.File holding a socket). It takes
// any, not net.Conn, so that the clients, which do not import net (its
// start-up costs every command), can use it.
func Of(c any) (Cred, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return Cred{}, fmt.Errorf("peer credentials: %T is not a socket", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return Cred{}, fmt.Errorf("peer credentials: %w", err)
	}
	var cred Cred
	var cerr error
	err = raw.Control(func(fd uintptr) { cred, cerr = OfFD(int(fd)) })
	if err != nil {
		return Cred{}, fmt.Errorf("peer credentials: %w", err)
	}
	return cred, cerr
}

// OfFD reads the SO_PEERCRED of the socket fd.
func OfFD(fd int) (Cred, error) {
	cred, err := syscall.GetsockoptUcred(fd, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	if err != nil {
		return Cred{}, fmt.Errorf("peer credentials: %w", err)
	}
	return Cred{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid)}, nil
}
