package pmf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/getopt"
	"github.com/openrgm/openrgm/pkg/paths"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/signame"
	"github.com/openrgm/openrgm/pkg/wire"
)

// pmfadm's exit statuses (pmfadm(8)).
const (
	ExitOK       = 0 // done; -q: the nametag exists
	ExitNoTag    = 1 // no such nametag (-q: not monitored), or -c of a nametag that exists
	ExitUsage    = 2 // bad usage, or -h naming another node
	ExitAccess   = 3 // the nametag belongs to another user
	ExitTimeout  = 4 // -w: processes still running when the wait ended
	ExitNoExec   = 5 // -c: the command cannot be executed
	ExitInternal = 6 // rgmd unreachable, or another failure
)

// Caller is the part of client.Client that pmfadm uses; tests fake it.
type Caller interface {
	Call(ctx context.Context, op string, args any, out any) error
}

// Main is pmfadm's command line against the rgmd of paths.Socket(). It
// returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	c := &client.Client{Blocking: true}
	defer c.Close()
	return Run(c, args, stdout, stderr)
}

const usage = `usage: pmfadm -c nametag [-a action] [[-e VAR=value]... | -E] [-n retries] [-t period] [-C level] command [args...]
       pmfadm -k nametag [-w timeout] [signal]
       pmfadm -s nametag [-w timeout] [signal]
       pmfadm -m nametag [-n retries] [-t period]
       pmfadm -l nametag [-h host]
       pmfadm -L [-h host]
       pmfadm -q nametag [-h host]
`

// request is a parsed command line.
type request struct {
	mode    byte // c k s m l L q
	tag     string
	action  string
	env     []string
	fullEnv bool
	retries *int
	period  *int64 // milliseconds, -1 for unbounded
	level   int
	argv    []string
	wait    time.Duration
	signal  syscall.Signal
	host    string
}

// allowed lists the options each mode accepts besides itself.
var allowed = map[byte]string{
	'c': "aeEntC", 'k': "w", 's': "w", 'm': "nt", 'l': "h", 'L': "h", 'q': "h",
}

func parse(args []string) (*request, error) {
	opts, rest, err := getopt.Parse(args, "c:k:s:m:l:Lq:a:e:En:t:C:w:h:")
	if err != nil {
		return nil, err
	}
	r := &request{level: -1}
	for _, o := range opts {
		if strings.IndexByte("cksmlLq", o.Name) >= 0 {
			if r.mode != 0 {
				return nil, fmt.Errorf("-%c and -%c cannot be combined", r.mode, o.Name)
			}
			r.mode, r.tag = o.Name, o.Arg
			if o.Name != 'L' && (o.Arg == "" || strings.ContainsAny(o.Arg, " \t\n")) {
				return nil, fmt.Errorf("invalid nametag %q", o.Arg)
			}
		}
	}
	if r.mode == 0 {
		return nil, errors.New("one of -c, -k, -s, -m, -l, -L or -q is required")
	}
	seen := map[byte]bool{}
	for _, o := range opts {
		if o.Name == r.mode {
			continue
		}
		if strings.IndexByte(allowed[r.mode], o.Name) < 0 {
			return nil, fmt.Errorf("-%c cannot be used with -%c", o.Name, r.mode)
		}
		if seen[o.Name] && o.Name != 'e' {
			return nil, fmt.Errorf("-%c given twice", o.Name)
		}
		seen[o.Name] = true
		switch o.Name {
		case 'a':
			if strings.TrimSpace(o.Arg) == "" {
				return nil, errors.New("-a: empty action")
			}
			r.action = o.Arg
		case 'e':
			if k, _, ok := strings.Cut(o.Arg, "="); !ok || k == "" {
				return nil, fmt.Errorf("-e %q: want VAR=value", o.Arg)
			}
			r.env = append(r.env, o.Arg)
		case 'E':
			r.fullEnv = true
		case 'n':
			n, err := strconv.Atoi(o.Arg)
			if err != nil || n < -1 {
				return nil, fmt.Errorf("-n %q: want a number of retries, or -1 for no limit", o.Arg)
			}
			r.retries = &n
		case 't':
			ms, err := parsePeriod(o.Arg)
			if err != nil {
				return nil, err
			}
			r.period = &ms
		case 'C':
			n, err := strconv.Atoi(o.Arg)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("-C %q: want a fork depth, 0 or more", o.Arg)
			}
			r.level = n
		case 'w':
			f, err := strconv.ParseFloat(o.Arg, 64)
			if err != nil || f <= 0 || f > math.MaxInt32 || math.IsNaN(f) {
				return nil, fmt.Errorf("-w %q: want a timeout in seconds", o.Arg)
			}
			r.wait = time.Duration(f * float64(time.Second))
		case 'h':
			r.host = o.Arg
		}
	}
	if seen['e'] && r.fullEnv {
		return nil, errors.New("-e and -E cannot be combined")
	}
	switch r.mode {
	case 'c':
		if len(rest) == 0 {
			return nil, errors.New("-c: no command given")
		}
		r.argv = rest
	case 'k', 's':
		if len(rest) > 1 {
			return nil, fmt.Errorf("unexpected argument %q", rest[1])
		}
		if len(rest) == 1 {
			sig, err := signame.Parse(rest[0])
			if err != nil {
				return nil, err
			}
			r.signal = sig
		}
	case 'm':
		if len(rest) > 0 {
			return nil, fmt.Errorf("unexpected argument %q", rest[0])
		}
		if r.retries == nil && r.period == nil {
			return nil, errors.New("-m: give -n, -t or both")
		}
	default:
		if len(rest) > 0 {
			return nil, fmt.Errorf("unexpected argument %q", rest[0])
		}
	}
	return r, nil
}

