package admcmd_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// complete runs rgmadm's bash completion for a command line whose last
// word is being completed, and returns the candidates.
func complete(t *testing.T, env []string, words ...string) string {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); ` +
		`_rgmadm; printf '%s\n' "${COMPREPLY[@]}"`
	file := filepath.Join(rgmtest.RepoRoot(), "scripts", "completion", "rgmadm")
	cmd := exec.Command("bash", append([]string{"--norc", "--noprofile", "-c", script, "bash", file}, words...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func TestCompletion(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	d.MustRun("rgmadm", "rt", "register", helloRTR())
	d.MustRun("rgmadm", "rg", "create", "web-rg")
	d.MustRun("rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "hello", "-x", "Port=8080")
	env := d.Env()
	for _, tt := range []struct {
		words []string
		want  string
	}{
		{[]string{"rgmadm", ""}, "help rt rg rs status cluster node export import events simulate"},
		{[]string{"rgmadm", "r"}, "rt rg rs"},
		{[]string{"rgmadm", "rs", "dis"}, "disable"},
		{[]string{"rgmadm", "resourcegroup", "on"}, "online"},
		{[]string{"rgmadm", "rg", "online", "--m"}, "--manage"},
		{[]string{"rgmadm", "rs", "create", "x", "--d"}, "--disabled"},
		{[]string{"rgmadm", "rg", "online", ""}, "+ web-rg"},
		{[]string{"rgmadm", "rs", "disable", "web-rs", ""}, "+ web-rs"},
		{[]string{"rgmadm", "rs", "create", "x", "-g", ""}, "web-rg"},
		{[]string{"rgmadm", "rs", "create", "x", "-t", ""}, "ORGM.hello:1.0"},
		{[]string{"rgmadm", "rs", "create", "x", "-t", "ORGM.hello:1.0", "-x", "Po"}, "Port="},
		{[]string{"rgmadm", "rs", "create", "x", "-t", "hello", "-p", "Retry_c"}, "Retry_count="},
		{[]string{"rgmadm", "rs", "set", "web-rs", "-x", "lang"}, "Languages="},
		{[]string{"rgmadm", "rs", "set", "web-rs", "-p", "Thorough"}, "Thorough_probe_interval="},
		{[]string{"rgmadm", "rg", "set", "web-rg", "-p", "Nodel"}, "Nodelist="},
		{[]string{"rgmadm", "rg", "switch", "web-rg", "-n", ""}, d.Node},
		{[]string{"rgmadm", "rs", "list", "-o", ""}, "table json"},
		{[]string{"rgmadm", "simulate", ""}, "node-down node-up switch fail"},
		{[]string{"rgmadm", "simulate", "node-down", ""}, d.Node},
		{[]string{"rgmadm", "simulate", "switch", ""}, "web-rg"},
		{[]string{"rgmadm", "simulate", "switch", "web-rg", ""}, d.Node},
		{[]string{"rgmadm", "simulate", "fail", ""}, "web-rs"},
		{[]string{"rgmadm", "simulate", "--c"}, "--config"},
	} {
		if got := complete(t, env, tt.words...); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.words, got, tt.want)
		}
	}
}
