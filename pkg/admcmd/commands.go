package admcmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// object is a noun of the grammar: rt, rg, rs, or status (which takes no
// verb, so it is its own command).
type object struct {
	name    string
	aliases []string
	summary string
	verbs   []*verb // nil when self is set
	self    *verb   // the command run for an object without verbs
}

// verb is one command. Adding a command is adding one of these to its
// object's list: flags, operands and help all come from here.
type verb struct {
	name     string
	operands []string // positional arguments, each required, e.g. {"NAME"}
	// many: the last operand may be repeated, and "+" stands for every
	// object of the kind (operands.go).
	many     bool
	synopsis string // flags part of the usage line, e.g. "[-p PROP=VALUE]..."
	summary  string
	read     bool                             // a query: takes -o
	flags    func(fs *pflag.FlagSet, o *opts) // optional verb-specific flags
	run      func(inv *invocation, o *opts, operands []string) error

	// noPlus: the repeated operand has no "+" (the usage shows X...).
	noPlus bool
}

// opts holds every flag's value; each verb registers only those it takes.
type opts struct {
	socket  string
	servers []string // --server (remote.go)
	cred    string   // --cred
	output  string
	// outputSet records an explicit -o: `-o table` then asks for a table
	// even when stdout is not a terminal.
	outputSet bool
	help      bool
	props     []string // -p
	ext       []string // -x
	group     string   // -g
	typ       string   // -t
	node      string   // -n (rg switch)
	wait      bool     // --wait
	verbose   bool     // -v (show)
	disabled  bool     // -d (rs create)
	manage    bool     // -M (rg online)
	timeout   time.Duration
	ocfRoot   string // --ocf-root (rt import-ocf)
	dryRun    bool   // --print (rt import-ocf)
}

// objects is the grammar. Keep verbs in the order the help shows them.
var objects = []*object{
	{
		name: "rt", aliases: []string{"resourcetype"},
		summary: "resource types",
		verbs: []*verb{
			{name: "register", operands: []string{"FILE"}, summary: "Register the resource type described by the RTR file FILE, or the installed type named FILE (ORGM.gds, ...)", run: rtRegister},
			{name: "import-ocf", operands: []string{"PROVIDER:AGENT"}, synopsis: "[--ocf-root DIR] [--print]", summary: "Register the OCF resource agent PROVIDER:AGENT as the type OCF.PROVIDER_AGENT, made from its meta-data", flags: importOCFFlags, run: rtImportOCF},
			nameVerb("rt", "unregister", wire.OpRTUnregister, "Unregister resource types that no resource uses"),
			{name: "list", read: true, summary: "List resource types", run: rtList},
			{name: "show", operands: []string{"NAME"}, many: true, read: true, synopsis: "[-v]", summary: "Show resource types' properties and parameters", flags: verboseFlag, run: showVerb("rt", wire.OpRTShow, rtShow)},
		},
	},
	{
		name: "rg", aliases: []string{"resourcegroup"},
		summary: "resource groups",
		verbs: []*verb{
			{name: "create", operands: []string{"NAME"}, synopsis: "[-p PROP=VALUE]...", summary: "Create a resource group", flags: propFlag, run: rgCreate},
			nameVerb("rg", "delete", wire.OpRGDelete, "Delete resource groups that hold no resources"),
			{name: "set", operands: []string{"NAME"}, many: true, synopsis: "-p PROP[+-]=VALUE...", summary: "Change properties of resource groups", flags: editFlag, run: rgSet},
			{name: "list", read: true, summary: "List resource groups", run: rgList},
			{name: "show", operands: []string{"NAME"}, many: true, read: true, synopsis: "[-v]", summary: "Show resource groups' properties and state (-v: and their resources)", flags: verboseFlag, run: showVerb("rg", wire.OpRGShow, rgShow)},
		},
	},
	{
		name: "rs", aliases: []string{"resource"},
		summary: "resources",
		verbs: []*verb{
			{name: "create", operands: []string{"NAME"}, synopsis: "-g GROUP -t TYPE [-d] [-p PROP=VALUE]... [-x PROP=VALUE]...", summary: "Create a resource of type TYPE in group GROUP (-d: disabled)", flags: createRSFlags, run: rsCreate},
			nameVerb("rs", "delete", wire.OpRSDelete, "Delete resources"),
			{name: "set", operands: []string{"NAME"}, many: true, synopsis: "[-p PROP[+-]=VALUE]... [-x PROP[+-]=VALUE]...", summary: "Change standard (-p) or extension (-x) properties of resources", flags: rsEditFlags, run: rsSet},
			{name: "list", read: true, summary: "List resources", run: rsList},
			{name: "show", operands: []string{"NAME"}, many: true, read: true, synopsis: "[-v]", summary: "Show resources' properties and state (-v: and what each property accepts)", flags: verboseFlag, run: showVerb("rs", wire.OpRSShow, rsShow)},
		},
	},
	{
		name:    "status",
		summary: "state of every group and resource on this node",
		self:    &verb{name: "status", read: true, summary: "Show the state of every resource group and resource on this node", run: status},
	},
}

