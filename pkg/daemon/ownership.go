package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// checkStateDir refuses a state directory that someone other than rgmd's
// user could change: the directory, or any directory or file under it,
// not owned by rgmd's uid, or writable by group or others. Whoever could
// write there could forge the configuration log or a process monitor
// record (any uid, any command), which rgmd would act on, as root when it
// runs as root, at its next start. A directory that does not exist yet is
// fine: rgmd makes it, mode 0700. Symbolic links under it are checked as
// links (their owner), not followed.
func checkStateDir(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	euid := os.Geteuid()
	return filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("state directory %s: %w", dir, err)
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("state directory %s: %w", dir, err)
		}
		return trusted("state directory", p, fi, euid)
	})
}

// checkSocketDir refuses a socket directory that someone other than root
// or rgmd's user owns, or that group or others may write (unless it is
// sticky, as /tmp is: then nobody else can remove or rename rgmd's
// socket): whoever could would move rgmd's socket away and bind their
// own, and root's rgmadm and every callback's scha_* command would talk
// to them. (The clients check the server's credentials as well.)
func checkSocketDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("socket directory %s is owned by uid %d, neither root nor rgmd's uid %d: its owner could replace rgmd's socket with their own; choose another --socket", dir, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("socket directory %s is writable by group or others (mode %04o) and not sticky: they could replace rgmd's socket with their own; choose another --socket", dir, fi.Mode().Perm())
	}
	return nil
}

// trusted checks one entry of a directory rgmd reads: owned by uid, and
// (links aside) writable by neither group nor others.
func trusted(what, p string, fi fs.FileInfo, uid int) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
		return fmt.Errorf("%s: %s is owned by uid %d, not by rgmd's uid %d; its owner could forge what rgmd reads and runs: give it to uid %d (chown -R) or choose another directory", what, p, st.Uid, uid, uid)
	}
	if fi.Mode()&fs.ModeSymlink == 0 && fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s: %s is writable by group or others (mode %04o); they could forge what rgmd reads and runs: chmod go-w it", what, p, fi.Mode().Perm())
	}
	return nil
}
