// Package paths says where rgmd's socket and state directory are, for the
// daemon and every client alike.
package paths

import (
	"os"
	"path/filepath"
	"strconv"
)

// Socket returns the socket path: $RGM_SOCKET; else /run/openrgm/rgmd.sock
// for root; else $XDG_RUNTIME_DIR/openrgm/rgmd.sock, falling back to
// /tmp/openrgm-UID/rgmd.sock when XDG_RUNTIME_DIR is unset.
func Socket() string {
	if s := os.Getenv("RGM_SOCKET"); s != "" {
		return s
	}
	if os.Geteuid() == 0 {
		return "/run/openrgm/rgmd.sock"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "openrgm", "rgmd.sock")
	}
	return filepath.Join(os.TempDir(), "openrgm-"+strconv.Itoa(os.Geteuid()), "rgmd.sock")
}

// StateDir returns the state directory: $RGM_STATE_DIR; else
// /var/lib/openrgm for root; else $XDG_STATE_HOME/openrgm, falling back to
// $HOME/.local/state/openrgm.
func StateDir() string {
	if s := os.Getenv("RGM_STATE_DIR"); s != "" {
		return s
	}
	if os.Geteuid() == 0 {
		return "/var/lib/openrgm"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "openrgm")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return filepath.Join(os.TempDir(), "openrgm-state-"+strconv.Itoa(os.Geteuid()))
	}
	return filepath.Join(home, ".local", "state", "openrgm")
}