// nameVerb is a verb that sends only the name of each object it is given.
func nameVerb(kind, name, op, summary string) *verb {
	return &verb{
		name: name, operands: []string{"NAME"}, many: true, summary: summary,
		run: func(inv *invocation, _ *opts, operands []string) error {
			names, err := inv.expand(kind, operands)
			if err != nil {
				return err
			}
			return forEach(names, func(n string) error { return inv.call(op, &wire.NameArgs{Name: n}, nil) })
		},
	}
}

func verboseFlag(fs *pflag.FlagSet, o *opts) {
	boolFlag(fs, &o.verbose, "verbose", "v", "show more: a group's resources, what each property of a resource accepts, a type's full declarations")
}

func propFlag(fs *pflag.FlagSet, o *opts) {
	// StringArray, not StringSlice: a value may hold commas (arrays).
	fs.StringArrayVarP(&o.props, "property", "p", nil, "set standard property `PROP=VALUE` (repeatable; arrays comma-separated)")
}

// editFlag and rsEditFlags are the -p and -x of the set verbs, which also
// take PROP+=VALUE and PROP-=VALUE.
func editFlag(fs *pflag.FlagSet, o *opts) {
	fs.StringArrayVarP(&o.props, "property", "p", nil, "set standard property `PROP=VALUE`; PROP+=V and PROP-=V add and remove array elements (repeatable)")
}

func rsEditFlags(fs *pflag.FlagSet, o *opts) {
	editFlag(fs, o)
	fs.StringArrayVarP(&o.ext, "extension", "x", nil, "set extension property `PROP=VALUE`; += and -= as for -p (repeatable)")
}

func rsPropFlags(fs *pflag.FlagSet, o *opts) {
	propFlag(fs, o)
	fs.StringArrayVarP(&o.ext, "extension", "x", nil, "set extension property `PROP=VALUE` (repeatable)")
}

func createRSFlags(fs *pflag.FlagSet, o *opts) {
	fs.StringVarP(&o.group, "group", "g", "", "resource group `GROUP` to create the resource in (required)")
	fs.StringVarP(&o.typ, "type", "t", "", "resource type `TYPE` of the resource (required)")
	boolFlag(fs, &o.disabled, "disabled", "d", "create the resource disabled (it does not start when its group comes online)")
	rsPropFlags(fs, o)
}

// invocation is one run: the parsed command and its lazily opened
// connection.
type invocation struct {
	ctx      context.Context
	env      *Env
	socket   string
	servers  []string
	cred     string
	caller   Caller
	pingRepl *wire.PingReply
}

func (inv *invocation) call(op string, args, out any) error {
	if inv.caller == nil {
		c, err := inv.connect()
		if err != nil {
			return err
		}
		inv.caller = c
	}
	return inv.caller.Call(inv.ctx, op, args, out)
}

