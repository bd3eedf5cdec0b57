package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/ocf"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
)

// lifecycle is the daemon's side of pkg/engine: one goroutine (the loop)
// owns the engine's state, feeds it events (operator requests, method
// results, configuration changes), persists the transitions it decides in
// one log entry per turn, then starts the methods it asks for. Batching
// per turn is what keeps thousands of transitions from costing thousands
// of fsyncs: while one turn commits, the next turn's events pile up.
type lifecycle struct {
	d      *Daemon
	eng    *engine.State
	log    *slog.Logger
	runner methods.Runner
	ocf    *ocf.Runner // the methods of OCF types, run in rgmd (ocf.go)
	env    []string
	sem    chan struct{} // bounds the methods running at once

	in   chan any      // loop messages
	poke chan struct{} // configuration changed; see markDirty

	dirtyMu  sync.Mutex
	dirtyAll bool
	dirtyRG  map[string]bool
	dirtyRS  map[string]bool

	waiters []*waiter // loop-owned

	// monStarting counts the Monitor_start methods running per resource
	// (resource → *atomic.Int32): a process monitor tag created by one of
	// them is the resource's fault monitor (see monitorTag).
	monStarting sync.Map
}

type requestMsg struct {
	ev    engine.Event
	reply chan error
}

type doneMsg struct{ ev engine.MethodDone }

// eventMsg is any other event for the engine that needs no reply.
type eventMsg struct{ ev engine.Event }

type probeMsg struct{ reply chan struct{} }

type waiter struct {
	groups []string
	reply  chan struct{} // closed when settled
	gone   <-chan struct{}
}

// DefaultMaxParallel is the default bound on methods running at once:
// enough to keep a few cores busy with forks of short methods, few
// enough not to swamp a small machine when a thousand groups start.
func DefaultMaxParallel() int { return max(8, 4*runtime.NumCPU()) }

// startLifecycle builds the engine's view, starts the loop and hands it
// rgmd's start (crash recovery or, after a reboot, Boot).
func (d *Daemon) startLifecycle(ctx context.Context) error {
	par := d.opts.MaxParallel
	if par <= 0 {
		par = DefaultMaxParallel()
	}
	binDir, exe := "", ""
	if p, err := os.Executable(); err == nil {
		binDir, exe = filepath.Dir(p), p
	}
	l := &lifecycle{
		d:       d,
		eng:     engine.New(d.opts.NodeName),
		log:     d.opts.Logger,
		runner:  methods.Runner{Tracker: d.tracker},
		env:     d.methodEnv(binDir),
		sem:     make(chan struct{}, par),
		in:      make(chan any, 4096),
		poke:    make(chan struct{}, 1),
		dirtyRG: map[string]bool{},
		dirtyRS: map[string]bool{},
	}
	l.ocf = l.newOCFRunner(ctx, exe)
	switch d.opts.StopFailedAction {
	case "":
		if d.lease != nil {
			// A cluster node: Failover_mode HARD fences the node, so
			// that the group can move.
			l.eng.StopFailedAction = engine.StopFailedFence
		}
	case engine.StopFailedNone:
	case engine.StopFailedExit, engine.StopFailedReboot:
		l.eng.StopFailedAction = d.opts.StopFailedAction
	case engine.StopFailedFence:
		if d.lease == nil {
			return fmt.Errorf("--stop-failed-action fence: only a cluster node that hosts resources has a guard to fence it")
		}
		l.eng.StopFailedAction = d.opts.StopFailedAction
	default:
		return fmt.Errorf("--stop-failed-action %q: want none, exit, reboot or fence", d.opts.StopFailedAction)
	}
	// Published before the first read, so no change committed meanwhile
	// escapes markDirty.
	d.lc.Store(l)
	d.machine.Read(func(c *model.Config) { l.eng.Sync(c, nil) })
	rebooted, saveBoot := l.bootCheck()
	d.probes = append(d.probes, l.probe)
	go l.loop(ctx)
	if err := l.request(ctx, engine.Started{Rebooted: rebooted}); err != nil {
		return fmt.Errorf("recovering resource states: %w", err)
	}
	saveBoot()
	return nil
}

