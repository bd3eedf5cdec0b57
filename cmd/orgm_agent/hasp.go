package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// haspKind is ORGM.HAStoragePlus (callbacks/hastorageplus): file systems
// mounted on the node where their group is online. Start checks each with
// FilesystemCheckCommand and mounts it; Stop ends the processes that hold
// it (SIGTERM, then SIGKILL to those left after haspKillGrace) and
// unmounts it.
type haspKind struct{}

// fstabPath is the file system table Validate and Start read.
var fstabPath = "/etc/fstab"

// haspKillGrace is how long Stop waits after SIGTERM before SIGKILL, at
// most a third of Stop_timeout.
const haspKillGrace = 10 * time.Second

// mountSpec is one file system of the resource.
type mountSpec struct {
	dir, device, fstype, options string
	fromFstab                    bool
}

func (haspKind) method(ctx context.Context, c *call) error {
	switch c.method {
	case "validate", "monitor_check":
		specs, err := haspSpecs(c)
		if err != nil {
			return err
		}
		return haspValidate(c, specs)
	case "start":
		specs, err := haspSpecs(c)
		if err != nil {
			return err
		}
		for _, s := range specs {
			if err := mountOne(ctx, c, s); err != nil {
				return err
			}
		}
		return nil
	case "stop":
		specs, err := haspSpecs(c)
		if err != nil {
			return err
		}
		grace := min(haspKillGrace, c.timeout("Stop")/3)
		var errs []error
		for i := len(specs) - 1; i >= 0; i-- {
			if err := unmountOne(ctx, specs[i], grace); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	return errUnknownMethod
}

func (haspKind) probe(ctx context.Context, c *call) error {
	specs, err := haspSpecs(c)
	if err != nil {
		return failed("%v", err)
	}
	for _, s := range specs {
		if !mounted(s.dir) {
			return failed("%s is not mounted", s.dir)
		}
		done := make(chan error, 1)
		go func() { _, err := os.Stat(s.dir); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				return failed("%s: %v", s.dir, err)
			}
		case <-time.After(10 * time.Second):
			return failed("%s does not answer (stat takes over 10 s)", s.dir)
		}
	}
	return nil
}

// haspSpecs pairs each of FilesystemMountPoints with its device: the
// element of FilesystemDevices at the same place, else the mount point's
// /etc/fstab line.
func haspSpecs(c *call) ([]mountSpec, error) {
	dirs := c.xList("FilesystemMountPoints")
	devs := c.xList("FilesystemDevices")
	if len(dirs) == 0 {
		return nil, errors.New("FilesystemMountPoints is empty: give -x FilesystemMountPoints=DIR[,DIR]")
	}
	if len(devs) > 0 && len(devs) != len(dirs) {
		return nil, fmt.Errorf("FilesystemDevices has %d elements and FilesystemMountPoints %d: give one device per mount point, or none to use %s", len(devs), len(dirs), fstabPath)
	}
	fstab, ferr := readFstab(fstabPath)
	var out []mountSpec
	seen := map[string]bool{}
	for i, d := range dirs {
		if !filepath.IsAbs(d) || filepath.Clean(d) != d || d == "/" {
			return nil, fmt.Errorf("FilesystemMountPoints: %q is not an absolute, clean path other than /", d)
		}
		if seen[d] {
			return nil, fmt.Errorf("FilesystemMountPoints: %s given twice", d)
		}
		seen[d] = true
		s := mountSpec{dir: d, options: c.x("FilesystemMountOptions")}
		if e, ok := fstab[d]; ok {
			s.fstype, s.fromFstab = e.fstype, true
			if s.options == "" {
				s.options = e.options
			}
			s.device = e.device
		}
		if len(devs) > 0 {
			s.device = devs[i]
		}
		if s.device == "" {
			why := "it has no line in " + fstabPath
			if ferr != nil {
				why = ferr.Error()
			}
			return nil, fmt.Errorf("mount point %s is defined nowhere: no device in FilesystemDevices, and %s", d, why)
		}
		out = append(out, s)
	}
	return out, nil
}

func haspValidate(c *call, specs []mountSpec) error {
	for _, s := range specs {
		if !mounted(s.dir) {
			st, err := os.Stat(s.dir)
			if err != nil || !st.IsDir() {
				return fmt.Errorf("mount point %s is not a directory on this node", s.dir)
			}
		}
		if strings.HasPrefix(s.device, "/") {
			if _, err := os.Stat(s.device); err != nil {
				return fmt.Errorf("device %s of %s does not exist on this node", s.device, s.dir)
			}
		}
		if s.fromFstab && !hasOption(s.options, "noauto") {
			fmt.Fprintf(os.Stderr, "validate %s: warning: %s's line in %s lacks noauto: every node would mount it at boot\n", c.resource, s.dir, fstabPath)
		}
	}
	if v := strings.TrimSpace(c.x("FilesystemCheckCommand")); v != "" {
		if err := commandProgram("FilesystemCheckCommand", v); err != nil {
			return err
		}
	}
	return nil
}

func hasOption(opts, o string) bool {
	for _, x := range strings.Split(opts, ",") {
		if x == o {
			return true
		}
	}
	return false
}

type fstabEntry struct{ device, fstype, options string }

// readFstab reads fstab(5): mount point → its line.
func readFstab(path string) (map[string]fstabEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	defer f.Close()
	out := map[string]fstabEntry{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		e := fstabEntry{device: unescapeOctal(f[0])}
		if len(f) > 2 {
			e.fstype = f[2]
		}
		if len(f) > 3 {
			e.options = f[3]
		}
		out[filepath.Clean(unescapeOctal(f[1]))] = e
	}
	return out, sc.Err()
}

// unescapeOctal undoes fstab's and mountinfo's \040-style escapes.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mounted reports whether dir is a mount point in this mount namespace.
func mounted(dir string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && unescapeOctal(f[4]) == dir {
			return true
		}
	}
	return false
}

