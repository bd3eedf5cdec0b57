// Package admcmd is the rgmadm command as a library: the administrator's
// view of rgmd, with an object-verb grammar in the spirit of Solaris
// Cluster's clresourcetype, clresourcegroup and clresource. Keeping it out
// of package main lets tests run every command in-process against a fake
// daemon.
package admcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/mattn/go-isatty"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/client/remote"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Version is rgmadm's release, set at link time with
// -ldflags "-X github.com/openrgm/openrgm/pkg/admcmd.Version=...". When
// empty, --version falls back to the module version in the build info.
var Version = ""

// Caller is what rgmadm needs of a daemon connection; *client.Client is
// one. Call returns a *scha.Error for anything the daemon refused and for
// connection failures.
type Caller interface {
	Call(ctx context.Context, op string, args, out any) error
}

// Env is everything a run of rgmadm depends on besides its arguments, so
// tests can supply each piece.
type Env struct {
	// Connect returns the daemon connection for a socket path; "" means the
	// default (RGM_SOCKET, else pkg/paths). Required. It is called only
	// when a command needs the daemon, so --help and usage errors never
	// dial.
	Connect func(socket string) Caller

	// ConnectRemote returns the connection to rgmd's remote API at
	// servers (tried in turn) with the credential file cred, for
	// --server. Optional: nil refuses --server.
	ConnectRemote func(servers []string, cred string) (Caller, error)

	// Stdout and Stderr receive output and diagnostics. Required.
	Stdout, Stderr io.Writer

	// IsTTY says stdout is a terminal: `list` then prints a table instead
	// of bare names, and states are coloured unless NoColor is set.
	IsTTY bool

	// NoColor turns colour off even on a terminal (NO_COLOR, TERM=dumb).
	NoColor bool
}

// Main runs rgmadm with args (without the program name) and returns the
// exit status: 0, or the numeric scha_err_t of the failure.
func Main(args []string, stdout, stderr io.Writer) int {
	env := &Env{
		Connect: func(socket string) Caller { return &client.Client{Socket: socket, Blocking: true} },
		ConnectRemote: func(servers []string, cred string) (Caller, error) {
			return remote.New(servers, cred)
		},
		Stdout: stdout,
		Stderr: stderr,
		IsTTY:  isTerminal(stdout),
		// https://no-color.org; a dumb terminal shows escapes as junk.
		NoColor: os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb",
	}
	return Run(context.Background(), env, args...)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Run is Main with its environment spelled out. It prints any error as one
// line on env.Stderr and returns its scha code.
func Run(ctx context.Context, env *Env, args ...string) int {
	inv := &invocation{ctx: ctx, env: env}
	err := inv.run(args)
	if c, ok := inv.caller.(io.Closer); ok {
		c.Close()
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(env.Stderr, "rgmadm: "+oneLine(errorText(err)))
	return int(scha.CodeOf(err))
}

// errorText is "<strerror>: <detail>" for every error, so that a message
// always names its code the same way whatever produced it.
func errorText(err error) string {
	var se *scha.Error
	if errors.As(err, &se) {
		return se.Error()
	}
	return (&scha.Error{Code: scha.ErrInternal, Detail: err.Error()}).Error()
}

// oneLine keeps a diagnostic on one line: the daemon may return several
// problems (an RTR file's errors, say) separated by newlines.
func oneLine(s string) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// usageError is a mistake on the command line: SCHA_ERR_INVAL, as
// Solaris Cluster's commands exit for bad operands.
func usageError(format string, args ...any) error {
	return scha.Errorf(scha.ErrInval, format, args...)
}

func versionString() string {
	v := Version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return fmt.Sprintf("rgmadm (OpenRGM) %s, protocol %d", v, wire.ProtocolVersion)
}