// localNode names the node rgmd runs on, for the STATE columns of list
// tables (per-node state is keyed by node name).
func (inv *invocation) localNode() (string, error) {
	if inv.pingRepl == nil {
		var p wire.PingReply
		if err := inv.call(wire.OpPing, nil, &p); err != nil {
			return "", err
		}
		inv.pingRepl = &p
	}
	return inv.pingRepl.Node, nil
}

func (inv *invocation) run(args []string) error {
	var o opts
	var version bool
	top := pflag.NewFlagSet("rgmadm", pflag.ContinueOnError)
	top.SetOutput(discard{})
	top.SetInterspersed(false) // flags after OBJECT belong to the verb
	globalFlags(top, &o)
	top.StringVarP(&o.output, "output", "o", "table", "output `FORMAT` of list, show and status: table or json")
	boolFlag(top, &version, "version", "", "print rgmadm's version and exit")
	if err := top.Parse(args); err != nil {
		return usageError("%v (see rgmadm --help)", err)
	}
	if version {
		fmt.Fprintln(inv.env.Stdout, versionString())
		return nil
	}
	rest := top.Args()
	if o.help {
		fmt.Fprint(inv.env.Stdout, topUsage())
		return nil
	}
	if len(rest) == 0 {
		return usageError("missing object; known objects: %s (see rgmadm --help)", objectNames())
	}
	if rest[0] == "help" {
		return inv.help(rest[1:])
	}
	obj := findObject(rest[0])
	if obj == nil {
		return usageError("unknown object %q; known objects: %s", rest[0], objectNames())
	}
	v := obj.self
	cmdName := obj.name
	rest = rest[1:]
	if v == nil {
		if len(rest) == 0 {
			return usageError("%s: missing verb; known verbs: %s", obj.name, verbNames(obj))
		}
		if rest[0] == "-h" || rest[0] == "--help" {
			fmt.Fprint(inv.env.Stdout, objectUsage(obj))
			return nil
		}
		if v = obj.verb(rest[0]); v == nil {
			return usageError("%s: unknown verb %q; known verbs: %s", obj.name, rest[0], verbNames(obj))
		}
		cmdName += " " + v.name
		rest = rest[1:]
	}

	fs := verbFlags(cmdName, v, &o)
	if err := fs.Parse(rest); err != nil {
		return usageError("%s: %v (see rgmadm %s --help)", cmdName, err, cmdName)
	}
	if o.help {
		fmt.Fprint(inv.env.Stdout, verbUsage(cmdName, v))
		return nil
	}
	o.outputSet = top.Changed("output") || fs.Changed("output")
	if top.Changed("output") && !v.read {
		return usageError("%s: -o applies only to list, show and status", cmdName)
	}
	if v.read && o.output != "table" && o.output != "json" {
		return usageError("%s: -o %q: want table or json", cmdName, o.output)
	}
	operands := fs.Args()
	if len(operands) < len(v.operands) {
		return usageError("%s: missing %s (see rgmadm %s --help)", cmdName, v.operands[len(operands)], cmdName)
	}
	if len(operands) > len(v.operands) && !v.many {
		return usageError("%s: unexpected argument %q", cmdName, operands[len(v.operands)])
	}
	inv.socket = o.socket
	inv.servers, inv.cred = o.servers, o.cred
	return v.run(inv, &o, operands)
}

// globalFlags are accepted both before OBJECT and after VERB, so an
// operator can append --socket to any command line. Defining a flag
// stores its default, so the default is the value already parsed.
func globalFlags(fs *pflag.FlagSet, o *opts) {
	fs.StringVar(&o.socket, "socket", o.socket, "`PATH` of rgmd's socket (default $RGM_SOCKET, else the standard location)")
	remoteFlags(fs, o) // remote.go
	boolFlag(fs, &o.help, "help", "h", "show help")
}

