package fence

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A node's resources may also be held in a cgroup v2 directory (the guard's
// "cgroup" command): a process cannot leave a cgroup by clearing its
// environment, so the guard kills every process of that cgroup and its
// descendants as well as every tagged process. Placing the methods in it
// is rgmd's part (clone3's CLONE_INTO_CGROUP: exec.Cmd's
// SysProcAttr.UseCgroupFD), possible as root or in a delegated subtree.

// checkCgroup reports whether dir is a cgroup v2 directory the guard may
// kill: neither the guard nor a process spare names is in it.
func checkCgroup(dir string, spare func(pid int) bool) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("cgroup %s: %w", dir, err)
	}
	if st.Type != unix.CGROUP2_SUPER_MAGIC {
		return fmt.Errorf("cgroup %s is not in a cgroup v2 hierarchy", dir)
	}
	pids, err := cgroupPIDs(dir)
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", dir, err)
	}
	for _, pid := range pids {
		if pid == os.Getpid() {
			return fmt.Errorf("cgroup %s holds the guard itself", dir)
		}
		if spare != nil && spare(pid) {
			return fmt.Errorf("cgroup %s holds rgmd (pid %d)", dir, pid)
		}
	}
	return nil
}

// cgroupPIDs lists the processes of dir and its descendants.
func cgroupPIDs(dir string) ([]int, error) {
	var out []int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != dir {
				return nil // a child cgroup removed meanwhile
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		f, err := os.Open(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != dir {
				return nil
			}
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if pid, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil && pid > 0 {
				out = append(out, pid)
			}
		}
		return sc.Err()
	})
	return out, err
}

// KillCgroup ends every process of the cgroup v2 directory dir and its
// descendants but this process and those spare names: with cgroup.kill
// (Linux 5.14) when nothing is to be spared, which the kernel makes
// atomic with respect to forks, else with SIGKILL to each, again until
// none is left. It returns how many processes it found, and an error if
// ctx ended first. A directory that does not exist holds nothing.
func KillCgroup(ctx context.Context, dir string, spare func(pid int) bool) (int, error) {
	seen := map[int]bool{}
	pause := time.Millisecond
	for {
		pids, err := cgroupPIDs(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return len(seen), nil
		}
		if err != nil {
			return len(seen), fmt.Errorf("cgroup %s: %w", dir, err)
		}
		var left []int
		spared := false
		for _, pid := range pids {
			if pid == os.Getpid() || spare != nil && spare(pid) {
				spared = true
				continue
			}
			left = append(left, pid)
			seen[pid] = true
		}
		if len(left) == 0 {
			return len(seen), nil
		}
		if spared || os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0) != nil {
			for _, pid := range left {
				v := victim{pid: pid, fd: -1}
				if fd, err := unix.PidfdOpen(pid, 0); err == nil {
					v.fd = fd
				}
				v.signal(unix.SIGKILL)
				if v.fd >= 0 {
					unix.Close(v.fd)
				}
			}
		}
		select {
		case <-ctx.Done():
			return len(seen), fmt.Errorf("cgroup %s: processes %v still there after SIGKILL: %w", dir, left, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}
