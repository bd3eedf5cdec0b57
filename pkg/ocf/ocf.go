// Package ocf runs OCF resource agents (Pacemaker's) as the methods of
// the types `rgmadm rt import-ocf` registers (ORGM.ocf(5)): where the
// agent is, the environment Pacemaker gives it, what its exit codes mean
// at each action, and the unique parameters. It is the one copy of that
// logic, for orgm_agent (cmd/orgm_agent) and for rgmd, which runs the
// methods of such types itself, as Pacemaker's execd does (Runner), and
// their fault monitors as goroutines (Monitors).
package ocf

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/faultmon"
	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
)

// UniqueMark ends the DESCRIPTION of a property made from a parameter the
// agent declares unique="1": Validate then refuses a value another
// resource of the type has.
const UniqueMark = "[unique]"

// OCF exit codes (the OCF resource agent API, 1.1).
const (
	Success         = 0
	ErrGeneric      = 1
	ErrArgs         = 2
	ErrUnimplement  = 3
	ErrPerm         = 4
	ErrInstalled    = 5
	ErrConfigured   = 6
	NotRunning      = 7
	RunningPromoted = 8
	FailedPromoted  = 9
	Degraded        = 190
	DegradedPromo   = 191
)

var codeNames = map[int]string{
	Success: "OCF_SUCCESS", ErrGeneric: "OCF_ERR_GENERIC", ErrArgs: "OCF_ERR_ARGS",
	ErrUnimplement: "OCF_ERR_UNIMPLEMENTED", ErrPerm: "OCF_ERR_PERM", ErrInstalled: "OCF_ERR_INSTALLED",
	ErrConfigured: "OCF_ERR_CONFIGURED", NotRunning: "OCF_NOT_RUNNING", RunningPromoted: "OCF_RUNNING_PROMOTED",
	FailedPromoted: "OCF_FAILED_PROMOTED", Degraded: "OCF_DEGRADED", DegradedPromo: "OCF_DEGRADED_PROMOTED",
}

// CodeName is "7 (OCF_NOT_RUNNING)" for 7.
func CodeName(code int) string {
	if n, ok := codeNames[code]; ok {
		return fmt.Sprintf("%d (%s)", code, n)
	}
	if code < 0 {
		return "no exit status (killed, or could not run)"
	}
	return strconv.Itoa(code)
}

// Meaning says what an exit code means to the operator.
func Meaning(code int) string {
	switch code {
	case ErrArgs:
		return "exit " + CodeName(code) + ": the agent was called wrongly"
	case ErrPerm:
		return "exit " + CodeName(code) + ": permission denied"
	case ErrInstalled:
		return "exit " + CodeName(code) + ": something the agent needs is not installed on this node"
	case ErrConfigured:
		return "exit " + CodeName(code) + ": the resource's parameters are wrong"
	case NotRunning:
		return "exit " + CodeName(code) + ": not running"
	}
	return "exit " + CodeName(code)
}

// Check maps the exit code of an action to the method's result (the
// table of ORGM.ocf(5)): nil for success, else an error naming the code,
// its meaning and msg (": " and the agent's last line, or ""). For
// monitor a failure is a *faultmon.Failure, Degraded for OCF_DEGRADED.
func Check(agent, action string, code int, msg string) error {
	ok := code == Success
	switch action {
	case "validate-all":
		ok = ok || code == ErrUnimplement
	case "start":
		ok = ok || code == Degraded
	case "stop":
		ok = ok || code == NotRunning
	case "monitor":
		switch code {
		case Success, RunningPromoted:
			return nil
		case Degraded, DegradedPromo:
			return &faultmon.Failure{Msg: agent + " monitor: " + Meaning(code) + msg, Degraded: true}
		}
		return faultmon.Failed("%s monitor: %s%s", agent, Meaning(code), msg)
	}
	if ok {
		return nil
	}
	return fmt.Errorf("%s %s: %s%s", agent, action, Meaning(code), msg)
}

// Agent is the agent a type runs.
type Agent struct {
	Root, Provider, Name, Path string
}

