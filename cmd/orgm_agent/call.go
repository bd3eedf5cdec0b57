package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/methods"
	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/ocf"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// kinds maps a link's prefix to its type's implementation.
var kinds = map[string]kind{
	"gds":      gdsKind{},
	"hostname": hostnameKind{},
	"hasp":     haspKind{},
	"ocf":      ocfKind{},
}

// kind is one shipped type: its methods, and one round of its fault
// monitor.
type kind interface {
	// method runs a callback method; it returns errUnknownMethod for a
	// method the type does not have.
	method(ctx context.Context, c *call) error
	// probe checks the resource once: nil when healthy, a *faultmon.Failure
	// otherwise.
	probe(ctx context.Context, c *call) error
}

var errUnknownMethod = errors.New("unknown method")

// methods every kind may be called with.
var methodNames = []string{"start", "stop", "validate", "update", "prenet_start", "postnet_stop",
	"monitor_start", "monitor_stop", "monitor_check", "probe", "probe-loop"}

// methodOf finds the kind and method in argv: from the program's name
// (KIND_METHOD), or from its first two arguments when called by its own
// name.
func methodOf(argv []string) (string, string, []string, error) {
	if len(argv) == 0 {
		return "", "", nil, errors.New("orgm_agent: no arguments")
	}
	name := filepath.Base(argv[0])
	args := argv[1:]
	kindName, method, ok := strings.Cut(name, "_")
	if _, known := kinds[kindName]; !ok || !known {
		if len(args) < 2 {
			return "", "", nil, fmt.Errorf("usage: orgm_agent gds|hostname|hasp|ocf METHOD -R resource -T type -G group")
		}
		kindName, method, args = args[0], args[1], args[2:]
		if _, known := kinds[kindName]; !known {
			return "", "", nil, fmt.Errorf("orgm_agent: unknown type %q (want gds, hostname, hasp or ocf)", kindName)
		}
	}
	method = strings.ToLower(method)
	for _, m := range methodNames {
		if m == method {
			return kindName, method, args, nil
		}
	}
	return "", "", nil, fmt.Errorf("orgm_agent: unknown method %q (want one of %s)", method, strings.Join(methodNames, ", "))
}

// call is one method call: METHOD -R r -T t -G g, and for Validate -c|-u
// with -r/-x/-g name=value.
type call struct {
	kind                         kind
	kindName                     string
	method, resource, typ, group string
	creating                     bool              // Validate -c
	args                         []string          // as given, for Validate_command
	rArgs, xArgs                 map[string]string // -r, -x; lower-case names

	// Loaded by load(). rt is nil in a Validate of a type not yet
	// registered (rgmadm import).
	rt    *model.ResourceType
	res   *model.Resource // nil while Validate -c runs
	props map[string]string
	ext   map[string]string
}

func parseArgs(kindName, method string, args []string) (*call, error) {
	a, err := methods.ParseArgs(args)
	if err != nil {
		return nil, err
	}
	if a.Resource == "" || a.Group == "" || a.Type == "" {
		return nil, errors.New("-R resource, -T type and -G group are required")
	}
	return &call{kind: kinds[kindName], kindName: kindName, method: method, args: args,
		resource: a.Resource, typ: a.Type, group: a.Group, creating: a.Creating, rArgs: a.R, xArgs: a.X}, nil
}

func (c *call) run(ctx context.Context) error {
	switch c.method {
	case "monitor_start":
		return c.monitorStart(ctx)
	case "monitor_stop":
		return c.monitorStop(ctx)
	case "probe-loop":
		return c.probeLoop(ctx)
	case "probe":
		if err := c.load(ctx); err != nil {
			return err
		}
		return c.kind.probe(ctx, c)
	}
	if err := c.load(ctx); err != nil {
		return err
	}
	err := c.kind.method(ctx, c)
	if errors.Is(err, errUnknownMethod) {
		return fmt.Errorf("%s has no method %s", c.typ, c.method)
	}
	return err
}

