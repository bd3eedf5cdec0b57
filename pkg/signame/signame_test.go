package signame

import (
	"syscall"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want syscall.Signal
		ok   bool
	}{
		{"TERM", syscall.SIGTERM, true},
		{"term", syscall.SIGTERM, true},
		{"SIGkill", syscall.SIGKILL, true},
		{"9", syscall.SIGKILL, true},
		{"64", 64, true},
		{"0", 0, false},
		{"65", 0, false},
		{"-1", 0, false},
		{"SIG", 0, false},
		{"BOGUS", 0, false},
		{"", 0, false},
	} {
		got, err := Parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestName(t *testing.T) {
	for sig, want := range map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGABRT: "SIGABRT", syscall.SIGCHLD: "SIGCHLD", syscall.SIGIO: "SIGIO", 40: "signal 40"} {
		if got := Name(sig); got != want {
			t.Errorf("Name(%d) = %q, want %q", sig, got, want)
		}
	}
}
