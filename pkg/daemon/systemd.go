package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/openrgm/openrgm/pkg/journal"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Systemd is what systemd told rgmd through its environment (see
// SystemdFromEnv). The zero value means rgmd was not started by systemd, or
// by anything else that speaks its notification protocol, and rgmd then
// sends no notifications at all.
type Systemd struct {
	// NotifySocket is the sd_notify socket (NOTIFY_SOCKET): a path, or
	// "@name" for an abstract socket. "" sends nothing.
	NotifySocket string
	// Watchdog is the unit's WatchdogSec= (WATCHDOG_USEC), or 0 when the
	// unit has none. rgmd pings at half of it, and only while every
	// liveness probe answers.
	Watchdog time.Duration
}

// sdNotifier is where notifications go; the Linux build sends datagrams,
// other builds have no systemd.
type sdNotifier interface {
	send(state string) error
	close()
}

// startSystemd tells systemd that rgmd is ready, keeps its STATUS= line
// current, runs the watchdog and says STOPPING=1 when ctx ends. It must be
// called once the log is replayed, the socket is listening and every
// probe is in d.probes, that is just before Serve. The returned function
// ends all of it (sending STOPPING=1 if that was not done yet); it is to
// be called when Serve has returned.
func (d *Daemon) startSystemd(ctx context.Context) (stop func()) {
	log := d.opts.Logger
	sd := d.opts.Systemd
	if sd.NotifySocket == "" {
		log.Debug("NOTIFY_SOCKET is not set: not started by systemd, sending no readiness, status or watchdog notifications")
		return func() {}
	}
	n := newNotifier(sd.NotifySocket)
	// Subscribe before computing the first status so that no change falls
	// between the two.
	events, unsubscribe := d.events.Subscribe(64, nil)
	status := d.statusLine()
	if err := n.send("READY=1\nSTATUS=" + status); err != nil {
		log.Warn("cannot notify systemd", "socket", sd.NotifySocket, "err", err)
	} else {
		log.Debug("notified systemd: READY=1", "socket", sd.NotifySocket, "status", status)
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.statusLoop(ctx, n, events, status)
	}()
	if sd.Watchdog > 0 {
		probes := append([]func(context.Context) error{d.storeProbe}, d.probes...)
		probes = append(probes, d.opts.Probes...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			watchdogLoop(ctx, n, sd.Watchdog/2, probes, log)
		}()
	}
	var once sync.Once
	stopping := func() {
		once.Do(func() {
			if err := n.send("STOPPING=1\nSTATUS=stopping"); err != nil {
				log.Warn("cannot notify systemd", "err", err)
			}
		})
	}
	// STOPPING=1 as soon as shutdown begins, not after Serve has drained:
	// systemd then knows a slow stop is a stop, not a hang.
	go func() {
		<-ctx.Done()
		stopping()
	}()
	return func() {
		cancel()
		unsubscribe()
		wg.Wait()
		stopping()
		n.close()
	}
}

// statusLoop sends a new STATUS= line whenever a change makes it differ.
// Changes come in bursts (a group going online changes every resource in
// it), so it waits a moment after an event and coalesces.
func (d *Daemon) statusLoop(ctx context.Context, n sdNotifier, events <-chan wire.Event, last string) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if !ok {
				return
			}
		}
		coalesce := time.NewTimer(statusCoalesce)
	drain:
		for {
			select {
			case <-ctx.Done():
				coalesce.Stop()
				return
			case _, ok := <-events:
				if !ok {
					break drain
				}
			case <-coalesce.C:
				break drain
			}
		}
		coalesce.Stop()
		if s := d.statusLine(); s != last {
			if err := n.send("STATUS=" + s); err != nil {
				d.opts.Logger.Warn("cannot notify systemd", "err", err)
				continue
			}
			last = s
		}
	}
}

// statusCoalesce is how long statusLoop gathers events before it
// recomputes the STATUS= line.
const statusCoalesce = 50 * time.Millisecond

// statusLine summarises the configuration as seen from this node for
// systemctl status, e.g. "groups: 2 online, 1 faulted of 3; resources: 4
// online, 1 faulted of 6".
func (d *Daemon) statusLine() string {
	var s string
	d.machine.Read(func(c *model.Config) { s = summarize(c, d.opts.NodeName) })
	return s
}