// boolFlag is BoolVarP without pflag 1.1's "[=true|false]" in the help.
func boolFlag(fs *pflag.FlagSet, p *bool, name, short, usage string) {
	fs.BoolFuncP(name, short, usage, func(s string) error {
		v, err := strconv.ParseBool(s)
		*p = v
		return err
	})
}

func verbFlags(cmdName string, v *verb, o *opts) *pflag.FlagSet {
	fs := pflag.NewFlagSet("rgmadm "+cmdName, pflag.ContinueOnError)
	fs.SetOutput(discard{})
	fs.SortFlags = false
	if v.flags != nil {
		v.flags(fs, o)
	}
	if v.read {
		fs.StringVarP(&o.output, "output", "o", o.output, "output `FORMAT`: table or json")
	}
	globalFlags(fs, o)
	return fs
}

func (inv *invocation) help(args []string) error {
	switch {
	case len(args) == 0:
		fmt.Fprint(inv.env.Stdout, topUsage())
		return nil
	case len(args) > 2:
		return usageError("help: unexpected argument %q", args[2])
	}
	obj := findObject(args[0])
	if obj == nil {
		return usageError("help: unknown object %q; known objects: %s", args[0], objectNames())
	}
	if obj.self != nil {
		if len(args) == 2 {
			return usageError("help: %s takes no verb", obj.name)
		}
		fmt.Fprint(inv.env.Stdout, verbUsage(obj.name, obj.self))
		return nil
	}
	if len(args) == 1 {
		fmt.Fprint(inv.env.Stdout, objectUsage(obj))
		return nil
	}
	v := obj.verb(args[1])
	if v == nil {
		return usageError("help: %s: unknown verb %q; known verbs: %s", obj.name, args[1], verbNames(obj))
	}
	fmt.Fprint(inv.env.Stdout, verbUsage(obj.name+" "+v.name, v))
	return nil
}

func findObject(name string) *object {
	for _, o := range objects {
		if o.name == name {
			return o
		}
		for _, a := range o.aliases {
			if a == name {
				return o
			}
		}
	}
	return nil
}

func (o *object) verb(name string) *verb {
	for _, v := range o.verbs {
		if v.name == name {
			return v
		}
	}
	return nil
}

func objectNames() string {
	var names []string
	for _, o := range objects {
		names = append(names, o.name)
	}
	return strings.Join(names, ", ")
}

func verbNames(o *object) string {
	var names []string
	for _, v := range o.verbs {
		names = append(names, v.name)
	}
	return strings.Join(names, ", ")
}

func usageLine(cmdName string, v *verb) string {
	parts := []string{"rgmadm", cmdName}
	parts = append(parts, v.operands...)
	switch {
	case v.many && v.noPlus:
		parts[len(parts)-1] += "..."
	case v.many:
		parts[len(parts)-1] = "{" + parts[len(parts)-1] + "...|+}"
	}
	if v.synopsis != "" {
		parts = append(parts, v.synopsis)
	}
	if v.read {
		parts = append(parts, "[-o table|json]")
	}
	return strings.Join(parts, " ")
}

func topUsage() string {
	var b strings.Builder
	b.WriteString("Usage: rgmadm [--socket PATH] OBJECT VERB [OPERAND...|+] [FLAGS]\n")
	b.WriteString("       rgmadm status [-o table|json]\n")
	b.WriteString("       rgmadm help [OBJECT [VERB]]\n\n")
	b.WriteString("Administer OpenRGM resource types, resource groups and resources through rgmd.\n\nObjects:\n")
	for _, o := range objects {
		name := o.name
		if len(o.aliases) > 0 {
			name += ", " + strings.Join(o.aliases, ", ")
		}
		what := o.summary
		if o.verbs != nil {
			what += ": " + verbNames(o)
		}
		fmt.Fprintf(&b, "  %-20s %s\n", name, what)
	}
	b.WriteString("\nGlobal flags:\n")
	b.WriteString("      --socket PATH     rgmd's socket (default $RGM_SOCKET, else the standard location)\n")
	b.WriteString("  -o, --output FORMAT   table (default) or json, for list, show and status\n")
	b.WriteString("      --version         print rgmadm's version\n")
	b.WriteString("  -h, --help            show help\n\n")
	b.WriteString("Run 'rgmadm OBJECT --help' for its verbs and 'rgmadm OBJECT VERB --help' for a verb's flags.\n")
	b.WriteString("The exit status is 0 or the scha_err_t number of the failure (3 for a usage error).\n")
	return b.String()
}

