package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockDir takes an exclusive flock on dir/lock without waiting. The lock
// lives as long as the returned file stays open, and the kernel drops it
// when the process dies, kill -9 included, so no stale lock survives.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := ""
			if b, _ := os.ReadFile(path); len(b) > 0 {
				who = " (pid " + strings.TrimSpace(string(b)) + ")"
			}
			return nil, fmt.Errorf("store: %w%s: %s is locked", ErrDirInUse, who, path)
		}
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	// The pid is only a hint for the operator reading the error above.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
