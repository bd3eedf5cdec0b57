package ctest

import "syscall"

// syscallKill ends a process the example started (by its pid file).
func syscallKill(pid int) {
	if pid > 0 {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}
