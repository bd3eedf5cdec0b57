package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// rgmd as root runs no method that someone else could swap: a method in a
// directory another user owns (here a symbolic link they could flip
// between a root-owned method and their own script) is refused, and the
// refusal names the directory (issue 23, item 3). Root-owned methods in
// root's directories, reached through a root-owned link, run.
func TestMethodInAnotherUsersDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the rule is about what rgmd runs as root, and files of another owner")
	}
	d := rgmtest.StartDaemon(t)
	base := t.TempDir()
	os.Chmod(base, 0o755)
	good := filepath.Join(base, "good")
	os.Mkdir(good, 0o755)
	ok := "#!/bin/sh\nexit 0\n"
	for _, m := range []string{"validate", "start", "stop"} {
		if err := os.WriteFile(filepath.Join(good, m), []byte(ok), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	user := filepath.Join(base, "user") // RT_basedir, owned by nobody
	os.Mkdir(user, 0o755)
	if err := os.Symlink(filepath.Join(good, "validate"), filepath.Join(user, "validate")); err != nil {
		t.Fatal(err)
	}
	os.Lchown(filepath.Join(user, "validate"), 65534, 65534)
	if err := os.Chown(user, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	rtr := filepath.Join(base, "swap.rtr")
	os.WriteFile(rtr, []byte("Resource_type = swap; RT_basedir = "+user+";\nValidate = validate; Start = "+good+"/start; Stop = "+good+"/stop;\n"), 0o644)
	d.MustRun("rgmadm", "rt", "register", rtr)
	d.MustRun("rgmadm", "rg", "create", "g")
	r := d.Run("rgmadm", "rs", "create", "s", "-g", "g", "-t", "swap")
	if r.Code != 16 || !strings.Contains(r.Stderr, "cannot execute") || !strings.Contains(d.Log(), "directory "+user+" is not owned by root") {
		t.Errorf("method under a user's directory: exit %d, %s\n%s", r.Code, r.Stderr, d.Log())
	}
	if d.Run("scha_resource_get", "-O", "TYPE", "-R", "s", "-G", "g").Code == 0 {
		t.Errorf("the refused resource was created")
	}

	// The same method through a root-owned link in root's directory runs.
	os.Chown(user, 0, 0)
	os.Lchown(filepath.Join(user, "validate"), 0, 0)
	d.MustRun("rgmadm", "rs", "create", "s", "-g", "g", "-t", "swap")
}
