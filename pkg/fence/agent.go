package fence

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/execfile"
)

// DefaultAgentTimeout is an Agent's Timeout when it is zero: Pacemaker's
// default stonith-timeout.
const DefaultAgentTimeout = 60 * time.Second

// agentDirs are searched after PATH for an agent named without a slash:
// Debian's fence-agents install into /usr/sbin, which a normal user's
// PATH may lack.
var agentDirs = []string{"/usr/sbin", "/usr/local/sbin", "/sbin"}

// maxAgentOutput caps what is kept of an agent's stdout and stderr (the
// largest is metadata, some tens of KiB).
const maxAgentOutput = 256 << 10

// Exit statuses of an agent's status action, Pacemaker's convention.
const (
	statusOn  = 0
	statusOff = 2
)

// Agent is a fence agent of Pacemaker's kind (Debian's fence-agents:
// fence_ipmilan, fence_virsh, fence_dummy, ...), run as Pacemaker's
// fenced runs it: no arguments, key=value lines on stdin (action=...,
// nodename= and plug= naming the node, then the device's parameters),
// exit 0 for success, and for status 0 = on, 2 = off. The zero Timeout
// is DefaultAgentTimeout. Agent values are not modified by its methods.
type Agent struct {
	// Name is a command named fence_* found in PATH, /usr/sbin,
	// /usr/local/sbin or /sbin, or an absolute path. When the caller is
	// root the file, its directories and a script's interpreter must be
	// root's and writable by nobody else, as for methods (pkg/execfile).
	Name string
	// Params are the device's parameters, sent as they are, but for
	// Pacemaker's own: pcmk_host_map ("node:plug;node:plug") gives the
	// plug for each node (the node's name by default), and
	// pcmk_host_argument the key that carries it ("plug" by default;
	// "none" sends none). A "plug" or "port" parameter names one
	// machine, for a device configured per node, and is sent instead.
	Params map[string]string
	// Timeout bounds a whole operation: Fence's off and its status
	// confirmation together. At the end the agent's process group is
	// killed.
	Timeout time.Duration
}

// Power is a machine's power state as an agent reports it.
type Power int

const (
	PowerUnknown Power = iota
	PowerOn
	PowerOff
)

func (p Power) String() string {
	switch p {
	case PowerOn:
		return "on"
	case PowerOff:
		return "off"
	}
	return "unknown"
}

// AgentError is an agent that ran and failed: its action, how it ended
// and what it printed.
type AgentError struct {
	Agent, Action, Node string
	Exit                int    // -1: killed (timeout or cancellation)
	Output              string // the end of its stdout and stderr
	TimedOut            bool
}

func (e *AgentError) Error() string {
	what := fmt.Sprintf("fence agent %s, action %s", e.Agent, e.Action)
	if e.Node != "" {
		what += " for node " + e.Node
	}
	how := fmt.Sprintf("exited %d", e.Exit)
	if e.TimedOut {
		how = "timed out; its process group was killed"
	} else if e.Exit < 0 {
		how = "was killed"
	}
	out := strings.TrimSpace(e.Output)
	if out == "" {
		return what + ": " + how + ", printing nothing"
	}
	if len(out) > 2000 {
		out = "..." + out[len(out)-2000:]
	}
	return what + ": " + how + ": " + out
}

// Check finds the agent and checks it may be run (ownership rules when
// the caller is root), so that a configuration naming a missing or unsafe
// agent is refused when it is made, not when a node must be fenced.
func (a Agent) Check() error {
	p, err := a.open()
	if err != nil {
		return err
	}
	p.Close()
	return nil
}

func (a Agent) open() (*execfile.Program, error) {
	name := a.Name
	switch {
	case name == "":
		return nil, errors.New("fence agent: no agent named")
	case strings.Contains(name, "/") && !filepath.IsAbs(name):
		return nil, fmt.Errorf("fence agent %q: a path must be absolute", name)
	case !strings.Contains(name, "/") && !strings.HasPrefix(name, "fence_"):
		return nil, fmt.Errorf("fence agent %q: an agent found by name is called fence_*; give an absolute path for another", name)
	}
	search := strings.Join(append([]string{os.Getenv("PATH")}, agentDirs...), string(os.PathListSeparator))
	p, err := execfile.Open(name, search, execfile.Strict())
	if err != nil {
		return nil, fmt.Errorf("fence agent: %w", err)
	}
	return p, nil
}