// bootCheck compares the kernel's boot ID with the one rgmd saw last: if
// they differ the node rebooted, so nothing a Start method launched is
// still running. A missing record counts as "same boot", so that
// upgrading rgmd under running services never restarts them.
func (l *lifecycle) bootCheck() (rebooted bool, save func()) {
	id := l.d.bootID()
	if id == "" {
		return false, func() {}
	}
	file := filepath.Join(l.d.opts.StateDir, "boot_id")
	old, err := os.ReadFile(file)
	rebooted = err == nil && strings.TrimSpace(string(old)) != id
	return rebooted, func() {
		if err := os.WriteFile(file, []byte(id+"\n"), 0o600); err != nil {
			l.log.Warn("cannot record the boot ID", "file", file, "err", err)
		}
	}
}

// bootID is the kernel's boot ID (--boot-id in tests), "" if unknown.
func (d *Daemon) bootID() string {
	if d.opts.BootID != "" {
		return d.opts.BootID
	}
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// markDirty is called from the log's apply path for a change the engine
// did not make itself; the loop re-reads those objects on its next turn.
// group or resource may be empty; both empty means everything.
func (l *lifecycle) markDirty(group, resource string) {
	l.dirtyMu.Lock()
	switch {
	case group != "":
		l.dirtyRG[group] = true
	case resource != "":
		l.dirtyRS[resource] = true
	default:
		l.dirtyAll = true
	}
	l.dirtyMu.Unlock()
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

// request hands ev to the loop and returns once its consequences are
// committed (or refused).
func (l *lifecycle) request(ctx context.Context, ev engine.Event) error {
	m := requestMsg{ev: ev, reply: make(chan error, 1)}
	select {
	case l.in <- m:
	case <-ctx.Done():
		return scha.Errorf(scha.ErrReconf, "rgmd is shutting down")
	}
	select {
	case err := <-m.reply:
		return err
	case <-ctx.Done():
		return scha.Errorf(scha.ErrTimeout, "request accepted but not yet recorded: %v", ctx.Err())
	}
}

// wait returns when every group is settled on this node, or ctx ends.
func (l *lifecycle) wait(ctx context.Context, groups []string) bool {
	w := &waiter{groups: groups, reply: make(chan struct{}), gone: ctx.Done()}
	select {
	case l.in <- w:
	case <-ctx.Done():
		return false
	}
	select {
	case <-w.reply:
		return true
	case <-ctx.Done():
		return false
	}
}

// probe is the watchdog's liveness check: a round trip through the loop.
func (l *lifecycle) probe(ctx context.Context) error {
	m := probeMsg{reply: make(chan struct{})}
	select {
	case l.in <- m:
	case <-ctx.Done():
		return errors.New("lifecycle loop does not take messages")
	}
	select {
	case <-m.reply:
		return nil
	case <-ctx.Done():
		return errors.New("lifecycle loop does not answer")
	}
}

// maxTurn bounds the messages handled in one turn, so that replies and
// the liveness probe never wait behind an unbounded backlog.
const maxTurn = 8192

func (l *lifecycle) loop(ctx context.Context) {
	var batch []any
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case m := <-l.in:
			batch = append(batch, m)
		case <-l.poke:
		}
	drain:
		for len(batch) < maxTurn {
			select {
			case m := <-l.in:
				batch = append(batch, m)
			default:
				break drain
			}
		}
		l.turn(batch)
	}
}

