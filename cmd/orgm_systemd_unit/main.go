// Command orgm_systemd_unit is every callback method of the ORGM.systemd_unit
// resource type (callbacks/systemd/systemd_unit.rtr): it starts, stops and
// monitors the systemd unit named by the resource's Unit_name extension
// property through systemd's D-Bus API.
//
// It is one multi-call program: the name it is called by selects the
// method (systemd_unit_start, systemd_unit_stop, ... are links to it), or,
// called as orgm_systemd_unit, its first argument does
// (orgm_systemd_unit start -R r -T t -G g). Methods: start, stop,
// validate, monitor_start, monitor_stop, monitor_check, and probe (one
// round of the fault monitor, which monitor_start runs in a loop).
//
// It reaches systemd as go-systemd's dbus.New does: the system bus
// (DBUS_SYSTEM_BUS_ADDRESS or its standard socket), or, for root when
// there is no system bus, systemd's private socket, so the type works on
// nodes without dbus-daemon.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, argv []string) int {
	method, args, err := methodOf(argv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return dispatch(ctx, method, args)
}
