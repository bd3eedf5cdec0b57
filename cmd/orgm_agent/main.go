// Command orgm_agent is every callback method of the resource types
// OpenRGM ships besides ORGM.systemd_unit: ORGM.gds (callbacks/gds),
// ORGM.LogicalHostname (callbacks/logicalhostname), ORGM.HAStoragePlus
// (callbacks/hastorageplus), and the types `rgmadm rt import-ocf` makes of
// OCF resource agents (callbacks/ocf).
//
// It is one multi-call program: the name it is called by selects the type
// and the method (gds_start, hostname_prenet_start, hasp_stop, ocf_validate
// ... are links to it), or, called as orgm_agent, its first two arguments
// do (orgm_agent gds start -R r -T t -G g). Besides the methods, probe-loop
// is the fault monitor that monitor_start runs under pmfadm, and probe one
// round of it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

func main() {
	// One thread runs Go code: a method waits on rgmd and on the agent,
	// and a fault monitor sleeps; with more, the runtime starts threads
	// that cost each of the many short runs more than they give (with one,
	// 100 starts and stops of the Dummy OCF agent took 4-5% less CPU,
	// the agent's own included).
	runtime.GOMAXPROCS(1)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, argv []string) int {
	kind, method, args, err := methodOf(argv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c, err := parseArgs(kind, method, args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", kind, method, err)
		return 2
	}
	if err := c.run(ctx); err != nil {
		// The last line a method prints is what rgmadm shows for a failed
		// Validate, and what rgmd's log shows for the others.
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", method, c.resource, err)
		return 1
	}
	return 0
}