// stdin returns the agent's input for action on node ("" for none).
func (a Agent) stdin(action, node string) (string, error) {
	var b strings.Builder
	line := func(k, v string) error {
		if strings.ContainsAny(k, "=\n\r\x00") || k == "" || strings.ContainsAny(v, "\n\r\x00") {
			return fmt.Errorf("fence agent %s: parameter %q: a key may not hold '=' or a line break, a value no line break", a.Name, k)
		}
		b.WriteString(k + "=" + v + "\n")
		return nil
	}
	line("action", action)
	keys := make([]string, 0, len(a.Params))
	for k := range a.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	hostArg := "plug"
	if v, ok := a.Params["pcmk_host_argument"]; ok {
		hostArg = v
	}
	if node != "" {
		if err := line("nodename", node); err != nil {
			return "", err
		}
		_, plugSet := a.Params["plug"]
		_, portSet := a.Params["port"]
		if hostArg != "none" && !plugSet && !portSet {
			plug := node
			if m, ok := a.Params["pcmk_host_map"]; ok {
				if p, ok := hostMap(m)[node]; ok {
					plug = p
				}
			}
			if err := line(hostArg, plug); err != nil {
				return "", err
			}
		}
	}
	for _, k := range keys {
		switch {
		case k == "action" || k == "nodename":
			return "", fmt.Errorf("fence agent %s: parameter %q is set by OpenRGM, not by the configuration", a.Name, k)
		case strings.HasPrefix(k, "pcmk_"):
			continue // Pacemaker's, not the agent's
		}
		if err := line(k, a.Params[k]); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// hostMap parses pcmk_host_map: "node:plug" (or "node=plug") pairs
// separated by ';' or white space.
func hostMap(s string) map[string]string {
	m := map[string]string{}
	for _, pair := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == '\n' }) {
		i := strings.IndexAny(pair, ":=")
		if i > 0 {
			m[pair[:i]] = pair[i+1:]
		}
	}
	return m
}

// cappedBuffer keeps the first maxAgentOutput bytes written.
type cappedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := maxAgentOutput - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *cappedBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// run runs the agent once, in a process group of its own, killed when
// ctx ends. It returns the exit status and the output (stdout, then
// stderr); a start failure is an error, an exit status is not.
func (a Agent) run(ctx context.Context, args []string, input string) (exit int, stdout, stderr string, err error) {
	if err := ctx.Err(); err != nil {
		return -1, "", "", err
	}
	prog, err := a.open()
	if err != nil {
		return -1, "", "", err
	}
	defer prog.Close()
	var out, errb cappedBuffer
	mk := func(path string, argv []string) *exec.Cmd {
		return &exec.Cmd{
			Path:   path,
			Args:   argv,
			Env:    []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "HOME=/"},
			Dir:    "/",
			Stdin:  strings.NewReader(input),
			Stdout: &out,
			Stderr: &errb,
			// A process the agent left holding its output must not keep
			// the wait going once the agent has exited.
			WaitDelay:   time.Second,
			SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		}
	}
	cmd, err := prog.Start(args, 0, mk)
	if err != nil {
		return -1, "", "", fmt.Errorf("fence agent %s: cannot run it: %w", a.Name, err)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
		return -1, out.String(), errb.String(), ctx.Err()
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Exited() {
		return ws.ExitStatus(), out.String(), errb.String(), nil
	}
	if err != nil && cmd.ProcessState == nil {
		return -1, out.String(), errb.String(), err
	}
	return -1, out.String(), errb.String(), nil // killed by a signal
}

func (a Agent) timeout() time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	return DefaultAgentTimeout
}

// action runs one action and returns its exit status, or an *AgentError
// if it was killed.
func (a Agent) action(ctx context.Context, action, node string) (int, string, error) {
	in, err := a.stdin(action, node)
	if err != nil {
		return -1, "", err
	}
	exit, stdout, stderr, err := a.run(ctx, nil, in)
	output := joinOutput(stdout, stderr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return -1, output, &AgentError{Agent: a.Name, Action: action, Node: node, Exit: -1, Output: output, TimedOut: errors.Is(err, context.DeadlineExceeded)}
		}
		return -1, output, err
	}
	if exit < 0 {
		return -1, output, &AgentError{Agent: a.Name, Action: action, Node: node, Exit: -1, Output: output}
	}
	return exit, output, nil
}

func joinOutput(stdout, stderr string) string {
	stdout, stderr = strings.TrimSpace(stdout), strings.TrimSpace(stderr)
	switch {
	case stdout == "":
		return stderr
	case stderr == "":
		return stdout
	}
	return stdout + "\n" + stderr
}

// Status asks the agent whether node is powered on or off (action
// status: exit 0 on, 2 off, anything else an error saying what the agent
// printed), within the agent's Timeout.
func (a Agent) Status(ctx context.Context, node string) (Power, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout())
	defer cancel()
	return a.status(ctx, node)
}

func (a Agent) status(ctx context.Context, node string) (Power, error) {
	exit, out, err := a.action(ctx, "status", node)
	switch {
	case err != nil:
		return PowerUnknown, err
	case exit == statusOn:
		return PowerOn, nil
	case exit == statusOff:
		return PowerOff, nil
	}
	return PowerUnknown, &AgentError{Agent: a.Name, Action: "status", Node: node, Exit: exit, Output: out}
}

// Monitor checks that the fence device answers (action monitor, exit 0),
// within the agent's Timeout: what to ask when the device is configured,
// and now and then after, so that a broken device is known before a node
// must be fenced through it.
func (a Agent) Monitor(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.timeout())
	defer cancel()
	exit, out, err := a.action(ctx, "monitor", "")
	if err != nil {
		return err
	}
	if exit != 0 {
		return &AgentError{Agent: a.Name, Action: "monitor", Exit: exit, Output: out}
	}
	return nil
}

