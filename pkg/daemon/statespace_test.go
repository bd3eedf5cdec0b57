package daemon_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// On a state directory too small for the log's first segment (64 MiB,
// preallocated), rgmd says how much it needs (issue 23, item 8).
func TestStateDirectoryTooSmall(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it mounts a 2 MiB tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, out)
	}
	defer exec.Command("umount", dir).Run()
	rgmdRefuses(t, filepath.Join(dir, "rgmd.sock"), filepath.Join(dir, "state"),
		"no space left on device: the log's segment files are preallocated to 64 MiB, and rgmd needs at least that much free in "+filepath.Join(dir, "state"))
}
