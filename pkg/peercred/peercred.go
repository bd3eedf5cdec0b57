// Package peercred reads the credentials of the process at the other end
// of a unix socket connection, as the kernel recorded them at connect time
// (SO_PEERCRED): a client cannot lie about them. rgmd's socket server and
// the process monitor's supervisors both authorize with them.
package peercred

// Cred is a peer's pid, uid and gid.
type Cred struct {
	PID, UID, GID int
}
