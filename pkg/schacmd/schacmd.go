// Package schacmd implements the scha_* shell commands of the Resource
// Management API (scha_resource_get, scha_resourcetype_get,
// scha_resourcegroup_get, scha_cluster_get, scha_resource_setstatus and
// scha_control) as a library, so that tests run them in-process and each
// cmd/scha_*/main.go is a few lines.
//
// Data-service scripts call these commands in tight monitor loops and parse
// their output with awk, cut and read, so stdout carries exactly the
// scha_cmds(1HA) format and nothing else, and start-up must stay cheap:
// this package links only pkg/scha, pkg/wire, pkg/client, pkg/paths and the
// standard library (a test checks it), and parses its options by hand.
//
// Every command exits with the numeric scha_err_t of its result. On failure
// it prints one line to stderr,
//
//	<command>: <scha_strerror text>: <detail>
//
// followed, for a usage error, by a line "usage: <synopsis>".
package schacmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Client is what the commands need from rgmd; *client.Client implements it
// and tests use a fake. Errors are *scha.Error.
type Client interface {
	Get(ctx context.Context, a wire.GetArgs) (*wire.GetReply, error)
	Call(ctx context.Context, op string, args any, out any) error
}

// command is one scha_* command.
type command struct {
	name     string
	optstr   string // getopt option string
	required []byte // options that must be given
	synopsis string // for the usage line
	kind     string // query kind for the get commands
	run      func(*invocation) error
}

var commands = [...]command{
	{"scha_resource_get", "QO:R:G:Z:", []byte("OR"), "scha_resource_get [-Q] -O optag -R resource [-G group] [-Z zoneclustername] [operand ...]", scha.KindResource, runGet},
	{"scha_resourcetype_get", "O:T:Z:", []byte("OT"), "scha_resourcetype_get -O optag -T type [-Z zoneclustername]", scha.KindResourceType, runGet},
	{"scha_resourcegroup_get", "O:G:Z:", []byte("OG"), "scha_resourcegroup_get -O optag -G group [-Z zoneclustername] [operand ...]", scha.KindResourceGroup, runGet},
	{"scha_cluster_get", "O:Z:", []byte("O"), "scha_cluster_get -O optag [-Z zoneclustername] [operand ...]", scha.KindCluster, runGet},
	{"scha_resource_setstatus", "R:G:s:m:Z:", []byte("RGs"), "scha_resource_setstatus -R resource -G group -s status [-m message] [-Z zonename]", "", runSetStatus},
	{"scha_control", "O:R:G:Z:", []byte("ORG"), "scha_control -O tag -R resource -G group [-Z zonename]", "", runControl},
}

// invocation is one run of a command.
type invocation struct {
	cmd    *command
	args   *args
	client Client
	stdout io.Writer
	ctx    context.Context
}

// usageError is a mistake on the command line: SCHA_ERR_INVAL plus a usage
// line.
type usageError struct{ detail string }

func (e *usageError) Error() string { return e.detail }