func objectUsage(o *object) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: rgmadm %s VERB [OPERAND] [FLAGS]\n\n", o.name)
	fmt.Fprintf(&b, "Manage %s.", o.summary)
	if len(o.aliases) > 0 {
		fmt.Fprintf(&b, " Also spelled %s.", strings.Join(o.aliases, ", "))
	}
	b.WriteString("\n\nVerbs:\n")
	for _, v := range o.verbs {
		fmt.Fprintf(&b, "  %s\n      %s\n", usageLine(o.name+" "+v.name, v), v.summary)
	}
	fmt.Fprintf(&b, "\nRun 'rgmadm %s VERB --help' for a verb's flags.\n", o.name)
	return b.String()
}

func verbUsage(cmdName string, v *verb) string {
	o := opts{output: "table"}
	fs := verbFlags(cmdName, v, &o)
	return fmt.Sprintf("Usage: %s\n\n%s.\n\nFlags:\n%s", usageLine(cmdName, v), v.summary, fs.FlagUsages())
}

// discard swallows pflag's own error printing: rgmadm reports flag errors
// itself, on one line with the right exit code.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// parseAssignments turns repeated -p/-x values into a map. A value is
// split at its first '=' so values may contain '='; property names are
// case-insensitive in the daemon, so "-p Foo=1 -p foo=2" is a duplicate,
// rejected rather than silently resolved.
func parseAssignments(flag string, vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(vals))
	seen := make(map[string]string, len(vals))
	for _, v := range vals {
		name, value, ok := strings.Cut(v, "=")
		if !ok {
			return nil, usageError("-%s %q: want PROPERTY=VALUE", flag, v)
		}
		if name == "" {
			return nil, usageError("-%s %q: empty property name", flag, v)
		}
		key := strings.ToLower(name)
		if prev, dup := seen[key]; dup {
			return nil, usageError("-%s: property %s given twice (%q and %q)", flag, name, prev, v)
		}
		seen[key] = v
		m[name] = value
	}
	return m, nil
}

// readRTR reads an RTR file for rgmd, which never opens paths on a
// client's behalf: its absolute path (the default RT_basedir) and text.
func readRTR(file string) (string, []byte, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", nil, scha.Errorf(scha.ErrInval, "RTR file %s: %v", file, err)
	}
	text, err := os.ReadFile(abs)
	if err != nil {
		// Say what failed without Go's "open /x/y:" prefix repeating the path.
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return "", nil, scha.Errorf(scha.ErrInval, "cannot read RTR file %s: %v", file, err)
	}
	return abs, text, nil
}

func rtRegister(inv *invocation, _ *opts, operands []string) error {
	file, err := registerOperand(operands[0])
	if err != nil {
		return err
	}
	abs, text, err := readRTR(file)
	if err != nil {
		return err
	}
	var rt model.ResourceType
	if err := inv.call(wire.OpRTRegister, &wire.RTRegisterArgs{Path: abs, Text: string(text)}, &rt); err != nil {
		return err
	}
	// The type's name comes from inside the file, so say what it is; one
	// bare line, so scripts can capture it.
	if rt.Name != "" {
		fmt.Fprintln(inv.env.Stdout, rt.Name)
	}
	return nil
}

func rgCreate(inv *invocation, o *opts, operands []string) error {
	props, err := parseAssignments("p", o.props)
	if err != nil {
		return err
	}
	return inv.call(wire.OpRGCreate, &wire.RGArgs{Name: operands[0], Props: props}, nil)
}

