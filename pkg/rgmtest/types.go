package rgmtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// InstallTypes lays out the types orgm_agent implements as make install
// does (callbacks/gds, logicalhostname, hastorageplus, ocf), their
// methods links to the orgm_agent built beside d's rgmd, makes rgmadm
// find them by name (RGM_TYPES_PATH) and returns the directory. The OCF
// methods are then the shipped programs that rgmd runs itself
// (ORGM.ocf(5)).
func InstallTypes(t testing.TB, d *Daemon) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "orgm-types")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	prog := filepath.Join(d.Bin, "orgm_agent")
	root := filepath.Join(RepoRoot(), "callbacks")
	for _, sub := range []string{"gds", "logicalhostname", "hastorageplus", "ocf"} {
		os.Mkdir(filepath.Join(dir, sub), 0o755)
		ents, err := os.ReadDir(filepath.Join(root, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			dst := filepath.Join(dir, sub, e.Name())
			if strings.HasSuffix(e.Name(), ".rtr") {
				b, _ := os.ReadFile(filepath.Join(root, sub, e.Name()))
				if err := os.WriteFile(dst, b, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Symlink(prog, dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Setenv("RGM_TYPES_PATH", dir)
	return dir
}
