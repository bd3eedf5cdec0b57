package journal

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	sdjournal "github.com/coreos/go-systemd/v22/journal"
)

type sent struct {
	msg  string
	pri  sdjournal.Priority
	vars map[string]string
}

func capture(h *Handler) *[]sent {
	var out []sent
	h.send = func(msg string, pri sdjournal.Priority, vars map[string]string) error {
		out = append(out, sent{msg, pri, vars})
		return nil
	}
	return &out
}

func TestFieldsAndPriorities(t *testing.T) {
	h := NewHandler(nil, &slog.HandlerOptions{Level: slog.LevelDebug})
	got := capture(h)
	log := slog.New(h).With("node", "node1")
	log.Info("method output", "resource", "web-rs", "group", "web-rg", "type", "ORGM.hello", "method", "START", "line", "hello world")
	log.WithGroup("raft").Warn("slow", "state_dir", "/var/lib/openrgm", slog.Group("peer", "id", "n2"))
	log.Debug("d")
	log.Log(context.Background(), slog.LevelInfo+2, "notice")
	log.Error("e")
	log.Log(context.Background(), slog.LevelError+4, "crit")

	if len(*got) != 6 {
		t.Fatalf("got %d entries", len(*got))
	}
	e := (*got)[0]
	want := map[string]string{
		"SYSLOG_IDENTIFIER": "rgmd",
		"RGM_NODE":          "node1",
		"RGM_RESOURCE":      "web-rs",
		"RGM_GROUP":         "web-rg",
		"RGM_TYPE":          "ORGM.hello",
		"RGM_METHOD":        "START",
		"RGM_LINE":          "hello world",
	}
	for k, v := range want {
		if e.vars[k] != v {
			t.Errorf("%s = %q, want %q", k, e.vars[k], v)
		}
	}
	if e.msg != `method output node=node1 resource=web-rs group=web-rg type=ORGM.hello method=START line="hello world"` {
		t.Errorf("MESSAGE %q", e.msg)
	}
	if e.pri != sdjournal.PriInfo {
		t.Errorf("info priority %d", e.pri)
	}
	w := (*got)[1]
	// Inside a group, even "node" is not the project's attribute.
	if w.vars["RGM_RAFT_STATE_DIR"] != "/var/lib/openrgm" || w.vars["RGM_RAFT_PEER_ID"] != "n2" || w.vars["RGM_NODE"] != "node1" {
		t.Errorf("grouped fields: %v", w.vars)
	}
	if !strings.Contains(w.msg, "raft.peer.id=n2") {
		t.Errorf("grouped MESSAGE %q", w.msg)
	}
	for i, p := range []sdjournal.Priority{sdjournal.PriWarning, sdjournal.PriDebug, sdjournal.PriNotice, sdjournal.PriErr, sdjournal.PriCrit} {
		if (*got)[i+1].pri != p {
			t.Errorf("entry %d (%q): priority %d, want %d", i+1, (*got)[i+1].msg, (*got)[i+1].pri, p)
		}
	}
	for _, s := range *got {
		for k := range s.vars {
			if k == "" || k[0] == '_' || strings.Trim(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
				t.Errorf("invalid journal field name %q", k)
			}
		}
	}
}

func TestLevelFilterAndFallback(t *testing.T) {
	var fb bytes.Buffer
	h := NewHandler(&fb, nil)
	h.send = func(string, sdjournal.Priority, map[string]string) error { return errors.New("no journald") }
	log := slog.New(h)
	log.Debug("hidden")
	log.Warn("kept", "resource", "r1")
	if got := fb.String(); got != "<4>kept resource=r1\n" {
		t.Errorf("fallback got %q", got)
	}
}

func TestIsStream(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stream")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  string
		want bool
		err  bool
	}{
		{"", false, false},
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino), true, false},
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino+1), false, false}, // stderr redirected elsewhere
		{"garbage", false, true},
	} {
		t.Setenv("JOURNAL_STREAM", c.env)
		got, err := IsStream(f)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("JOURNAL_STREAM=%q: %v, %v", c.env, got, err)
		}
	}
}

// TestFakeJournald sends real datagrams to a fake journald: a program
// built with go-systemd's journal socket path (fixed at build time) set to
// a socket this test owns.
func TestFakeJournald(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("journald is Linux only")
	}
	dir, err := os.MkdirTemp("", "jnl")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "socket")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	bin := filepath.Join(dir, "sender")
	build := exec.Command("go", "build", "-o", bin,
		"-ldflags", "-X github.com/coreos/go-systemd/v22/journal.journalSocket="+sock, "./testdata/sender")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	run := exec.Command(bin)
	var stderr bytes.Buffer
	run.Stderr = &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("sender: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("sender fell back to stderr: %s", stderr.String())
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var entries []map[string]string
	buf := make([]byte, 1<<16)
	for range 2 {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, parseNative(t, buf[:n]))
	}
	if e := entries[0]; e["RGM_RESOURCE"] != "web-rs" || e["RGM_METHOD"] != "START" || e["RGM_NODE"] != "node1" || e["RGM_STREAM"] != "stdout" || e["PRIORITY"] != "6" {
		t.Errorf("first entry: %v", e)
	}
	if e := entries[1]; e["MESSAGE"] != "multi\nline node=node1 err=boom" || e["PRIORITY"] != "3" {
		t.Errorf("second entry: %q", e)
	}
}

// parseNative decodes journald's native protocol: KEY=value lines, or KEY,
// newline, a little-endian 64-bit length and the value for values holding
// newlines.
func parseNative(t *testing.T, b []byte) map[string]string {
	m := map[string]string{}
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			t.Fatalf("truncated entry %q", b)
		}
		line := string(b[:nl])
		b = b[nl+1:]
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
			continue
		}
		n := binary.LittleEndian.Uint64(b[:8])
		m[line] = string(b[8 : 8+n])
		b = b[8+n+1:]
	}
	return m
}
