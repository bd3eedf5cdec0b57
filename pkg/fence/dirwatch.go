package fence

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The guard ends when its state directory goes, so that a test that
// removes its temporary directory leaves no guard behind. It used to
// look once a second; it now waits for the kernel to tell it (inotify),
// because each wake-up costs CPU (40-60 µs on a small VM, 0.45% of a
// core for the 16 guards of an idle test cluster on one machine) and a
// cluster is idle most of the time, its guards disarmed. An idle,
// disarmed guard now never wakes.
//
// The directory's own IN_DELETE_SELF does not do: the kernel sends it
// when the directory's last reference goes, and the guard holds two
// (its locked pid file and its socket are in it, and keep it until the
// guard exits). So the guard watches the directory above for the
// removal or renaming of its directory, by name, and every directory
// above for being renamed, which moves it too.

// dirCheckSlow is how often the guard looks at its state directory
// whatever inotify says: the watch misses what it cannot see (a state
// directory on NFS removed from another host, a symbolic link on its path
// pointed elsewhere, no inotify instance or watch left to this user:
// fs.inotify.max_user_instances, max_user_watches), and a look a minute
// costs nothing.
const dirCheckSlow = time.Minute

// Watch masks. IN_IGNORED (a watch is gone) and IN_UNMOUNT (so is its
// file system) come whatever the mask.
const (
	// The directory itself, and those above its parent: renamed, or
	// gone (when nothing holds them).
	dirSelfEvents = unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR
	// Its parent: the same, and an entry removed, renamed away or
	// replaced; only those naming the directory count.
	dirParentEvents = dirSelfEvents | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO
	dirEntryEvents  = unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO
)

// dirWatch sends on C when the directory it watches may be gone: after
// an inotify event that may mean so, or once when inotify fails (the
// guard's look every dirCheckSlow goes on). The receiver checks whether
// it is still there (a directory above renamed with it still in place is
// no loss) and calls Renew if it is. It watches the directory's real
// path: a state directory given through a symbolic link is removed
// where it really is.
type dirWatch struct {
	dir  string
	name []byte // filepath.Base(dir)
	log  *slog.Logger
	C    chan struct{} // check the directory (sends coalesce)

	// f is the inotify instance, nil when there is none. It is
	// non-blocking, so os.NewFile gives it to the runtime's netpoller:
	// the reader is a parked goroutine, with no thread blocked in read
	// and no timer.
	f        *os.File
	parentWd atomic.Int32 // the parent's watch, whose entries are filtered
	wds      []int32      // every watch, for Renew

	stopOnce sync.Once
	slowOnce sync.Once // the fallback says why once
}

// watchDir starts watching dir, an absolute path.
func watchDir(dir string, log *slog.Logger) *dirWatch {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	w := &dirWatch{dir: dir, name: []byte(filepath.Base(dir)), log: log, C: make(chan struct{}, 1)}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		w.fallback(os.NewSyscallError("inotify_init1", err))
		return w
	}
	if err := w.add(fd); err != nil {
		unix.Close(fd)
		w.fallback(err)
		return w
	}
	w.f = os.NewFile(uintptr(fd), "inotify")
	go w.read()
	return w
}

// add watches dir, its parent, and every directory above but /, and
// removes the watches of directories no longer on the path. The watches
// of dir and its parent must succeed; one above may be unreadable to
// this user, and is then not watched.
func (w *dirWatch) add(fd int) error {
	var wds []int32
	watch := func(d string, mask uint32) (int32, error) {
		wd, err := unix.InotifyAddWatch(fd, d, mask)
		if err != nil {
			return -1, &os.PathError{Op: "inotify_add_watch", Path: d, Err: err}
		}
		wds = append(wds, int32(wd))
		return int32(wd), nil
	}
	if _, err := watch(w.dir, dirSelfEvents); err != nil {
		return err
	}
	parent := filepath.Dir(w.dir)
	pwd, err := watch(parent, dirParentEvents)
	if err != nil {
		return err
	}
	w.parentWd.Store(pwd)
	for d := filepath.Dir(parent); d != filepath.Dir(d); d = filepath.Dir(d) {
		watch(d, dirSelfEvents)
	}
	for _, old := range w.wds {
		if !slices.Contains(wds, old) {
			unix.InotifyRmWatch(fd, uint32(old))
		}
	}
	w.wds = wds
	return nil
}

// read sends on C for each batch of events with one that counts: any
// but the parent's entry events that name another entry.
func (w *dirWatch) read() {
	buf := make([]byte, 4096) // room for any event, name included
	for {
		n, err := w.f.Read(buf)
		if errors.Is(err, os.ErrClosed) {
			return
		}
		if err != nil || n == 0 {
			w.fallback(&os.PathError{Op: "read", Path: "inotify", Err: err})
			return
		}
		if w.counts(buf[:n]) {
			w.poke()
		}
	}
}

// counts reports whether the events in b (whole events, as read) hold
// one that may mean the directory is gone.
func (w *dirWatch) counts(b []byte) bool {
	parent := w.parentWd.Load()
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			return true // cannot be: look anyway
		}
		name := bytes.TrimRight(b[unix.SizeofInotifyEvent:end], "\x00")
		if ev.Wd != parent || ev.Mask&dirEntryEvents == 0 || bytes.Equal(name, w.name) {
			return true
		}
		b = b[end:]
	}
	return false
}

// Renew watches again the directories now on dir's path: a watch
// follows its directory, so after one of them was renamed away and
// another put in its place, holding dir, the watches are on the old one.
func (w *dirWatch) Renew() {
	if w.f == nil {
		return
	}
	rc, err := w.f.SyscallConn()
	if err != nil {
		return
	}
	var aerr error
	if rc.Control(func(fd uintptr) { aerr = w.add(int(fd)) }) != nil {
		return // closed: the fallback runs
	}
	if aerr != nil {
		w.fallback(aerr)
	}
}

// fallback ends the inotify watch, if any, and asks for a look at once
// (the error may be that the directory is gone); the guard's look every
// dirCheckSlow is all there is from then on. It logs why, once.
func (w *dirWatch) fallback(err error) {
	w.slowOnce.Do(func() {
		w.log.Warn("guard: cannot watch the state directory with inotify; looking at it every "+dirCheckSlow.String()+" instead", "state_dir", w.dir, "err", err)
		if w.f != nil {
			w.f.Close()
		}
		w.poke()
	})
}

func (w *dirWatch) poke() {
	select {
	case w.C <- struct{}{}:
	default:
	}
}

// Close ends the watch.
func (w *dirWatch) Close() {
	w.stopOnce.Do(func() {
		if w.f != nil {
			w.f.Close()
		}
	})
}