func rgSet(inv *invocation, o *opts, operands []string) error {
	edits, err := parseEdits("p", o.props)
	if err != nil {
		return err
	}
	if len(edits) == 0 {
		return usageError("rg set: nothing to set; give -p PROP=VALUE")
	}
	names, err := inv.expand("rg", operands)
	if err != nil {
		return err
	}
	return forEach(names, func(name string) error {
		var g model.ResourceGroup
		if hasArrayEdit(edits) {
			if err := inv.call(wire.OpRGShow, &wire.NameArgs{Name: name}, &g); err != nil {
				return err
			}
		}
		props, err := resolve(edits, func(n string) (model.PropDecl, string, bool) {
			d, ok := model.LookupRGProp(n)
			return d, g.Props[d.Name], ok
		})
		if err != nil {
			return err
		}
		return inv.call(wire.OpRGSet, &wire.RGArgs{Name: name, Props: props}, nil)
	})
}

func rsCreate(inv *invocation, o *opts, operands []string) error {
	if o.group == "" {
		return usageError("rs create: missing -g GROUP")
	}
	if o.typ == "" {
		return usageError("rs create: missing -t TYPE")
	}
	args, err := rsArgs(operands[0], o)
	if err != nil {
		return err
	}
	args.Group, args.Type = o.group, o.typ
	if o.disabled {
		// Created and disabled in one change, so that it never starts:
		// an import of one resource does that (config.go).
		r := wire.ConfigResource{Name: args.Name, Group: args.Group, Type: args.Type, Props: args.Props, Ext: args.Ext, Disabled: true}
		return inv.longCall(wire.OpConfigImport, &wire.ImportArgs{Token: newToken(), Final: true, Resources: []wire.ConfigResource{r}}, nil)
	}
	return inv.call(wire.OpRSCreate, args, nil)
}

func rsSet(inv *invocation, o *opts, operands []string) error {
	pe, err := parseEdits("p", o.props)
	if err != nil {
		return err
	}
	xe, err := parseEdits("x", o.ext)
	if err != nil {
		return err
	}
	if len(pe) == 0 && len(xe) == 0 {
		return usageError("rs set: nothing to set; give -p PROP=VALUE or -x PROP=VALUE")
	}
	names, err := inv.expand("rs", operands)
	if err != nil {
		return err
	}
	return forEach(names, func(name string) error {
		var r model.Resource
		var params []model.PropDecl
		if hasArrayEdit(pe, xe) {
			if err := inv.call(wire.OpRSShow, &wire.NameArgs{Name: name}, &r); err != nil {
				return err
			}
			var rt model.ResourceType
			if err := inv.call(wire.OpRTShow, &wire.NameArgs{Name: r.Type}, &rt); err != nil {
				return err
			}
			params = rt.EffectiveParams()
		}
		current := func(ext bool) func(string) (model.PropDecl, string, bool) {
			return func(n string) (model.PropDecl, string, bool) {
				for _, d := range params {
					if strings.EqualFold(d.Name, n) && (d.Extension || !ext) {
						if d.Extension {
							return d, r.Ext[d.Name], true
						}
						return d, r.Props[d.Name], true
					}
				}
				return model.PropDecl{}, "", false
			}
		}
		props, err := resolve(pe, current(false))
		if err != nil {
			return err
		}
		ext, err := resolve(xe, current(true))
		if err != nil {
			return err
		}
		return inv.call(wire.OpRSSet, &wire.RSArgs{Name: name, Props: props, Ext: ext}, nil)
	})
}

func rsArgs(name string, o *opts) (*wire.RSArgs, error) {
	props, err := parseAssignments("p", o.props)
	if err != nil {
		return nil, err
	}
	ext, err := parseAssignments("x", o.ext)
	if err != nil {
		return nil, err
	}
	return &wire.RSArgs{Name: name, Props: props, Ext: ext}, nil
}
