package fence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// EnvTag is the environment variable that marks a node's resource
// processes: rgmd puts EnvTag=<the node's tag> in every method's
// environment, every process a method starts inherits it unless it
// clears its environment, and the guard kills by it.
const EnvTag = "RGM_FENCE_TAG"

// procDir is where processes are found.
const procDir = "/proc"

// stopWait bounds the first phase of KillTagged (stop every process
// until a scan finds no new one): a process that does not stop within it
// (one in uninterruptible sleep) is killed with the others all the same.
const stopWait = 2 * time.Second

// TaggedPIDs returns the processes whose environment holds EnvTag=tag
// exactly, except this process. As a normal user only the user's own
// processes can be read; as root, all.
func TaggedPIDs(tag string) ([]int, error) {
	if err := CheckTag(tag); err != nil {
		return nil, err
	}
	return scan([]byte(EnvTag+"="+tag), nil)
}

// scan lists the tagged processes not excluded.
func scan(entry []byte, exclude func(pid int) bool) ([]int, error) {
	d, err := os.Open(procDir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var out []int
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid <= 1 || pid == self || (exclude != nil && exclude(pid)) {
			continue
		}
		if hasEntry(pid, entry) {
			out = append(out, pid)
		}
	}
	return out, nil
}

// hasEntry reports whether the environment of pid holds entry as one
// whole NUL-separated string. A zombie's environment reads empty: it
// counts as gone.
func hasEntry(pid int, entry []byte) bool {
	b, err := os.ReadFile(procDir + "/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for len(b) > 0 {
		var kv []byte
		kv, b, _ = bytes.Cut(b, []byte{0})
		if bytes.Equal(kv, entry) {
			return true
		}
	}
	return false
}

// procState returns the state letter of /proc/PID/stat ('R', 'S', 'T',
// 'Z', ...), or 0 if the process is gone.
func procState(pid int) byte {
	b, err := os.ReadFile(procDir + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// startTime returns field 22 of /proc/PID/stat, the process's start time
// in clock ticks since boot: with the pid, it names one process, whatever
// pid reuse happens later. 0 when the process is gone.
func startTime(pid int) uint64 {
	b, err := os.ReadFile(procDir + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); the start time is field 22.
	if len(f) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(string(f[19]), 10, 64)
	return v
}

// victim is a process found tagged, held by a pidfd where the kernel has
// them, so that a signal never reaches another process that reused its
// pid.
type victim struct {
	pid int
	fd  int // -1: no pidfd (old kernel); signals go by pid
}

// exited reports whether the process has wholly exited: every thread,
// not only the leader, which shows as a zombie while its other threads
// still run their exit (and may finish a write in progress). A pidfd
// says so exactly; without one, the leader's state is all there is.
func (v victim) exited() bool {
	if v.fd < 0 {
		switch procState(v.pid) {
		case 0, 'Z', 'X', 'x':
			return true
		}
		return false
	}
	fds := []unix.PollFd{{Fd: int32(v.fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0
}

func (v victim) signal(sig unix.Signal) {
	if v.fd >= 0 {
		_ = unix.PidfdSendSignal(v.fd, sig, nil, 0)
		return
	}
	_ = unix.Kill(v.pid, sig)
}

// KillTagged ends every process whose environment holds EnvTag=tag,
// except this process, pid 1 and those exclude names: it stops each with
// SIGSTOP, scanning again until a scan finds no process it has not
// stopped (a stopped process cannot fork, so a forking one cannot escape
// the sweep), then kills them all with SIGKILL, and scans again until
// none is left and each has wholly exited, every thread of it. A
// process that cleared or overwrote its environment is not found (see
// rgmd(8), Fencing). It returns how many processes it signalled, and an
// error only if ctx ended before the last was gone.
func KillTagged(ctx context.Context, tag string, exclude func(pid int) bool) (int, error) {
	if err := CheckTag(tag); err != nil {
		return 0, err
	}
	entry := []byte(EnvTag + "=" + tag)
	known := map[int]victim{}
	defer func() {
		for _, v := range known {
			if v.fd >= 0 {
				unix.Close(v.fd)
			}
		}
	}()
	// add holds pid by a pidfd and checks its tag again through it: the
	// pid may have been reused between the scan and pidfd_open.
	add := func(pid int) (victim, bool) {
		if v, ok := known[pid]; ok {
			return v, false
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil && !errors.Is(err, unix.ENOSYS) {
			return victim{}, false // gone already
		}
		if err != nil {
			fd = -1
		}
		if !hasEntry(pid, entry) {
			if fd >= 0 {
				unix.Close(fd)
			}
			return victim{}, false
		}
		v := victim{pid: pid, fd: fd}
		known[pid] = v
		return v, true
	}

	// Phase 1: stop.
	stopBy := time.Now().Add(stopWait)
	pause := time.Millisecond
	for {
		pids, err := scan(entry, exclude)
		if err != nil {
			return len(known), err
		}
		fresh := false
		for _, pid := range pids {
			if v, ok := add(pid); ok {
				v.signal(unix.SIGSTOP)
				fresh = true
			}
		}
		if !fresh && allStopped(known) || time.Now().After(stopBy) || ctx.Err() != nil {
			break
		}
		time.Sleep(pause)
		pause = min(2*pause, 20*time.Millisecond)
	}
	// Phase 2: kill, and again whatever is still there.
	for _, v := range known {
		v.signal(unix.SIGKILL)
	}
	pause = time.Millisecond
	for {
		pids, err := scan(entry, exclude)
		if err != nil {
			return len(known), err
		}
		if len(pids) == 0 && allExited(known) {
			return len(known), nil
		}
		for _, pid := range pids {
			v, ok := add(pid)
			if !ok {
				v, ok = known[pid]
			}
			if ok {
				v.signal(unix.SIGKILL)
			}
		}
		select {
		case <-ctx.Done():
			if len(pids) == 0 {
				pids = notExited(known)
			}
			return len(known), fmt.Errorf("processes %v still there after SIGKILL: %w", pids, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

func allExited(known map[int]victim) bool { return len(notExited(known)) == 0 }

func notExited(known map[int]victim) []int {
	var out []int
	for pid, v := range known {
		if !v.exited() {
			out = append(out, pid)
		}
	}
	return out
}

// allStopped reports whether every known process is stopped or gone.
func allStopped(known map[int]victim) bool {
	for pid := range known {
		switch procState(pid) {
		case 0, 'T', 't', 'Z', 'X', 'x':
		default:
			return false
		}
	}
	return true
}