// AgentOf finds the agent of a type: RT_basedir is
// OCF_ROOT/resource.d/PROVIDER, and the type's name OCF.PROVIDER_AGENT
// (with or without :RT_version).
func AgentOf(rt *model.ResourceType) (Agent, error) {
	base := rt.Props["RT_basedir"]
	provider := filepath.Base(base)
	if filepath.Base(filepath.Dir(base)) != "resource.d" {
		return Agent{}, fmt.Errorf("type %s: RT_basedir %s is not an OCF_ROOT/resource.d/PROVIDER directory", rt.Name, base)
	}
	name, _, _ := strings.Cut(rt.Name, ":")
	_, name, _ = strings.Cut(name, ".") // vendor
	agent, ok := strings.CutPrefix(name, provider+"_")
	if !ok || agent == "" {
		return Agent{}, fmt.Errorf("type %s is not named OCF.%s_AGENT", rt.Name, provider)
	}
	return Agent{Root: filepath.Dir(filepath.Dir(base)), Provider: provider, Name: agent, Path: filepath.Join(base, agent)}, nil
}

// Installed fails when the agent is not an executable file on this node.
func (a Agent) Installed() error {
	if st, err := os.Stat(a.Path); err != nil || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("OCF agent %s:%s is not installed on this node (%s)", a.Provider, a.Name, a.Path)
	}
	return nil
}

// Props returns the properties of resource res of type rt, lower-case
// names: the type's defaults, then res's values (res is nil at a
// creation, whose values are all in Validate's arguments).
func Props(rt *model.ResourceType, res *model.Resource) (props, ext map[string]string) {
	props, ext = map[string]string{}, map[string]string{}
	for _, d := range rt.EffectiveParams() {
		if d.Default == nil {
			continue
		}
		if d.Extension {
			ext[strings.ToLower(d.Name)] = *d.Default
		} else {
			props[strings.ToLower(d.Name)] = *d.Default
		}
	}
	if res != nil {
		for k, v := range res.Props {
			props[strings.ToLower(k)] = v
		}
		for k, v := range res.Ext {
			ext[strings.ToLower(k)] = v
		}
	}
	return props, ext
}

// Instance is one resource of an OCF type, as an action sees it.
type Instance struct {
	Resource string
	Type     *model.ResourceType
	Ext      map[string]string // extension properties, lower-case names (Props)
}

// Env is the environment Pacemaker gives an agent: OCF_ROOT,
// OCF_RA_VERSION_*, OCF_RESOURCE_INSTANCE, OCF_RESOURCE_TYPE,
// OCF_RESOURCE_PROVIDER, OCF_RESKEY_CRM_meta_timeout and _interval (ms),
// OCF_CHECK_LEVEL=0, and OCF_RESKEY_NAME for every parameter whose value
// is not the parameter's default, so that the agent applies its own
// defaults (which may depend on the instance, as Dummy's state file
// does), as Pacemaker passes only the parameters an operator set. From
// base (the method environment) it keeps PATH (followed by the system
// directories), RGM_SOCKET and RGM_FENCE_TAG; rscTmp, when set, is
// HA_RSCTMP (RscTmp).
func (a Agent) Env(base []string, in Instance, rscTmp string, timeout, interval time.Duration) []string {
	var path string
	var keep []string
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH":
			path = v
		case "RGM_SOCKET", "RGM_FENCE_TAG":
			keep = append(keep, kv)
		}
	}
	if path == "" {
		path = "/usr/sbin:/usr/bin:/sbin:/bin"
	} else {
		path += ":/usr/sbin:/usr/bin:/sbin:/bin"
	}
	env := []string{
		"PATH=" + path,
		"LANG=C", "LC_ALL=C",
		"OCF_ROOT=" + a.Root,
		"OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=1",
		"OCF_RESOURCE_INSTANCE=" + in.Resource,
		"OCF_RESOURCE_TYPE=" + a.Name,
		"OCF_RESOURCE_PROVIDER=" + a.Provider,
		"OCF_RESKEY_CRM_meta_timeout=" + strconv.FormatInt(timeout.Milliseconds(), 10),
		"OCF_RESKEY_CRM_meta_interval=" + strconv.FormatInt(interval.Milliseconds(), 10),
		"OCF_CHECK_LEVEL=0",
	}
	env = append(env, keep...)
	if rscTmp != "" {
		env = append(env, "HA_RSCTMP="+rscTmp)
	}
	for _, d := range in.Type.Params {
		if !d.Extension || strings.EqualFold(d.Name, "Probe_timeout") {
			continue
		}
		v, ok := in.Ext[strings.ToLower(d.Name)]
		if !ok || (d.Default != nil && *d.Default == v) {
			continue
		}
		if d.Type == model.TypeBoolean {
			v = strings.ToLower(v) // OCF booleans are true/false
		}
		env = append(env, "OCF_RESKEY_"+d.Name+"="+v)
	}
	return env
}

