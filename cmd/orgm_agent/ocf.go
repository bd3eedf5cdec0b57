package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/paths"
	"github.com/openrgm/openrgm/pkg/wire"
)

// ocfKind runs an OCF resource agent: the types `rgmadm rt import-ocf`
// registers (Vendor_id OCF, Resource_type PROVIDER_AGENT, RT_basedir the
// agent's directory OCF_ROOT/resource.d/PROVIDER). Each method calls the
// agent's action with the environment Pacemaker gives it, and maps its
// exit code to ours (ocfResult).
type ocfKind struct{}

// uniqueMark ends the DESCRIPTION of a property made from a parameter the
// agent declares unique="1": Validate then refuses a value another
// resource of the type has.
const uniqueMark = "[unique]"

// OCF exit codes (the OCF resource agent API, 1.1).
const (
	ocfSuccess         = 0
	ocfErrGeneric      = 1
	ocfErrArgs         = 2
	ocfErrUnimplement  = 3
	ocfErrPerm         = 4
	ocfErrInstalled    = 5
	ocfErrConfigured   = 6
	ocfNotRunning      = 7
	ocfRunningPromoted = 8
	ocfFailedPromoted  = 9
	ocfDegraded        = 190
	ocfDegradedPromo   = 191
)

var ocfCodeNames = map[int]string{
	ocfSuccess: "OCF_SUCCESS", ocfErrGeneric: "OCF_ERR_GENERIC", ocfErrArgs: "OCF_ERR_ARGS",
	ocfErrUnimplement: "OCF_ERR_UNIMPLEMENTED", ocfErrPerm: "OCF_ERR_PERM", ocfErrInstalled: "OCF_ERR_INSTALLED",
	ocfErrConfigured: "OCF_ERR_CONFIGURED", ocfNotRunning: "OCF_NOT_RUNNING", ocfRunningPromoted: "OCF_RUNNING_PROMOTED",
	ocfFailedPromoted: "OCF_FAILED_PROMOTED", ocfDegraded: "OCF_DEGRADED", ocfDegradedPromo: "OCF_DEGRADED_PROMOTED",
}

func ocfCodeName(code int) string {
	if n, ok := ocfCodeNames[code]; ok {
		return fmt.Sprintf("%d (%s)", code, n)
	}
	if code < 0 {
		return "no exit status (killed, or could not run)"
	}
	return strconv.Itoa(code)
}

// ocfAgent is the agent a type runs.
type ocfAgent struct {
	root, provider, name, path string
}

// agentOf finds the agent of the call's type: RT_basedir is
// OCF_ROOT/resource.d/PROVIDER, and the type's name OCF.PROVIDER_AGENT.
func agentOf(c *call) (ocfAgent, error) {
	base := c.rt.Props["RT_basedir"]
	provider := filepath.Base(base)
	if filepath.Base(filepath.Dir(base)) != "resource.d" {
		return ocfAgent{}, fmt.Errorf("type %s: RT_basedir %s is not an OCF_ROOT/resource.d/PROVIDER directory", c.typ, base)
	}
	name := c.rt.Name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	_, name, _ = strings.Cut(name, ".") // vendor
	agent, ok := strings.CutPrefix(name, provider+"_")
	if !ok || agent == "" {
		return ocfAgent{}, fmt.Errorf("type %s is not named OCF.%s_AGENT", c.typ, provider)
	}
	return ocfAgent{root: filepath.Dir(filepath.Dir(base)), provider: provider, name: agent, path: filepath.Join(base, agent)}, nil
}

