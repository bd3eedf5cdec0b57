package fence

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Without inotify the guard's look every dirCheckSlow is all there is:
// the watch asks for a look at once, and says why once.
func TestDirWatchFallback(t *testing.T) {
	var log bytes.Buffer
	w := &dirWatch{dir: t.TempDir(), log: slog.New(slog.NewTextHandler(&log, nil)), C: make(chan struct{}, 1)}
	defer w.Close()
	w.fallback(errors.New("no instance left"))
	w.fallback(errors.New("again"))
	select {
	case <-w.C:
	case <-time.After(time.Second):
		t.Fatal("the fallback asked for no look at once")
	}
	if n := strings.Count(log.String(), "cannot watch"); n != 1 || !strings.Contains(log.String(), "no instance left") {
		t.Fatalf("the fallback logged %d times:\n%s", n, log.String())
	}
}

// An entry that comes and goes beside the directory asks for no look;
// removing the directory does, though a file held open in it delays
// its own IN_DELETE_SELF until the file is closed.
func TestDirWatchEvents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "held"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := watchDir(dir, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	defer w.Close()
	if w.f == nil {
		t.Skip("no inotify here")
	}
	other := filepath.Join(filepath.Dir(dir), "other")
	for range 10 {
		os.Mkdir(other, 0o700)
		os.Rename(other, other+".x")
		os.Remove(other + ".x")
	}
	select {
	case <-w.C:
		t.Fatal("an entry beside the directory asked for a look")
	case <-time.After(100 * time.Millisecond):
	}
	os.Remove(f.Name())
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.C:
	case <-time.After(10 * time.Second):
		t.Fatal("removing the directory asked for no look")
	}
}
