package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/faultmon"
)

// gdsKind is ORGM.gds, the generic data service (callbacks/gds/gds.rtr):
// any command becomes a resource. Start_command runs under pmfadm (tag
// GROUP,RESOURCE,0.svc), restarted by it up to Retry_count times within
// Retry_interval; Probe_command runs under hatimerun every
// Thorough_probe_interval.
type gdsKind struct{}

// gdsStartSettle is how long Start watches a service that has no probe
// before it calls it started: a Start_command that exits at once fails
// Start instead of being restarted behind the operator's back.
const gdsStartSettle = time.Second

func (gdsKind) method(ctx context.Context, c *call) error {
	switch c.method {
	case "validate":
		return gdsValidate(ctx, c)
	case "start":
		return gdsStart(ctx, c)
	case "stop":
		return gdsStop(ctx, c)
	case "monitor_check":
		return gdsValidate(ctx, c)
	case "update":
		// The process monitor's limits follow Retry_count and Retry_interval.
		return pmfModify(ctx, c.tag("svc"), c.pInt("Retry_count", 2), time.Duration(c.pInt("Retry_interval", 370))*time.Second)
	}
	return errUnknownMethod
}

// commandProgram checks that a command line's program exists and is
// executable: an absolute path, or a name found in PATH.
func commandProgram(prop, cmdline string) error {
	fields := strings.Fields(cmdline)
	if len(fields) == 0 {
		return fmt.Errorf("%s is empty", prop)
	}
	prog := fields[0]
	if strings.ContainsRune(prog, '=') {
		return nil // VAR=value cmd: the shell's business
	}
	if !strings.Contains(prog, "/") {
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Errorf("%s: %s is not found in PATH (%s); give an absolute path", prop, prog, os.Getenv("PATH"))
		}
		return nil
	}
	if !filepath.IsAbs(prog) {
		return fmt.Errorf("%s: %s is not an absolute path", prop, prog)
	}
	st, err := os.Stat(prog)
	if err != nil {
		return fmt.Errorf("%s: %s does not exist", prop, prog)
	}
	if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s: %s is not an executable file", prop, prog)
	}
	return nil
}

func gdsValidate(ctx context.Context, c *call) error {
	if err := commandProgram("Start_command", c.x("Start_command")); err != nil {
		return err
	}
	for _, p := range []string{"Stop_command", "Probe_command", "Validate_command"} {
		if v := c.x(p); strings.TrimSpace(v) != "" {
			if err := commandProgram(p, v); err != nil {
				return err
			}
		}
	}
	if sig := c.xInt("Stop_signal", 15); sig < 1 || sig > 64 {
		//lint:ignore ST1005 Stop_signal is the property's name
		return fmt.Errorf("Stop_signal %d is not a signal number (1-64)", sig)
	}
	if c.xBool("Network_aware") && len(splitList(c.props["port_list"])) == 0 {
		//lint:ignore ST1005 Network_aware is the property's name
		return fmt.Errorf("Network_aware is TRUE but Port_list is empty: give -p Port_list=PORT/tcp, or -x Network_aware=FALSE")
	}
	for _, p := range splitList(c.props["port_list"]) {
		if _, err := parsePort(p); err != nil {
			return err
		}
	}
	if v := strings.TrimSpace(c.x("Validate_command")); v != "" && c.method == "validate" {
		// As SUNW.gds: the command gets Validate's own arguments.
		t := c.timeout("Validate") * 8 / 10
		if _, err := output(ctx, nil, "hatimerun", append([]string{"-t", secs(t), "/bin/sh", "-c", v + ` "$@"`, "sh"}, c.args...)...); err != nil {
			//lint:ignore ST1005 Validate_command is the property's name
			return fmt.Errorf("Validate_command failed: %v", err)
		}
	}
	return nil
}

// parsePort reads a Port_list element, PORT/PROTOCOL.
func parsePort(p string) (int, error) {
	num, proto, _ := strings.Cut(p, "/")
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 || (proto != "" && proto != "tcp" && proto != "tcp6" && proto != "udp" && proto != "udp6") {
		//lint:ignore ST1005 Port_list is the property's name
		return 0, fmt.Errorf("Port_list element %q is not PORT/tcp", p)
	}
	return n, nil
}

