package seqfile

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Size is the file's length: one page, mapped whole.
const Size = 4096

// magic marks the layout ("ORGMSEQ1"); a file without it is not ours.
var magic = [8]byte{'O', 'R', 'G', 'M', 'S', 'E', 'Q', '1'}

const counterOff = 8

// lockRange is the byte rgmd locks; what matters is who holds it.
func lockRange(typ int16) syscall.Flock_t {
	return syscall.Flock_t{Type: typ, Whence: 0, Start: 0, Len: 1}
}

// Writer is rgmd's side: it holds the lock and raises the counter.
type Writer struct {
	f   *os.File
	mem []byte
}

// Create opens or makes the file at path, raises its counter and locks it.
// It refuses a file this user does not own or that others may write, and
// one another process holds locked (another rgmd on the same socket).
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, err
	}
	w, err := create(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

func create(f *os.File) (*Writer, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return nil, errors.New("not a regular file")
	case !ok || int(st.Uid) != os.Geteuid():
		return nil, fmt.Errorf("owned by uid %d, not by this user", st.Uid)
	case fi.Mode().Perm()&0o022 != 0:
		return nil, fmt.Errorf("mode %v lets others write it", fi.Mode().Perm())
	}
	if fi.Size() != Size {
		if err := f.Truncate(Size); err != nil {
			return nil, err
		}
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, Size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	w := &Writer{f: f, mem: mem}
	if [8]byte(mem[:8]) != magic {
		clear(mem)
		copy(mem, magic[:])
	}
	// Raised before locking: a client that sees our lock then reads the
	// counter can not match a count from before we started.
	w.Bump()
	lk := lockRange(syscall.F_WRLCK)
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		syscall.Munmap(mem)
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
			return nil, errors.New("locked by another process (another rgmd serving the same socket?)")
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	return w, nil
}

func counter(mem []byte) *uint64 { return (*uint64)(unsafe.Pointer(&mem[counterOff])) }

// Bump raises the counter. Call it after a change is visible to queries,
// never before: a client reading the old count then must see the new
// answer, not cache an old answer under the new count.
func (w *Writer) Bump() { atomic.AddUint64(counter(w.mem), 1) }

// Close raises the counter one last time and releases the lock (by closing
// the file), so no client trusts answers from this rgmd any more.
func (w *Writer) Close() error {
	w.Bump()
	syscall.Munmap(w.mem)
	return w.f.Close()
}

// Reader is a client's view of the counter of the daemon at the other end
// of one connection.
type Reader struct {
	fd   int
	mem  []byte
	peer int32 // the pid of that daemon, from the connection's credentials
}

// Open maps the file at path read-only for a client whose connection's
// peer is the process peer.
func Open(path string, peer int32) (*Reader, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Size != Size {
		syscall.Close(fd)
		return nil, fmt.Errorf("%s: not a counter file", path)
	}
	mem, err := syscall.Mmap(fd, 0, Size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if [8]byte(mem[:8]) != magic {
		syscall.Munmap(mem)
		syscall.Close(fd)
		return nil, fmt.Errorf("%s: not a counter file", path)
	}
	return &Reader{fd: fd, mem: mem, peer: peer}, nil
}

// Load returns the counter, and false when it vouches for nothing: the
// lock is not held by the daemon of the connection. The lock is checked
// first; see Create for why.
func (r *Reader) Load() (uint64, bool) {
	lk := lockRange(syscall.F_WRLCK)
	if err := syscall.FcntlFlock(uintptr(r.fd), syscall.F_GETLK, &lk); err != nil ||
		lk.Type == syscall.F_UNLCK || lk.Pid != r.peer || r.peer <= 0 {
		return 0, false
	}
	return atomic.LoadUint64(counter(r.mem)), true
}

// Close unmaps the file.
func (r *Reader) Close() error {
	syscall.Munmap(r.mem)
	return syscall.Close(r.fd)
}
