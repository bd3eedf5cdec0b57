package rgmtest

import (
	"path/filepath"
	"strings"
)

// FenceAgent returns the path of the harness's fence agent,
// testdata/fence_rgmtest: a Pacemaker-style agent (stdin key=value,
// action=off|reboot|status|monitor|list|metadata) that "powers off" a
// node of the harness by killing, with SIGSTOP then SIGKILL until none
// is left, every process whose arguments hold --state-dir DIR (the
// node's rgmd and guard) and every process whose environment holds the
// node's RGM_FENCE_TAG (read from DIR/fence.tag); status exits 0 while
// one exists and 2 when none does. Its plug is the node's state
// directory: FenceAgentParams maps node names to them.
func FenceAgent() string {
	return filepath.Join(RepoRoot(), "pkg", "rgmtest", "testdata", "fence_rgmtest")
}

// FenceAgentParams returns the agent parameters that let FenceAgent
// fence the given nodes by name: pcmk_host_map, from each node's name to
// its state directory, as Pacemaker maps node names to plugs.
func FenceAgentParams(nodes ...*Daemon) map[string]string {
	pairs := make([]string, 0, len(nodes))
	for _, d := range nodes {
		pairs = append(pairs, d.Node+":"+d.StateDir)
	}
	return map[string]string{"pcmk_host_map": strings.Join(pairs, ";")}
}