// RscTmp is the agents' run-time directory HA_RSCTMP: /run/resource-agents
// (the agents' own default) for root, made if missing, and "" is returned
// (nothing to pass); for another user, resource-agents beside rgmd's
// socket, since /run is root's.
func RscTmp(socket string) string {
	if os.Geteuid() == 0 {
		os.MkdirAll("/run/resource-agents", 0o755)
		return ""
	}
	dir := filepath.Join(filepath.Dir(socket), "resource-agents")
	os.MkdirAll(dir, 0o700)
	return dir
}

// Unique refuses a value of a unique parameter of in that another
// resource of the type (in all) already has.
func Unique(in Instance, all []model.Resource) error {
	for _, d := range in.Type.Params {
		if !d.Extension || !strings.HasSuffix(d.Description, UniqueMark) {
			continue
		}
		v := in.Ext[strings.ToLower(d.Name)]
		if v == "" || (d.Default != nil && *d.Default == v) {
			continue // the agent's default, which it makes unique itself
		}
		for _, r := range all {
			if r.Name == in.Resource || r.Type != in.Type.Name {
				continue
			}
			if r.Ext[d.Name] == v {
				return fmt.Errorf("parameter %s must be unique, and resource %s already has %s=%s", d.Name, r.Name, d.Name, v)
			}
		}
	}
	return nil
}

// HasUnique reports whether the type has a unique parameter, for a
// caller that must ask for the other resources before Unique.
func HasUnique(rt *model.ResourceType) bool {
	for _, d := range rt.Params {
		if d.Extension && strings.HasSuffix(d.Description, UniqueMark) {
			return true
		}
	}
	return false
}

// Action is one run of an agent's action.
type Action struct {
	Agent   Agent
	Name    string // start, stop, monitor, validate-all
	Env     []string
	Timeout time.Duration
	// Label is the resource, for the method tracker (methods.Spec.Label).
	Label string
	// OnLine receives the agent's output, line by line.
	OnLine func(stream, line string)
	// KillOnCancel ends the action's process group with SIGKILL at once
	// when ctx ends (a fault monitor stopped halfway through a probe);
	// at the timeout it is SIGTERM, then SIGKILL.
	KillOnCancel bool
}

// Run runs the action through r (its own process group, in /, stdin from
// /dev/null, the file checked as every method is: pkg/execfile), killed
// at its timeout. It returns the exit code, -1 if there is none, ": "
// plus the agent's last line of output or why it has no exit code, and
// the runner's result.
func Run(ctx context.Context, r *methods.Runner, a Action) (int, string, methods.Result) {
	res := r.Run(ctx, methods.Spec{Path: a.Agent.Path, Args: []string{a.Name}, Env: a.Env, Timeout: a.Timeout,
		Label: a.Label, OnLine: a.OnLine, KillOnCancel: a.KillOnCancel})
	code := res.ExitCode
	if res.TimedOut || res.Canceled || res.Err != nil || res.Signal != 0 {
		code = -1
	}
	msg := ""
	if l := lastLine(res.Output); l != "" {
		msg = ": " + l
	}
	switch {
	case res.TimedOut:
		msg = fmt.Sprintf(": timed out after %s", a.Timeout)
	case code == -1:
		msg = ": " + res.Reason
	}
	return code, msg, res
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}