// load reads the resource's type and properties from rgmd. Validate's
// -r and -x values take precedence: they are what the change would set,
// and at creation the resource does not exist yet.
func (c *call) load(ctx context.Context) error {
	// The two questions go together, on two connections.
	var r model.Resource
	var rerr error
	done := make(chan struct{})
	creating := c.method == "validate" && c.creating
	go func() {
		defer close(done)
		if creating {
			return
		}
		cl := &client.Client{}
		defer cl.Close()
		if err := cl.Call(ctx, wire.OpRSShow, &wire.NameArgs{Name: c.resource}, &r); err != nil {
			rerr = fmt.Errorf("reading resource %s: %w", c.resource, err)
		}
	}()
	cl := &client.Client{}
	defer cl.Close()
	var rt model.ResourceType
	err := cl.Call(ctx, wire.OpRTShow, &wire.NameArgs{Name: c.typ}, &rt)
	<-done
	if err != nil && creating && scha.CodeOf(err) == scha.ErrRT {
		// rgmadm import validates its resources before it registers
		// their types: Validate then has only its arguments, which at
		// creation hold every property.
		c.rt = nil
		c.props, c.ext = map[string]string{}, map[string]string{}
		for k, v := range c.rArgs {
			c.props[k] = v
		}
		for k, v := range c.xArgs {
			c.ext[k] = v
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading type %s: %w", c.typ, err)
	}
	if rerr != nil {
		return rerr
	}
	c.rt = &rt
	if !creating {
		c.res = &r
	}
	c.props, c.ext = ocf.Props(&rt, c.res)
	for k, v := range c.rArgs {
		c.props[k] = v
	}
	for k, v := range c.xArgs {
		c.ext[k] = v
	}
	return nil
}

// x returns an extension property's value.
func (c *call) x(name string) string { return c.ext[strings.ToLower(name)] }

// xList returns a STRINGARRAY extension property's elements.
func (c *call) xList(name string) []string { return splitList(c.x(name)) }

func splitList(v string) []string {
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// xInt returns an INT extension property, def when unset or not a number.
func (c *call) xInt(name string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(c.x(name))); err == nil {
		return n
	}
	return def
}

// xBool returns a BOOLEAN extension property.
func (c *call) xBool(name string) bool { return strings.EqualFold(c.x(name), "TRUE") }

// pInt returns a standard resource property as a number, def when unset.
func (c *call) pInt(name string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(c.props[strings.ToLower(name)])); err == nil {
		return n
	}
	return def
}

// timeout is the resource's <method>_timeout.
func (c *call) timeout(method string) time.Duration {
	return time.Duration(c.pInt(method+"_timeout", 300)) * time.Second
}

// tag is the pmfadm name tag of the resource's process tree of the given
// kind (svc or mon), as the DSDL names them: group,resource,0.kind.
func (c *call) tag(kind string) string {
	return c.group + "," + c.resource + ",0." + kind
}

// output runs a program and returns its standard output; the error
// carries its standard error's last line.
func output(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if env != nil {
		cmd.Env = env
	}
	err := cmd.Run()
	if err != nil {
		msg := lastLine(errb.String())
		if msg == "" {
			msg = lastLine(out.String())
		}
		if msg != "" {
			err = fmt.Errorf("%s: %w: %s", name, err, msg)
		} else {
			err = fmt.Errorf("%s: %w", name, err)
		}
	}
	return out.String(), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// exitCode returns the exit status in err from exec, -1 if it is not one.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// setStatus reports the resource's status, as scha_resource_setstatus.
func (c *call) setStatus(ctx context.Context, status, msg string) {
	cl := &client.Client{}
	defer cl.Close()
	if err := cl.Call(ctx, wire.OpSetStatus, wire.SetStatusArgs{Resource: c.resource, Group: c.group, Status: status, Message: &msg}, nil); err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: setting status %s: %v\n", c.method, c.resource, status, err)
	}
}

// control is scha_control on the resource.
func (c *call) control(ctx context.Context, tag string) error {
	cl := &client.Client{}
	defer cl.Close()
	return cl.Call(ctx, wire.OpControl, wire.ControlArgs{Tag: tag, Resource: c.resource, Group: c.group}, nil)
}

// get is one scha query about the resource.
func (c *call) get(ctx context.Context, tag string, operands ...string) (string, error) {
	cl := &client.Client{}
	defer cl.Close()
	rep, err := cl.Get(ctx, wire.GetArgs{Kind: wire.KindResource, Name: c.resource, Group: c.group, Tag: tag, Operands: operands})
	if err != nil {
		return "", err
	}
	if len(rep.Values) == 0 {
		return "", nil
	}
	return rep.Values[len(rep.Values)-1], nil
}
