package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// maxSocketPath is the longest socket path we accept: sun_path holds 108
// bytes on Linux, and C programs need one of them for the terminating NUL.
const maxSocketPath = 107

// Listen opens the daemon's socket at path, for when systemd did not pass
// one. It creates the parent directory (mode 0755) if needed. A socket file
// left by a daemon that died is removed, but only after a connection attempt
// shows nobody answers on it; if somebody does, Listen fails rather than
// steal the path from a running rgmd.
//
// The socket is made mode 0666. Any local user may connect: resource
// callbacks run as whichever user their resource names, and every one of
// them must be able to ask scha_*_get questions. Mutations are guarded not
// by the file mode but by the caller's kernel-reported credentials
// (SO_PEERCRED, see DefaultAuthorize), which a client cannot forge.
func Listen(path string) (net.Listener, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("socket path %s is %d bytes, longer than the %d a Unix socket allows; choose a shorter one (--socket or RGM_SOCKET)", path, len(path), maxSocketPath)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if err := checkSocketDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// Mode after listen, not umask games before: umask is process-wide and
	// other goroutines may be creating files.
	if err := os.Chmod(path, 0o666); err != nil {
		ln.Close()
		return nil, fmt.Errorf("socket permissions: %w", err)
	}
	return ln, nil
}

// removeStale removes the socket file at path if nothing is listening on
// it, and refuses to touch anything that is not a socket.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket; not removing it", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("another rgmd is listening on %s", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		// Busy (full backlog) or not ours to judge: removing it could
		// steal the path from a live daemon.
		return fmt.Errorf("cannot tell whether another rgmd is listening on %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing stale socket: %w", err)
	}
	return nil
}
