// Package execfile executes exactly the program file that was checked.
// rgmd's methods, and the programs hatimerun and pmfadm run, are found as
// execvp finds them, opened, checked through the open descriptor, and
// executed through that descriptor (/proc/self/fd/N, resolved by the
// kernel in the child before close-on-exec closes it), so that nobody
// can swap the file between the check and the exec. When the caller is
// root the check is strict, like sshd's StrictModes: the file, every
// directory from / down to it (following symbolic links, each of which is
// checked where it lies) and a script's interpreter must be owned by root
// and writable by neither group nor others (a directory writable by
// others is accepted when it is sticky, as /tmp is, since nobody but the
// owner of an entry can then replace it).
//
// A script (a file beginning with "#!") is run as the kernel would run
// it, but by its interpreter's descriptor (the interpreter is checked as
// the file is), with the script's own path as the interpreter's argument,
// which the interpreter opens again: scripts find their siblings with
// "$(dirname "$0")", which a /proc/self/fd path would break, and under
// the strict rules nobody but root can change what that path names. A
// file that is neither a script nor a binary the kernel executes runs
// through /bin/sh with its path, as execvp does.
package execfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Program is a checked, open program file. Close it once started.
type Program struct {
	// Path is the file's path as found (the name itself when it holds a
	// slash); it is a script's interpreter's argument.
	Path string
	// Name is the name as given: a binary's argv[0], as with execvp.
	Name string
	file *os.File
	// interp and interpArg are a script's "#!" line; interp is open.
	interp    *Program
	interpArg string
	strict    bool
}

// maxLinks bounds symbolic links followed in one path, as the kernel does.
const maxLinks = 40

// Strict reports whether the strict rules apply to a caller: root.
func Strict() bool { return os.Geteuid() == 0 }

// Open finds name as execvp does (in path, a PATH value, when it holds
// no slash), opens it and checks it; strict adds the ownership rules. The
// error names the file and the reason; errors.Is(err, fs.ErrNotExist)
// holds for a file that does not exist.
func Open(name, path string, strict bool) (*Program, error) {
	if name == "" {
		return nil, errors.New("empty program name")
	}
	if strings.Contains(name, "/") {
		return open(name, strict, 0)
	}
	p, err := lookPath(name, path, strict)
	if err != nil {
		return nil, err
	}
	p.Name = name
	return p, nil
}

func lookPath(name, path string, strict bool) (*Program, error) {
	var first error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p, err := open(filepath.Join(dir, name), strict, 0)
		if err == nil {
			return p, nil
		}
		if first == nil && !errors.Is(err, fs.ErrNotExist) {
			first = err // execvp reports the last EACCES; the first reason is clearer
		}
	}
	if first != nil {
		return nil, first
	}
	return nil, fmt.Errorf("%s: not found in PATH: %w", name, fs.ErrNotExist)
}

func open(p string, strict bool, depth int) (*Program, error) {
	if strict {
		if err := checkDirs(p); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if err := checkOpen(f, p, strict); err != nil {
		f.Close()
		return nil, err
	}
	// Above the descriptors a child is given (stdin, stdout, stderr and a
	// few extra files), so that none of them lands on it.
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 64)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	prog := &Program{Path: p, Name: p, file: os.NewFile(uintptr(fd), p), strict: strict}
	head := make([]byte, 256)
	n, _ := prog.file.ReadAt(head, 0)
	head = head[:n]
	if !bytes.HasPrefix(head, []byte("#!")) {
		return prog, nil
	}
	line, _, _ := bytes.Cut(head[2:], []byte("\n"))
	interp, arg, _ := strings.Cut(strings.TrimSpace(strings.ReplaceAll(string(line), "\t", " ")), " ")
	arg = strings.TrimSpace(arg)
	if interp == "" || depth > 0 {
		prog.Close()
		if interp == "" {
			return nil, fmt.Errorf("%s: empty #! line", p)
		}
		return nil, fmt.Errorf("%s is a script, and an interpreter must be a binary", p)
	}
	ip, err := open(interp, strict, depth+1)
	if err != nil {
		prog.Close()
		return nil, fmt.Errorf("%s: interpreter %v", p, err)
	}
	prog.interp, prog.interpArg = ip, arg
	return prog, nil
}

// checkOpen checks the open file: a regular file with an execute bit;
// strict: owned by root, writable by neither group nor others.
func checkOpen(f *os.File, p string, strict bool) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%s)", p, fi.Mode().Type())
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s is not executable (mode %04o)", p, fi.Mode().Perm())
	}
	if !strict {
		return nil
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
		return fmt.Errorf("%s is not owned by root (owner uid %d); run as root, it is refused", p, st.Uid)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s is writable by group or others (mode %04o); run as root, it is refused", p, perm)
	}
	return nil
}

