package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// probeFailure is a failed probe. Giveover asks for the group to move at
// once (a gds Probe_command exiting 201), without restarting here first.
type probeFailure struct {
	msg      string
	giveover bool
	degraded bool // the service runs but is not healthy: status only, no action
}

func (f *probeFailure) Error() string { return f.msg }

func failed(format string, args ...any) error {
	return &probeFailure{msg: fmt.Sprintf(format, args...)}
}

// monitorStart runs the fault monitor (this program's probe-loop) under
// the process monitor (pmfadm(8)) with the tag GROUP,RESOURCE,0.mon,
// restarted without limit if it dies, unless it runs already.
func (c *call) monitorStart(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return pmfStart(ctx, c.tag("mon"), []string{self, c.kindName, "probe-loop", "-R", c.resource, "-T", c.typ, "-G", c.group}, -1, 0, -1, true)
}

// monitorStop ends the fault monitor: SIGKILL to its tree, as the DSDL's
// Monitor_stop does (a probe may be halfway through its command).
func (c *call) monitorStop(ctx context.Context) error {
	return pmfStop(ctx, c.tag("mon"), true, syscall.SIGKILL, 30*time.Second)
}

// probeLoop is the fault monitor: every Thorough_probe_interval it runs
// the type's probe and acts on the result (action).
func (c *call) probeLoop(ctx context.Context) error {
	// Properties are read after each sleep: they may change (rs set), and
	// a monitor that starts reads nothing until its first probe.
	last := ""
	interval := time.Duration(0)
	for {
		if interval == 0 {
			if v, err := c.get(ctx, "THOROUGH_PROBE_INTERVAL"); err == nil {
				n, _ := strconv.Atoi(v)
				interval = time.Duration(n) * time.Second
			}
		} else {
			interval = time.Duration(c.pInt("Thorough_probe_interval", 60)) * time.Second
		}
		if interval <= 0 {
			interval = 60 * time.Second
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
		if err := c.load(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "probe %s: %v\n", c.resource, err)
			continue
		}
		err := c.kind.probe(ctx, c)
		if ctx.Err() != nil {
			return nil
		}
		last = c.action(ctx, err, last)
	}
}

// action is what the fault monitor does with a probe's result, as the
// DSDL's scds_fm_action: healthy sets the status OK; a failure sets it
// FAULTED and asks rgmd to restart the resource here, or, once
// NUM_RESOURCE_RESTARTS has reached Retry_count within Retry_interval (or
// at once for a probe that asks for it), to move the group (GIVEOVER). A
// refused request is logged and the next probe tries again. It returns
// the status it set, so that an unchanged OK is not sent again.
func (c *call) action(ctx context.Context, err error, last string) string {
	if err == nil {
		if last != "OK" {
			c.setStatus(ctx, "OK", "")
		}
		return "OK"
	}
	var pf *probeFailure
	if !errors.As(err, &pf) {
		pf = &probeFailure{msg: err.Error()}
	}
	if pf.degraded {
		c.setStatus(ctx, "DEGRADED", pf.msg)
		return "DEGRADED"
	}
	c.setStatus(ctx, "FAULTED", pf.msg)
	tag := "RESOURCE_RESTART"
	retries := c.pInt("Retry_count", 2)
	if pf.giveover {
		tag = "GIVEOVER"
	} else if retries >= 0 {
		n, gerr := c.get(ctx, "NUM_RESOURCE_RESTARTS")
		if done, _ := strconv.Atoi(n); gerr == nil && done >= retries {
			tag = "GIVEOVER"
		}
	}
	if tag == "GIVEOVER" && !c.giveoverAllowed() {
		tag = "RESOURCE_RESTART"
	}
	fmt.Fprintf(os.Stderr, "probe %s: %s; requesting %s\n", c.resource, pf.msg, tag)
	if cerr := c.control(ctx, tag); cerr != nil {
		fmt.Fprintf(os.Stderr, "probe %s: %s refused: %v\n", c.resource, tag, cerr)
	}
	return "FAULTED"
}

// giveoverAllowed is false for a gds resource with Failover_enabled=FALSE:
// it is only ever restarted where it is.
func (c *call) giveoverAllowed() bool {
	if c.kindName == "gds" {
		return c.xBool("Failover_enabled")
	}
	return true
}
