package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/model"
)

// recorder is an sdNotifier that keeps what it is sent.
type recorder struct {
	mu   sync.Mutex
	msgs []string
	sent chan string
}

func (r *recorder) send(s string) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, s)
	r.mu.Unlock()
	select {
	case r.sent <- s:
	default:
	}
	return nil
}
func (r *recorder) close() {}

// TestWatchdogWithheldWhileProbeBlocked checks that WATCHDOG=1 follows the
// probes, not a timer: it stops while one probe is blocked, and comes back
// when the probe answers again.
func TestWatchdogWithheldWhileProbeBlocked(t *testing.T) {
	r := &recorder{sent: make(chan string, 100)}
	var mu sync.Mutex
	var gate chan struct{} // nil: the probe answers at once
	calls := 0
	probe := func(ctx context.Context) error {
		mu.Lock()
		g := gate
		calls++
		mu.Unlock()
		if g != nil {
			<-g // blocked like a stuck engine loop: ignores ctx
		}
		return nil
	}
	failing := func(context.Context) error { return nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	const interval = 20 * time.Millisecond
	go func() {
		watchdogLoop(ctx, r, interval, []func(context.Context) error{failing, probe}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	wait := func(what string) {
		t.Helper()
		select {
		case <-r.sent:
		case <-time.After(10 * time.Second):
			t.Fatalf("no WATCHDOG=1 %s", what)
		}
	}
	wait("while the probes pass")

	mu.Lock()
	gate = make(chan struct{})
	mu.Unlock()
	// Let a round that may have started before the gate finish, then
	// expect silence for many intervals.
	time.Sleep(3 * interval)
	for len(r.sent) > 0 {
		<-r.sent
	}
	select {
	case m := <-r.sent:
		t.Fatalf("%q sent while a probe was blocked", m)
	case <-time.After(25 * interval):
	}
	mu.Lock()
	blockedCalls := calls
	close(gate)
	gate = nil
	mu.Unlock()
	wait("after the probe was unblocked")
	if blockedCalls > 4 {
		t.Errorf("blocked probe was started %d times; a probe still running must not be started again", blockedCalls)
	}
	cancel()
	<-done
}

func TestWatchdogProbeErrorWithholdsPing(t *testing.T) {
	r := &recorder{sent: make(chan string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		watchdogLoop(ctx, r, 10*time.Millisecond, []func(context.Context) error{func(context.Context) error { return errors.New("engine stuck") }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	if len(r.msgs) != 0 {
		t.Errorf("pings despite a failing probe: %q", r.msgs)
	}
}

func TestSummarize(t *testing.T) {
	c := &model.Config{
		Groups: map[string]*model.ResourceGroup{
			"a": {Nodes: map[string]*model.RGNode{"n1": {State: "ONLINE"}}},
			"b": {Nodes: map[string]*model.RGNode{"n1": {State: "ONLINE_FAULTED"}}},
			"c": {Nodes: map[string]*model.RGNode{"n1": {State: "ERROR_STOP_FAILED"}, "n2": {State: "ONLINE"}}},
			"d": {Nodes: map[string]*model.RGNode{"n2": {State: "ONLINE"}}},
		},
		Resources: map[string]*model.Resource{
			"r1": {Nodes: map[string]*model.RNode{"n1": {State: "ONLINE", Status: "OK"}}},
			"r2": {Nodes: map[string]*model.RNode{"n1": {State: "ONLINE", Status: "FAULTED"}}},
			"r3": {Nodes: map[string]*model.RNode{"n1": {State: "START_FAILED"}}},
			"r4": {Nodes: map[string]*model.RNode{"n1": {State: "OFFLINE"}}},
		},
	}
	got := summarize(c, "n1")
	want := "groups: 2 online, 2 faulted of 4; resources: 2 online, 2 faulted of 4"
	if got != want {
		t.Errorf("summarize:\n got %s\nwant %s", got, want)
	}
}

func TestNewLoggerModes(t *testing.T) {
	for _, m := range LogModes {
		if _, err := newLogger(m, slog.LevelInfo, io.Discard); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	if _, err := newLogger("syslog", slog.LevelInfo, io.Discard); err == nil || !strings.Contains(err.Error(), "auto, journal, text") {
		t.Errorf("bad mode: %v", err)
	}
}
