package rgmtest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Network namespaces: as root, a cluster's nodes can each live in a
// network namespace of their own, joined by a bridge in another, so that
// a node is cut off from the others by taking its link down, as a pulled
// cable or a dead switch port would. Unix sockets are paths, so rgmadm
// and the scha_* commands reach every node's rgmd from the test's own
// namespace as usual.

// NetNS is the namespaces of one cluster.
type NetNS struct {
	t      testing.TB
	prefix string // names: PREFIX-br (the bridge), PREFIX-N (node N)
	subnet string // "10.213.K", the nodes' /24
	mu     sync.Mutex
	n      int
}

// NetNSAvailable reports whether this process can make network
// namespaces (root, with iproute2), and why not.
func NetNSAvailable() (bool, string) {
	if os.Geteuid() != 0 {
		return false, "network namespaces need root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return false, "no ip command (iproute2)"
	}
	return true, ""
}

// NewNetNS makes the bridge namespace; each node's namespace comes with
// Node. Everything is deleted when the test ends.
func NewNetNS(t testing.TB) *NetNS {
	t.Helper()
	if ok, why := NetNSAvailable(); !ok {
		t.Skip(why)
	}
	k := os.Getpid()%200 + 20
	ns := &NetNS{t: t, prefix: fmt.Sprintf("orgm%d", os.Getpid()), subnet: fmt.Sprintf("10.213.%d", k)}
	br := ns.prefix + "-br"
	t.Cleanup(func() {
		ns.mu.Lock()
		defer ns.mu.Unlock()
		for i := 1; i <= ns.n; i++ {
			exec.Command("ip", "netns", "del", fmt.Sprintf("%s-%d", ns.prefix, i)).Run()
		}
		exec.Command("ip", "netns", "del", br).Run()
	})
	ns.ip("netns", "add", br)
	ns.ip("-n", br, "link", "add", "br0", "type", "bridge")
	ns.ip("-n", br, "link", "set", "br0", "up")
	ns.ip("-n", br, "link", "set", "lo", "up")
	return ns
}

func (ns *NetNS) ip(args ...string) {
	ns.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		ns.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// add makes node number i's namespace, linked to the bridge, and returns
// its name and address.
func (ns *NetNS) add() (name, addr string, i int) {
	ns.t.Helper()
	ns.mu.Lock()
	ns.n++
	i = ns.n
	ns.mu.Unlock()
	name = fmt.Sprintf("%s-%d", ns.prefix, i)
	br := ns.prefix + "-br"
	host, peer := fmt.Sprintf("v%d", i), fmt.Sprintf("b%d", i)
	ns.ip("netns", "add", name)
	ns.ip("-n", name, "link", "set", "lo", "up")
	ns.ip("-n", br, "link", "add", peer, "type", "veth", "peer", "name", host, "netns", name)
	ns.ip("-n", br, "link", "set", peer, "master", "br0")
	ns.ip("-n", br, "link", "set", peer, "up")
	ip := fmt.Sprintf("%s.%d", ns.subnet, i)
	ns.ip("-n", name, "addr", "add", ip+"/24", "dev", host)
	ns.ip("-n", name, "link", "set", host, "up")
	return name, ip + ":7600", i
}

// Cut takes node's link to the bridge down: it can reach no other node,
// nor they it, while its processes go on running.
func (ns *NetNS) Cut(d *Daemon) { ns.link(d, "down") }

// Heal brings node's link back up.
func (ns *NetNS) Heal(d *Daemon) { ns.link(d, "up") }

func (ns *NetNS) link(d *Daemon, state string) {
	ns.t.Helper()
	if d.netnsIndex == 0 {
		ns.t.Fatalf("node %s is not in a network namespace", d.Node)
	}
	ns.ip("-n", ns.prefix+"-br", "link", "set", fmt.Sprintf("b%d", d.netnsIndex), state)
}