// checkable reports whether a file system is one fsck checks: not a
// network or memory file system (NFS, CIFS, tmpfs, FUSE, ...), whose
// device is no local block device.
func checkable(s mountSpec) bool {
	switch t := s.fstype; {
	case t == "nfs", t == "nfs4", t == "cifs", t == "smb3", t == "tmpfs", t == "ramfs", t == "glusterfs",
		t == "ceph", t == "9p", t == "virtiofs", t == "none", strings.HasPrefix(t, "fuse"):
		return false
	}
	return !strings.Contains(s.device, ":") && !strings.HasPrefix(s.device, "//")
}

// mountOne checks and mounts one file system, unless it is mounted.
func mountOne(ctx context.Context, c *call, s mountSpec) error {
	if mounted(s.dir) {
		return nil
	}
	if v := strings.TrimSpace(c.x("FilesystemCheckCommand")); v != "" && checkable(s) {
		// fsck's exit status: 0 clean, 1 errors corrected; anything else
		// leaves the file system unmounted.
		_, err := output(ctx, nil, "/bin/sh", "-c", v+` "$1"`, "sh", s.device)
		if code := exitCode(err); code != 0 && code != 1 {
			return fmt.Errorf("FilesystemCheckCommand on %s (for %s) failed, not mounting it: %v", s.device, s.dir, err)
		}
	}
	args := []string{}
	if s.fstype != "" && s.fstype != "auto" {
		args = append(args, "-t", s.fstype)
	}
	if opts := strings.Trim(strings.ReplaceAll(","+s.options+",", ",noauto,", ","), ","); opts != "" && opts != "defaults" {
		args = append(args, "-o", opts)
	}
	args = append(args, s.device, s.dir)
	if _, err := output(ctx, nil, "mount", args...); err != nil {
		return fmt.Errorf("mounting %s on %s: %v", s.device, s.dir, err)
	}
	return nil
}

// unmountOne ends the processes holding the file system, then unmounts
// it; not mounted is done.
func unmountOne(ctx context.Context, s mountSpec, grace time.Duration) error {
	if !mounted(s.dir) {
		return nil
	}
	var st syscall.Stat_t
	if err := syscall.Stat(s.dir, &st); err != nil {
		return fmt.Errorf("%s: %v", s.dir, err)
	}
	dev := st.Dev
	if pids := holders(dev); len(pids) > 0 {
		fmt.Fprintf(os.Stderr, "stop: %s is held by %v: sending SIGTERM\n", s.dir, pids)
		signalAll(pids, syscall.SIGTERM)
		end := time.Now().Add(grace)
		for len(pids) > 0 && time.Now().Before(end) {
			time.Sleep(100 * time.Millisecond)
			pids = holders(dev)
		}
		if len(pids) > 0 {
			fmt.Fprintf(os.Stderr, "stop: %s is still held by %v after %s: sending SIGKILL\n", s.dir, pids, grace)
			signalAll(pids, syscall.SIGKILL)
			for end := time.Now().Add(5 * time.Second); len(holders(dev)) > 0 && time.Now().Before(end); {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	if _, err := output(ctx, nil, "umount", s.dir); err != nil {
		if !mounted(s.dir) {
			return nil
		}
		return fmt.Errorf("unmounting %s: %v (still held by %v)", s.dir, err, holders(dev))
	}
	return nil
}

func signalAll(pids []int, sig syscall.Signal) {
	for _, p := range pids {
		syscall.Kill(p, sig)
	}
}

// holders lists the processes that use a file on the device dev: their
// working or root directory, executable, an open file or a mapped file.
func holders(dev uint64) []int {
	self := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if usesDev(pid, dev) {
			out = append(out, pid)
		}
	}
	return out
}

func usesDev(pid int, dev uint64) bool {
	base := "/proc/" + strconv.Itoa(pid)
	on := func(p string) bool {
		var st syscall.Stat_t
		return syscall.Stat(p, &st) == nil && st.Dev == dev
	}
	for _, l := range []string{"cwd", "root", "exe"} {
		if on(base + "/" + l) {
			return true
		}
	}
	fds, _ := os.ReadDir(base + "/fd")
	for _, fd := range fds {
		if on(base + "/fd/" + fd.Name()) {
			return true
		}
	}
	maps, err := os.ReadFile(base + "/maps")
	if err != nil {
		return false
	}
	major := (dev>>8)&0xfff | (dev>>32)&0xfffff000
	minor := dev&0xff | (dev>>12)&0xffffff00
	want := fmt.Sprintf("%02x:%02x", major, minor)
	for _, l := range strings.Split(string(maps), "\n") {
		f := strings.Fields(l)
		if len(f) > 5 && f[3] == want {
			return true
		}
	}
	return false
}