// parsePeriod reads -t: minutes as Solaris counts them, -1 for an
// unbounded window, or (an OpenRGM extension) a number with the unit s, m
// or h. It returns milliseconds, -1 for unbounded.
func parsePeriod(s string) (int64, error) {
	bad := fmt.Errorf("-t %q: want a period in minutes (or with a unit: 30s, 5m, 1h), or -1 for no limit", s)
	if s == "-1" {
		return -1, nil
	}
	unit := time.Minute
	num := s
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 's':
			unit, num = time.Second, s[:n-1]
		case 'm':
			unit, num = time.Minute, s[:n-1]
		case 'h':
			unit, num = time.Hour, s[:n-1]
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f*float64(unit) > float64(math.MaxInt64/2) {
		return 0, bad
	}
	ms := int64(f * float64(unit) / float64(time.Millisecond))
	if ms < 1 {
		return 0, bad
	}
	return ms, nil
}

// Run runs pmfadm with args against c.
func Run(c Caller, args []string, stdout, stderr io.Writer) int {
	r, err := parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "pmfadm: %v\n%s", err, usage)
		return ExitUsage
	}
	ctx := context.Background()
	if r.host != "" {
		if code := checkHost(ctx, c, r.host, stderr); code != ExitOK {
			return code
		}
	}
	switch r.mode {
	case 'c':
		a := wire.PMFStartArgs{Tag: r.tag, Argv: r.argv, Env: environ(r), Action: r.action, Retries: 0, PeriodMS: -1, Level: r.level}
		a.Dir, _ = os.Getwd()
		if r.retries != nil {
			a.Retries = *r.retries
		}
		if r.period != nil {
			a.PeriodMS = *r.period
		}
		err = c.Call(ctx, wire.OpPMFStart, &a, nil)
	case 'k', 's':
		a := wire.PMFStopArgs{Tag: r.tag, Kill: r.mode == 'k', Signal: int(r.signal), WaitMS: r.wait.Milliseconds()}
		if r.wait > 0 {
			// The reply comes when the wait ends; give the socket call
			// room beyond it.
			if cl, ok := c.(*client.Client); ok {
				cl.Timeout = r.wait + client.DefaultTimeout
			}
		}
		err = c.Call(ctx, wire.OpPMFStop, &a, nil)
	case 'm':
		err = c.Call(ctx, wire.OpPMFModify, &wire.PMFModifyArgs{Tag: r.tag, Retries: r.retries, PeriodMS: r.period}, nil)
	case 'l', 'q':
		var info wire.PMFInfo
		err = c.Call(ctx, wire.OpPMFShow, &wire.PMFTagArgs{Tag: r.tag}, &info)
		if err == nil && r.mode == 'l' {
			io.WriteString(stdout, FormatInfo(&info))
		}
		if r.mode == 'q' && scha.CodeOf(err) == scha.ErrTag {
			return ExitNoTag // not monitored: the answer, not an error to print
		}
	case 'L':
		var rep wire.PMFListReply
		if err = c.Call(ctx, wire.OpPMFList, nil, &rep); err == nil {
			for _, t := range rep.Tags {
				fmt.Fprintln(stdout, t)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pmfadm: %v\n", err)
		return exitCode(err)
	}
	return ExitOK
}

// exitCode maps rgmd's answer to pmfadm's exit status.
func exitCode(err error) int {
	switch scha.CodeOf(err) {
	case scha.ErrNoErr:
		return ExitOK
	case scha.ErrTag, scha.ErrState:
		return ExitNoTag
	case scha.ErrInval:
		return ExitUsage
	case scha.ErrAccess:
		return ExitAccess
	case scha.ErrTimeout:
		return ExitTimeout
	case scha.ErrMethod:
		return ExitNoExec
	}
	return ExitInternal
}

// environ is the command's environment: without -E, only PATH and
// RGM_SOCKET (so that a monitor finds the scha_* commands and this rgmd),
// RGM_FENCE_TAG when pmfadm has it, plus the -e variables; with -E, all
// of pmfadm's.
func environ(r *request) []string {
	var env []string
	if r.fullEnv {
		env = os.Environ()
	} else if p, ok := os.LookupEnv("PATH"); ok {
		env = append(env, "PATH="+p)
	} else {
		env = append(env, "PATH=/usr/local/bin:/usr/bin:/bin")
	}
	if !hasVar(env, "RGM_SOCKET") {
		env = append(env, "RGM_SOCKET="+paths.Socket())
	}
	// The node's fence tag goes with the command even without -E: a tree
	// the process monitor runs for a resource is the resource's, and the
	// fencing guard finds it by that tag (rgmd(8), Fencing).
	if v, ok := os.LookupEnv("RGM_FENCE_TAG"); ok && !hasVar(env, "RGM_FENCE_TAG") {
		env = append(env, "RGM_FENCE_TAG="+v)
	}
	for _, kv := range r.env {
		k, _, _ := strings.Cut(kv, "=")
		env = setVar(env, k, kv)
	}
	return env
}

func hasVar(env []string, k string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			return true
		}
	}
	return false
}