func secs(d time.Duration) string {
	s := int(d / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

// gdsStart starts Start_command under pmfadm and waits until the service
// answers its probe (Probe_command, or with Network_aware a connection to
// every Port_list port), or, with neither, until it has run for
// gdsStartSettle. A tree that exits meanwhile fails Start.
func gdsStart(ctx context.Context, c *call) error {
	err := gdsStartWait(ctx, c)
	if err != nil {
		// A failed Start leaves nothing running.
		pmfStop(context.Background(), c.tag("svc"), true, syscall.SIGKILL, 5*time.Second)
	}
	return err
}

func gdsStartWait(ctx context.Context, c *call) error {
	tag := c.tag("svc")
	argv := []string{"/bin/sh", "-c", "exec " + c.x("Start_command")}
	period := time.Duration(c.pInt("Retry_interval", 370)) * time.Second
	if err := pmfStart(ctx, tag, argv, c.pInt("Retry_count", 2), period, c.xInt("Child_mon_level", -1), true); err != nil {
		return fmt.Errorf("starting Start_command: %v", err)
	}
	begun := time.Now()
	deadline := begun.Add(c.timeout("Start") * 9 / 10)
	for {
		running, failures := pmfState(ctx, tag)
		if !running {
			//lint:ignore ST1005 Start_command is the property's name
			return fmt.Errorf("Start_command %q exited and was not restarted (see its output in rgmd's log): nothing runs under tag %s", c.x("Start_command"), tag)
		}
		if failures > 0 {
			//lint:ignore ST1005 Start_command is the property's name
			return fmt.Errorf("Start_command %q exited %d time(s) within %s of its start: it must keep running (or leave a daemon running); stopped it", c.x("Start_command"), failures, time.Since(begun).Round(time.Millisecond))
		}
		var perr error
		switch {
		case strings.TrimSpace(c.x("Probe_command")) != "":
			perr = gdsProbeCommand(ctx, c)
		case c.xBool("Network_aware"):
			perr = gdsConnect(ctx, c)
		default:
			if time.Since(begun) >= gdsStartSettle {
				return nil
			}
			perr = fmt.Errorf("settling")
		}
		if perr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the service did not answer its probe within 90%% of Start_timeout: %v", perr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pmfState reads a tag: whether it exists, and its failures in the
// current window.
func pmfState(ctx context.Context, tag string) (bool, int) {
	info := pmfInfo(ctx, tag)
	if info == nil {
		return false, 0
	}
	return true, info.Failures
}

// gdsStop runs Stop_command, if any, within 80% of Stop_timeout, then
// sends Stop_signal to what is left of the tree and waits for it until
// 95% of Stop_timeout, then SIGKILL.
func gdsStop(ctx context.Context, c *call) error {
	tag := c.tag("svc")
	if pmfInfo(ctx, tag) == nil {
		return nil
	}
	begun := time.Now()
	total := c.timeout("Stop")
	// Stop restarting first: the service is meant to go.
	pmfStop(ctx, tag, false, 0, 0)
	if v := strings.TrimSpace(c.x("Stop_command")); v != "" {
		if _, err := output(ctx, nil, "hatimerun", "-t", secs(total*8/10), "/bin/sh", "-c", v); err != nil {
			fmt.Fprintf(os.Stderr, "stop %s: Stop_command: %v; sending Stop_signal\n", c.resource, err)
		}
		if waitGone(ctx, tag, 2*time.Second) {
			return nil
		}
	}
	sig := syscall.Signal(c.xInt("Stop_signal", int(syscall.SIGTERM)))
	left := max(total*95/100-time.Since(begun), time.Second)
	if err := pmfStop(ctx, tag, true, sig, left); err == nil && waitGone(ctx, tag, 0) {
		return nil
	}
	fmt.Fprintf(os.Stderr, "stop %s: the service outlived signal %d; sending SIGKILL\n", c.resource, sig)
	return pmfStop(ctx, tag, true, syscall.SIGKILL, 5*time.Second)
}

func (gdsKind) probe(ctx context.Context, c *call) error {
	if running, _ := pmfState(ctx, c.tag("svc")); !running {
		return failed("the service's process tree (tag %s) is gone", c.tag("svc"))
	}
	switch {
	case strings.TrimSpace(c.x("Probe_command")) != "":
		return gdsProbeCommand(ctx, c)
	case c.xBool("Network_aware"):
		return gdsConnect(ctx, c)
	}
	return nil
}

// gdsProbeCommand runs Probe_command under hatimerun -t Probe_timeout.
// Exit 0 is healthy, 201 asks for an immediate giveover, anything else
// (hatimerun's 99 for a timeout too) is a failure.
func gdsProbeCommand(ctx context.Context, c *call) error {
	t := c.xInt("Probe_timeout", 30)
	_, err := output(ctx, nil, "hatimerun", "-t", strconv.Itoa(t), "/bin/sh", "-c", c.x("Probe_command"))
	switch code := exitCode(err); code {
	case 0:
		return nil
	case 99:
		return failed("Probe_command timed out after %d s", t)
	case 201:
		return &faultmon.Failure{Msg: "Probe_command exited 201 (immediate failover)", Giveover: true}
	default:
		return failed("Probe_command failed: %v", err)
	}
}

// gdsConnect connects to every Port_list port on the loopback address
// within Probe_timeout.
func gdsConnect(ctx context.Context, c *call) error {
	t := time.Duration(c.xInt("Probe_timeout", 30)) * time.Second
	for _, p := range splitList(c.props["port_list"]) {
		n, err := parsePort(p)
		if err != nil {
			return err
		}
		if _, proto, _ := strings.Cut(p, "/"); strings.HasPrefix(proto, "udp") {
			continue // nothing to connect to
		}
		d := net.Dialer{Timeout: t}
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("localhost", strconv.Itoa(n)))
		if err != nil {
			return failed("port %d does not answer: %v", n, err)
		}
		conn.Close()
	}
	return nil
}
