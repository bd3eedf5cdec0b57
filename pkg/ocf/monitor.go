package ocf

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/faultmon"
)

// A fault monitor of an OCF resource inside rgmd: a goroutine that sleeps
// on a timer between probes (faultmon.Loop), each probe the agent's
// monitor action run through the method runner. No process runs between
// probes, and none is in the process monitor's table (pmfadm -l).

type monitor struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// MonitorTag is the process monitor tag of the resource's fault monitor
// when orgm_agent's Monitor_start runs it (GROUP,RESOURCE,0.mon, as the
// DSDL names it).
func MonitorTag(group, resource string) string { return group + "," + resource + ",0.mon" }

// startMonitor starts the resource's fault monitor unless it runs already.
func (r *Runner) startMonitor(c Call) error {
	if r.Node == nil {
		return fmt.Errorf("rgmd runs no fault monitor of its own here")
	}
	parent := r.Context
	if parent == nil {
		parent = context.Background()
	}
	if parent.Err() != nil {
		return fmt.Errorf("rgmd is stopping")
	}
	r.Node.StopTree(parent, MonitorTag(c.Group, c.Resource))
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.monitors[c.Resource]; ok {
		select {
		case <-m.done:
		default:
			return nil // runs already
		}
	}
	if r.monitors == nil {
		r.monitors = map[string]*monitor{}
	}
	ctx, cancel := context.WithCancel(parent)
	m := &monitor{cancel: cancel, done: make(chan struct{})}
	r.monitors[c.Resource] = m
	log := slog.Default()
	if r.Log != nil {
		log = r.Log
	}
	h := &host{r: r, c: c, log: log.With("resource", c.Resource, "group", c.Group, "type", c.Type.Name, "method", "probe")}
	go func() {
		defer close(m.done)
		defer cancel()
		faultmon.Loop(ctx, h, h.probe)
	}()
	return nil
}

// stopMonitor ends the resource's fault monitor, killing (SIGKILL to its
// process group) a probe halfway through, and returns once it has ended.
func (r *Runner) stopMonitor(ctx context.Context, c Call) {
	r.mu.Lock()
	m := r.monitors[c.Resource]
	delete(r.monitors, c.Resource)
	r.mu.Unlock()
	if m != nil {
		m.cancel()
		<-m.done
	}
	if r.Node != nil {
		r.Node.StopTree(ctx, MonitorTag(c.Group, c.Resource))
	}
}

// host is faultmon.Host for one resource, from rgmd's memory.
type host struct {
	r   *Runner
	c   Call // as last loaded
	log *slog.Logger
}

func (h *host) prop(name string, def int) int {
	props, _ := Props(h.c.Type, h.c.Res)
	if n, err := strconv.Atoi(strings.TrimSpace(props[strings.ToLower(name)])); err == nil {
		return n
	}
	return def
}

func (h *host) Interval(context.Context) time.Duration {
	return time.Duration(h.prop("Thorough_probe_interval", 60)) * time.Second
}

func (h *host) Load(context.Context) error {
	c, ok := h.r.Node.Lookup(h.c.Resource)
	if !ok {
		return fmt.Errorf("resource %s: %w", h.c.Resource, faultmon.ErrGone)
	}
	h.c = c
	return nil
}

func (h *host) RetryCount() int       { return h.prop("Retry_count", 2) }
func (h *host) GiveoverAllowed() bool { return true }

func (h *host) Restarts(ctx context.Context) (int, error) {
	return h.r.Node.Restarts(ctx, h.c.Resource, h.c.Group)
}

func (h *host) SetStatus(ctx context.Context, status, msg string) {
	if err := h.r.Node.SetStatus(ctx, h.c.Resource, h.c.Group, status, msg); err != nil && ctx.Err() == nil {
		h.log.Warn("probe: setting status "+status, "err", err)
	}
}

func (h *host) Control(ctx context.Context, tag string) error {
	return h.r.Node.Control(ctx, h.c.Resource, h.c.Group, tag)
}

func (h *host) Logf(format string, args ...any) {
	h.log.Warn("probe " + h.c.Resource + ": " + fmt.Sprintf(format, args...))
}

// probe runs the agent's monitor within Probe_timeout (the agent's
// monitor timeout), telling it the interval.
func (h *host) probe(ctx context.Context) error {
	a, err := AgentOf(h.c.Type)
	if err != nil {
		return faultmon.Failed("%v", err)
	}
	_, ext := Props(h.c.Type, h.c.Res)
	t := 20
	if n, err := strconv.Atoi(strings.TrimSpace(ext["probe_timeout"])); err == nil {
		t = n
	}
	timeout := time.Duration(t) * time.Second
	interval := h.Interval(ctx)
	in := Instance{Resource: h.c.Resource, Type: h.c.Type, Ext: ext}
	code, msg, _ := Run(ctx, h.r.Methods, Action{Agent: a, Name: "monitor", Env: h.r.env(a, in, timeout, interval),
		Timeout: timeout, Label: h.c.Resource, KillOnCancel: true,
		OnLine: func(stream, line string) { h.log.Info(line, "stream", stream) }})
	return Check(a.Name, "monitor", code, msg)
}
