// Package faultmon is the fault monitor of the types OpenRGM ships: a
// loop that probes a resource every Thorough_probe_interval and acts on
// the result as the DSDL's scds_fm_action does (status, restart, then
// GIVEOVER). It is one copy of that behaviour for its two users: the
// probe-loop of orgm_agent (run under pmfadm for ORGM.gds,
// ORGM.LogicalHostname and ORGM.HAStoragePlus, and for an OCF type whose
// methods rgmd does not run itself), and the monitors rgmd runs for OCF
// types (pkg/ocf). Each gives it a Host: orgm_agent asks rgmd over its
// socket, rgmd answers from memory through its own handlers.
package faultmon

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Failure is a failed probe. Giveover asks for the group to move at once
// (a gds Probe_command exiting 201), without restarting here first;
// Degraded is a service that runs but is not healthy: status only, no
// action.
type Failure struct {
	Msg      string
	Giveover bool
	Degraded bool
}

func (f *Failure) Error() string { return f.Msg }

// Failed is a probe failure with a formatted message.
func Failed(format string, args ...any) error {
	return &Failure{Msg: fmt.Sprintf(format, args...)}
}

// Host is what the monitor needs of rgmd for one resource.
type Host interface {
	// Interval is the resource's Thorough_probe_interval now; zero or
	// less when unknown.
	Interval(ctx context.Context) time.Duration
	// Load reads the resource's properties afresh, before a probe; an
	// error skips the probe (it is logged), one wrapping ErrGone ends the
	// loop.
	Load(ctx context.Context) error
	// RetryCount is the loaded Retry_count (-1: no limit).
	RetryCount() int
	// GiveoverAllowed is false for a resource that may only be restarted
	// where it is (gds Failover_enabled=FALSE).
	GiveoverAllowed() bool
	// Restarts is NUM_RESOURCE_RESTARTS.
	Restarts(ctx context.Context) (int, error)
	// SetStatus is scha_resource_setstatus; failures are the host's to log.
	SetStatus(ctx context.Context, status, msg string)
	// Control is scha_control on the resource (RESOURCE_RESTART, GIVEOVER).
	Control(ctx context.Context, tag string) error
	// Logf logs a line of the monitor under the resource (the host says
	// which resource).
	Logf(format string, args ...any)
}

// ErrGone, wrapped in Load's error, ends the loop: the resource no longer
// exists, so there is nothing left to monitor.
var ErrGone = errors.New("the resource is gone")

// DefaultInterval is the sleep between probes when the resource has no
// Thorough_probe_interval.
const DefaultInterval = 60 * time.Second

// Loop is the fault monitor: every Thorough_probe_interval (read again
// before each sleep: rs set may change it) it loads the properties, runs
// probe and acts on its result (Act), until ctx ends. A monitor that
// starts probes nothing before its first interval has passed.
func Loop(ctx context.Context, h Host, probe func(ctx context.Context) error) {
	last := ""
	for {
		interval := h.Interval(ctx)
		if interval <= 0 {
			interval = DefaultInterval
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := h.Load(ctx); err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrGone) {
				return
			}
			h.Logf("%v", err)
			continue
		}
		err := probe(ctx)
		if ctx.Err() != nil {
			return
		}
		last = Act(ctx, h, err, last)
	}
}

// Act is what the fault monitor does with a probe's result, as the DSDL's
// scds_fm_action: healthy sets the status OK; a failure sets it FAULTED
// and asks rgmd to restart the resource here, or, once
// NUM_RESOURCE_RESTARTS has reached Retry_count within Retry_interval (or
// at once for a probe that asks for it), to move the group (GIVEOVER). A
// refused request is logged and the next probe tries again. It returns
// the status it set, so that an unchanged OK is not sent again.
func Act(ctx context.Context, h Host, err error, last string) string {
	if err == nil {
		if last != "OK" {
			h.SetStatus(ctx, "OK", "")
		}
		return "OK"
	}
	var f *Failure
	if !errors.As(err, &f) {
		f = &Failure{Msg: err.Error()}
	}
	if f.Degraded {
		h.SetStatus(ctx, "DEGRADED", f.Msg)
		return "DEGRADED"
	}
	h.SetStatus(ctx, "FAULTED", f.Msg)
	tag := "RESOURCE_RESTART"
	if retries := h.RetryCount(); f.Giveover {
		tag = "GIVEOVER"
	} else if retries >= 0 {
		if done, rerr := h.Restarts(ctx); rerr == nil && done >= retries {
			tag = "GIVEOVER"
		}
	}
	if tag == "GIVEOVER" && !h.GiveoverAllowed() {
		tag = "RESOURCE_RESTART"
	}
	h.Logf("%s; requesting %s", f.Msg, tag)
	if cerr := h.Control(ctx, tag); cerr != nil && ctx.Err() == nil {
		h.Logf("%s refused: %v", tag, cerr)
	}
	return "FAULTED"
}
