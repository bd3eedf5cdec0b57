package methods

import (
	"fmt"
	"sort"
	"strings"
)

// Argv returns the arguments (after the method path) of every method but
// Validate: -R resource -T type -G group.
func Argv(resource, typ, group string) []string {
	return []string{"-R", resource, "-T", typ, "-G", group}
}

// ValidateArgv returns Validate's arguments: -c (create) or -u (update),
// -R/-T/-G, then -r prop=val for each system resource property in r, -x for
// each extension property in x and -g for each resource group property in
// g. Each map is emitted sorted by property name so that the same request
// always produces the same command line, which keeps logs and tests stable.
func ValidateArgv(resource, typ, group string, create bool, r, x, g map[string]string) []string {
	mode := "-u"
	if create {
		mode = "-c"
	}
	args := append([]string{mode}, Argv(resource, typ, group)...)
	for _, set := range []struct {
		flag  string
		props map[string]string
	}{{"-r", r}, {"-x", x}, {"-g", g}} {
		names := make([]string, 0, len(set.props))
		for n := range set.props {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			args = append(args, set.flag, n+"="+set.props[n])
		}
	}
	return args
}

// Args is a method's command line as a callback program reads it: the
// inverse of Argv and ValidateArgv. Property names in R and X are lower
// case (they are case-insensitive); -g, -Z and -X are accepted and
// skipped.
type Args struct {
	Resource, Type, Group string
	Creating              bool              // Validate -c
	R, X                  map[string]string // -r, -x: name=value
}

// ParseArgs reads a method's arguments, refusing an unknown option or one
// without its value; the caller says which of -R/-T/-G it needs.
func ParseArgs(args []string) (Args, error) {
	a := Args{R: map[string]string{}, X: map[string]string{}}
	for i := 0; i < len(args); i++ {
		opt := args[i]
		switch opt {
		case "-c":
			a.Creating = true
			continue
		case "-u":
			continue
		case "-R", "-T", "-G", "-Z", "-r", "-x", "-g", "-X":
		default:
			return a, fmt.Errorf("unexpected argument %q", opt)
		}
		if i+1 >= len(args) {
			return a, fmt.Errorf("%s needs a value", opt)
		}
		i++
		v := args[i]
		switch opt {
		case "-R":
			a.Resource = v
		case "-T":
			a.Type = v
		case "-G":
			a.Group = v
		case "-r", "-x":
			k, val, _ := strings.Cut(v, "=")
			m := a.R
			if opt == "-x" {
				m = a.X
			}
			m[strings.ToLower(k)] = val
		}
	}
	return a, nil
}

// Env returns the environment a method runs with. Nothing of rgmd's own
// environment leaks through, so a method behaves the same whether rgmd was
// started by systemd, by hand or by a test:
//   - PATH puts binDir (where the scha_* commands are installed; omitted if
//     empty) first, then the usual system directories, so scripts find the
//     commands without absolute paths.
//   - RGM_SOCKET tells those commands which rgmd to ask (omitted if empty).
//   - LANG=C because agents parse the output of the tools they call, and
//     Solaris Cluster agents conventionally set it themselves.
//   - HOME=/ because a method is not a login session: it must not depend
//     on, or write into, the home directory of whoever started rgmd.
func Env(socket, binDir string) []string {
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	if binDir != "" {
		path = binDir + ":" + path
	}
	env := []string{"PATH=" + path}
	if socket != "" {
		env = append(env, "RGM_SOCKET="+socket)
	}
	return append(env, "LANG=C", "HOME=/")
}
