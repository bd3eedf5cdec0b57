package fence

import "golang.org/x/sys/unix"

// Now returns the guard's clock: CLOCK_MONOTONIC in nanoseconds, the
// clock of lease deadlines. rgmd and the guard run on one machine and so
// share it; it never jumps with the wall clock. It does not count time
// the machine spends suspended (CLOCK_BOOTTIME would): see rgmd(8),
// FENCING.
func Now() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("clock_gettime(CLOCK_MONOTONIC): " + err.Error()) // cannot fail on Linux
	}
	return ts.Nano()
}