// summarize counts c's groups and resources by their state on node.
// Online means ONLINE or ONLINE_FAULTED for a group, ONLINE or
// ONLINE_NOT_MONITORED for a resource. Faulted means a group in
// ONLINE_FAULTED, ERROR_STOP_FAILED or PENDING_ONLINE_BLOCKED, and a
// resource in START_FAILED, STOP_FAILED or MONITOR_FAILED or whose status
// is FAULTED: the states an operator has to look at.
func summarize(c *model.Config, node string) string {
	var gOnline, gFaulted, rOnline, rFaulted int
	for _, g := range c.Groups {
		st := ""
		if n := g.Nodes[node]; n != nil {
			st = n.State
		}
		switch st {
		case "ONLINE":
			gOnline++
		case "ONLINE_FAULTED":
			gOnline++
			gFaulted++
		case "ERROR_STOP_FAILED", "PENDING_ONLINE_BLOCKED":
			gFaulted++
		}
	}
	for _, r := range c.Resources {
		n := r.Nodes[node]
		if n == nil {
			continue
		}
		switch n.State {
		case "ONLINE", "ONLINE_NOT_MONITORED":
			rOnline++
		}
		switch {
		case n.State == "START_FAILED", n.State == "STOP_FAILED", n.State == "MONITOR_FAILED", n.Status == "FAULTED":
			rFaulted++
		}
	}
	return fmt.Sprintf("groups: %d online, %d faulted of %d; resources: %d online, %d faulted of %d",
		gOnline, gFaulted, len(c.Groups), rOnline, rFaulted, len(c.Resources))
}

// storeProbe is the store's liveness probe: a read through the state
// machine (stuck if an apply never returns) and, on the leader, a raft
// barrier, which passes only once raft's own loops have written, committed
// and applied an entry. A follower skips the barrier: it cannot issue one,
// and its liveness is its leader's business.
func (d *Daemon) storeProbe(ctx context.Context) error {
	d.machine.Read(func(*model.Config) {})
	if err := d.store.Err(); err != nil {
		return err
	}
	if d.store.Stats()["state"] != "Leader" {
		return nil
	}
	if err := d.store.WaitReady(ctx); err != nil {
		return fmt.Errorf("raft barrier: %w", err)
	}
	return nil
}

// watchdogLoop sends WATCHDOG=1 every interval, but only when every probe
// has returned nil within half the interval: a ping means rgmd's loops
// turn, not merely that a timer fires. A probe that is still blocked from
// an earlier round is not started again (that would pile up goroutines);
// it counts as failing until it returns. The worst gap between two pings
// is then 1.5 intervals, under the WatchdogSec= of 2 intervals.
func watchdogLoop(ctx context.Context, n sdNotifier, interval time.Duration, probes []func(context.Context) error, log *slog.Logger) {
	if interval <= 0 {
		return
	}
	running := make([]chan error, len(probes))
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, interval/2)
		for i, p := range probes {
			if running[i] == nil {
				ch := make(chan error, 1)
				running[i] = ch
				go func() { ch <- p(pctx) }()
			}
		}
		var errs []string
		for i := range probes {
			select {
			case err := <-running[i]:
				running[i] = nil
				if err != nil {
					errs = append(errs, err.Error())
				}
			case <-pctx.Done():
				errs = append(errs, fmt.Sprintf("probe %d did not answer within %s", i, interval/2))
			}
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		if len(errs) > 0 {
			if !failing {
				log.Error("liveness probe failing; withholding the systemd watchdog ping", "err", strings.Join(errs, "; "))
			}
			failing = true
			continue
		}
		if failing {
			log.Info("liveness probes pass again; resuming watchdog pings")
			failing = false
		}
		if err := n.send("WATCHDOG=1"); err != nil {
			log.Warn("cannot notify systemd", "err", err)
		}
	}
}

// LogModes are the values of rgmd's --log flag.
var LogModes = []string{"auto", "journal", "text"}

// newLogger makes rgmd's logger: the journal with structured RGM_* fields
// (pkg/journal) when mode is "journal", or "auto" and stderr is connected
// to the journal (JOURNAL_STREAM names it); text on stderr otherwise.
func newLogger(mode string, level slog.Level, stderr io.Writer) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch mode {
	case "text":
	case "journal":
		return slog.New(journal.NewHandler(stderr, opts)), nil
	case "auto":
		if f, ok := stderr.(*os.File); ok {
			if yes, _ := journal.IsStream(f); yes {
				return slog.New(journal.NewHandler(stderr, opts)), nil
			}
		}
	default:
		modes := append([]string(nil), LogModes...)
		sort.Strings(modes)
		return nil, fmt.Errorf("--log must be one of %s, not %q", strings.Join(modes, ", "), mode)
	}
	return slog.New(slog.NewTextHandler(stderr, opts)), nil
}
