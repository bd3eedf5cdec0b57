package fence_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/fence"
)

func TestParseCommand(t *testing.T) {
	good := []struct {
		line string
		want fence.Command
	}{
		{"lease 3 123456789", fence.Command{Op: "lease", Incarnation: 3, Deadline: 123456789}},
		{"  lease\t3 5 ", fence.Command{Op: "lease", Incarnation: 3, Deadline: 5}},
		{"tag n1-4f2a", fence.Command{Op: "tag", Tag: "n1-4f2a"}},
		{"peers 10.0.0.1:7000,[::1]:7001,n3:7002", fence.Command{Op: "peers", Peers: []string{"10.0.0.1:7000", "[::1]:7001", "n3:7002"}}},
		{"peers", fence.Command{Op: "peers"}},
		{"release", fence.Command{Op: "release"}},
		{"fence", fence.Command{Op: "fence"}},
		{"status", fence.Command{Op: "status"}},
		{"cgroup /sys/fs/cgroup/rgmd.service/resources", fence.Command{Op: "cgroup", Cgroup: "/sys/fs/cgroup/rgmd.service/resources"}},
		{"cgroup", fence.Command{Op: "cgroup"}},
	}
	for _, c := range good {
		got, err := fence.ParseCommand(c.line)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, %v", c.line, got, err)
		}
	}
	bad := []string{
		"", "  ", "LEASE 1 2", "lease", "lease 1", "lease 0 5", "lease 1 0", "lease 1 -5", "lease x 5",
		"lease 1 2 3", "lease 18446744073709551616 1", "tag", "tag a b", "tag a/b", "tag a=b", "tag " + strings.Repeat("x", 129),
		"peers a", "peers :7000", "peers h:0", "peers h:70000", "peers a:1,", "peers a:1 b:2",
		"release now", "status x", "exec rm", "cgroup a/b", "cgroup /", "cgroup /a/../b", "cgroup /a/", "cgroup /a /b", strings.Repeat("x", 5000),
	}
	for _, l := range bad {
		if c, err := fence.ParseCommand(l); err == nil {
			t.Errorf("%q was taken: %+v", l, c)
		}
	}
}

func TestStatusRoundTrip(t *testing.T) {
	for _, s := range []fence.GuardStatus{
		{},
		{Armed: true, Incarnation: 9, Deadline: 1234, Fenced: 8, Reported: true, Tag: "n2-x", Cgroup: "/sys/fs/cgroup/r"},
	} {
		got, err := fence.ParseStatus(s.String())
		if err != nil || got != s {
			t.Errorf("%+v -> %q -> %+v, %v", s, s.String(), got, err)
		}
	}
	for _, l := range []string{"", "err no", "ok incarnation=x"} {
		if _, err := fence.ParseStatus(l); err == nil {
			t.Errorf("%q was taken", l)
		}
	}
}

// FuzzParseCommand: any line is refused or decoded into a command that
// encodes back to a line decoding to the same command; nothing panics.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"lease 1 2", "tag a", "peers a:1,b:2", "release", "fence", "status", "peers", "lease 18446744073709551615 9223372036854775807", "cgroup /sys/fs/cgroup/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := fence.ParseCommand(line)
		if err != nil {
			return
		}
		enc := c.String()
		if strings.ContainsAny(enc, "\n\r") {
			t.Fatalf("%q encodes to a line with a newline: %q", line, enc)
		}
		again, err := fence.ParseCommand(enc)
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", line, c, enc, again, err)
		}
	})
}
