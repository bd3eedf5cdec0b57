package fence

import (
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
)

// The guard's protocol, on its Unix socket STATE_DIR/guard.sock: one
// command per line, answered by one line, "ok" (with fields for status)
// or "err " and a reason. Commands:
//
//	lease <incarnation> <deadline>  arm (or renew): fence when CLOCK_MONOTONIC passes deadline (ns)
//	tag <tag>                       the RGM_FENCE_TAG value of the node's processes
//	peers [<addr>,...]              cluster addresses to report a fencing to
//	release                         disarm: rgmd ends cleanly, nothing left to guard
//	fence                           fence now (answered once every process is gone)
//	cgroup [<dir>]                  a cgroup v2 directory whose every process is also killed
//	status                          ok state=armed|disarmed incarnation=N deadline=NS fenced=N reported=BOOL tag=TAG cgroup=DIR
const (
	OpLease   = "lease"
	OpTag     = "tag"
	OpPeers   = "peers"
	OpRelease = "release"
	OpFence   = "fence"
	OpStatus  = "status"
	OpCgroup  = "cgroup"
)

// maxLine caps one line of the protocol, either way.
const maxLine = 4096

// maxPeers caps the addresses of one peers command.
const maxPeers = 64

// maxTag caps a fence tag's length.
const maxTag = 128

// Command is one decoded line of the guard's protocol.
type Command struct {
	Op          string   // one of the Op* constants
	Incarnation uint64   // lease: the lease's incarnation, at least 1
	Deadline    int64    // lease: CLOCK_MONOTONIC nanoseconds (Now), positive
	Tag         string   // tag: see CheckTag
	Peers       []string // peers: host:port each; empty clears them
	Cgroup      string   // cgroup: an absolute, clean path; "" clears it
}

// ParseCommand decodes one line (without its newline). The error says
// what is wrong, for the "err" answer.
func ParseCommand(line string) (Command, error) {
	if len(line) > maxLine {
		return Command{}, fmt.Errorf("line of %d bytes is over the %d-byte limit", len(line), maxLine)
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return Command{}, errors.New("empty command")
	}
	c := Command{Op: f[0]}
	args := f[1:]
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d argument(s), got %d", c.Op, n, len(args))
		}
		return nil
	}
	switch c.Op {
	case OpLease:
		if err := want(2); err != nil {
			return Command{}, err
		}
		inc, err := strconv.ParseUint(args[0], 10, 64)
		if err != nil || inc == 0 {
			return Command{}, fmt.Errorf("lease: bad incarnation %q (a positive integer)", args[0])
		}
		dl, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || dl <= 0 {
			return Command{}, fmt.Errorf("lease: bad deadline %q (CLOCK_MONOTONIC nanoseconds)", args[1])
		}
		c.Incarnation, c.Deadline = inc, dl
	case OpTag:
		if err := want(1); err != nil {
			return Command{}, err
		}
		if err := CheckTag(args[0]); err != nil {
			return Command{}, err
		}
		c.Tag = args[0]
	case OpPeers:
		if len(args) > 1 {
			return Command{}, errors.New("peers takes one comma-separated list")
		}
		if len(args) == 1 {
			peers, err := parsePeers(args[0])
			if err != nil {
				return Command{}, err
			}
			c.Peers = peers
		}
	case OpCgroup:
		if len(args) > 1 {
			return Command{}, errors.New("cgroup takes one directory")
		}
		if len(args) == 1 {
			if p := args[0]; !strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "/" {
				return Command{}, fmt.Errorf("cgroup: %q is not a clean absolute path", truncate(p, 64))
			}
			c.Cgroup = args[0]
		}
	case OpRelease, OpFence, OpStatus:
		if err := want(0); err != nil {
			return Command{}, err
		}
	default:
		return Command{}, fmt.Errorf("unknown command %q", truncate(c.Op, 32))
	}
	return c, nil
}

// String encodes c as a protocol line, without the newline.
func (c Command) String() string {
	switch c.Op {
	case OpLease:
		return fmt.Sprintf("%s %d %d", c.Op, c.Incarnation, c.Deadline)
	case OpTag:
		return c.Op + " " + c.Tag
	case OpCgroup:
		if c.Cgroup == "" {
			return c.Op
		}
		return c.Op + " " + c.Cgroup
	case OpPeers:
		if len(c.Peers) == 0 {
			return c.Op
		}
		return c.Op + " " + strings.Join(c.Peers, ",")
	}
	return c.Op
}

// CheckTag reports whether tag may be a fence tag: 1 to 128 characters
// among letters, digits and ". _ : -", so that it is one word of the
// protocol and one exact environment entry.
func CheckTag(tag string) error {
	if tag == "" || len(tag) > maxTag {
		return fmt.Errorf("tag must be 1 to %d characters", maxTag)
	}
	for _, r := range tag {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r)) {
			return fmt.Errorf("tag %q: only letters, digits and . _ : - are allowed", truncate(tag, 32))
		}
	}
	return nil
}

func parsePeers(s string) ([]string, error) {
	parts := strings.Split(s, ",")
	if len(parts) > maxPeers {
		return nil, fmt.Errorf("peers: %d addresses, at most %d", len(parts), maxPeers)
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		host, port, err := net.SplitHostPort(p)
		if err != nil || host == "" {
			return nil, fmt.Errorf("peers: %q is not host:port", truncate(p, 64))
		}
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return nil, fmt.Errorf("peers: %q has a bad port", truncate(p, 64))
		}
		out = append(out, p)
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// GuardStatus is the guard's answer to status.
type GuardStatus struct {
	Armed       bool   // a lease is held
	Incarnation uint64 // the lease's incarnation (the last one, when disarmed); 0: none yet
	Deadline    int64  // the lease's deadline, CLOCK_MONOTONIC ns
	Fenced      uint64 // the last incarnation fenced (STATE_DIR/fenced); 0: never
	Reported    bool   // a peer acknowledged the last fencing
	Tag         string // the fence tag; "" until told
	Cgroup      string // the cgroup also killed; "" for none
}

func (s GuardStatus) String() string {
	state := "disarmed"
	if s.Armed {
		state = "armed"
	}
	out := fmt.Sprintf("ok state=%s incarnation=%d deadline=%d fenced=%d reported=%t", state, s.Incarnation, s.Deadline, s.Fenced, s.Reported)
	if s.Tag != "" {
		out += " tag=" + s.Tag
	}
	if s.Cgroup != "" {
		out += " cgroup=" + s.Cgroup
	}
	return out
}

// ParseStatus decodes the guard's answer to status.
func ParseStatus(line string) (GuardStatus, error) {
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != "ok" {
		return GuardStatus{}, fmt.Errorf("guard status: unexpected answer %q", truncate(line, 200))
	}
	var s GuardStatus
	var err error
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "state":
			s.Armed = v == "armed"
		case "incarnation":
			s.Incarnation, err = strconv.ParseUint(v, 10, 64)
		case "deadline":
			s.Deadline, err = strconv.ParseInt(v, 10, 64)
		case "fenced":
			s.Fenced, err = strconv.ParseUint(v, 10, 64)
		case "reported":
			s.Reported, err = strconv.ParseBool(v)
		case "tag":
			s.Tag = v
		case "cgroup":
			s.Cgroup = v
		}
		if err != nil {
			return GuardStatus{}, fmt.Errorf("guard status: bad field %q", truncate(kv, 64))
		}
	}
	return s, nil
}