// Fence powers node off: action off, which must exit 0, then status
// until the agent says off (an agent whose metadata lists no status
// action is taken at its word when off exits 0), all within the agent's
// Timeout; the error says what the agent printed. The node is fenced
// only when Fence returns nil.
func (a Agent) Fence(ctx context.Context, node string) error {
	if node == "" {
		return errors.New("fence agent: no node to fence")
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout())
	defer cancel()
	exit, out, err := a.action(ctx, "off", node)
	if err != nil {
		return err
	}
	if exit != 0 {
		return &AgentError{Agent: a.Name, Action: "off", Node: node, Exit: exit, Output: out}
	}
	pause := 100 * time.Millisecond
	var last error
	checkedMetadata := false
	for {
		p, err := a.status(ctx, node)
		if p == PowerOff {
			return nil
		}
		switch {
		case ctx.Err() != nil:
			// The timeout ended this status: the last answer says more.
			if last == nil {
				last = err
			}
		case err != nil:
			if !checkedMetadata {
				checkedMetadata = true
				if md, merr := a.Metadata(ctx); merr == nil && !md.HasAction("status") {
					return nil // no status to ask: off's exit 0 is all there is
				}
			}
			last = err
		default:
			last = fmt.Errorf("fence agent %s still reports node %s %s after off", a.Name, node, p)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s not confirmed off within %v: %w", node, a.timeout(), last)
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
}

// AgentMetadata is what an agent's metadata says of it.
type AgentMetadata struct {
	Name       string
	ShortDesc  string
	LongDesc   string
	Parameters []AgentParameter
	Actions    []string
}

// AgentParameter is one parameter of an agent.
type AgentParameter struct {
	Name       string
	Required   bool
	Type       string // "string", "boolean", "integer", "second", "select"
	Default    string
	ShortDesc  string
	Deprecated bool
}

// HasAction reports whether the metadata lists action.
func (m *AgentMetadata) HasAction(action string) bool {
	for _, a := range m.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// Parameter returns the parameter named name, or nil.
func (m *AgentMetadata) Parameter(name string) *AgentParameter {
	for i := range m.Parameters {
		if m.Parameters[i].Name == name {
			return &m.Parameters[i]
		}
	}
	return nil
}

type xmlAgent struct {
	XMLName    xml.Name `xml:"resource-agent"`
	Name       string   `xml:"name,attr"`
	ShortDesc  string   `xml:"shortdesc,attr"`
	LongDesc   string   `xml:"longdesc"`
	Parameters []struct {
		Name       string `xml:"name,attr"`
		Required   string `xml:"required,attr"`
		Deprecated string `xml:"deprecated,attr"`
		Content    struct {
			Type    string `xml:"type,attr"`
			Default string `xml:"default,attr"`
		} `xml:"content"`
		ShortDesc []struct {
			Lang string `xml:"lang,attr"`
			Text string `xml:",chardata"`
		} `xml:"shortdesc"`
	} `xml:"parameters>parameter"`
	Actions []struct {
		Name string `xml:"name,attr"`
	} `xml:"actions>action"`
}

// ParseAgentMetadata parses the XML an agent prints for -o metadata.
func ParseAgentMetadata(b []byte) (*AgentMetadata, error) {
	var x xmlAgent
	if err := xml.Unmarshal(b, &x); err != nil {
		return nil, err
	}
	md := &AgentMetadata{Name: x.Name, ShortDesc: x.ShortDesc, LongDesc: strings.TrimSpace(x.LongDesc)}
	for _, p := range x.Parameters {
		ap := AgentParameter{Name: p.Name, Required: p.Required == "1", Type: p.Content.Type,
			Default: p.Content.Default, Deprecated: p.Deprecated == "1"}
		for _, d := range p.ShortDesc {
			if ap.ShortDesc == "" || d.Lang == "en" {
				ap.ShortDesc = strings.TrimSpace(d.Text)
			}
		}
		md.Parameters = append(md.Parameters, ap)
	}
	for _, a := range x.Actions {
		md.Actions = append(md.Actions, a.Name)
	}
	return md, nil
}

// Metadata runs the agent with -o metadata and parses what it prints.
func (a Agent) Metadata(ctx context.Context) (*AgentMetadata, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout())
	defer cancel()
	exit, stdout, stderr, err := a.run(ctx, []string{"-o", "metadata"}, "")
	if err != nil || exit != 0 {
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, &AgentError{Agent: a.Name, Action: "metadata", Exit: exit, Output: joinOutput(stdout, stderr), TimedOut: err != nil}
		}
		return nil, err
	}
	md, err := ParseAgentMetadata([]byte(stdout))
	if err != nil {
		return nil, fmt.Errorf("fence agent %s: metadata: %w (it printed %q)", a.Name, err, truncate(strings.TrimSpace(stdout+stderr), 500))
	}
	return md, nil
}
