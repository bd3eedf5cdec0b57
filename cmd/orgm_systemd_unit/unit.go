package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/paths"
	"github.com/openrgm/openrgm/pkg/wire"
)

// linkPrefix is the prefix of the links that name a method.
const linkPrefix = "systemd_unit_"

var methodNames = []string{"start", "stop", "validate", "monitor_start", "monitor_stop", "monitor_check", "probe", "monitor-loop"}

// methodOf finds the method in argv: from the program's name, or from its
// first argument when called by its own name.
func methodOf(argv []string) (string, []string, error) {
	if len(argv) == 0 {
		return "", nil, errors.New("orgm_systemd_unit: no arguments")
	}
	name := filepath.Base(argv[0])
	args := argv[1:]
	m := strings.TrimPrefix(name, linkPrefix)
	if m == name { // called as orgm_systemd_unit (or a copy): argument selects
		if len(args) == 0 {
			return "", nil, fmt.Errorf("usage: %s %s -R resource -T type -G group", name, strings.Join(methodNames, "|"))
		}
		m, args = args[0], args[1:]
	}
	m = strings.ToLower(m)
	for _, known := range methodNames {
		if m == known {
			return m, args, nil
		}
	}
	return "", nil, fmt.Errorf("orgm_systemd_unit: unknown method %q (want one of %s)", m, strings.Join(methodNames, ", "))
}

// call is one method call's arguments: METHOD -R r -T t -G g, and for
// Validate -c|-u and -r/-x/-g name=value.
type call struct {
	method, resource, typ, group string
	ext                          map[string]string // -x
}

func parseArgs(method string, args []string) (call, error) {
	a, err := methods.ParseArgs(args)
	c := call{method: method, resource: a.Resource, typ: a.Type, group: a.Group, ext: a.X}
	if err != nil {
		return c, err
	}
	if c.resource == "" || c.group == "" {
		return c, errors.New("-R resource and -G group are required")
	}
	return c, nil
}

func dispatch(ctx context.Context, method string, args []string) int {
	c, err := parseArgs(method, args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", method, err)
		return 2
	}
	if method == "monitor-loop" {
		return monitorLoop(ctx, c)
	}
	if err := c.run(ctx); err != nil {
		// The last line a method prints is what rgmadm shows for a
		// failed Validate, and what the log shows for the others.
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", method, c.resource, err)
		return 1
	}
	return 0
}

func (c call) run(ctx context.Context) error {
	switch c.method {
	case "validate":
		return c.validate(ctx)
	case "monitor_stop":
		return c.monitorStop()
	case "monitor_start":
		return c.monitorStart()
	}
	unit, err := c.unitName(ctx)
	if err != nil {
		return err
	}
	switch c.method {
	case "start":
		return withSystemd(ctx, func(sd *sdbus.Conn) error { return startUnit(ctx, sd, unit) })
	case "stop":
		return withSystemd(ctx, func(sd *sdbus.Conn) error { return stopUnit(ctx, sd, unit) })
	case "monitor_check":
		return withSystemd(ctx, func(sd *sdbus.Conn) error { return checkLoaded(ctx, sd, unit) })
	case "probe":
		return c.probe(ctx, unit)
	}
	return fmt.Errorf("unknown method %s", c.method)
}

// unitName reads the resource's Unit_name from rgmd.
func (c call) unitName(ctx context.Context) (string, error) {
	cl := &client.Client{}
	defer cl.Close()
	rep, err := cl.Get(ctx, wire.GetArgs{Kind: wire.KindResource, Name: c.resource, Group: c.group, Tag: "EXTENSION", Operands: []string{"Unit_name"}})
	if err != nil {
		return "", fmt.Errorf("reading Unit_name: %w", err)
	}
	if len(rep.Values) == 0 || rep.Values[0] == "" {
		//lint:ignore ST1005 Unit_name is the property's name
		return "", errors.New("Unit_name is empty")
	}
	return rep.Values[0], nil
}

