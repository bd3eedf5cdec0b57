package daemon

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/pmf"
	// rgmd runs itself as a tree's supervisor: that needs no other file
	// installed, and /proc/self/exe stays runnable even while a package
	// upgrade replaces the binary. The package's init runs the
	// supervisor, before the packages that rgmd alone needs initialize.
	_ "github.com/openrgm/openrgm/pkg/pmf/supervisor"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The process monitor facility (pmfadm): rgmd keeps a table of tags and
// supervises each tag's process tree through a supervisor process, which
// is rgmd's own executable started as pmf.ShimArg0 (see pkg/pmf). The
// supervisors outlive rgmd; the next rgmd re-attaches to them.

func init() {
	moreHandlers = append(moreHandlers, pmfHandlers)
}

// pmfManagers holds each Daemon's manager from startPMF to stopPMF; the
// handler closures hold it otherwise.
var pmfManagers sync.Map // *Daemon → *pmf.Manager

func isPMFOp(op string) bool { return strings.HasPrefix(op, "pmf.") }

// startPMF makes the process monitor's table and re-attaches to the trees
// a previous rgmd left running. Run calls it before crash recovery, whose
// Monitor_stop and Monitor_start call pmfadm on those tags.
func (d *Daemon) startPMF() {
	d.pmfManager().Reattach()
}

// stopPMF detaches from the trees when rgmd exits: they keep running, and
// the next rgmd re-attaches to them (pmf.Manager.Shutdown says why).
func (d *Daemon) stopPMF() {
	if m, ok := pmfManagers.LoadAndDelete(d); ok {
		m.(*pmf.Manager).Shutdown()
	}
}

// pmfManager returns d's manager, making it on first use.
func (d *Daemon) pmfManager() *pmf.Manager {
	if m, ok := pmfManagers.Load(d); ok {
		return m.(*pmf.Manager)
	}
	m := pmf.NewManager("/proc/self/exe", d.opts.Logger.With("facility", "pmf"))
	m.Dir = filepath.Join(d.opts.StateDir, "pmf")
	m.BootID = d.bootID()
	if d.tracker != nil {
		m.Adopt, m.Release = d.tracker.Adopt, d.tracker.Release
	}
	m.MayStart = d.leaseOK
	m.Gone = func(s pmf.Spec, why string, failed bool) {
		if !failed || !s.Monitor {
			return
		}
		// Before the engine runs (a monitor whose tree ended while rgmd
		// was away) there is nobody to tell; crash recovery restarts the
		// monitors of online resources anyway.
		if l := d.lc.Load(); l != nil {
			l.post(engine.MonitorDied{Resource: s.Label, Reason: "process monitor tag " + s.Tag + ": " + why})
		}
	}
	v, _ := pmfManagers.LoadOrStore(d, m)
	return v.(*pmf.Manager)
}

func pmfHandlers(d *Daemon) map[string]Handler {
	m := d.pmfManager()
	return map[string]Handler{
		wire.OpPMFStart: func(_ context.Context, p Peer, raw json.RawMessage) (any, error) {
			a, err := args[wire.PMFStartArgs](raw)
			if err != nil {
				return nil, err
			}
			if p.UID < 0 || p.GID < 0 {
				return nil, scha.Errorf(scha.ErrAccess, "the caller's credentials are unknown")
			}
			if os.Geteuid() != 0 && p.UID != os.Geteuid() {
				// An unprivileged rgmd cannot become the caller; running the
				// caller's command as rgmd's user would hand them its rights.
				return nil, scha.Errorf(scha.ErrAccess, "rgmd runs as uid %d and cannot start processes as uid %d", os.Geteuid(), p.UID)
			}
			period := time.Duration(a.PeriodMS) * time.Millisecond
			s := pmf.Spec{Tag: a.Tag, Argv: a.Argv, Env: a.Env, Dir: a.Dir, Action: a.Action,
				UID: p.UID, GID: p.GID, Policy: pmf.Policy{Retries: a.Retries, Period: period}, Level: a.Level}
			if s.Dir == "" {
				s.Dir = "/"
			}
			// A tree started by a callback (a fault monitor from
			// Monitor_start) keeps acting for the callback's resource
			// after the method has returned.
			if d.tracker != nil && p.PID > 0 {
				s.Label, _ = d.tracker.Owner(p.PID)
			}
			// What "the resource's fault monitor" is: a tag created while
			// its Monitor_start runs (rt_callbacks(1)).
			if l := d.lc.Load(); l != nil && s.Label != "" {
				s.Monitor = l.monitorStarting(s.Label)
			}
			return m.Start(s)
		},
		wire.OpPMFStop: func(ctx context.Context, p Peer, raw json.RawMessage) (any, error) {
			a, err := args[wire.PMFStopArgs](raw)
			if err != nil {
				return nil, err
			}
			if a.Signal < 0 || a.Signal > 64 {
				return nil, scha.Errorf(scha.ErrInval, "invalid signal %d", a.Signal)
			}
			return nil, m.Stop(ctx, pmf.StopArgs{Tag: a.Tag, UID: p.UID, Kill: a.Kill, Signal: syscall.Signal(a.Signal), Wait: time.Duration(a.WaitMS) * time.Millisecond})
		},
		wire.OpPMFModify: func(_ context.Context, p Peer, raw json.RawMessage) (any, error) {
			a, err := args[wire.PMFModifyArgs](raw)
			if err != nil {
				return nil, err
			}
			var period *time.Duration
			if a.PeriodMS != nil {
				v := time.Duration(*a.PeriodMS) * time.Millisecond
				period = &v
			}
			return m.Modify(a.Tag, p.UID, a.Retries, period)
		},
		wire.OpPMFShow: func(_ context.Context, _ Peer, raw json.RawMessage) (any, error) {
			a, err := args[wire.PMFTagArgs](raw)
			if err != nil {
				return nil, err
			}
			return m.Show(a.Tag)
		},
		wire.OpPMFList: func(context.Context, Peer, json.RawMessage) (any, error) {
			return wire.PMFListReply{Tags: m.List()}, nil
		},
	}
}
