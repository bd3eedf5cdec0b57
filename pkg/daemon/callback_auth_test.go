package daemon_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// TestSetStatusFromCallback: a callback that drops root before reporting
// (as agents do with su or setpriv) may still set the status of its own
// resource, but not of another one; an unrelated process of the same user
// may not either.
func TestSetStatusFromCallback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a callback as another user")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	d := rgmtest.StartDaemon(t)
	for _, p := range []string{filepath.Dir(d.Socket), d.Bin} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	asNobody := setpriv + " --reuid 65534 --regid 65534 --clear-groups"
	// Start reports for its own resource, then tries the other one and
	// records the exit code of that attempt.
	start := `#!/bin/sh
while getopts 'R:T:G:' o; do case $o in R) r=$OPTARG;; G) g=$OPTARG;; *) ;; esac; done
` + asNobody + ` scha_resource_setstatus -R "$r" -G "$g" -s DEGRADED -m "from $r as nobody" || exit 1
` + asNobody + ` scha_resource_setstatus -R other -G g1 -s FAULTED -m "from $r"
echo $? > ` + dir + `/other-code
exit 0
`
	for name, text := range map[string]string{"start": start, "stop": "#!/bin/sh\nexit 0\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rtr := filepath.Join(dir, "t.rtr")
	os.WriteFile(rtr, []byte("Resource_type = cb; Vendor_id = TEST; RT_version = \"1\";\nStart = start; Stop = stop;\n"), 0o644)
	d.MustRun("rgmadm", "rt", "register", rtr)
	d.MustRun("rgmadm", "rg", "create", "g1")
	d.MustRun("rgmadm", "rs", "create", "mine", "-g", "g1", "-t", "cb")
	d.MustRun("rgmadm", "rs", "create", "other", "-g", "g1", "-t", "cb")
	d.MustRun("rgmadm", "rs", "disable", "other")
	d.MustRun("rgmadm", "rg", "manage", "g1", "--wait")
	d.MustRun("rgmadm", "rg", "online", "g1", "--wait")

	if got := d.MustRun("scha_resource_get", "-O", "STATUS", "-R", "mine"); got != "DEGRADED\nfrom mine as nobody\n" {
		t.Errorf("status set by mine's own callback: %q", got)
	}
	code, _ := os.ReadFile(filepath.Join(dir, "other-code"))
	if strings.TrimSpace(string(code)) != "6" {
		t.Errorf("a callback of mine setting other's status exited %q, want 6 (SCHA_ERR_ACCESS)", code)
	}
	if got := d.MustRun("scha_resource_get", "-O", "STATUS", "-R", "other"); strings.HasPrefix(got, "FAULTED") {
		t.Errorf("other's status was changed by mine's callback: %q", got)
	}
}
