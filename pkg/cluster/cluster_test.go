package cluster_test

import (
	"crypto/tls"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/scha"
)

// Three real rgmd on loopback: join by token, one replicated
// configuration written from any node, every node answering per-node
// queries about every other, liveness, and removal.
func TestThreeNodes(t *testing.T) {
	start := time.Now()
	c := rgmtest.StartCluster(t, 3)
	n1, n2, n3 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	t.Logf("3 nodes up in %v", time.Since(start))

	for _, d := range c.Nodes {
		if got := d.MustRun("scha_cluster_get", "-O", "ALL_NODENAMES"); got != "n1\nn2\nn3\n" {
			t.Fatalf("%s: ALL_NODENAMES = %q", d.Node, got)
		}
		if got := d.MustRun("scha_cluster_get", "-O", "ALL_NODEIDS"); got != "1\n2\n3\n" {
			t.Fatalf("%s: ALL_NODEIDS = %q", d.Node, got)
		}
		if got := strings.TrimSpace(d.MustRun("scha_cluster_get", "-O", "NODENAME_LOCAL")); got != d.Node {
			t.Fatalf("NODENAME_LOCAL on %s = %q", d.Node, got)
		}
	}
	if got := strings.TrimSpace(n3.MustRun("scha_cluster_get", "-O", "NODEID_NODENAME", "n2")); got != "2" {
		t.Fatalf("NODEID_NODENAME n2 = %q", got)
	}

	// A change made on a follower is forwarded to the leader, committed,
	// and readable at once on the follower that made it and soon on all.
	waitOK(t, n2, "rgmadm", "rt", "register", helloRTR())
	waitOK(t, n3, "rgmadm", "rg", "create", "web-rg", "-p", "Nodelist=n1,n2,n3")
	waitOK(t, n2, "rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "ORGM.hello", "-x", "Port=8080")
	waitOK(t, n3, "rgmadm", "rs", "set", "web-rs", "-x", "Port=8081")
	if got := n3.MustRun("scha_resource_get", "-O", "EXTENSION", "-R", "web-rs", "-G", "web-rg", "Port"); got != "INT\n8081\n" {
		t.Fatalf("on the follower that wrote it: %q", got)
	}
	for _, d := range c.Nodes {
		waitOutput(t, d, "INT\n8081\n", "scha_resource_get", "-O", "EXTENSION", "-R", "web-rs", "-G", "web-rg", "Port")
		// Per-node state of any node, from any node.
		waitOutput(t, d, "OFFLINE\n", "scha_resource_get", "-O", "RESOURCE_STATE_NODE", "-R", "web-rs", "-G", "web-rg", "n3")
	}
	// A refusal on the leader comes back with its code through a follower.
	r := n2.Run("rgmadm", "rg", "create", "web-rg")
	if r.Code == 0 {
		t.Fatalf("a second web-rg was created: %s", r.Stdout)
	}

	// Node list: three voters, one leader.
	out := n1.MustRun("rgmadm", "-o", "table", "node", "list")
	if strings.Count(out, "voter") != 3 || strings.Count(out, "leader") != 1 || strings.Count(out, " UP ") != 3 {
		t.Fatalf("node list:\n%s", out)
	}

	// kill -9 of a node: DOWN on the others.
	n3.Kill()
	c.WaitState(n1, "n3", "DOWN")
	c.WaitState(n2, "n3", "DOWN")

	// Removing a node: out of the configuration and of raft. n3 must
	// first leave web-rg's Nodelist... which removal does itself, as
	// web-rg is offline there.
	leader := leaderOf(t, n1)
	other := n1
	if leader == "n1" {
		other = n2
	}
	waitOK(t, other, "rgmadm", "node", "remove", "n3")
	waitOutput(t, n1, "n1\nn2\n", "scha_cluster_get", "-O", "ALL_NODENAMES")
	waitOutput(t, n2, "n1,n2", "rgmadm", "-o", "json", "rg", "show", "web-rg") // Nodelist lost n3
	if r := n1.Run("scha_cluster_get", "-O", "NODESTATE_NODE", "n3"); r.Code != int(scha.ErrNode) {
		t.Fatalf("NODESTATE_NODE of a removed node: exit %d %s", r.Code, r.Stdout)
	}
	// Removing the leader is refused with a reason.
	r = other.Run("rgmadm", "node", "remove", leader)
	if r.Code != int(scha.ErrState) || !strings.Contains(r.Stderr, "leads the cluster") {
		t.Fatalf("removing the leader: exit %d %s", r.Code, r.Stderr)
	}
}

// Joining with a bad token changes nothing, and the cluster keeps
// serving.
func TestJoinRefusals(t *testing.T) {
	c := rgmtest.StartCluster(t, 1)
	n1 := c.Nodes[0]
	tok := strings.TrimSpace(n1.MustRun("rgmadm", "cluster", "token"))

	// A token with a secret the cluster never issued.
	bad := tok[:len(tok)-4] + "AAAA"
	if bad == tok {
		bad = tok[:len(tok)-4] + "BBBB"
	}
	x := rgmtest.NewNode(t, "x1")
	r := x.RunDaemon("--cluster-addr", x.ClusterAddr, "--join", n1.ClusterAddr, "--token", bad)
	if r.Code == 0 || !strings.Contains(r.Stderr, "unknown join token") {
		t.Fatalf("bad secret: exit %d\n%s", r.Code, r.Stderr)
	}
	// A token for another cluster (another CA's fingerprint): the joiner
	// refuses the server.
	other := rgmtest.StartCluster(t, 1)
	otok := strings.TrimSpace(other.Nodes[0].MustRun("rgmadm", "cluster", "token"))
	r = x.RunDaemon("--cluster-addr", x.ClusterAddr, "--join", n1.ClusterAddr, "--token", otok)
	if r.Code == 0 || !strings.Contains(r.Stderr, "joining through") {
		t.Fatalf("other cluster's token: exit %d\n%s", r.Code, r.Stderr)
	}
	// A duplicate node name.
	dup := rgmtest.NewNode(t, "n1")
	r = dup.RunDaemon("--cluster-addr", dup.ClusterAddr, "--join", n1.ClusterAddr, "--token", tok)
	if r.Code == 0 || !strings.Contains(r.Stderr, "taken") {
		t.Fatalf("duplicate name: exit %d\n%s", r.Code, r.Stderr)
	}
	// The good token works once, then never again.
	c.Join("y1", tok)
	c.WaitState(n1, "y1", "UP")
	r = rgmtest.NewNode(t, "w1").RunDaemon("--cluster-addr", rgmtest.FreeAddr(t), "--join", n1.ClusterAddr, "--token", tok)
	if r.Code == 0 || !strings.Contains(r.Stderr, "already used") {
		t.Fatalf("reused token: exit %d\n%s", r.Code, r.Stderr)
	}
	// The cluster still serves and lists only the nodes that joined.
	out := n1.MustRun("scha_cluster_get", "-O", "ALL_NODENAMES")
	if strings.Contains(out, "x1") || strings.Contains(out, "w1") {
		t.Fatalf("refused nodes were added: %q", out)
	}
}

// Garbage and TLS without a node certificate on the cluster port get
// nothing; the port keeps serving its nodes.
func TestClusterPortHostile(t *testing.T) {
	c := rgmtest.StartCluster(t, 2)
	n1 := c.Nodes[0]
	for i := 0; i < 20; i++ {
		conn, err := net.DialTimeout("tcp", n1.ClusterAddr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("GET / HTTP/1.0\r\n\r\n\x00\x01\x02garbage"))
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 64)
		n, _ := conn.Read(buf)
		conn.Close()
		if n > 0 && strings.Contains(string(buf[:n]), "n1") {
			t.Fatalf("garbage got an answer: %q", buf[:n])
		}
	}
	// TLS, but no client certificate, asking for raft.
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", n1.ClusterAddr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	if err == nil {
		conn.Write([]byte{'R'})
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 1)
		if _, err := conn.Read(buf); err == nil {
			t.Fatal("a raft stream without a node certificate was served")
		}
		conn.Close()
	}
	// Still one cluster: a change on n2 reaches n1.
	waitOK(t, c.Nodes[1], "rgmadm", "rt", "register", helloRTR())
	waitOutput(t, n1, "ORGM.hello", "scha_cluster_get", "-O", "ALL_RESOURCETYPES")
}

