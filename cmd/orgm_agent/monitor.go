package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/faultmon"
)

// failed is a probe failure (faultmon.Failure).
func failed(format string, args ...any) error { return faultmon.Failed(format, args...) }

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
// the type's probe and acts on the result (faultmon.Loop).
func (c *call) probeLoop(ctx context.Context) error {
	faultmon.Loop(ctx, monHost{c}, func(ctx context.Context) error { return c.kind.probe(ctx, c) })
	return nil
}

// monHost is the fault monitor's faultmon.Host: rgmd, over its socket.
type monHost struct{ c *call }

// Interval is read from rgmd before the first probe (a monitor that
// starts reads nothing else until then), from the loaded properties
// after.
func (h monHost) Interval(ctx context.Context) time.Duration {
	if h.c.props == nil {
		v, err := h.c.get(ctx, "THOROUGH_PROBE_INTERVAL")
		if err != nil {
			return 0
		}
		n, _ := strconv.Atoi(v)
		return time.Duration(n) * time.Second
	}
	return time.Duration(h.c.pInt("Thorough_probe_interval", 60)) * time.Second
}

func (h monHost) Load(ctx context.Context) error { return h.c.load(ctx) }
func (h monHost) RetryCount() int                { return h.c.pInt("Retry_count", 2) }

// GiveoverAllowed is false for a gds resource with Failover_enabled=FALSE:
// it is only ever restarted where it is.
func (h monHost) GiveoverAllowed() bool {
	if h.c.kindName == "gds" {
		return h.c.xBool("Failover_enabled")
	}
	return true
}

func (h monHost) Restarts(ctx context.Context) (int, error) {
	n, err := h.c.get(ctx, "NUM_RESOURCE_RESTARTS")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(n)
}

func (h monHost) SetStatus(ctx context.Context, status, msg string) { h.c.setStatus(ctx, status, msg) }
func (h monHost) Control(ctx context.Context, tag string) error     { return h.c.control(ctx, tag) }

func (h monHost) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "probe %s: %s\n", h.c.resource, fmt.Sprintf(format, args...))
}