func (ocfKind) method(ctx context.Context, c *call) error {
	if c.rt == nil {
		return ocfValidateUnregistered(c)
	}
	a, err := agentOf(c)
	if err != nil {
		return err
	}
	switch c.method {
	case "validate", "monitor_check":
		if st, err := os.Stat(a.path); err != nil || st.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("OCF agent %s:%s is not installed on this node (%s)", a.provider, a.name, a.path)
		}
		if c.method == "validate" {
			if err := ocfUnique(ctx, c); err != nil {
				return err
			}
		}
		code, msg := a.run(ctx, c, "validate-all", c.timeout("Validate"), 0)
		switch code {
		case ocfSuccess, ocfErrUnimplement:
			return nil
		}
		return fmt.Errorf("%s validate-all: %s%s", a.name, ocfMeaning(code), msg)
	case "start":
		code, msg := a.run(ctx, c, "start", c.timeout("Start"), 0)
		if code == ocfSuccess || code == ocfDegraded {
			return nil
		}
		return fmt.Errorf("%s start: %s%s", a.name, ocfMeaning(code), msg)
	case "stop":
		code, msg := a.run(ctx, c, "stop", c.timeout("Stop"), 0)
		if code == ocfSuccess || code == ocfNotRunning {
			return nil
		}
		return fmt.Errorf("%s stop: %s%s", a.name, ocfMeaning(code), msg)
	}
	return errUnknownMethod
}

// probe runs the agent's monitor within Probe_timeout (the agent's
// monitor timeout).
func (ocfKind) probe(ctx context.Context, c *call) error {
	a, err := agentOf(c)
	if err != nil {
		return failed("%v", err)
	}
	t := time.Duration(c.xInt("Probe_timeout", 20)) * time.Second
	interval := time.Duration(c.pInt("Thorough_probe_interval", 10)) * time.Second
	code, msg := a.run(ctx, c, "monitor", t, interval)
	switch code {
	case ocfSuccess, ocfRunningPromoted:
		return nil
	case ocfDegraded, ocfDegradedPromo:
		return &probeFailure{msg: a.name + " monitor: " + ocfMeaning(code) + msg, degraded: true}
	}
	return failed("%s monitor: %s%s", a.name, ocfMeaning(code), msg)
}

// ocfValidateUnregistered is Validate for a type not registered yet
// (rgmadm import registers types and creates resources in one change,
// after their Validate): without the type's RT_basedir and defaults it
// checks only that an agent of that name is installed in /usr/lib/ocf,
// and says so.
func ocfValidateUnregistered(c *call) error {
	name := c.typ
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	_, name, _ = strings.Cut(name, ".")
	providers, _ := filepath.Glob("/usr/lib/ocf/resource.d/*")
	for _, p := range providers {
		agent, ok := strings.CutPrefix(name, filepath.Base(p)+"_")
		if !ok {
			continue
		}
		if st, err := os.Stat(filepath.Join(p, agent)); err == nil && st.Mode().Perm()&0o111 != 0 {
			fmt.Fprintf(os.Stderr, "validate %s: type %s is not registered yet: checked only that its agent %s is installed\n", c.resource, c.typ, filepath.Join(p, agent))
			return nil
		}
	}
	return fmt.Errorf("type %s is not registered, and no OCF agent of that name is installed in /usr/lib/ocf/resource.d", c.typ)
}

// ocfMeaning says what an exit code means to the operator.
func ocfMeaning(code int) string {
	switch code {
	case ocfErrArgs:
		return "exit " + ocfCodeName(code) + ": the agent was called wrongly"
	case ocfErrPerm:
		return "exit " + ocfCodeName(code) + ": permission denied"
	case ocfErrInstalled:
		return "exit " + ocfCodeName(code) + ": something the agent needs is not installed on this node"
	case ocfErrConfigured:
		return "exit " + ocfCodeName(code) + ": the resource's parameters are wrong"
	case ocfNotRunning:
		return "exit " + ocfCodeName(code) + ": not running"
	}
	return "exit " + ocfCodeName(code)
}

// run runs one action of the agent with Pacemaker's environment, killed
// (its process group: SIGTERM, SIGKILL 2 s later) at timeout. It returns
// the exit code, -1 if there is none, and ": " plus the last line the
// agent printed, or "".
func (a ocfAgent) run(ctx context.Context, c *call, action string, timeout, interval time.Duration) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.path, action)
	cmd.Env = a.env(c, action, timeout, interval)
	cmd.Dir = "/"
	setGroup(cmd)
	// A file, not a pipe: a daemon the agent starts keeps its output
	// open, and must not hold the method up.
	f, ferr := os.CreateTemp("", "orgm-ocf-*.out")
	if ferr == nil {
		os.Remove(f.Name())
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}
	err := cmd.Run()
	var out []byte
	if ferr == nil {
		f.Seek(0, 0)
		out, _ = io.ReadAll(io.LimitReader(f, 1<<20))
	}
	if len(out) > 0 {
		os.Stderr.Write(out) // into rgmd's log, under the resource
	}
	code := exitCode(err)
	msg := ""
	if l := lastLine(string(out)); l != "" {
		msg = ": " + l
	}
	if ctx.Err() == context.DeadlineExceeded {
		return -1, fmt.Sprintf(": timed out after %s", timeout)
	}
	if code == -1 && err != nil {
		msg = ": " + err.Error()
	}
	return code, msg
}