func (l *lifecycle) turn(batch []any) {
	var out engine.Output
	merge := func(o engine.Output) {
		out.Changes = append(out.Changes, o.Changes...)
		out.Runs = append(out.Runs, o.Runs...)
		out.Notes = append(out.Notes, o.Notes...)
		if o.NodeAction != "" {
			out.NodeAction = o.NodeAction
		}
	}
	// One clock reading per turn: restart counts and pingpong are judged
	// against it.
	l.eng.Now = time.Now().Unix()
	if l.sync() {
		merge(l.eng.Handle(engine.Tick{}))
	}
	type reply struct {
		ch  chan error
		err error
	}
	var replies []reply
	var probes []chan struct{}
	for _, m := range batch {
		switch m := m.(type) {
		case doneMsg:
			merge(l.eng.Handle(m.ev))
		case eventMsg:
			merge(l.eng.Handle(m.ev))
		case requestMsg:
			o := l.eng.Handle(m.ev)
			if o.Err != nil && len(o.Changes) == 0 && len(o.Runs) == 0 {
				l.logNotes(o.Notes)
				m.reply <- o.Err
				continue
			}
			// A refusal with changes (scha_control beyond Retry_count
			// faults the resource) is answered once they are recorded.
			merge(o)
			replies = append(replies, reply{m.reply, o.Err})
		case probeMsg:
			probes = append(probes, m.reply)
		case *waiter:
			l.waiters = append(l.waiters, m)
		}
	}
	// Early runs need no record of this turn's changes: they start first
	// and run while the changes are committed. The rest start once the
	// changes are in the log: on a single voter as soon as they are
	// written, while the fsync runs (store.ProposeWritten); otherwise
	// once committed. Requests wait meanwhile (readBarrier), so a method
	// never reads the state from before its own start.
	holding := len(out.Changes) > 0 && len(out.Runs) > 0
	if holding {
		l.d.reads.hold()
	}
	var later []engine.Run
	for _, run := range out.Runs {
		if run.Early {
			l.launch(run)
		} else {
			later = append(later, run)
		}
	}
	var err error
	var started atomic.Bool // later runs started on the write
	if len(out.Changes) > 0 {
		err = l.d.proposeWritten(context.Background(), store.CmdSetState, store.StateCmd{Origin: l.d.opts.NodeName, Incarnation: l.d.incarnation(), Changes: out.Changes}, func() {
			started.Store(true)
			for _, run := range later {
				l.launch(run)
			}
		})
		if holding {
			l.d.reads.release()
		}
		switch {
		case err != nil && started.Load():
			l.log.Error("cannot record state transitions; methods already started", "changes", len(out.Changes), "err", err)
		case err != nil:
			l.log.Error("cannot record state transitions; methods not started", "changes", len(out.Changes), "err", err)
		}
	}
	for _, r := range replies {
		if err != nil {
			r.ch <- err
		} else {
			r.ch <- r.err
		}
	}
	for _, p := range probes {
		close(p)
	}
	l.logNotes(out.Notes)
	switch {
	case started.Load(): // running already
	case err == nil:
		for _, run := range later {
			l.launch(run)
		}
	case scha.CodeOf(err) == scha.ErrReconf:
		// The log refused the transitions: this node decided from a
		// view the log had moved past (a group that meanwhile became
		// active on another node, model.checkStarts). Nothing ran; look
		// again from the log.
		// (Also while no leader answers: a pause, not a spin.)
		l.log.Warn("transitions refused by the log; deciding again from it", "err", err)
		go func(later []engine.Run) {
			time.Sleep(100 * time.Millisecond)
			l.markDirty("", "")
			for _, run := range later {
				l.in <- doneMsg{engine.MethodDone{Resource: run.Resource, Method: run.Method, NotRun: true, Reason: "not started: " + err.Error()}}
			}
		}(later)
	default:
		// The transitions are not durable, so the methods must not run;
		// report them failed so the engine's view stays consistent.
		for _, run := range later {
			ev := engine.MethodDone{Resource: run.Resource, Method: run.Method, Reason: "not started: " + err.Error()}
			go func() { l.in <- doneMsg{ev} }()
		}
	}
	if out.NodeAction != "" {
		l.nodeAction(out.NodeAction)
	}
	kept := l.waiters[:0]
	for _, w := range l.waiters {
		select {
		case <-w.gone:
			continue
		default:
		}
		if l.settled(w.groups) {
			close(w.reply)
			continue
		}
		kept = append(kept, w)
	}
	clear(l.waiters[len(kept):])
	l.waiters = kept
}