// validUnitName checks the form systemd requires of a unit name: a name,
// a dot and a known unit type, no slash.
func validUnitName(u string) error {
	i := strings.LastIndexByte(u, '.')
	if i <= 0 || strings.ContainsAny(u, "/ \t\n") || len(u) > 255 {
		//lint:ignore ST1005 Unit_name is the property's name
		return fmt.Errorf("Unit_name %q is not a systemd unit name (such as nginx.service)", u)
	}
	switch u[i+1:] {
	case "service", "socket", "target", "mount", "automount", "swap", "timer", "path", "slice", "scope", "device":
		return nil
	}
	//lint:ignore ST1005 Unit_name is the property's name
	return fmt.Errorf("Unit_name %q: unknown unit type %q", u, u[i+1:])
}

// validate checks Unit_name's form, and that systemd knows the unit when
// systemd can be reached; Validate also runs where systemd's bus is not
// (yet) up, and refusing a resource then would be wrong.
func (c call) validate(ctx context.Context) error {
	unit, given := c.ext["unit_name"]
	if !given { // an update that does not change Unit_name
		var err error
		if unit, err = c.unitName(ctx); err != nil {
			return err
		}
	}
	if err := validUnitName(unit); err != nil {
		return err
	}
	sd, err := sdbus.NewWithContext(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "validate %s: cannot reach systemd (%v); checked the name only\n", c.resource, err)
		return nil
	}
	defer sd.Close()
	return checkLoaded(ctx, sd, unit)
}

func withSystemd(ctx context.Context, f func(*sdbus.Conn) error) error {
	sd, err := sdbus.NewWithContext(ctx)
	if err != nil {
		return fmt.Errorf("connecting to systemd: %w", err)
	}
	defer sd.Close()
	return f(sd)
}

// startUnit starts unit and waits for its job; success means the job
// finished "done" and the unit is active. Starting an active unit is a
// no-op job, so Start is idempotent.
func startUnit(ctx context.Context, sd *sdbus.Conn, unit string) error {
	if err := runJob(ctx, sd, unit, sd.StartUnitContext); err != nil {
		return err
	}
	state, err := activeState(ctx, sd, unit)
	if err != nil {
		return err
	}
	if state != "active" && state != "reloading" {
		return fmt.Errorf("unit %s is %s after its start job", unit, state)
	}
	return nil
}

// stopUnit stops unit; a unit systemd does not know is stopped already.
func stopUnit(ctx context.Context, sd *sdbus.Conn, unit string) error {
	err := runJob(ctx, sd, unit, sd.StopUnitContext)
	var de dbus.Error
	if errors.As(err, &de) && de.Name == "org.freedesktop.systemd1.NoSuchUnit" {
		return nil
	}
	return err
}

