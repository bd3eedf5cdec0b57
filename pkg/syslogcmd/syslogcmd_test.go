package syslogcmd

import (
	"bytes"
	"log/syslog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSprintf(t *testing.T) {
	for _, tc := range []struct {
		format string
		args   []string
		want   string
	}{
		{"plain", nil, "plain"},
		{"%s on port %d", []string{"web", "80"}, "web on port 80"},
		{"%i|%u|%x|%X|%o|%c|%%", []string{"-3", "-1", "255", "0x2a", "8", "hello"}, "-3|18446744073709551615|ff|2A|10|h|%"},
		{"[%5s][%-5s][%.2s]", []string{"ab", "ab", "abcdef"}, "[   ab][ab   ][ab]"},
		{"[%05d][%-4d][%+d][%#x][%#o]", []string{"42", "7", "5", "255", "8"}, "[00042][7   ][+5][0xff][010]"},
		{"[%*d][%.*s]", []string{"4", "9", "2", "xyz"}, "[   9][xy]"},
		{"%d %d", []string{"052", "'A"}, "42 65"},
		{"missing %s|%d|", nil, "missing |0|"},
		{"extra %s", []string{"a", "b"}, "extra a"},
		{"bad %q and end %", []string{"x"}, "bad %q and end %"},
		{"not a number %d", []string{"abc"}, "not a number 0"},
		{"%3c|", []string{"z"}, "  z|"},
	} {
		if got := Sprintf(tc.format, tc.args); got != tc.want {
			t.Errorf("Sprintf(%q, %q) = %q, want %q", tc.format, tc.args, got, tc.want)
		}
	}
}

func FuzzSprintf(f *testing.F) {
	f.Add("%-*.*s %d %%", "3")
	f.Fuzz(func(t *testing.T, format, arg string) { _ = Sprintf(format, []string{arg, arg}) })
}

func TestParsePriority(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   syslog.Priority
		hasFac bool
		ok     bool
	}{
		{"err", syslog.LOG_ERR, false, true},
		{"error", syslog.LOG_ERR, false, true},
		{"INFO", syslog.LOG_INFO, false, true},
		{"3", syslog.LOG_ERR, false, true},
		{"daemon.warning", syslog.LOG_DAEMON | syslog.LOG_WARNING, true, true},
		{"local7.debug", syslog.LOG_LOCAL7 | syslog.LOG_DEBUG, true, true},
		{"24.err", syslog.LOG_DAEMON | syslog.LOG_ERR, true, true},
		{"user.emerg", syslog.LOG_USER | syslog.LOG_EMERG, true, true},
		{"bogus", 0, false, false},
		{"8", 0, false, false},
		{"daemon.bogus", 0, false, false},
		{"nofac.err", 0, false, false},
		{"25.err", 0, false, false},
		{"192.err", 0, false, false},
		{"", 0, false, false},
	} {
		got, hasFac, err := ParsePriority(tc.in)
		if (err == nil) != tc.ok || got != tc.want || hasFac != tc.hasFac {
			t.Errorf("ParsePriority(%q) = %v, %v, %v; want %v, %v, ok %v", tc.in, got, hasFac, err, tc.want, tc.hasFac, tc.ok)
		}
	}
	if n := PriorityName(syslog.LOG_DAEMON | syslog.LOG_ERR); n != "daemon.err" {
		t.Errorf("PriorityName = %q", n)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{}, {"-p", "err", "-t", "x"}, {"-t", "x", "-m", "m"}, {"-p", "err", "-m", "m"},
		{"-p", "nope", "-t", "x", "-m", "m"}, {"-z"}, {"-p"},
	} {
		var errb bytes.Buffer
		if code := Main(args, &errb); code != 1 || !strings.Contains(errb.String(), "usage") {
			t.Errorf("Main(%q) = %d, %q; want 1 and usage", args, code, errb.String())
		}
	}
}

// TestFallbackToStderr: with no syslog daemon and no rgmd, the message
// goes to stderr with the default facility.
func TestFallbackToStderr(t *testing.T) {
	old := syslogAddr
	syslogNet, syslogAddr = "unixgram", filepath.Join(t.TempDir(), "nolog")
	defer func() { syslogNet, syslogAddr = "", old }()
	t.Setenv("RGM_SOCKET", filepath.Join(t.TempDir(), "none.sock"))
	var errb bytes.Buffer
	if code := Main([]string{"-p", "err", "-t", "SC[rt,rg,rs,start]", "-m", "port %d is %s", "80", "busy"}, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := "] daemon.err: port 80 is busy\n"
	if got := errb.String(); !strings.HasPrefix(got, "SC[rt,rg,rs,start][") || !strings.HasSuffix(got, want) {
		t.Errorf("stderr %q, want ...%q", got, want)
	}
}

// TestSyslog logs to a datagram socket standing in for /dev/log.
func TestSyslog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	syslogNet, syslogAddr = "unixgram", path
	defer func() { syslogNet, syslogAddr = "", "" }()
	var errb bytes.Buffer
	if code := Main([]string{"-p", "local3.notice", "-t", "mytag", "-m", "hello %s", "world"}, &errb); code != 0 || errb.Len() != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1024)
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	// <PRI> is facility*8+level: local3 (19) → 152, notice 5 → 157.
	if !strings.HasPrefix(got, "<157>") || !strings.Contains(got, "mytag["+strconv.Itoa(os.Getpid())+"]: hello world") {
		t.Errorf("syslog got %q", got)
	}
}