func (l *lifecycle) logNotes(notes []engine.Note) {
	for _, n := range notes {
		lvl := slog.LevelInfo
		if n.Warn {
			lvl = slog.LevelWarn
		}
		l.log.Log(context.Background(), lvl, n.Msg, "resource", n.Resource, "group", n.Group)
	}
}

// monitorStarting reports whether a Monitor_start of resource runs now.
func (l *lifecycle) monitorStarting(resource string) bool {
	v, ok := l.monStarting.Load(resource)
	return ok && v.(*atomic.Int32).Load() > 0
}

// post hands the loop an event without waiting; safe from any goroutine,
// including ones holding locks the loop never takes (the process
// monitor's).
func (l *lifecycle) post(ev engine.Event) {
	go func() { l.in <- eventMsg{ev} }()
}

func (l *lifecycle) settled(groups []string) bool {
	for _, name := range groups {
		if g := l.eng.Groups[name]; g != nil && g.Local && !g.Settled() {
			return false
		}
	}
	return true
}

// sync re-reads what changed in the configuration since the last turn.
func (l *lifecycle) sync() bool {
	l.dirtyMu.Lock()
	all, rgs, rss := l.dirtyAll, l.dirtyRG, l.dirtyRS
	if !all && len(rgs) == 0 && len(rss) == 0 {
		l.dirtyMu.Unlock()
		return false
	}
	l.dirtyAll, l.dirtyRG, l.dirtyRS = false, map[string]bool{}, map[string]bool{}
	l.dirtyMu.Unlock()
	l.d.machine.Read(func(c *model.Config) {
		if all {
			l.eng.Sync(c, nil)
			return
		}
		for rs := range rss {
			if r, ok := c.Resources[rs]; ok {
				rgs[r.Group] = true
			}
			if r, ok := l.eng.Resources[rs]; ok {
				rgs[r.Group] = true
			}
		}
		names := make([]string, 0, len(rgs))
		for g := range rgs {
			names = append(names, g)
		}
		l.eng.Sync(c, names)
	})
	return true
}

// launch runs one method aside and reports its result to the loop.
func (l *lifecycle) launch(run engine.Run) {
	go func() {
		l.sem <- struct{}{}
		res := l.exec(context.Background(), run, methods.Argv(run.Resource, run.Type, run.Group))
		<-l.sem
		l.in <- doneMsg{engine.MethodDone{Resource: run.Resource, Method: run.Method, OK: res.OK(), Reason: res.Reason}}
	}()
}

// exec resolves, checks and runs one method, logging each line of its
// output under the resource. Methods run under a context that rgmd's
// shutdown does not cancel: a Start interrupted because rgmd stopped would
// leave the service half started, while one left to finish is simply
// adopted (or stopped) by the next rgmd.
func (l *lifecycle) exec(ctx context.Context, run engine.Run, args []string) methods.Result {
	return l.execIn(ctx, nil, run, args)
}

