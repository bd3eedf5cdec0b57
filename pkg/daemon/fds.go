package daemon

import (
	"os"
	"strconv"
	"syscall"
)

// keepInheritedFromChildren marks every descriptor above stderr
// close-on-exec, as rgmd's first act: whatever rgmd inherited from
// whoever started it (a shell's open files, a supervisor's sockets) must
// reach neither a callback nor another user's process monitor tree. They
// stay open in rgmd itself, so systemd's listen descriptors still work
// (go-systemd marks those close-on-exec too), and the Go runtime's own
// are close-on-exec already. Files rgmd hands a child on purpose
// (os/exec's ExtraFiles) are duplicated for it, so they are not affected.
func keepInheritedFromChildren() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return // no /proc: nothing to walk; rgmd's own are close-on-exec
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd) // the directory's own descriptor too: harmless
		}
	}
}
