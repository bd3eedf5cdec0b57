package pmf

import (
	"bytes"
	"os"
	"sort"
	"strconv"
	"sync"
)

// procDir is where process status is read; a variable for tests.
var procDir = "/proc"

// proc is the part of /proc/<pid>/stat the facility uses.
type proc struct {
	ppid  int
	state byte // R, S, D, Z, ...
}

// readProc reads one process's status; ok is false once it has gone.
func readProc(pid int) (proc, bool) {
	b, err := os.ReadFile(procDir + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, false
	}
	return parseStat(b)
}

// parseStat parses "pid (comm) state ppid ...". comm may hold spaces and
// parentheses, so the fields start after the last ')'.
func parseStat(b []byte) (proc, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return proc{}, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return proc{}, false
	}
	ppid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return proc{}, false
	}
	return proc{ppid: ppid, state: f[0][0]}, true
}

// allProcs reads every process's parent and state.
func allProcs() map[int]proc {
	ents, err := os.ReadDir(procDir)
	if err != nil {
		return nil
	}
	m := make(map[int]proc, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			m[pid] = p
		}
	}
	return m
}

// treeProcs reads the parent and state of root and of the processes
// below it, for pmfadm -l's list (TreePids). The supervisor's signals
// and depth scans read every process instead: with this walk, a process
// re-parented to the supervisor while its parent died of the signal was
// missed at times (TestPMFStopAndKill, about one run in ten). Where the kernel lists each task's children
// (/proc/PID/task/TID/children, CONFIG_PROC_CHILDREN, which Debian's
// kernels have) it reads only the tree, a few files per process;
// otherwise every process (allProcs). Read while the tree changes, it is
// a snapshot that may miss a process forked or re-parented meanwhile, as
// a scan of every process may.
func treeProcs(root int) map[int]proc {
	if !haveChildren() {
		return allProcs()
	}
	m := make(map[int]proc)
	seen := make(map[int]bool)
	queue := []int{root}
	for len(queue) > 0 {
		for len(queue) > 0 {
			pid := queue[0]
			queue = queue[1:]
			if seen[pid] {
				continue
			}
			seen[pid] = true
			if p, ok := readProc(pid); ok { // else gone
				m[pid] = p
				queue = append(queue, childrenOf(pid)...)
			}
		}
		// A process whose parent exited during the walk moved to root,
		// a subreaper, perhaps after root's children were read, and was
		// not on its parent's list when that was read: read root's
		// again, until they name nothing new.
		for _, k := range childrenOf(root) {
			if !seen[k] {
				queue = append(queue, k)
			}
		}
	}
	return m
}

// haveChildren reports whether the kernel lists each task's children.
var haveChildren = sync.OnceValue(func() bool {
	_, err := os.Stat(procDir + "/thread-self/children")
	return err == nil
})

// childrenOf lists the children of every thread of a process.
func childrenOf(pid int) []int {
	dir := procDir + "/" + strconv.Itoa(pid) + "/task/"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var kids []int
	for _, t := range tasks {
		b, err := os.ReadFile(dir + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range bytes.Fields(b) {
			if n, err := strconv.Atoi(string(f)); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

// descendants returns root's descendants (not root itself) in breadth-first
// order, parents before children, each with its depth below root (1 for
// root's children). Zombies are included: a zombie is reaped by its parent
// in a moment, and until then it holds its pid.
func descendants(root int, procs map[int]proc) (pids []int, depth map[int]int) {
	children := make(map[int][]int)
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	depth = make(map[int]int)
	queue := []int{root}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		kids := children[parent]
		sort.Ints(kids)
		for _, k := range kids {
			if _, seen := depth[k]; seen || k == root {
				continue
			}
			depth[k] = depth[parent] + 1
			pids = append(pids, k)
			queue = append(queue, k)
		}
	}
	return pids, depth
}

// TreePids lists the live (non-zombie) processes below a supervisor: the
// monitored tree.
func TreePids(shim int) []int {
	procs := treeProcs(shim)
	all, _ := descendants(shim, procs)
	var live []int
	for _, pid := range all {
		if procs[pid].state != 'Z' {
			live = append(live, pid)
		}
	}
	return live
}
