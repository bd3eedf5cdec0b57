package daemon

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/engine"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/ocf"
	"github.com/openrgm/openrgm/pkg/pmf"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// rgmd runs the methods of OCF types itself (pkg/ocf, ORGM.ocf(5)); this
// file wires that runner to the daemon: ocfNode answers its questions
// from memory, and acts through the same handlers as
// scha_resource_setstatus, scha_control and scha_resource_get, called as
// rgmd's own user.

// newOCFRunner makes the lifecycle's OCF runner; its fault monitors end
// with ctx (rgmd stopping, or fenced).
func (l *lifecycle) newOCFRunner(ctx context.Context, exe string) *ocf.Runner {
	return &ocf.Runner{Methods: &l.runner, Env: l.env, Socket: l.d.opts.Socket, Programs: ocf.Programs(exe),
		Node: ocfNode{l.d}, Log: l.log, Context: ctx}
}

// ocfCall is run as an OCF method call, from c (Validate's configuration
// as the change would make it), or from rgmd's configuration when c is nil.
func (l *lifecycle) ocfCall(c *model.Config, run engine.Run, onLine func(stream, line string)) ocf.Call {
	call := ocf.Call{Method: run.Method, Resource: run.Resource, Group: run.Group, Timeout: run.Timeout, OnLine: onLine}
	fill := func(c *model.Config) {
		call.Type = c.Types[run.Type]
		call.Res = c.Resources[run.Resource]
		if run.Method != engine.Validate {
			return
		}
		for _, name := range c.ResourcesOfType(run.Type) {
			if r := c.Resources[name]; r != nil {
				call.Others = append(call.Others, *r)
			}
		}
	}
	if c != nil {
		fill(c)
	} else {
		l.d.machine.Read(fill)
	}
	return call
}

type ocfNode struct{ d *Daemon }

func (n ocfNode) Lookup(resource string) (c ocf.Call, ok bool) {
	n.d.machine.Read(func(cfg *model.Config) {
		r := cfg.Resources[resource]
		if r == nil || cfg.Types[r.Type] == nil {
			return
		}
		c, ok = ocf.Call{Resource: resource, Group: r.Group, Type: cfg.Types[r.Type], Res: r}, true
	})
	return c, ok
}

// self calls a handler as rgmd's own user would through the socket.
func (n ocfNode) self(ctx context.Context, h Handler, a any) (any, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	return h(ctx, Peer{PID: os.Getpid(), UID: os.Geteuid(), GID: os.Getegid()}, raw)
}

func (n ocfNode) SetStatus(ctx context.Context, resource, group, status, msg string) error {
	_, err := n.self(ctx, n.d.setStatus, wire.SetStatusArgs{Resource: resource, Group: group, Status: status, Message: &msg})
	return err
}

func (n ocfNode) Control(ctx context.Context, resource, group, tag string) error {
	_, err := n.self(ctx, n.d.control, wire.ControlArgs{Tag: tag, Resource: resource, Group: group})
	return err
}

func (n ocfNode) Restarts(ctx context.Context, resource, group string) (int, error) {
	v, err := n.self(ctx, n.d.get, wire.GetArgs{Kind: wire.KindResource, Name: resource, Group: group, Tag: "NUM_RESOURCE_RESTARTS"})
	if err != nil {
		return 0, err
	}
	rep, _ := v.(*wire.GetReply)
	if rep == nil || len(rep.Values) == 0 {
		return 0, scha.Errorf(scha.ErrInternal, "NUM_RESOURCE_RESTARTS: no value")
	}
	return strconv.Atoi(rep.Values[len(rep.Values)-1])
}

func (n ocfNode) StopTree(ctx context.Context, tag string) {
	m := n.d.pmfManager()
	if _, err := m.Show(tag); err != nil {
		return
	}
	if err := m.Stop(ctx, pmf.StopArgs{Tag: tag, UID: os.Geteuid(), Kill: true, Signal: syscall.SIGKILL, Wait: 30 * time.Second}); err != nil {
		n.d.opts.Logger.Warn("stopping an earlier fault monitor", "tag", tag, "err", err)
	}
}