func helloRTR() string { return rgmtest.RepoRoot() + "/examples/hello/hello.rtr" }

// waitOutput runs the command on d until its stdout contains want.
func waitOutput(t *testing.T, d *rgmtest.Daemon, want string, name string, args ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := d.Run(name, args...)
		if r.Code == 0 && strings.Contains(r.Stdout, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s %v never printed %q (last: exit %d %q %q)", d.Node, name, args, want, r.Code, r.Stdout, r.Stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func leaderOf(t *testing.T, d *rgmtest.Daemon) string {
	t.Helper()
	for _, line := range strings.Split(d.MustRun("rgmadm", "cluster", "status"), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "Leader" {
			return f[1]
		}
	}
	t.Fatal("no leader in cluster status")
	return ""
}

// Faults: a node killed is DOWN on the others and UP again when its rgmd
// restarts on the same state; a frozen node is DOWN while frozen and
// comes back by itself; the leader killed, the two others elect another
// and keep taking changes; every acknowledged change survives.
func TestFaults(t *testing.T) {
	c := rgmtest.StartCluster(t, 3)
	n1 := c.Nodes[0]
	waitOK(t, n1, "rgmadm", "rt", "register", helloRTR())
	acked := 0
	write := func(on *rgmtest.Daemon) {
		t.Helper()
		name := "g" + strconv.Itoa(acked+1)
		// SCHA_ERR_RECONF means "the cluster is reconfiguring: try
		// again", as Solaris agents do; anything else is a failure.
		for try := 0; ; try++ {
			r := on.Run("rgmadm", "rg", "create", name)
			if r.Code == 0 {
				break
			}
			if r.Code != int(scha.ErrReconf) || try == 100 {
				t.Fatalf("rgmadm rg create %s on %s: exit %d: %s", name, on.Node, r.Code, r.Stderr)
			}
			t.Logf("rg create %s on %s: %s", name, on.Node, strings.TrimSpace(r.Stderr))
			time.Sleep(100 * time.Millisecond)
		}
		acked++
	}
	write(n1)

	// kill -9 of a follower.
	leader := leaderOf(t, n1)
	var victim *rgmtest.Daemon
	for _, d := range c.Nodes {
		if d.Node != leader {
			victim = d
			break
		}
	}
	victim.Kill()
	for _, d := range c.Nodes {
		if d != victim {
			c.WaitState(d, victim.Node, "DOWN")
			write(d) // a majority is left: changes go on
		}
	}
	victim.Start("--cluster-addr", victim.ClusterAddr) // a member: no token
	c.WaitState(n1, victim.Node, "UP")
	waitOutput(t, victim, "g"+strconv.Itoa(acked)+"\n", "scha_cluster_get", "-O", "ALL_RESOURCEGROUPS")

	// A whole rgmd frozen for long: DOWN, then UP once it runs again.
	victim.Freeze()
	c.WaitState(n1, victim.Node, "DOWN")
	victim.Thaw()
	c.WaitState(n1, victim.Node, "UP")
	write(victim)

	// kill -9 of the leader: another is elected, changes go on through
	// every survivor, and the old leader catches up when it returns.
	old := c.Node(leaderOf(t, n1))
	old.Kill()
	var survivors []*rgmtest.Daemon
	for _, d := range c.Nodes {
		if d != old {
			survivors = append(survivors, d)
		}
	}
	for _, d := range survivors {
		write(d)
	}
	if l := leaderOf(t, survivors[0]); l == old.Node || l == "-" {
		t.Fatalf("leader after %s was killed: %q", old.Node, l)
	}
	old.Start("--cluster-addr", old.ClusterAddr)
	want := ""
	for i := 1; i <= acked; i++ {
		want += "g" + strconv.Itoa(i) + "\n"
	}
	for _, d := range c.Nodes {
		got := ""
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			got = sortedLines(d.MustRun("scha_cluster_get", "-O", "ALL_RESOURCEGROUPS"))
			if got == sortedLines(want) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got != sortedLines(want) {
			t.Fatalf("%s lost acknowledged changes: has %q, want %q", d.Node, got, want)
		}
	}
}

// A removed node is refused by the others and stops; the same machine
// with a wiped state directory is refused under its old name until
// removed, then joins again with a new node ID.
func TestRemovedNode(t *testing.T) {
	c := rgmtest.StartCluster(t, 3)
	n1, n3 := c.Nodes[0], c.Nodes[2]
	if leaderOf(t, n1) == "n3" {
		n3.Kill() // another leads then; start over from a follower
		c.WaitState(n1, "n3", "DOWN")
		n3.Start("--cluster-addr", n3.ClusterAddr)
	}
	target := n3
	if leaderOf(t, n1) == "n3" {
		target = c.Nodes[1]
	}
	waitOK(t, n1, "rgmadm", "node", "remove", target.Node)
	// It learns of its removal and stops, or is cut off: either way it
	// takes no more changes.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if done, _ := target.Exited(); done {
			break
		}
		if r := target.Run("rgmadm", "rg", "create", "late"); r.Code != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("removed node %s still takes changes:\n%s", target.Node, target.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitOutput(t, n1, "n1\n", "scha_cluster_get", "-O", "ALL_NODENAMES")
	if out := n1.MustRun("scha_cluster_get", "-O", "ALL_NODENAMES"); strings.Contains(out, target.Node) {
		t.Fatalf("removed node still listed: %q", out)
	}
	waitOK(t, n1, "rgmadm", "rg", "create", "after-removal")

	// The machine comes back with a wiped state directory under another
	// name: it joins with a new ID.
	target.Stop()
	back := c.Add("n9")
	c.WaitState(n1, "n9", "UP")
	if id := strings.TrimSpace(back.MustRun("scha_cluster_get", "-O", "NODEID_LOCAL")); id != "4" {
		t.Fatalf("a new node after a removal got ID %s, want 4 (IDs are never reused)", id)
	}
}

func sortedLines(s string) string {
	lines := strings.Fields(s)
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// A node cut off from the network (its processes running on): the
// others see it DOWN and, when it was the leader, elect another; changes
// go on through the majority and are refused by the cut node with
// SCHA_ERR_RECONF; healed, it is UP again and has every change. Root
// only: each node lives in a network namespace of its own.
func TestNetworkCut(t *testing.T) {
	c := rgmtest.StartClusterNetNS(t, 3)
	n1 := c.Nodes[0]
	waitOK(t, n1, "rgmadm", "rt", "register", helloRTR())
	cut := c.Node(leaderOf(t, n1))
	var rest []*rgmtest.Daemon
	for _, d := range c.Nodes {
		if d != cut {
			rest = append(rest, d)
		}
	}
	c.NS.Cut(cut)
	for _, d := range rest {
		c.WaitState(d, cut.Node, "DOWN")
	}
	waitOutput(t, rest[0], "Leader", "rgmadm", "cluster", "status")
	for i, d := range rest {
		name := "during-cut-" + strconv.Itoa(i)
		waitOK(t, d, "rgmadm", "rg", "create", name)
	}
	if r := cut.Run("rgmadm", "rg", "create", "on-the-cut-node"); r.Code != int(scha.ErrReconf) {
		t.Fatalf("a change on the cut-off node: exit %d %s (want SCHA_ERR_RECONF)", r.Code, r.Stderr)
	}
	c.NS.Heal(cut)
	c.WaitState(rest[0], cut.Node, "UP")
	waitOutput(t, cut, "during-cut-1", "scha_cluster_get", "-O", "ALL_RESOURCEGROUPS")
	if out := cut.MustRun("scha_cluster_get", "-O", "ALL_RESOURCEGROUPS"); strings.Contains(out, "on-the-cut-node") {
		t.Fatalf("a refused change was applied: %q", out)
	}
}

// waitOK runs the command until it succeeds, retrying only
// SCHA_ERR_RECONF (an election in progress), as agents do.
func waitOK(t *testing.T, d *rgmtest.Daemon, name string, args ...string) {
	t.Helper()
	reconf := false
	for try := 0; ; try++ {
		r := d.Run(name, args...)
		if r.Code == 0 {
			return
		}
		if reconf && strings.Contains(r.Stderr, "exist") {
			return // committed before the answer was lost
		}
		reconf = r.Code == int(scha.ErrReconf)
		if r.Code != int(scha.ErrReconf) || try == 100 {
			t.Fatalf("%s %v on %s: exit %d %s", name, args, d.Node, r.Code, r.Stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// An existing single node's state becomes node 1 of a cluster by
// restarting rgmd with --cluster-addr: nothing to migrate, nothing lost,
// and without the flag rgmd listens on no port.
func TestSingleNodeBecomesCluster(t *testing.T) {
	d := rgmtest.NewNode(t, "solo")
	d.Start()
	if ports := listeningPorts(t, d.PID()); len(ports) > 0 {
		t.Fatalf("a single-node rgmd listens on %v", ports)
	}
	waitOK(t, d, "rgmadm", "rt", "register", helloRTR())
	waitOK(t, d, "rgmadm", "rg", "create", "kept-rg")
	d.Stop()
	d.Start("--cluster-addr", d.ClusterAddr)
	if ports := listeningPorts(t, d.PID()); len(ports) < 2 {
		t.Fatalf("with --cluster-addr rgmd listens on %v, want the TCP and UDP cluster port", ports)
	}
	c := rgmtest.AdoptCluster(t, d)
	n2 := c.Add("n2")
	c.WaitState(d, "n2", "UP")
	waitOutput(t, n2, "kept-rg", "scha_cluster_get", "-O", "ALL_RESOURCEGROUPS")
	if id := strings.TrimSpace(d.MustRun("scha_cluster_get", "-O", "NODEID_LOCAL")); id != "1" {
		t.Fatalf("the old single node is node %s, want 1", id)
	}
}

// listeningPorts lists the TCP and UDP ports pid has open for listening.
func listeningPorts(t *testing.T, pid int) []string {
	t.Helper()
	inodes := map[string]bool{}
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	for _, fd := range fds {
		l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var ports []string
	for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/" + f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) > 9 && inodes[fs[9]] {
				ports = append(ports, f+" "+fs[1])
			}
		}
	}
	return ports
}

// Validate runs on every node of the group's Nodelist that is UP, each
// against its own copy of the configuration; one refusal refuses the
// change, and a node that is DOWN is not asked.
func TestValidateOnEveryNode(t *testing.T) {
	c := rgmtest.StartCluster(t, 3)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	dir := t.TempDir()
	script := `#!/bin/sh
node=$(scha_cluster_get -O NODENAME_LOCAL)
echo "$node $*" >>` + dir + `/ran
if [ -f ` + dir + `/refuse-$node ]; then echo "no data directory on $node"; exit 1; fi
exit 0
`
	if err := os.WriteFile(dir+"/validate", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	rtr := `Resource_type = vt; Vendor_id = TEST; RT_version = "1"; RT_basedir = "` + dir + `";
Start = /bin/true; Stop = /bin/true; Validate = validate;
{ PROPERTY = Val; EXTENSION; STRING; DEFAULT = "x"; TUNABLE = ANYTIME; }
`
	if err := os.WriteFile(dir+"/vt.rtr", []byte(rtr), 0o644); err != nil {
		t.Fatal(err)
	}
	waitOK(t, n1, "rgmadm", "rt", "register", dir+"/vt.rtr")
	waitOK(t, n1, "rgmadm", "rg", "create", "vg", "-p", "Nodelist=n1,n2,n3")
	touch := func(name string) {
		if err := os.WriteFile(dir+"/"+name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	touch("refuse-n3")
	r := n1.Run("rgmadm", "rs", "create", "vr", "-g", "vg", "-t", "vt")
	if r.Code != int(scha.ErrChecks) || !strings.Contains(r.Stderr, "no data directory on n3") {
		t.Fatalf("create refused by n3's Validate: exit %d %s", r.Code, r.Stderr)
	}
	if out := n2.MustRun("scha_cluster_get", "-O", "ALL_RESOURCEGROUPS"); !strings.Contains(out, "vg") {
		t.Fatalf("groups: %q", out)
	}
	if r := n2.Run("scha_resource_get", "-O", "TYPE", "-R", "vr", "-G", "vg"); r.Code == 0 {
		t.Fatal("a resource refused by Validate was created")
	}
	os.Remove(dir + "/refuse-n3")
	waitOK(t, n1, "rgmadm", "rs", "create", "vr", "-g", "vg", "-t", "vt")
	ran, _ := os.ReadFile(dir + "/ran")
	for _, n := range []string{"n1", "n2", "n3"} {
		if !strings.Contains(string(ran), n+" -c") {
			t.Fatalf("Validate did not run on %s at creation:\n%s", n, ran)
		}
	}
	// A change refused by n2; then n2 down: not asked.
	touch("refuse-n2")
	if r := n1.Run("rgmadm", "rs", "set", "vr", "-x", "Val=y"); r.Code != int(scha.ErrChecks) {
		t.Fatalf("set refused by n2's Validate: exit %d %s", r.Code, r.Stderr)
	}
	n2.Kill()
	c.WaitState(n1, "n2", "DOWN")
	waitOK(t, n1, "rgmadm", "rs", "set", "vr", "-x", "Val=y")
}

// Init and Fini run on every node of the group's Nodelist (the default
// Init_nodes) whichever node the operator asked, each by its own rgmd;
// Start runs only where the group goes online.
func TestMethodsRunOnTheirNodes(t *testing.T) {
	c := rgmtest.StartCluster(t, 3)
	n1, n2 := c.Nodes[0], c.Nodes[1]
	dir := t.TempDir()
	rtr := `Resource_type = lt; Vendor_id = TEST; RT_version = "1"; RT_basedir = "` + dir + `";
`
	for _, m := range []string{"Start", "Stop", "Init", "Fini"} {
		script := "#!/bin/sh\necho \"" + m + " $(scha_cluster_get -O NODENAME_LOCAL)\" >>" + dir + "/log\n"
		if err := os.WriteFile(dir+"/"+m, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		rtr += m + " = " + m + ";\n"
	}
	if err := os.WriteFile(dir+"/lt.rtr", []byte(rtr), 0o644); err != nil {
		t.Fatal(err)
	}
	waitOK(t, n1, "rgmadm", "rt", "register", dir+"/lt.rtr")
	waitOK(t, n1, "rgmadm", "rg", "create", "lg", "-p", "Nodelist=n1,n2,n3")
	waitOK(t, n1, "rgmadm", "rs", "create", "lr", "-g", "lg", "-t", "lt")
	waitOK(t, n2, "rgmadm", "rg", "manage", "lg", "--wait")
	waitLog := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			b, _ := os.ReadFile(dir + "/log")
			missing := ""
			for _, w := range want {
				if !strings.Contains(string(b), w+"\n") {
					missing = w
				}
			}
			if missing == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q never ran; log:\n%s", missing, b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitLog("Init n1", "Init n2", "Init n3")
	waitOK(t, n2, "rgmadm", "rg", "online", "lg", "--wait")
	waitLog("Start n2")
	waitOK(t, n2, "rgmadm", "rg", "offline", "lg", "--wait")
	waitLog("Stop n2")
	waitOK(t, n1, "rgmadm", "rg", "unmanage", "lg", "--wait")
	waitLog("Fini n1", "Fini n2", "Fini n3")
	b, _ := os.ReadFile(dir + "/log")
	if strings.Contains(string(b), "Start n1") || strings.Contains(string(b), "Start n3") {
		t.Fatalf("Start ran where the group was not brought online:\n%s", b)
	}
}
