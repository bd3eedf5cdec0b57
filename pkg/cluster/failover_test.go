package cluster_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// The invariant of failover: a failover group is never ONLINE on two
// nodes at once. The checker is the kernel's: the service a resource of
// type chk starts takes an exclusive flock on one file per resource
// (all nodes of the harness share this machine's file system) and holds
// it for as long as it lives, frozen or not. A service that finds the
// lock taken has found the resource online on another node: it writes a
// line to the violations file, then waits for the lock. Every Start and
// the moment each service holds the lock are logged with the node and
// CLOCK_REALTIME, for the failure message. With onePerNode, each service
// also takes its node's one slot lock the same way: a node found running
// two services at once is over its hard load limit.

type checker struct {
	t   testing.TB
	dir string
}

// newChecker writes the chk type's RTR file and methods.
func newChecker(t testing.TB) *checker {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	k := &checker{t: t, dir: dir}
	// Arguments: -R res -T type -G group.
	head := "#!/bin/sh\nR=$2\nD=" + dir + "\nnode=$(scha_cluster_get -O NODENAME_LOCAL) || exit 1\n"
	start := head + `echo "$(date +%s.%N) Start $R $node" >>"$D/events"
# Start fails, starting nothing, while nostart.NODE exists.
[ ! -e "$D/nostart.$node" ] || exit 1
rm -f "$D/$R.$node.held"
setsid sh -c 'exec 9>>"$0/$1.lock"
if ! flock -n 9; then echo "$(date +%s.%N) DOUBLE ONLINE $1 on $2: the lock is held elsewhere" >>"$0/violations"; flock 9; fi
if [ -e "$0/one-per-node" ]; then exec 8>>"$0/slot.$2"
if ! flock -n 8; then echo "$(date +%s.%N) OVER LIMIT $1 on $2: another service holds the one slot of this node" >>"$0/violations"; flock 8; fi; fi
echo "$(date +%s.%N) holds $1 $2" >>"$0/events"
echo $$ >"$0/$1.$2.held"
exec sleep 1000000' "$D" "$R" "$node" </dev/null >/dev/null 2>&1 &
echo $! >"$D/$R.$node.pid"
# Online once the service holds the lock (or found it held).
i=0
while [ $i -lt 500 ] && [ ! -s "$D/$R.$node.held" ]; do
	grep -q "DOUBLE ONLINE $R on $node" "$D/violations" 2>/dev/null && break
	sleep 0.01; i=$((i+1))
done
exit 0
`
	stop := head + `echo "$(date +%s.%N) Stop $R $node" >>"$D/events"
# Stop fails, leaving the service running, while nostop.NODE exists.
[ ! -e "$D/nostop.$node" ] || exit 1
f="$D/$R.$node.pid"
[ -f "$f" ] || exit 0
pid=$(cat "$f")
kill -KILL "$pid" 2>/dev/null
i=0
while [ $i -lt 500 ] && [ -e /proc/$pid ] && ! grep -q '^State:.*[ZX]' /proc/$pid/status 2>/dev/null; do sleep 0.01; i=$((i+1)); done
rm -f "$f"
exit 0
`
	// Monitor_check fails on a node while the file nocheck.NODE exists.
	check := head + `[ ! -e "$D/nocheck.$node" ]
`
	for name, body := range map[string]string{"Start": start, "Stop": stop, "Monitor_check": check} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rtr := `Resource_type = chk; Vendor_id = TEST; RT_version = "1"; RT_basedir = "` + dir + `";
Failover = TRUE; Start = Start; Stop = Stop; Monitor_check = Monitor_check;
`
	if err := os.WriteFile(filepath.Join(dir, "chk.rtr"), []byte(rtr), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k *checker) rtr() string { return filepath.Join(k.dir, "chk.rtr") }

// onePerNode makes every service from now on take its node's one slot:
// for a run where each node's hard limit leaves room for one group.
func (k *checker) onePerNode() {
	k.t.Helper()
	if err := os.WriteFile(filepath.Join(k.dir, "one-per-node"), nil, 0o644); err != nil {
		k.t.Fatal(err)
	}
}

// check fails the test if any service found its resource online elsewhere.
func (k *checker) check() {
	k.t.Helper()
	if b, err := os.ReadFile(filepath.Join(k.dir, "violations")); err == nil && len(b) > 0 {
		ev, _ := os.ReadFile(filepath.Join(k.dir, "events"))
		k.t.Fatalf("a failover group was online on two nodes, or a node above its hard limit:\n%s\nevents:\n%s", b, ev)
	}
}

// servicePID is the pid of resource r's service on node, 0 if none runs.
func (k *checker) servicePID(r, node string) int {
	b, err := os.ReadFile(filepath.Join(k.dir, r+"."+node+".pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid == 0 || !rgmtest.Alive(pid) {
		return 0
	}
	return pid
}

// onlineOn waits until group is ONLINE on node as d sees it.
func onlineOn(t testing.TB, d *rgmtest.Daemon, group, node string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		r := d.Run("scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", group, node)
		if r.Code == 0 && strings.TrimSpace(r.Stdout) == "ONLINE" {
			return time.Since(start)
		}
		if time.Since(start) > within {
			st := d.Run("rgmadm", "status")
			nl := d.Run("rgmadm", "-o", "json", "node", "list")
			t.Fatalf("%s never ONLINE on %s within %v (last %q %q)\nstatus:\n%s\nnodes:\n%s\nlog of %s:\n%s", group, node, within, r.Stdout, r.Stderr, st.Stdout, nl.Stdout, d.Node, tail(d.Log(), 60))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onlineSomewhere waits until group is ONLINE on some node, as d sees
// it, and returns that node.
func onlineSomewhere(t testing.TB, d *rgmtest.Daemon, group string, nodes []string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, n := range nodes {
			r := d.Run("scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", group, n)
			if r.Code == 0 && strings.TrimSpace(r.Stdout) == "ONLINE" {
				return n
			}
		}
		if time.Now().After(deadline) {
			st := d.Run("rgmadm", "status")
			nl := d.Run("rgmadm", "-o", "json", "node", "list")
			t.Fatalf("%s never ONLINE on any of %v within %v\nstatus:\n%s\nnodes:\n%s\nlog of %s:\n%s", group, nodes, within, st.Stdout, nl.Stdout, d.Node, tail(d.Log(), 80))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// failoverCluster is three nodes with short leases and a group of one chk
// resource online on n1.
func failoverCluster(t *testing.T, withAgent bool, extra ...string) (*rgmtest.Cluster, *checker) {
	t.Helper()
	c := rgmtest.StartCluster(t, 3, append([]string{"--lease", "1500ms"}, extra...)...)
	return c, groupOnN1(t, c, withAgent)
}

// groupOnN1 puts db-rg (one chk resource, Nodelist n1,n2,n3) online on
// n1 of c, each node with the harness's fence agent when withAgent.
func groupOnN1(t *testing.T, c *rgmtest.Cluster, withAgent bool) *checker {
	t.Helper()
	k := newChecker(t)
	n1 := c.Nodes[0]
	waitOK(t, n1, "rgmadm", "rt", "register", k.rtr())
	waitOK(t, n1, "rgmadm", "rg", "create", "db-rg", "-p", "Nodelist=n1,n2,n3", "-p", "Pingpong_interval=0")
	waitOK(t, n1, "rgmadm", "rs", "create", "db-rs", "-g", "db-rg", "-t", "chk")
	if withAgent {
		for _, d := range c.Nodes {
			setAgent(t, c, d.Node)
		}
	}
	if r := n1.Run("rgmadm", "rg", "online", "-M", "db-rg", "-n", "n1", "--wait"); r.Code != 0 {
		t.Fatalf("rg online: exit %d %s\nlog of n1:\n%s", r.Code, r.Stderr, tail(n1.Log(), 80))
	}
	onlineOn(t, n1, "db-rg", "n1", 30*time.Second)
	if k.servicePID("db-rs", "n1") == 0 {
		t.Fatal("db-rs's service does not run on n1")
	}
	return k
}

// setAgent gives node the harness's fence agent.
func setAgent(t *testing.T, c *rgmtest.Cluster, node string) {
	t.Helper()
	args := []string{"node", "set", node, "--fence-agent", rgmtest.FenceAgent()}
	for k, v := range rgmtest.FenceAgentParams(c.Nodes...) {
		args = append(args, "--fence-param", k+"="+v)
	}
	waitOK(t, c.Nodes[0], "rgmadm", args...)
}

// A whole node killed (rgmd, its guard and its services): the leader
// fences it with its fence agent and the group comes up on the next node
// of its Nodelist, never twice.
// n1 opened the cluster and leads it: this is also the loss of the
// leader, so a new one is elected before anything is fenced, and a
// change made meanwhile waits for it.
func TestFailoverNodeKilled(t *testing.T) {
	c, k := failoverCluster(t, true)
	n1 := c.Nodes[0]
	t.Logf("the leader before the kill: %s", leaderOf(t, c.Nodes[1]))
	svc := k.servicePID("db-rs", "n1")
	c.PowerOff(n1)
	if rgmtest.Alive(svc) {
		t.Fatal("the service outlived its node")
	}
	// A change made at once on a node that still names the dead leader
	// waits for the next one, rather than fail on its closed port.
	if r := c.Nodes[2].Run("rgmadm", "rs", "set", "db-rs", "-p", "R_description=set while n1 was down"); r.Code != 0 {
		t.Fatalf("a change made right after the leader died: exit %d %s", r.Code, r.Stderr)
	}
	took := onlineOn(t, c.Nodes[1], "db-rg", "n2", 60*time.Second)
	t.Logf("db-rg ONLINE on n2 %v after n1 was killed", took)
	k.check()
	out := c.Nodes[1].MustRun("rgmadm", "node", "show", "n1")
	if !strings.Contains(out, "fence agent") {
		t.Fatalf("node show n1 does not say how it was fenced:\n%s", out)
	}
}

// rgmd alone killed, its service left running: its guard ends the
// service when the lease runs out and says so; only then does the group
// start on n2. No fence agent is needed.
func TestFailoverRgmdKilled(t *testing.T) {
	c, k := failoverCluster(t, false)
	n1 := c.Nodes[0]
	svc := k.servicePID("db-rs", "n1")
	n1.Kill()
	took := onlineOn(t, c.Nodes[1], "db-rg", "n2", 60*time.Second)
	t.Logf("db-rg ONLINE on n2 %v after n1's rgmd was killed", took)
	if rgmtest.Alive(svc) {
		t.Fatal("n1's service still runs while db-rg is online on n2")
	}
	k.check()
	// rgmd comes back: it was fenced, starts afresh, and the group
	// stays on n2 (Failback is FALSE).
	n1.Start("--cluster-addr", n1.ClusterAddr, "--lease", "1500ms")
	c.WaitState(c.Nodes[1], "n1", "UP")
	time.Sleep(2 * time.Second)
	onlineOn(t, c.Nodes[1], "db-rg", "n2", time.Second)
	k.check()
}

// rgmd frozen (SIGSTOP) beyond its lease: the guard fences and reports,
// the group moves; when rgmd thaws it finds itself fenced and stops
// rather than act on what it believed.
func TestFailoverRgmdFrozen(t *testing.T) {
	c, k := failoverCluster(t, false)
	n1 := c.Nodes[0]
	svc := k.servicePID("db-rs", "n1")
	n1.Freeze()
	onlineOn(t, c.Nodes[1], "db-rg", "n2", 60*time.Second)
	if rgmtest.Alive(svc) {
		t.Fatal("n1's service still runs while db-rg is online on n2")
	}
	n1.Thaw()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if done, code := n1.Exited(); done {
			if code == 0 {
				t.Fatalf("fenced rgmd exited 0")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a fenced rgmd kept running after it thawed:\n%s", tail(n1.Log(), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(n1.Log(), "fenced") {
		t.Fatalf("rgmd did not say it was fenced:\n%s", tail(n1.Log(), 40))
	}
	time.Sleep(time.Second)
	onlineOn(t, c.Nodes[1], "db-rg", "n2", time.Second)
	k.check()
}

// A whole node frozen (rgmd, guard and service stopped, as a paused
// virtual machine) cannot fence itself. Without a fence agent the others
// leave its group where it is and say why; once it thaws, its guard finds
// its lease over, ends the service and reports, and the group moves.
func TestFrozenNodeWithoutAgentWaits(t *testing.T) {
	c, k := failoverCluster(t, false)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	c.FreezeNode(n1)
	c.WaitState(n2, "n1", "DOWN")
	time.Sleep(5 * time.Second) // more than three leases
	if st := strings.TrimSpace(n2.MustRun("scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", "db-rg", "n2")); st != "OFFLINE" {
		t.Fatalf("db-rg is %s on n2 while n1 is frozen with no fence agent", st)
	}
	if out := n2.MustRun("rgmadm", "node", "show", "n1"); !strings.Contains(out, "no fence agent") {
		t.Fatalf("node show n1 does not say why its groups wait:\n%s", out)
	}
	if out := n2.MustRun("rgmadm", "status"); !strings.Contains(out, "db-rg: node n1 is down") || !strings.Contains(out, "no fence agent") {
		t.Fatalf("status does not say why db-rg waits:\n%s", out)
	}
	c.ThawNode(n1)
	onlineSomewhere(t, n2, "db-rg", []string{"n2", "n3"}, 60*time.Second)
	k.check()
}

// The same frozen node with a fence agent: the agent turns it off (its
// frozen processes killed), then the group moves.
func TestFrozenNodeWithAgent(t *testing.T) {
	c, k := failoverCluster(t, true)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	svc := k.servicePID("db-rs", "n1")
	c.FreezeNode(n1)
	onlineOn(t, n2, "db-rg", "n2", 60*time.Second)
	if rgmtest.Alive(svc) {
		t.Fatal("the frozen node's service was not killed by its fence agent")
	}
	k.check()
}

// A node cut off from the network (root: network namespaces). Its own
// side has no quorum: its guard ends the service at the lease's end. The
// others fence it with its agent and start the group; when the cut heals
// nothing runs twice.
func TestNetworkCutFailover(t *testing.T) {
	if ok, why := rgmtest.NetNSAvailable(); !ok {
		t.Skip(why)
	}
	c := rgmtest.StartClusterNetNS(t, 3, "--lease", "1500ms")
	k := groupOnN1(t, c, false)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	svc := k.servicePID("db-rs", "n1")
	// Without a fence agent: the majority waits; the minority's guard
	// still ends the service at its lease's end.
	c.NS.Cut(n1)
	c.WaitState(n2, "n1", "DOWN")
	deadline := time.Now().Add(30 * time.Second)
	for rgmtest.Alive(svc) {
		if time.Now().After(deadline) {
			t.Fatal("the cut-off node's guard did not end its service")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := strings.TrimSpace(n2.MustRun("scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", "db-rg", "n2")); st != "OFFLINE" {
		t.Fatalf("db-rg is %s on n2 while n1 is cut off and nothing says it stopped", st)
	}
	// Healed: the guard's report gets through, and the group moves.
	c.NS.Heal(n1)
	onlineSomewhere(t, n2, "db-rg", []string{"n2", "n3"}, 60*time.Second)
	k.check()
}

// Two nodes and a witness: the witness is a voter that hosts nothing (no
// Nodelist may name it, the default Nodelist leaves it out), and its
// vote is what lets the surviving node move the group when the other
// dies.
func TestWitness(t *testing.T) {
	c := rgmtest.StartCluster(t, 2, "--lease", "1500ms")
	n1, n2 := c.Nodes[0], c.Nodes[1]
	w := c.Join("w", c.Token(), "--witness", "--lease", "1500ms")
	c.WaitState(n1, "w", "UP")
	if out := n1.MustRun("rgmadm", "-o", "json", "node", "show", "w"); !strings.Contains(out, `"witness": true`) {
		t.Fatalf("node show w:\n%s", out)
	}
	k := newChecker(t)
	waitOK(t, n1, "rgmadm", "rt", "register", k.rtr())
	if r := n1.Run("rgmadm", "rg", "create", "bad-rg", "-p", "Nodelist=n1,w"); r.Code == 0 || !strings.Contains(r.Stderr, "witness") {
		t.Fatalf("a Nodelist naming the witness: exit %d %s", r.Code, r.Stderr)
	}
	waitOK(t, n1, "rgmadm", "rg", "create", "db-rg", "-p", "Pingpong_interval=0")
	if got := strings.TrimSpace(n1.MustRun("scha_resourcegroup_get", "-O", "NODELIST", "-G", "db-rg")); got != "n1\nn2" {
		t.Fatalf("default Nodelist with a witness: %q", got)
	}
	waitOK(t, n1, "rgmadm", "rs", "create", "db-rs", "-g", "db-rg", "-t", "chk")
	for _, d := range []*rgmtest.Daemon{n1, n2} {
		args := []string{"node", "set", d.Node, "--fence-agent", rgmtest.FenceAgent()}
		for k, v := range rgmtest.FenceAgentParams(n1, n2) {
			args = append(args, "--fence-param", k+"="+v)
		}
		waitOK(t, n1, "rgmadm", args...)
	}
	waitOK(t, n1, "rgmadm", "rg", "online", "-M", "db-rg", "-n", "n1", "--wait")
	onlineOn(t, n2, "db-rg", "n1", 30*time.Second)
	c.PowerOff(n1)
	onlineOn(t, n2, "db-rg", "n2", 60*time.Second)
	k.check()
	_ = w
}

// Monitor_check on the target before a move: a switch onto a node whose
// Monitor_check fails is refused and changes nothing; a failover skips
// that node for the next one.
func TestFailoverMonitorCheck(t *testing.T) {
	c, k := failoverCluster(t, true)
	n1, n3 := c.Nodes[0], c.Nodes[2]
	if err := os.WriteFile(filepath.Join(k.dir, "nocheck.n2"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := n1.Run("rgmadm", "rg", "switch", "db-rg", "-n", "n2", "--wait")
	if r.Code != 16 || !strings.Contains(r.Stderr, "Monitor_check") { // SCHA_ERR_CHECKS
		t.Fatalf("switch onto a node whose Monitor_check fails: exit %d %s", r.Code, r.Stderr)
	}
	onlineOn(t, n1, "db-rg", "n1", time.Second)
	c.PowerOff(n1)
	onlineOn(t, n3, "db-rg", "n3", 60*time.Second)
	k.check()
	// GIVEOVER from n3: n1 is down and n2 fails its Monitor_check, so it
	// is refused (SCHA_ERR_CHECKS); once n2 passes, the group moves there.
	if r := n3.Run("scha_control", "-O", "GIVEOVER", "-R", "db-rs", "-G", "db-rg"); r.Code != 16 {
		t.Fatalf("GIVEOVER with no node to take it: exit %d %s", r.Code, r.Stderr)
	}
	os.Remove(filepath.Join(k.dir, "nocheck.n2"))
	if r := n3.Run("scha_control", "-O", "GIVEOVER", "-R", "db-rs", "-G", "db-rg"); r.Code != 0 {
		t.Fatalf("GIVEOVER: exit %d %s", r.Code, r.Stderr)
	}
	onlineOn(t, n3, "db-rg", "n2", 60*time.Second)
	k.check()
}

// Two faults at once: n2's rgmd killed and n1 (which holds the group)
// powered off together leave n3 alone, without quorum: nothing moves.
// Once n2's rgmd is back, the majority fences n1 and the group comes up
// on n2 or n3, once.
func TestTwoFaultsAtOnce(t *testing.T) {
	c, k := failoverCluster(t, true)
	n1, n2, n3 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	done := make(chan struct{})
	go func() { n2.Kill(); close(done) }()
	c.PowerOff(n1)
	<-done
	time.Sleep(4 * time.Second) // more than two leases
	if st := strings.TrimSpace(n3.Run("scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", "db-rg", "n3").Stdout); st == "ONLINE" {
		t.Fatal("db-rg came up on n3 without a quorum")
	}
	n2.Start("--cluster-addr", n2.ClusterAddr, "--lease", "1500ms")
	onlineSomewhere(t, n3, "db-rg", []string{"n2", "n3"}, 90*time.Second)
	k.check()
}

// A flapping link (root: network namespaces): n1's network goes down and
// up five times, for half a second each. Whatever the cluster decides,
// the group is never online twice, and ends online on some node.
func TestFlappingLink(t *testing.T) {
	if ok, why := rgmtest.NetNSAvailable(); !ok {
		t.Skip(why)
	}
	c := rgmtest.StartClusterNetNS(t, 3, "--lease", "1500ms")
	k := groupOnN1(t, c, true)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	for i := 0; i < 5; i++ {
		c.NS.Cut(n1)
		time.Sleep(500 * time.Millisecond)
		c.NS.Heal(n1)
		time.Sleep(500 * time.Millisecond)
		k.check()
	}
	// n1 may have been fenced (its agent) and its rgmd stopped: bring it
	// back, and the group is online somewhere.
	if done, _ := n1.Exited(); done {
		n1.Start("--cluster-addr", n1.ClusterAddr, "--lease", "1500ms")
	}
	onlineSomewhere(t, n2, "db-rg", []string{"n1", "n2", "n3"}, 90*time.Second)
	k.check()
}

// Operator moves are placement decisions: a switch that a strong
// negative affinity forbids is refused; node evacuate and GIVEOVER go
// where placement puts the group (here past the node the affinity
// bars, which Nodelist order alone would pick), rg remaster brings it
// back to its most preferred node, a +++ follower moves with it (and
// takes it along on its own GIVEOVER), and rg online -n holds hard
// limits.
func TestOperatorMovesFollowPlacement(t *testing.T) {
	c, k := failoverCluster(t, true)
	n1, n2, n3 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	waitOK(t, n1, "rgmadm", "rg", "create", "web-rg", "-p", "Nodelist=n2,n3,n1", "-p", "Pingpong_interval=0")
	waitOK(t, n1, "rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "chk")
	waitOK(t, n1, "rgmadm", "rg", "online", "-M", "web-rg", "-n", "n2", "--wait")
	waitOK(t, n1, "rgmadm", "rg", "set", "db-rg", "-p", "RG_affinities=--web-rg")
	r := n3.Run("rgmadm", "rg", "switch", "db-rg", "-n", "n2")
	if r.Code != 16 || !strings.Contains(r.Stderr, "--web-rg") {
		t.Fatalf("switch onto the node a strong negative affinity bars: exit %d %s", r.Code, r.Stderr)
	}
	onlineOn(t, n3, "db-rg", "n1", time.Second)
	if r := n2.Run("rgmadm", "node", "evacuate", "n1", "--wait"); r.Code != 0 || !strings.Contains(r.Stdout, "db-rg: moves from n1 to n3") {
		t.Fatalf("node evacuate: exit %d %q %s", r.Code, r.Stdout, r.Stderr)
	}
	onlineOn(t, n2, "db-rg", "n3", 30*time.Second)
	waitOK(t, n3, "rgmadm", "rg", "remaster", "db-rg", "--wait")
	onlineOn(t, n2, "db-rg", "n1", 30*time.Second)
	if r := n1.Run("scha_control", "-O", "GIVEOVER", "-R", "db-rs", "-G", "db-rg"); r.Code != 0 {
		t.Fatalf("GIVEOVER: exit %d %s", r.Code, r.Stderr)
	}
	onlineOn(t, n2, "db-rg", "n3", 30*time.Second)
	// A group with a +++ affinity for db-rg goes where it is, and
	// follows it when the operator switches it.
	waitOK(t, n1, "rgmadm", "rg", "create", "follow-rg", "-p", "Nodelist=n1,n2,n3", "-p", "RG_affinities=+++db-rg", "-p", "Pingpong_interval=0")
	waitOK(t, n1, "rgmadm", "rs", "create", "follow-rs", "-g", "follow-rg", "-t", "chk")
	waitOK(t, n1, "rgmadm", "rg", "online", "-M", "follow-rg", "--wait")
	onlineOn(t, n1, "follow-rg", "n3", 30*time.Second)
	waitOK(t, n2, "rgmadm", "rg", "switch", "db-rg", "-n", "n1", "--wait")
	onlineOn(t, n2, "follow-rg", "n1", 30*time.Second)
	// GIVEOVER of the follower takes its +++ target with it: both go
	// to n3 (the -- affinity for web-rg keeps db-rg off n2), and back.
	if r := n1.Run("scha_control", "-O", "GIVEOVER", "-R", "follow-rs", "-G", "follow-rg"); r.Code != 0 {
		t.Fatalf("GIVEOVER of a +++ follower: exit %d %s", r.Code, r.Stderr)
	}
	onlineOn(t, n2, "db-rg", "n3", 30*time.Second)
	onlineOn(t, n2, "follow-rg", "n3", 30*time.Second)
	waitOK(t, n2, "rgmadm", "rg", "switch", "db-rg", "-n", "n1", "--wait")
	onlineOn(t, n2, "follow-rg", "n1", 30*time.Second)
	// rg online -n holds hard load limits too.
	waitOK(t, n1, "rgmadm", "node", "set", "n2", "-p", "loadlimit=slots@1")
	waitOK(t, n1, "rgmadm", "rg", "create", "big-rg", "-p", "Nodelist=n2", "-p", "Load_factors=slots@2")
	waitOK(t, n1, "rgmadm", "rg", "manage", "big-rg")
	if r := n1.Run("rgmadm", "rg", "online", "big-rg", "-n", "n2"); r.Code != 16 || !strings.Contains(r.Stderr, "slots") {
		t.Fatalf("rg online -n past a hard limit: exit %d %s", r.Code, r.Stderr)
	}
	k.check()
}

// rg online --wait follows a failover group that Failover_mode SOFT moves
// on after its Start failed: it says so, and succeeds once the group is
// online on the next node, rather than report the first node's failure.
func TestOnlineWaitFollowsFailover(t *testing.T) {
	c := rgmtest.StartCluster(t, 3, "--lease", "1500ms")
	k := newChecker(t)
	n1 := c.Nodes[0]
	waitOK(t, n1, "rgmadm", "rt", "register", k.rtr())
	waitOK(t, n1, "rgmadm", "rg", "create", "soft-rg", "-p", "Nodelist=n2,n3", "-p", "Pingpong_interval=0")
	waitOK(t, n1, "rgmadm", "rs", "create", "soft-rs", "-g", "soft-rg", "-t", "chk", "-p", "Failover_mode=SOFT")
	if err := os.WriteFile(filepath.Join(k.dir, "nostart.n2"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := n1.Run("rgmadm", "rg", "online", "-M", "soft-rg", "--wait", "--timeout", "60s")
	if r.Code != 0 || !strings.Contains(r.Stdout, "soft-rg: soft-rs START_FAILED") || !strings.Contains(r.Stdout, "on n2; Failover_mode moves it to n3") {
		t.Fatalf("rg online --wait of a group whose Start fails on n2: exit %d\nstdout: %s\nstderr: %s\nstatus: %s\nlog n2: %s", r.Code, r.Stdout, r.Stderr, n1.Run("rgmadm", "status").Stdout, tail(c.Nodes[1].Log(), 30))
	}
	onlineOn(t, n1, "soft-rg", "n3", time.Second)
	// With nowhere left to go, --wait reports the failure.
	waitOK(t, n1, "rgmadm", "rg", "offline", "soft-rg", "--wait")
	if err := os.WriteFile(filepath.Join(k.dir, "nostart.n3"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := n1.Run("rgmadm", "rg", "online", "soft-rg", "--wait"); r.Code == 0 || !strings.Contains(r.Stderr, "START_FAILED") {
		t.Fatalf("rg online --wait of a group whose Start fails everywhere: exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
	}
	k.check()
}

// A failed Stop (#18 item 2): with Failover_mode NONE the group stays
// ERROR_STOP_FAILED where it is, and no switch moves it; with HARD, the
// node's guard fences it (its services killed, rgmd stops) and the
// group comes up on the switch's target, once.
func TestStopFailure(t *testing.T) {
	c, k := failoverCluster(t, true)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	if err := os.WriteFile(filepath.Join(k.dir, "nostop.n1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitOK(t, n2, "rgmadm", "rs", "set", "db-rs", "-p", "Failover_mode=NONE")
	n2.Run("rgmadm", "rg", "switch", "db-rg", "-n", "n2")
	waitOutput(t, n2, "ERROR_STOP_FAILED\n", "scha_resourcegroup_get", "-O", "RG_STATE_NODE", "-G", "db-rg", "n1")
	if r := n2.Run("rgmadm", "rg", "switch", "db-rg", "-n", "n3"); r.Code != 9 || !strings.Contains(r.Stderr, "stop method failed") {
		t.Fatalf("switch of a group whose Stop failed: exit %d %s", r.Code, r.Stderr)
	}
	if k.servicePID("db-rs", "n1") == 0 {
		t.Fatal("the service on n1 is gone, but its Stop failed")
	}
	// The operator stops the service by hand and clears the state on
	// n1: the switch completes.
	if err := syscall.Kill(k.servicePID("db-rs", "n1"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitOK(t, n1, "rgmadm", "rs", "clear", "db-rs")
	onlineOn(t, n2, "db-rg", "n2", 30*time.Second)
	// HARD: n1 fences itself; the group starts on n2 only after.
	waitOK(t, n2, "rgmadm", "rs", "set", "db-rs", "-p", "Failover_mode=HARD")
	waitOK(t, n2, "rgmadm", "rg", "switch", "db-rg", "-n", "n1", "--wait")
	n2.Run("rgmadm", "rg", "switch", "db-rg", "-n", "n2")
	onlineOn(t, n2, "db-rg", "n2", 60*time.Second)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if done, _ := n1.Exited(); done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("n1's rgmd still runs after its HARD stop failure:\n%s", tail(n1.Log(), 40))
		}
	}
	if k.servicePID("db-rs", "n1") != 0 {
		t.Fatal("the service on n1 outlived the node's fencing")
	}
	k.check()
}