func baseName(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// Run runs the command called name (a path is allowed: its last element
// counts) with args, talking to rgmd through c, and returns its exit status.
func Run(c Client, name string, args []string, stdout, stderr io.Writer) int {
	name = baseName(name)
	var cmd *command
	for i := range commands {
		if commands[i].name == name {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		return report(stderr, name, nil, scha.Errorf(scha.ErrInval, "unknown scha command %q", name))
	}
	a, err := parseArgs(cmd.optstr, args)
	if err == nil {
		for _, o := range cmd.required {
			if !a.has(o) {
				err = &usageError{fmt.Sprintf("option -%c is required", o)}
				break
			}
		}
	}
	if err != nil {
		return report(stderr, name, cmd, err)
	}
	inv := &invocation{cmd: cmd, args: a, client: c, stdout: stdout, ctx: context.Background()}
	return report(stderr, name, cmd, cmd.run(inv))
}

// report prints err the documented way and returns the exit status.
func report(stderr io.Writer, name string, cmd *command, err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		msg := name + ": " + scha.Strerror(scha.ErrInval) + ": " + oneLine(ue.detail) + "\n"
		if cmd != nil {
			msg += "usage: " + cmd.synopsis + "\n"
		}
		io.WriteString(stderr, msg)
		return int(scha.ErrInval)
	}
	code := scha.CodeOf(err)
	if code == scha.ErrNoErr {
		code = scha.ErrInternal
	}
	msg := name + ": " + scha.Strerror(code)
	if d := scha.DetailOf(err); d != "" {
		msg += ": " + oneLine(d)
	}
	io.WriteString(stderr, msg+"\n")
	return int(code)
}

// oneLine keeps a message on one line, so that a script's 2>&1 | tail -1
// still sees all of it.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}

// checkZone applies client.CheckZone to -Z.
func (inv *invocation) checkZone() error {
	z, _ := inv.args.get('Z')
	if client.LocalZone(z) {
		return nil // without converting the client to a Getter
	}
	return client.CheckZone(inv.ctx, inv.client, z)
}

func runGet(inv *invocation) error {
	a := inv.args
	optag, _ := a.get('O')
	tag, ok := scha.LookupTag(inv.cmd.kind, optag)
	if !ok {
		return scha.Errorf(scha.ErrTag, "unknown optag %q", optag)
	}
	if len(a.operands) != tag.Operands {
		switch tag.Operands {
		case 0:
			return &usageError{fmt.Sprintf("optag %s takes no operands, got %q", tag.Name, a.operands)}
		case 1:
			return &usageError{fmt.Sprintf("optag %s takes 1 operand, got %d", tag.Name, len(a.operands))}
		default:
			return &usageError{fmt.Sprintf("optag %s takes %d operands, got %d", tag.Name, tag.Operands, len(a.operands))}
		}
	}
	q := wire.GetArgs{Kind: inv.cmd.kind, Tag: tag.Name, Operands: a.operands}
	switch inv.cmd.kind {
	case scha.KindResource:
		q.Name, _ = a.get('R')
		q.Group, _ = a.get('G')
	case scha.KindResourceType:
		q.Name, _ = a.get('T')
	case scha.KindResourceGroup:
		q.Name, _ = a.get('G')
	}
	if err := inv.checkZone(); err != nil {
		return err
	}
	rep, err := inv.client.Get(inv.ctx, q)
	if err != nil {
		return err
	}
	typ := rep.Type
	if typ == "" {
		typ = tag.Type
	}
	values := rep.Values
	if inv.cmd.kind == scha.KindResource && strings.HasPrefix(tag.Name, "RESOURCE_DEPENDENCIES") && !a.has('Q') {
		values = scha.StripQualifiers(values)
	}
	return scha.FormatShell(inv.stdout, typ, rep.ExtType, values)
}

func runSetStatus(inv *invocation) error {
	a := inv.args
	if len(a.operands) != 0 {
		return &usageError{fmt.Sprintf("unexpected operand %q", a.operands[0])}
	}
	s, _ := a.get('s')
	status, ok := scha.LookupStatus(s)
	if !ok {
		return scha.Errorf(scha.ErrRStatus, "status %q is not one of OK, DEGRADED, FAULTED, UNKNOWN, OFFLINE", s)
	}
	if err := inv.checkZone(); err != nil {
		return err
	}
	sa := wire.SetStatusArgs{Status: status}
	sa.Resource, _ = a.get('R')
	sa.Group, _ = a.get('G')
	if m, ok := a.get('m'); ok {
		sa.Message = &m
	}
	return inv.client.Call(inv.ctx, wire.OpSetStatus, &sa, nil)
}

func runControl(inv *invocation) error {
	a := inv.args
	if len(a.operands) != 0 {
		return &usageError{fmt.Sprintf("unexpected operand %q", a.operands[0])}
	}
	t, _ := a.get('O')
	tag, ok := scha.LookupControlTag(t)
	if !ok {
		return scha.Errorf(scha.ErrTag, "unknown scha_control tag %q", t)
	}
	if err := inv.checkZone(); err != nil {
		return err
	}
	ca := wire.ControlArgs{Tag: tag}
	ca.Resource, _ = a.get('R')
	ca.Group, _ = a.get('G')
	return inv.client.Call(inv.ctx, wire.OpControl, &ca, nil)
}
