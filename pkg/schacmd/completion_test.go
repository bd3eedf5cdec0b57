package schacmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/scha"
)

// completionFile is the bash completion of the scha_* commands.
func completionFile() string {
	return filepath.Join(rgmtest.RepoRoot(), "scripts", "completion", "scha")
}

// completionTags is the block of the completion file that lists the
// optags, tags and statuses, as pkg/scha has them.
func completionTags() string {
	var b strings.Builder
	b.WriteString("# BEGIN TAGS\n")
	for _, k := range []struct{ kind, v string }{
		{scha.KindResource, "resource"}, {scha.KindResourceType, "resourcetype"},
		{scha.KindResourceGroup, "resourcegroup"}, {scha.KindCluster, "cluster"},
	} {
		var names []string
		for _, t := range scha.Tags(k.kind) {
			names = append(names, t.Name)
		}
		sort.Strings(names)
		b.WriteString("_scha_tags_" + k.v + "='" + strings.Join(names, " ") + "'\n")
	}
	b.WriteString("_scha_tags_control='" + strings.Join(scha.ControlTags(), " ") + "'\n")
	b.WriteString("_scha_statuses='" + strings.Join(scha.Statuses(), " ") + "'\n")
	b.WriteString("# END TAGS\n")
	return b.String()
}

// TestCompletionTags: the completion offers exactly the tags the commands
// accept (-update rewrites its list).
func TestCompletionTags(t *testing.T) {
	b, err := os.ReadFile(completionFile())
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, "# BEGIN TAGS\n"), strings.Index(s, "# END TAGS\n")
	if i < 0 || j < i {
		t.Fatal("no BEGIN TAGS/END TAGS block")
	}
	got, want := s[i:j+len("# END TAGS\n")], completionTags()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(completionFile(), []byte(s[:i]+want+s[j+len("# END TAGS\n"):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the tag lists of %s differ from pkg/scha's (run go test ./pkg/schacmd -run TestCompletionTags -update):\n%s\nwant\n%s", completionFile(), got, want)
}

// complete runs the completion in bash for a command line whose last word
// is being completed, and returns the candidates.
func complete(t *testing.T, env []string, words ...string) []string {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); ` +
		`_scha_cmd; printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command("bash", append([]string{"--norc", "--noprofile", "-c", script, "bash", completionFile()}, words...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

func TestCompletion(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	d.MustRun("rgmadm", "rt", "register", filepath.Join(rgmtest.RepoRoot(), "examples", "hello", "hello.rtr"))
	d.MustRun("rgmadm", "rg", "create", "web-rg")
	d.MustRun("rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "hello", "-x", "Port=8080")
	env := d.Env()
	for _, tt := range []struct {
		words []string
		want  string
	}{
		{[]string{"scha_resource_get", "-O", "RESOURCE_STATE"}, "RESOURCE_STATE RESOURCE_STATE_NODE"},
		{[]string{"scha_resource_get", "-O", "resource_state_n"}, "resource_state_node"},
		{[]string{"scha_resource_get", "-O", "STATUS", "-R", ""}, "web-rs"},
		{[]string{"scha_resourcegroup_get", "-G", "w"}, "web-rg"},
		{[]string{"scha_resourcetype_get", "-T", ""}, "ORGM.hello:1.0"},
		{[]string{"scha_resourcetype_get", "-"}, "-O -T -Z"},
		{[]string{"scha_control", "-O", "GIVE"}, "GIVEOVER"},
		{[]string{"scha_resource_setstatus", "-s", "DEG"}, "DEGRADED"},
		{[]string{"scha_cluster_get", "-O", "NODESTATE_NODE", ""}, d.Node},
	} {
		if got := strings.Join(complete(t, env, tt.words...), " "); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.words, got, tt.want)
		}
	}
}
