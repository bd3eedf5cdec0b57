package rgmtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Cluster is several real rgmd on this machine made one cluster, each
// with its own state directory and socket, their cluster ports on
// loopback (127.0.0.1, a free port each).
type Cluster struct {
	t     testing.TB
	Nodes []*Daemon
	// NS, when set, holds each node in a network namespace of its own
	// (StartClusterNetNS): a node's network can then be cut.
	NS *NetNS
}

// NewNode prepares (does not start) an rgmd named name with a fresh state
// directory, socket and cluster port; it is stopped when the test ends.
func NewNode(t testing.TB, name string) *Daemon {
	t.Helper()
	dir, err := os.MkdirTemp("", "rgm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &Daemon{t: t, Bin: Binaries(t), Socket: filepath.Join(dir, "rgmd.sock"), StateDir: filepath.Join(dir, "state"), Node: name, ClusterAddr: FreeAddr(t)}
	t.Cleanup(func() {
		d.Thaw()
		for _, pid := range d.NodePIDs() {
			syscall.Kill(pid, syscall.SIGCONT) // a frozen guard must see its directory go
		}
		if d.cmd != nil {
			d.Stop()
			d.stopSupervisors()
		}
	})
	return d
}

// StartCluster starts n nodes, n1 to nN: n1 opens the cluster, each other
// joins it through n1 with a token n1 issued. Extra arguments go to every
// rgmd.
func StartCluster(t testing.TB, n int, extra ...string) *Cluster {
	t.Helper()
	return startCluster(&Cluster{t: t}, n, extra)
}

// StartClusterNetNS is StartCluster with each node in a network namespace
// of its own (root only: the test is skipped otherwise).
func StartClusterNetNS(t testing.TB, n int, extra ...string) *Cluster {
	t.Helper()
	return startCluster(&Cluster{t: t, NS: NewNetNS(t)}, n, extra)
}

func startCluster(c *Cluster, n int, extra []string) *Cluster {
	t := c.t
	t.Helper()
	first := c.newNode("n1")
	first.Start(append([]string{"--cluster-addr", first.ClusterAddr}, extra...)...)
	c.Nodes = append(c.Nodes, first)
	for i := 2; i <= n; i++ {
		c.Add(fmt.Sprintf("n%d", i), extra...)
	}
	for _, d := range c.Nodes {
		c.WaitState(d, "", "UP")
	}
	return c
}

// Add starts a new node that joins the cluster through its first node
// with a token the first node issues.
func (c *Cluster) Add(name string, extra ...string) *Daemon {
	c.t.Helper()
	return c.Join(name, c.Token(), extra...)
}

// Token issues a join token on the first node, retrying while the
// cluster elects a leader (SCHA_ERR_RECONF, 5).
func (c *Cluster) Token() string {
	c.t.Helper()
	for try := 0; ; try++ {
		r := c.Nodes[0].Run("rgmadm", "cluster", "token")
		if r.Code == 0 {
			return strings.TrimSpace(r.Stdout)
		}
		if r.Code != 5 || try == 100 {
			c.t.Fatalf("rgmadm cluster token: exit %d: %s", r.Code, r.Stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Join starts a new node that joins through the first node with tok.
func (c *Cluster) Join(name, tok string, extra ...string) *Daemon {
	c.t.Helper()
	d := c.newNode(name)
	d.Start(append([]string{"--cluster-addr", d.ClusterAddr, "--join", c.Nodes[0].ClusterAddr, "--token", tok}, extra...)...)
	c.Nodes = append(c.Nodes, d)
	return d
}

// RunDaemon runs rgmd on d's socket and state directory with args and
// waits for it to exit, for start-ups that must fail; one that is still
// running after 60 s is killed and fails the test.
func (d *Daemon) RunDaemon(args ...string) Result {
	d.t.Helper()
	args = append([]string{"--socket", d.Socket, "--state-dir", d.StateDir, "--node-name", d.Node}, args...)
	cmd := exec.Command(filepath.Join(d.Bin, "rgmd"), args...)
	cmd.Env = d.Env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		d.t.Fatalf("rgmd %v still ran after 60s:\n%s", args, errb.String())
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: cmd.ProcessState.ExitCode()}
}

// newNode prepares a node: on loopback, or in a namespace of its own.
func (c *Cluster) newNode(name string) *Daemon {
	d := NewNode(c.t, name)
	if c.NS != nil {
		d.netns, d.ClusterAddr, d.netnsIndex = c.NS.add()
	}
	return d
}

// AdoptCluster makes a Cluster of a first node started by the test.
func AdoptCluster(t testing.TB, first *Daemon) *Cluster {
	return &Cluster{t: t, Nodes: []*Daemon{first}}
}

// Node returns the node named name.
func (c *Cluster) Node(name string) *Daemon {
	for _, d := range c.Nodes {
		if d.Node == name {
			return d
		}
	}
	c.t.Fatalf("no node %s", name)
	return nil
}

// WaitState waits until on sees node (every node when "") in state (UP or
// DOWN), failing the test after a generous bound.
func (c *Cluster) WaitState(on *Daemon, node, state string) {
	c.t.Helper()
	names := []string{node}
	if node == "" {
		names = nil
		for _, d := range c.Nodes {
			names = append(names, d.Node)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, n := range names {
		for {
			r := on.Run("scha_cluster_get", "-O", "NODESTATE_NODE", n)
			if r.Code == 0 && strings.TrimSpace(r.Stdout) == state {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("%s does not see %s %s (last answer %q, exit %d):\n%s", on.Node, n, state, r.Stdout, r.Code, on.Log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Freeze stops rgmd with SIGSTOP, as a node whose daemon hangs.
func (d *Daemon) Freeze() {
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Signal(syscall.SIGSTOP)
		d.frozen = true
	}
}

// Thaw continues a frozen rgmd.
func (d *Daemon) Thaw() {
	if d.frozen {
		d.cmd.Process.Signal(syscall.SIGCONT)
		d.frozen = false
	}
}

// FreeAddr returns a loopback address whose port is free for both TCP
// and UDP, as a cluster port needs.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for i := 0; i < 100; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().(*net.TCPAddr)
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: addr.IP, Port: addr.Port})
		ln.Close()
		if err != nil {
			continue
		}
		u.Close()
		return addr.String()
	}
	t.Fatal("no free loopback port for TCP and UDP")
	return ""
}
