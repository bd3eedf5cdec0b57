package ocf

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
)

// The methods of an imported type, and the name of the shipped program
// that is each (callbacks/ocf/ocf_METHOD, links to orgm_agent).
var shipped = map[string]string{
	"Start": "ocf_start", "Stop": "ocf_stop", "Validate": "ocf_validate",
	"Monitor_start": "ocf_monitor_start", "Monitor_stop": "ocf_monitor_stop", "Monitor_check": "ocf_monitor_check",
}

// Programs are the orgm_agent programs installed with the rgmd whose
// executable is exe: in its directory (a build tree's bin), and in
// PREFIX/lib/openrgm/callbacks beside PREFIX/sbin (make install). Their
// ocf_* links are the methods a Runner runs itself (Runner.Handles).
func Programs(exe string) []string {
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	dir := filepath.Dir(exe)
	return []string{filepath.Join(dir, "orgm_agent"), filepath.Join(filepath.Dir(dir), "lib", "openrgm", "callbacks", "orgm_agent")}
}

// Node is what a Runner needs of rgmd: the resources' properties from its
// memory, and the internal paths of scha_resource_setstatus, scha_control
// and the NUM_RESOURCE_RESTARTS query, for the fault monitors.
type Node interface {
	// Lookup returns resource's group, type and properties as rgmd holds
	// them now; ok is false when the resource or its type is gone.
	Lookup(resource string) (c Call, ok bool)
	SetStatus(ctx context.Context, resource, group, status, msg string) error
	Restarts(ctx context.Context, resource, group string) (int, error)
	Control(ctx context.Context, resource, group, tag string) error
	// StopTree ends, with SIGKILL, a process monitor tag (pmfadm -k) if
	// it exists: the fault monitor an orgm_agent Monitor_start of the
	// resource left before rgmd ran its monitors itself.
	StopTree(ctx context.Context, tag string)
}

// Runner runs the methods of OCF types inside rgmd, as Pacemaker's execd
// does: the agent's action is executed directly, with Pacemaker's
// environment built from the properties rgmd holds, through the method
// runner (process group, timeout, output, tracker). Monitor_start starts
// a fault monitor goroutine (faultmon.Loop), Monitor_stop ends it.
type Runner struct {
	// Methods runs the agents' actions; required.
	Methods *methods.Runner
	// Env is the method environment (methods.Env): its PATH, RGM_SOCKET
	// and RGM_FENCE_TAG reach the agent.
	Env []string
	// Socket is rgmd's socket: HA_RSCTMP is beside it when rgmd is not
	// root (RscTmp, made at the first action).
	Socket string
	// Programs are the orgm_agent programs whose ocf_* links Handles
	// recognizes (Programs).
	Programs []string
	// Node is rgmd; required by Monitor_start.
	Node Node
	// Log is rgmd's logger, for the fault monitors' lines.
	Log *slog.Logger
	// Context ends every fault monitor when it ends (rgmd stops).
	Context context.Context

	mu       sync.Mutex
	monitors map[string]*monitor // resource → its fault monitor

	rscTmpOnce sync.Once
	rscTmp     string
}

// env is the agent's environment for one action (Agent.Env).
func (r *Runner) env(a Agent, in Instance, timeout, interval time.Duration) []string {
	r.rscTmpOnce.Do(func() { r.rscTmp = RscTmp(r.Socket) })
	return a.Env(r.Env, in, r.rscTmp, timeout, interval)
}

// Handles reports whether rgmd runs method of a type itself: the type's
// Vendor_id is OCF, and the method's file (path, resolved from
// RT_basedir) is the shipped program for it, a link named ocf_METHOD to
// one of r.Programs (the same file, followed through links). Any other
// file (a copy of the program, the programs of another installation)
// runs as a method of any other type does, and orgm_agent then does what
// rgmd would.
func (r *Runner) Handles(typeName, method, path string) bool {
	want, ok := shipped[method]
	if !ok || !strings.HasPrefix(typeName, "OCF.") || filepath.Base(path) != want {
		return false
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	for _, p := range r.Programs {
		if pi, err := os.Stat(p); err == nil && os.SameFile(fi, pi) {
			return true
		}
	}
	return false
}

// Call is one method call of a resource of an OCF type.
type Call struct {
	Method          string // Start, Stop, Validate, Monitor_start, Monitor_stop, Monitor_check
	Resource, Group string
	Type            *model.ResourceType
	// Res is the resource; for Validate, as the change would make it.
	Res *model.Resource
	// Others are the resources of the type, for Validate's unique check.
	Others []model.Resource
	// Timeout is the method's; the agent's action runs under it, and is
	// told it (OCF_RESKEY_CRM_meta_timeout).
	Timeout time.Duration
	// OnLine receives the agent's output, and the method's last words.
	OnLine func(stream, line string)
}

// Run runs one method and reports it as the method runner would a
// method's process: OK when the agent's exit code means success at that
// action (Check), else exit code 1 with the reason; Output ends with the
// line that says why, as orgm_agent's last line did.
func (r *Runner) Run(ctx context.Context, c Call) methods.Result {
	start := time.Now()
	res, err := r.run(ctx, c)
	if res.Duration == 0 {
		res.Duration = time.Since(start)
	}
	if err == nil {
		res.ExitCode, res.Signal, res.TimedOut, res.Canceled, res.Err = 0, 0, false, false, nil
		res.Reason = "exited 0"
		return res
	}
	line := fmt.Sprintf("%s %s: %v", strings.ToLower(c.Method), c.Resource, err)
	if c.OnLine != nil {
		c.OnLine("stderr", line)
	}
	if res.Output != "" && !strings.HasSuffix(res.Output, "\n") {
		res.Output += "\n"
	}
	res.Output += line + "\n"
	if !res.TimedOut && !res.Canceled {
		// The agent's exit code (or a check before it) fails the method,
		// as exit 1 of its program would.
		res.ExitCode, res.Signal, res.CoreDumped = 1, 0, false
		res.Reason = err.Error()
	}
	return res
}

func (r *Runner) run(ctx context.Context, c Call) (methods.Result, error) {
	none := methods.Result{ExitCode: -1}
	if c.Type == nil {
		return none, fmt.Errorf("resource %s: its type is not registered", c.Resource)
	}
	a, err := AgentOf(c.Type)
	if err != nil {
		return none, err
	}
	switch c.Method {
	case "Monitor_start":
		return none, r.startMonitor(c)
	case "Monitor_stop":
		r.stopMonitor(ctx, c)
		return none, nil
	}
	_, ext := Props(c.Type, c.Res)
	in := Instance{Resource: c.Resource, Type: c.Type, Ext: ext}
	action := ""
	switch c.Method {
	case "Validate", "Monitor_check":
		if err := a.Installed(); err != nil {
			return none, err
		}
		if c.Method == "Validate" {
			if err := Unique(in, c.Others); err != nil {
				return none, err
			}
		}
		action = "validate-all"
	case "Start":
		action = "start"
	case "Stop":
		action = "stop"
	default:
		return none, fmt.Errorf("%s has no method %s", c.Type.Name, c.Method)
	}
	code, msg, res := Run(ctx, r.Methods, Action{Agent: a, Name: action, Env: r.env(a, in, c.Timeout, 0),
		Timeout: c.Timeout, Label: c.Resource, OnLine: c.OnLine})
	if res.Err != nil {
		return res, fmt.Errorf("%s %s: %s", a.Name, action, res.Reason) // not run
	}
	return res, Check(a.Name, action, code, msg)
}
