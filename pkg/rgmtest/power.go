package rgmtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A harness node's "power": every process of the node is its rgmd, its
// guard (STATE_DIR/guard.pid) and every process whose environment holds
// the node's RGM_FENCE_TAG (STATE_DIR/fence.tag), which every method and
// whatever it starts inherit. PowerOff kills them all, as pulling the
// plug; FreezeNode stops them all, as pausing a virtual machine.

// NodePIDs lists every live process of node d: its rgmd first.
func (d *Daemon) NodePIDs() []int {
	var pids []int
	if d.cmd != nil && d.cmd.Process != nil && Alive(d.cmd.Process.Pid) {
		pids = append(pids, d.cmd.Process.Pid)
	}
	if b, err := os.ReadFile(filepath.Join(d.StateDir, "guard.pid")); err == nil {
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 && Alive(pid) {
			pids = append(pids, pid)
		}
	}
	tag, err := os.ReadFile(filepath.Join(d.StateDir, "fence.tag"))
	if err != nil || len(bytes.TrimSpace(tag)) == 0 {
		return pids
	}
	want := []byte("RGM_FENCE_TAG=" + string(bytes.TrimSpace(tag)) + "\x00")
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(append(env, 0), want) && Alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// signalNode sends sig to every process of d until none is left that
// has not received it (a process forking meanwhile is caught next round).
func (d *Daemon) signalNode(sig syscall.Signal) {
	seen := map[int]bool{}
	for round := 0; round < 50; round++ {
		fresh := 0
		for _, pid := range d.NodePIDs() {
			if sig == syscall.SIGKILL || !seen[pid] {
				syscall.Kill(pid, sig)
				fresh++
			}
			seen[pid] = true
		}
		if fresh == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// PowerOff kills every process of node d at once, frozen or not.
func (c *Cluster) PowerOff(d *Daemon) {
	d.Rebooted()                  // first: see fence_rgmtest
	d.signalNode(syscall.SIGSTOP) // nothing forks while the rest is killed
	d.signalNode(syscall.SIGKILL)
	if d.done != nil {
		<-d.done
	}
}

// Rebooted makes the node's next rgmd see a reboot (a boot ID other than
// the one it recorded), as after a power cycle: nothing its methods
// started survived.
func (d *Daemon) Rebooted() {
	os.WriteFile(filepath.Join(d.StateDir, "boot_id"), []byte("powered-off-"+strconv.FormatInt(time.Now().UnixNano(), 10)+"\n"), 0o600)
}

// FreezeNode stops every process of node d (SIGSTOP).
func (c *Cluster) FreezeNode(d *Daemon) { d.signalNode(syscall.SIGSTOP) }

// ThawNode continues them.
func (c *Cluster) ThawNode(d *Daemon) {
	for _, pid := range d.NodePIDs() {
		syscall.Kill(pid, syscall.SIGCONT)
	}
}
