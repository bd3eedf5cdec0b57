// Package syslogcmd is scds_syslog(1): the shell agents' logger, which
// formats a message printf-style and logs it with the cluster's syslog
// facility.
package syslogcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/getopt"
	"github.com/openrgm/openrgm/pkg/wire"
)

// DefaultFacility is LOG_DAEMON, used when rgmd cannot be asked.
const DefaultFacility = 24

const usage = "usage: scds_syslog -p priority -t tag -m format [args...]\n"

var levels = map[string]syslog.Priority{
	"emerg": syslog.LOG_EMERG, "panic": syslog.LOG_EMERG, "alert": syslog.LOG_ALERT,
	"crit": syslog.LOG_CRIT, "err": syslog.LOG_ERR, "error": syslog.LOG_ERR,
	"warning": syslog.LOG_WARNING, "warn": syslog.LOG_WARNING, "notice": syslog.LOG_NOTICE,
	"info": syslog.LOG_INFO, "debug": syslog.LOG_DEBUG,
}

var facilities = map[string]syslog.Priority{
	"kern": syslog.LOG_KERN, "user": syslog.LOG_USER, "mail": syslog.LOG_MAIL,
	"daemon": syslog.LOG_DAEMON, "auth": syslog.LOG_AUTH, "security": syslog.LOG_AUTH,
	"syslog": syslog.LOG_SYSLOG, "lpr": syslog.LOG_LPR, "news": syslog.LOG_NEWS,
	"uucp": syslog.LOG_UUCP, "cron": syslog.LOG_CRON, "authpriv": syslog.LOG_AUTHPRIV,
	"ftp": syslog.LOG_FTP, "local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1,
	"local2": syslog.LOG_LOCAL2, "local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4,
	"local5": syslog.LOG_LOCAL5, "local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7,
}

// ParsePriority reads -p: a level (err, info, 3, ...) or facility.level,
// where the facility is a name (daemon, local0, ...) or the number that
// scha_cluster_get -O SYSLOG_FACILITY prints (LOG_DAEMON is 24), so that
// "$(scha_cluster_get -O SYSLOG_FACILITY).err" works. hasFacility is
// false when only a level was given.
func ParsePriority(s string) (p syslog.Priority, hasFacility bool, err error) {
	fac, lvl, dotted := strings.Cut(strings.ToLower(s), ".")
	if !dotted {
		lvl, fac = fac, ""
	}
	l, ok := levels[lvl]
	if !ok {
		n, err := strconv.Atoi(lvl)
		if err != nil || n < 0 || n > 7 {
			return 0, false, fmt.Errorf("-p %q: unknown level %q", s, lvl)
		}
		l = syslog.Priority(n)
	}
	if !dotted {
		return l, false, nil
	}
	f, err := ParseFacility(fac)
	if err != nil {
		return 0, false, fmt.Errorf("-p %q: %v", s, err)
	}
	return f | l, true, nil
}