// checkDirs walks p from / as the kernel resolves it, following symbolic
// links, and checks every directory it passes through and every link
// (sshd's StrictModes, with sticky directories allowed): whoever could
// change one of them could change what p names.
func checkDirs(p string) error {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		p = filepath.Join(wd, p)
	}
	rest := strings.Split(filepath.Clean(p), "/")[1:]
	cur := "/"
	if err := checkDir(cur, nil); err != nil {
		return err
	}
	parent, err := os.Lstat(cur)
	if err != nil {
		return err
	}
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			if parent, err = os.Lstat(cur); err != nil {
				return err
			}
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		if err != nil {
			return fmt.Errorf("%s: %w", next, unwrap(err))
		}
		if err := checkEntry(next, fi, parent); err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			links++
			if links > maxLinks {
				return fmt.Errorf("%s: %w", p, syscall.ELOOP)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return err
			}
			if filepath.IsAbs(target) {
				cur = "/"
				if parent, err = os.Lstat(cur); err != nil {
					return err
				}
			}
			rest = append(strings.Split(target, "/"), rest...)
		case fi.IsDir():
			if err := checkDir(next, fi); err != nil {
				return err
			}
			cur, parent = next, fi
		default:
			if len(rest) > 0 {
				return fmt.Errorf("%s: %w", next, syscall.ENOTDIR)
			}
		}
	}
	return nil
}

// checkDir: a directory on the path is owned by root and writable by
// neither group nor others, unless sticky.
func checkDir(d string, fi fs.FileInfo) error {
	if fi == nil {
		var err error
		if fi, err = os.Lstat(d); err != nil {
			return err
		}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
		return fmt.Errorf("directory %s is not owned by root (owner uid %d); run as root, a program under it is refused", d, st.Uid)
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("directory %s is writable by group or others (mode %04o); run as root, a program under it is refused", d, fi.Mode().Perm())
	}
	return nil
}

// checkEntry: an entry of a sticky directory that others may write must
// be root's, or its owner could replace it.
func checkEntry(p string, fi, parent fs.FileInfo) error {
	if parent.Mode().Perm()&0o022 == 0 {
		return nil
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
		return fmt.Errorf("%s is not owned by root (owner uid %d) and lies in a directory others may write; run as root, a program there is refused", p, st.Uid)
	}
	return nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Close closes the program's descriptors.
func (p *Program) Close() {
	if p == nil {
		return
	}
	p.file.Close()
	p.interp.Close()
}

// Argv returns the path to execute and the argv for running p with args
// (args without argv[0]): the open descriptor's /proc/self/fd path, valid
// in the child until its exec, and argv[0] the name as given. For a
// script, the interpreter's descriptor, with the interpreter as named on
// the #! line and the script's path, as the kernel passes them.
func (p *Program) Argv(args []string) (string, []string) {
	if p.interp != nil {
		argv := []string{p.interp.Path}
		if p.interpArg != "" {
			argv = append(argv, p.interpArg)
		}
		return p.interp.fdPath(), append(append(argv, p.Path), args...)
	}
	return p.fdPath(), append([]string{p.Name}, args...)
}

// Shell returns what to execute for p when its exec failed with ENOEXEC
// (neither a script nor a binary): /bin/sh, checked as p was, with p's
// path as its argument, as execvp does. The caller closes the shell.
func (p *Program) Shell(args []string) (*Program, string, []string, error) {
	sh, err := open("/bin/sh", p.strict, 1)
	if err != nil {
		return nil, "", nil, err
	}
	return sh, sh.fdPath(), append([]string{"/bin/sh", p.Path}, args...), nil
}

// Start starts the command mk makes for p with args, and, when the kernel
// refuses the file (ENOEXEC: neither a script nor a binary), the one for
// the shell that runs it (Shell), as execvp does. With above > 0 the
// programs' descriptors are first moved above it (Above). The returned
// command may be non-nil with an error: it did not start.
func (p *Program) Start(args []string, above int, mk func(path string, argv []string) *exec.Cmd) (*exec.Cmd, error) {
	if above > 0 {
		if err := p.Above(above); err != nil {
			return nil, err
		}
	}
	path, argv := p.Argv(args)
	cmd := mk(path, argv)
	err := cmd.Start()
	if !errors.Is(err, syscall.ENOEXEC) {
		return cmd, err
	}
	sh, path, argv, err := p.Shell(args)
	if err != nil {
		return nil, err
	}
	defer sh.Close()
	if above > 0 {
		if err := sh.Above(above); err != nil {
			return nil, err
		}
	}
	cmd = mk(path, argv)
	return cmd, cmd.Start()
}

// Above moves the program's descriptor, and its interpreter's, to fd or
// higher. The child of a fork moves descriptors onto the one just above
// the highest of those it is given (syscall's forkAndExecInChild puts its
// error pipe there), and a program descriptor there would be replaced
// before the exec of its /proc/self/fd path, which then fails with
// EACCES: a caller with many descriptors open, whose child's descriptors
// may be above 64, moves the program above them first (AboveFiles).
func (p *Program) Above(fd int) error {
	for q := p; q != nil; q = q.interp {
		if int(q.file.Fd()) >= fd {
			continue
		}
		nfd, err := unix.FcntlInt(q.file.Fd(), unix.F_DUPFD_CLOEXEC, fd)
		if err != nil {
			return fmt.Errorf("%s: %w", q.Path, err)
		}
		old := q.file
		q.file = os.NewFile(uintptr(nfd), q.Path)
		old.Close()
	}
	return nil
}

// AboveFiles is the lowest descriptor Above may be given for a child that
// is given files: clear of every descriptor the child's shuffling may
// write (the error pipe and the files it moves up, at most one each).
func AboveFiles(files ...*os.File) int {
	top := 2
	for _, f := range files {
		if f != nil && int(f.Fd()) > top {
			top = int(f.Fd())
		}
	}
	return top + len(files) + 2
}

func (p *Program) fdPath() string {
	return "/proc/self/fd/" + strconv.Itoa(int(p.file.Fd()))
}
