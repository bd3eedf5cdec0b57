package methods

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
)

// Tracker knows which methods are running, so that rgmd can tell whether a
// client process (for example scha_resource_setstatus, identified by its
// SO_PEERCRED pid) was started by a callback and for which resource. The
// zero value is ready to use and it is safe for concurrent use.
type Tracker struct {
	mu      sync.Mutex
	running map[int]string // leader pid, which is also the pgid → label
	adopted map[int]string // long-lived pid → label (Adopt), e.g. a PMF supervisor
}

// maxAncestors bounds the ppid walk: a pid recycled during the walk could
// otherwise, in theory, lead it round in a loop.
const maxAncestors = 256

// procDir is where Owner reads process status; a variable for tests.
var procDir = "/proc"

func (t *Tracker) add(pid int, label string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running == nil {
		t.running = make(map[int]string)
	}
	t.running[pid] = label
}

func (t *Tracker) remove(pid int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.running, pid)
}

func (t *Tracker) lookup(pid int) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if label, ok := t.running[pid]; ok {
		return label, true
	}
	label, ok := t.adopted[pid]
	return label, ok
}

// Adopt makes pid (a process, or a process group when pid is its leader)
// and its descendants owned by label until Release, whether or not a
// method is running. The process monitor adopts the trees that a
// callback started with pmfadm: a fault monitor started by Monitor_start
// outlives the method, and must still be able to call
// scha_resource_setstatus for its resource.
func (t *Tracker) Adopt(pid int, label string) {
	if pid <= 1 {
		return // never let init, or every process, be owned
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.adopted == nil {
		t.adopted = make(map[int]string)
	}
	t.adopted[pid] = label
}

// Release ends an Adopt, once the adopted process is gone: its pid may be
// reused by anyone.
func (t *Tracker) Release(pid int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.adopted, pid)
}

// Owner reports the label of the running method that pid belongs to: pid
// is the method itself, is in the method's process group, or descends
// from a process that is (through the ppid chain in /proc). A process a
// method left behind after the method returned is not owned: ownership
// ends with the method, unless the process descends from an adopted one
// (Adopt), whose ownership lasts until Release. ok is false when pid belongs to no running method
// or no longer exists.
func (t *Tracker) Owner(pid int) (label string, ok bool) {
	for i := 0; i < maxAncestors && pid > 0; i++ {
		if label, ok := t.lookup(pid); ok {
			return label, true
		}
		st, err := readStat(pid)
		if err != nil {
			return "", false
		}
		if label, ok := t.lookup(st.pgrp); ok {
			return label, true
		}
		pid = st.ppid
	}
	return "", false
}

// procStat is the part of /proc/<pid>/stat that we use.
type procStat struct {
	state byte // R, S, D, Z, ...
	ppid  int
	pgrp  int
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(procDir + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// parseStat parses "pid (comm) state ppid pgrp ...". comm is chosen by the
// process (prctl, or its file name) and may hold spaces and parentheses,
// so the fields start after the LAST ')'.
func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("malformed /proc stat: no ')'")
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("malformed /proc stat: %q", b[i+1:])
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgrp, err2 := strconv.Atoi(string(f[2]))
	if err1 != nil || err2 != nil {
		return procStat{}, fmt.Errorf("malformed /proc stat: %q", b[i+1:])
	}
	return procStat{state: f[0][0], ppid: ppid, pgrp: pgrp}, nil
}

// Running counts the methods running now, and the process monitor's
// trees adopted.
func (t *Tracker) Running() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.running) + len(t.adopted)
}