// ParseFacility reads a facility name or its number as syslog.h encodes it
// (a multiple of 8 up to LOG_LOCAL7, 184).
func ParseFacility(s string) (syslog.Priority, error) {
	if f, ok := facilities[strings.ToLower(s)]; ok {
		return f, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 184 || n%8 != 0 {
		return 0, fmt.Errorf("unknown facility %q", s)
	}
	return syslog.Priority(n), nil
}

// Main is scds_syslog's command line. It exits 0 once the message is
// logged (to syslog, or to stderr when there is no syslog), 1 on bad
// usage.
func Main(args []string, stderr io.Writer) int {
	opts, rest, err := getopt.Parse(args, "p:t:m:")
	if err != nil {
		fmt.Fprintf(stderr, "scds_syslog: %v\n%s", err, usage)
		return 1
	}
	var prio, tag, format string
	seen := map[byte]bool{}
	for _, o := range opts {
		seen[o.Name] = true
		switch o.Name {
		case 'p':
			prio = o.Arg
		case 't':
			tag = o.Arg
		case 'm':
			format = o.Arg
		}
	}
	if !seen['p'] || !seen['t'] || !seen['m'] {
		fmt.Fprintf(stderr, "scds_syslog: -p, -t and -m are required\n%s", usage)
		return 1
	}
	p, hasFacility, err := ParsePriority(prio)
	if err != nil {
		fmt.Fprintf(stderr, "scds_syslog: %v\n%s", err, usage)
		return 1
	}
	if !hasFacility {
		p |= clusterFacility()
	}
	msg := Sprintf(format, rest)
	if err := Log(p, tag, msg); err != nil {
		// No syslog daemon (no /dev/log): the message must not be lost.
		fmt.Fprintf(stderr, "%s[%d] %s: %s\n", tag, os.Getpid(), PriorityName(p), msg)
	}
	return 0
}

// clusterFacility asks rgmd for SYSLOG_FACILITY, falling back to
// DefaultFacility when rgmd cannot be reached or answers nonsense.
func clusterFacility() syslog.Priority {
	c := &client.Client{Blocking: true, Timeout: 2 * time.Second}
	defer c.Close()
	rep, err := c.Get(context.Background(), wire.GetArgs{Kind: wire.KindCluster, Tag: "SYSLOG_FACILITY"})
	if err != nil || len(rep.Values) != 1 {
		return DefaultFacility
	}
	f, err := ParseFacility(rep.Values[0])
	if err != nil {
		return DefaultFacility
	}
	return f
}

// syslogAddr is where Log sends: "" for the local syslog daemon
// (/dev/log); a unixgram socket in tests.
var syslogNet, syslogAddr = "", ""

// Log sends msg to the local syslog daemon.
func Log(p syslog.Priority, tag, msg string) error {
	w, err := syslog.Dial(syslogNet, syslogAddr, p, tag)
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	return nil
}

// Sprintf formats like printf(1) for the conversions %s %d %i %u %x %X %o
// %c and %%, with the flags "-+ #0", a width and a precision (either may
// be *, taken from the arguments). Numeric arguments are read as C
// constants (42, 0x2a, 052) or 'c for a character's code; a missing
// argument is "" or 0; unused arguments are ignored. Backslash escapes
// are not interpreted. An unknown conversion is copied as it is.
func Sprintf(format string, args []string) string {
	var b strings.Builder
	next := func() (string, bool) {
		if len(args) == 0 {
			return "", false
		}
		a := args[0]
		args = args[1:]
		return a, true
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		start := i
		i++
		var spec strings.Builder
		spec.WriteByte('%')
		for i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0 {
			spec.WriteByte(format[i])
			i++
		}
		num := func() {
			if i < len(format) && format[i] == '*' {
				a, _ := next()
				n, _ := parseInt(a)
				spec.WriteString(strconv.FormatInt(n, 10))
				i++
				return
			}
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				spec.WriteByte(format[i])
				i++
			}
		}
		num()
		if i < len(format) && format[i] == '.' {
			spec.WriteByte('.')
			i++
			num()
		}
		if i >= len(format) {
			b.WriteString(format[start:])
			break
		}
		verb := format[i]
		s := spec.String()
		switch verb {
		case '%':
			b.WriteByte('%')
		case 's':
			a, _ := next()
			fmt.Fprintf(&b, s+"s", a)
		case 'd', 'i':
			a, _ := next()
			n, _ := parseInt(a)
			fmt.Fprintf(&b, s+"d", n)
		case 'u', 'x', 'X', 'o':
			a, _ := next()
			n, _ := parseInt(a)
			v := verb
			if v == 'u' {
				v = 'd'
			}
			fmt.Fprintf(&b, s+string(v), uint64(n))
		case 'c':
			a, _ := next()
			ch := ""
			if a != "" {
				ch = a[:1]
			}
			fmt.Fprintf(&b, strings.Split(s, ".")[0]+"s", ch)
		default:
			b.WriteString(format[start : i+1])
		}
	}
	return b.String()
}

// parseInt reads a C integer constant, or 'c for c's code, as printf(1).
func parseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if s[0] == '\'' || s[0] == '"' {
		if len(s) > 1 {
			return int64(s[1]), nil
		}
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		if u, uerr := strconv.ParseUint(s, 0, 64); uerr == nil {
			return int64(u), nil
		}
		return 0, errors.New("not a number: " + s)
	}
	return n, nil
}

// PriorityName is "daemon.err" for LOG_DAEMON|LOG_ERR.
func PriorityName(p syslog.Priority) string {
	fac, lvl := p&^7, p&7
	fn, ln := strconv.Itoa(int(fac)), strconv.Itoa(int(lvl))
	for n, f := range facilities {
		if f == fac && n != "security" {
			fn = n
		}
	}
	for n, l := range levels {
		if l == lvl && n != "panic" && n != "error" && n != "warn" {
			ln = n
		}
	}
	return fn + "." + ln
}