func setVar(env []string, k, kv string) []string {
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// checkHost accepts -h naming this node: rgmd's node name, the machine's
// host name (short or full), or localhost. Only the local node's PMF is
// reachable.
func checkHost(ctx context.Context, c Caller, host string, stderr io.Writer) int {
	var ping wire.PingReply
	if err := c.Call(ctx, wire.OpPing, nil, &ping); err != nil {
		fmt.Fprintf(stderr, "pmfadm: %v\n", err)
		return exitCode(err)
	}
	local := []string{ping.Node, "localhost"}
	if h, err := os.Hostname(); err == nil {
		short, _, _ := strings.Cut(h, ".")
		local = append(local, h, short)
	}
	for _, l := range local {
		if l != "" && strings.EqualFold(host, l) {
			return ExitOK
		}
	}
	fmt.Fprintf(stderr, "pmfadm: -h %s: only the local node (%s) can be reached\n", host, ping.Node)
	return ExitUsage
}

// FormatInfo is pmfadm -l's output: one "key: value" line per field, in
// this order, always all of them.
func FormatInfo(in *wire.PMFInfo) string {
	var b strings.Builder
	w := func(k, v string) { fmt.Fprintf(&b, "%s: %s\n", k, v) }
	w("nametag", in.Tag)
	w("owner", fmt.Sprintf("%d:%d", in.UID, in.GID))
	w("state", in.State)
	w("command", shellJoin(in.Argv))
	w("directory", in.Dir)
	action := in.Action
	if action == "" {
		action = "none"
	}
	w("action", action)
	retries := strconv.Itoa(in.Retries)
	if in.Retries < 0 {
		retries = "unlimited"
	}
	w("retries", retries)
	period := "unlimited"
	if in.PeriodMS > 0 {
		period = strconv.FormatFloat(float64(in.PeriodMS)/1000, 'f', -1, 64) + "s"
	}
	w("period", period)
	w("failures", strconv.Itoa(in.Failures))
	level := "all"
	if in.Level >= 0 {
		level = strconv.Itoa(in.Level)
	}
	w("monitor children", level)
	label := in.Label
	if label == "" {
		label = "none"
	}
	w("resource", label)
	pids := make([]string, len(in.Pids))
	for i, p := range in.Pids {
		pids[i] = strconv.Itoa(p)
	}
	w("pids", strings.Join(pids, " "))
	return b.String()
}

// shellJoin quotes words that a shell would split or expand.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