// execIn is exec with the configuration an OCF method reads (Validate's,
// as the change would make it; nil for rgmd's): the methods of an OCF
// type that are the shipped programs rgmd runs itself (ocf.Runner.Handles).
func (l *lifecycle) execIn(ctx context.Context, c *model.Config, run engine.Run, args []string) methods.Result {
	log := l.log.With("resource", run.Resource, "group", run.Group, "type", run.Type, "method", run.Method, "node", l.d.opts.NodeName)
	path, err := methods.Resolve(run.BaseDir, run.Path)
	if err == nil {
		err = methods.CheckFile(path, os.Geteuid())
	}
	if err != nil {
		log.Error("cannot run method", "err", err)
		return methods.Result{ExitCode: -1, Err: err, Reason: "cannot execute: " + err.Error()}
	}
	if startsProcesses(run.Method) {
		if err := l.d.mayStart(); err != nil {
			log.Error("method not run", "err", err)
			return methods.Result{ExitCode: -1, Err: err, Reason: "not run: " + err.Error()}
		}
	}
	log.Debug("method starting", "path", path)
	if run.Method == engine.MonitorStart {
		v, _ := l.monStarting.LoadOrStore(run.Resource, new(atomic.Int32))
		n := v.(*atomic.Int32)
		n.Add(1)
		defer n.Add(-1)
	}
	onLine := func(stream, line string) { log.Info(line, "stream", stream) }
	var res methods.Result
	if l.ocf.Handles(run.Type, run.Method, path) {
		res = l.ocf.Run(ctx, l.ocfCall(c, run, onLine))
	} else {
		res = l.runner.Run(ctx, methods.Spec{Path: path, Args: args, Env: l.env, Timeout: run.Timeout, Label: run.Resource, OnLine: onLine})
	}
	l.d.metrics.methodRun(run.Method, res) // metrics.go
	if res.OK() {
		log.Debug("method succeeded", "duration", res.Duration)
	} else {
		log.Warn("method failed", "reason", res.Reason, "duration", res.Duration)
	}
	return res
}

// nodeAction carries out --stop-failed-action for a HARD stop failure.
func (l *lifecycle) nodeAction(action string) {
	switch action {
	case engine.StopFailedFence:
		l.log.Error("a stop method of a Failover_mode=HARD resource failed; the node's guard fences it, and rgmd starts afresh")
		if g := l.d.lease.getGuard(); g != nil {
			if err := g.Fence(); err != nil {
				l.log.Error("fencing through the guard failed; exiting", "err", err)
			}
		}
		l.d.stop(errFenced)
	case engine.StopFailedExit:
		l.log.Error("a stop method of a Failover_mode=HARD resource failed; exiting (--stop-failed-action=exit)")
		os.Exit(75)
	case engine.StopFailedReboot:
		l.log.Error("a stop method of a Failover_mode=HARD resource failed; rebooting the node (--stop-failed-action=reboot)")
		syscall.Sync()
		if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART); err != nil {
			l.log.Error("reboot failed; exiting instead", "err", err)
			os.Exit(75)
		}
	}
}

// validate runs the type's Validate method, if it declares one, for a
// resource as it would be after a change: r and g hold the -r/-x/-g
// properties to pass. Its failure refuses the change with
// SCHA_ERR_CHECKS (the reference's "sanity checks failed; request
// refused"), naming the method's last words.
func (l *lifecycle) validate(ctx context.Context, c *model.Config, res *model.Resource, create bool, rProps, xProps, gProps map[string]string, xNode ...string) error {
	rt := c.Types[res.Type]
	if rt == nil || rt.Props[engine.Validate] == "" {
		return nil
	}
	secs := 3600
	fmt.Sscan(res.Props["Validate_timeout"], &secs)
	run := engine.Run{Resource: res.Name, Group: res.Group, Type: res.Type, Method: engine.Validate,
		BaseDir: rt.Props["RT_basedir"], Path: rt.Props[engine.Validate], Timeout: time.Duration(secs) * time.Second}
	argv := methods.ValidateArgv(res.Name, res.Type, res.Group, create, rProps, xProps, gProps)
	for _, a := range xNode {
		argv = append(argv, "-X", a) // per-node extension values: Prop{nodeid}=value
	}
	r := l.execIn(ctx, c, run, argv)
	if r.OK() {
		return nil
	}
	detail := strings.TrimSpace(r.Output)
	if i := strings.LastIndexByte(detail, '\n'); i >= 0 {
		detail = detail[i+1:]
	}
	if detail != "" {
		detail = ": " + detail
	}
	return scha.Errorf(scha.ErrChecks, "Validate of resource %s on %s refused the change (%s)%s", res.Name, l.d.opts.NodeName, r.Reason, detail)
}
