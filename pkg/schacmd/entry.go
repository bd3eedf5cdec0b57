package schacmd

// EntryLDFlags are the linker flags the scha_* commands are built with
// (the Makefile and pkg/rgmtest pass them; a test checks the Makefile):
// where the platform has one (entry_linux_amd64.s), a process entry point
// that puts GOMAXPROCS=1 in the environment unless the caller set
// GOMAXPROCS, before the runtime reads it. Elsewhere none: the commands
// then start as any Go program does.
//
// Why: a command runs one goroutine for a millisecond or two, but with
// more Ps than one the runtime starts a thread for an idle P as each of
// its start-up goroutines appears, and every such thread costs a clone, a
// wake-up on another CPU and, while threads run on several CPUs, a TLB
// shootdown on each copy-on-write page fault. GOMAXPROCS is read before
// any Go code runs, so only the entry point can set it. Measured on the
// 2-CPU machines here: scha_resource_get went from 2.33-2.35x to
// 2.24-2.29x of /bin/true (five interleaved runs).
func EntryLDFlags() string {
	if entrySymbol == "" {
		return ""
	}
	return "-E " + entrySymbol
}