// runJob runs a start or stop job in mode "replace" and waits for it.
func runJob(ctx context.Context, sd *sdbus.Conn, unit string, job func(context.Context, string, string, chan<- string) (int, error)) error {
	// JobRemoved is only broadcast while some client is subscribed.
	if err := sd.Subscribe(); err != nil {
		return fmt.Errorf("subscribing to systemd's signals: %w", err)
	}
	done := make(chan string, 1)
	if _, err := job(ctx, unit, "replace", done); err != nil {
		return fmt.Errorf("unit %s: %w", unit, err)
	}
	select {
	case r := <-done:
		if r != "done" {
			return fmt.Errorf("unit %s: job %s", unit, r)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func activeState(ctx context.Context, sd *sdbus.Conn, unit string) (string, error) {
	p, err := sd.GetUnitPropertyContext(ctx, unit, "ActiveState")
	if err != nil {
		return "", fmt.Errorf("unit %s: ActiveState: %w", unit, err)
	}
	s, _ := p.Value.Value().(string)
	return s, nil
}

// checkLoaded fails unless systemd has a unit file for unit.
func checkLoaded(ctx context.Context, sd *sdbus.Conn, unit string) error {
	p, err := sd.GetUnitPropertyContext(ctx, unit, "LoadState")
	if err != nil {
		return fmt.Errorf("unit %s: LoadState: %w", unit, err)
	}
	if s, _ := p.Value.Value().(string); s != "loaded" {
		return fmt.Errorf("systemd has no unit %s (LoadState %s)", unit, s)
	}
	return nil
}

// probe is one round of the fault monitor: it maps the unit's ActiveState
// to the resource's status, and asks rgmd to restart the resource when
// the unit has failed or stopped behind the cluster's back.
func (c call) probe(ctx context.Context, unit string) error {
	cl := &client.Client{}
	defer cl.Close()
	state := "unreachable"
	err := withSystemd(ctx, func(sd *sdbus.Conn) error {
		var err error
		state, err = activeState(ctx, sd, unit)
		return err
	})
	status, msg := "OK", "unit "+unit+" is active"
	switch {
	case err != nil:
		status, msg = "UNKNOWN", err.Error()
	case state == "active":
	case state == "reloading" || state == "activating" || state == "deactivating":
		status, msg = "DEGRADED", "unit "+unit+" is "+state
	default:
		status, msg = "FAULTED", "unit "+unit+" is "+state
	}
	if err := cl.Call(ctx, wire.OpSetStatus, wire.SetStatusArgs{Resource: c.resource, Group: c.group, Status: status, Message: &msg}, nil); err != nil {
		return fmt.Errorf("setting status: %w", err)
	}
	if status == "FAULTED" {
		// Failover_mode, Retry_count and Retry_interval decide what rgmd
		// makes of it.
		if err := cl.Call(ctx, wire.OpControl, wire.ControlArgs{Tag: "RESOURCE_RESTART", Resource: c.resource, Group: c.group}, nil); err != nil {
			return fmt.Errorf("%s; restart request refused: %w", msg, err)
		}
	}
	return nil
}

// pidFile is where monitor_start records the monitor's pid: beside rgmd's
// socket, so it is per rgmd and gone after a reboot.
func (c call) pidFile() string {
	dir := filepath.Dir(paths.Socket())
	return filepath.Join(dir, "systemd_unit", c.resource+".monitor.pid")
}

// monitorStart starts the fault monitor, a loop of probes, in a session of
// its own so that it outlives this method, unless one already runs.
func (c call) monitorStart() error {
	if pid := c.monitorPID(); pid > 0 {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "monitor-loop", "-R", c.resource, "-T", c.typ, "-G", c.group)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := os.MkdirAll(filepath.Dir(c.pidFile()), 0o755); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	return os.WriteFile(c.pidFile(), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
}

// monitorPID returns the pid of a running monitor of this resource, or 0.
func (c call) monitorPID() int {
	b, err := os.ReadFile(c.pidFile())
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// monitorStop stops the fault monitor; none running is success.
func (c call) monitorStop() error {
	if pid := c.monitorPID(); pid > 0 {
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return err
		}
	}
	if err := os.Remove(c.pidFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// monitorLoop probes every Thorough_probe_interval until it is signalled.
func monitorLoop(ctx context.Context, c call) int {
	unit, err := c.unitName(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		if err := c.probe(ctx, unit); err != nil {
			fmt.Fprintf(os.Stderr, "probe %s: %v\n", c.resource, err)
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(c.interval(ctx)):
		}
	}
}

// interval is the resource's Thorough_probe_interval, 30 s if unreadable.
func (c call) interval(ctx context.Context) time.Duration {
	cl := &client.Client{}
	defer cl.Close()
	rep, err := cl.Get(ctx, wire.GetArgs{Kind: wire.KindResource, Name: c.resource, Group: c.group, Tag: "THOROUGH_PROBE_INTERVAL"})
	if err == nil && len(rep.Values) > 0 {
		if n, err := strconv.Atoi(rep.Values[0]); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 30 * time.Second
}