// env is the environment Pacemaker gives an agent: OCF_ROOT,
// OCF_RA_VERSION_*, OCF_RESOURCE_INSTANCE, OCF_RESOURCE_TYPE,
// OCF_RESOURCE_PROVIDER, OCF_RESKEY_CRM_meta_timeout and _interval (ms),
// and OCF_RESKEY_NAME for every parameter whose value is not the
// parameter's default, so that the agent applies its own defaults (which
// may depend on the instance, as Dummy's state file does), as Pacemaker
// passes only the parameters an operator set.
func (a ocfAgent) env(c *call, action string, timeout, interval time.Duration) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/sbin:/usr/bin:/sbin:/bin"
	} else {
		path += ":/usr/sbin:/usr/bin:/sbin:/bin"
	}
	env := []string{
		"PATH=" + path,
		"LANG=C", "LC_ALL=C",
		"OCF_ROOT=" + a.root,
		"OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=1",
		"OCF_RESOURCE_INSTANCE=" + c.resource,
		"OCF_RESOURCE_TYPE=" + a.name,
		"OCF_RESOURCE_PROVIDER=" + a.provider,
		"OCF_RESKEY_CRM_meta_timeout=" + strconv.FormatInt(timeout.Milliseconds(), 10),
		"OCF_RESKEY_CRM_meta_interval=" + strconv.FormatInt(interval.Milliseconds(), 10),
		"OCF_CHECK_LEVEL=0",
	}
	if s := os.Getenv("RGM_SOCKET"); s != "" {
		env = append(env, "RGM_SOCKET="+s)
	}
	if tmp := rscTmp(); tmp != "" {
		env = append(env, "HA_RSCTMP="+tmp)
	}
	for _, d := range c.rt.Params {
		if !d.Extension || strings.EqualFold(d.Name, "Probe_timeout") {
			continue
		}
		v, ok := c.ext[strings.ToLower(d.Name)]
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

// rscTmp is the agents' run-time directory HA_RSCTMP: /run/resource-agents
// (the agents' own default) for root, made if missing; for another user,
// resource-agents beside rgmd's socket, since /run is root's.
func rscTmp() string {
	if os.Geteuid() == 0 {
		os.MkdirAll("/run/resource-agents", 0o755)
		return ""
	}
	dir := filepath.Join(filepath.Dir(paths.Socket()), "resource-agents")
	os.MkdirAll(dir, 0o700)
	return dir
}

// ocfUnique refuses a value of a unique parameter that another resource
// of the type already has.
func ocfUnique(ctx context.Context, c *call) error {
	var unique []model.PropDecl
	for _, d := range c.rt.Params {
		if d.Extension && strings.HasSuffix(d.Description, uniqueMark) {
			unique = append(unique, d)
		}
	}
	if len(unique) == 0 {
		return nil
	}
	cl := &client.Client{}
	defer cl.Close()
	var all []model.Resource
	if err := cl.Call(ctx, wire.OpRSList, nil, &all); err != nil {
		return fmt.Errorf("listing resources: %w", err)
	}
	for _, d := range unique {
		v := c.ext[strings.ToLower(d.Name)]
		if v == "" || (d.Default != nil && *d.Default == v) {
			continue // the agent's default, which it makes unique itself
		}
		for _, r := range all {
			if r.Name == c.resource || r.Type != c.rt.Name {
				continue
			}
			if r.Ext[d.Name] == v {
				return fmt.Errorf("parameter %s must be unique, and resource %s already has %s=%s", d.Name, r.Name, d.Name, v)
			}
		}
	}
	return nil
}
