package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/ocf"
	"github.com/openrgm/openrgm/pkg/paths"
	"github.com/openrgm/openrgm/pkg/wire"
)

// ocfKind runs an OCF resource agent: the types `rgmadm rt import-ocf`
// registers (pkg/ocf has the logic). rgmd runs the shipped ocf_* methods
// of such types itself (ocf.Runner.Handles); this program runs them when
// a type's method is another file (a copy of the program, or the
// programs of another installation), as any type's methods run.
type ocfKind struct{}

func (ocfKind) method(ctx context.Context, c *call) error {
	if c.rt == nil {
		return ocfValidateUnregistered(c)
	}
	a, err := ocf.AgentOf(c.rt)
	if err != nil {
		return err
	}
	action := ""
	switch c.method {
	case "validate", "monitor_check":
		if err := a.Installed(); err != nil {
			return err
		}
		if c.method == "validate" {
			if err := ocfUnique(ctx, c); err != nil {
				return err
			}
		}
		timeout := c.timeout("Validate")
		if c.method == "monitor_check" {
			timeout = c.timeout("Monitor_check")
		}
		code, msg := ocfRun(ctx, c, a, "validate-all", timeout, 0)
		return ocf.Check(a.Name, "validate-all", code, msg)
	case "start":
		action = "start"
	case "stop":
		action = "stop"
	default:
		return errUnknownMethod
	}
	code, msg := ocfRun(ctx, c, a, action, c.timeout(strings.ToUpper(action[:1])+action[1:]), 0)
	return ocf.Check(a.Name, action, code, msg)
}

// probe runs the agent's monitor within Probe_timeout (the agent's
// monitor timeout).
func (ocfKind) probe(ctx context.Context, c *call) error {
	a, err := ocf.AgentOf(c.rt)
	if err != nil {
		return failed("%v", err)
	}
	t := time.Duration(c.xInt("Probe_timeout", 20)) * time.Second
	interval := time.Duration(c.pInt("Thorough_probe_interval", 10)) * time.Second
	code, msg := ocfRun(ctx, c, a, "monitor", t, interval)
	return ocf.Check(a.Name, "monitor", code, msg)
}

// ocfRun runs one action of the agent (ocf.Run), its output into rgmd's
// log under the resource (this program's standard error).
func ocfRun(ctx context.Context, c *call, a ocf.Agent, action string, timeout, interval time.Duration) (int, string) {
	env := a.Env(os.Environ(), ocf.Instance{Resource: c.resource, Type: c.rt, Ext: c.ext}, ocf.RscTmp(paths.Socket()), timeout, interval)
	code, msg, _ := ocf.Run(ctx, &methods.Runner{}, ocf.Action{Agent: a, Name: action, Env: env, Timeout: timeout, Label: c.resource,
		OnLine: func(_, line string) { fmt.Fprintln(os.Stderr, line) }})
	return code, msg
}

// ocfValidateUnregistered is Validate for a type not registered yet
// (rgmadm import registers types and creates resources in one change,
// after their Validate): without the type's RT_basedir and defaults it
// checks only that an agent of that name is installed in /usr/lib/ocf,
// and says so.
func ocfValidateUnregistered(c *call) error {
	name, _, _ := strings.Cut(c.typ, ":")
	_, name, _ = strings.Cut(name, ".")
	providers, _ := filepath.Glob("/usr/lib/ocf/resource.d/*")
	for _, p := range providers {
		agent, ok := strings.CutPrefix(name, filepath.Base(p)+"_")
		if !ok {
			continue
		}
		if (ocf.Agent{Provider: filepath.Base(p), Name: agent, Path: filepath.Join(p, agent)}).Installed() == nil {
			fmt.Fprintf(os.Stderr, "validate %s: type %s is not registered yet: checked only that its agent %s is installed\n", c.resource, c.typ, filepath.Join(p, agent))
			return nil
		}
	}
	return fmt.Errorf("type %s is not registered, and no OCF agent of that name is installed in /usr/lib/ocf/resource.d", c.typ)
}

// ocfUnique refuses a value of a unique parameter that another resource
// of the type already has (ocf.Unique), asking rgmd for the resources.
func ocfUnique(ctx context.Context, c *call) error {
	if !ocf.HasUnique(c.rt) {
		return nil
	}
	cl := &client.Client{}
	defer cl.Close()
	var all []model.Resource
	if err := cl.Call(ctx, wire.OpRSList, nil, &all); err != nil {
		return fmt.Errorf("listing resources: %w", err)
	}
	return ocf.Unique(ocf.Instance{Resource: c.resource, Type: c.rt, Ext: c.ext}, all)
}
