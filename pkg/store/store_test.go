package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// guard bounds how long a broken store can hang a test. It is a safety
// net, not a timing assertion.
const guard = 20 * time.Second

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openReady opens a single-voter store on dir and waits until it is ready.
func openReady(t testing.TB, dir string, m Machine) *Store {
	t.Helper()
	s, err := Open(Config{Dir: dir, NodeID: "node1", Machine: m, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.WaitReady(ctxFor(t)); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return s
}

func set(t testing.TB, s *Store, key, val string) any {
	t.Helper()
	res, err := s.Propose(ctxFor(t), cmdSet, []byte(key+"="+val))
	if err != nil {
		t.Fatalf("set %s=%s: %v", key, val, err)
	}
	return res
}

func del(t testing.TB, s *Store, key string) {
	t.Helper()
	if _, err := s.Propose(ctxFor(t), cmdDelete, []byte(key)); err != nil {
		t.Fatalf("delete %s: %v", key, err)
	}
}

func wantValue(t testing.TB, m *kv, key, want string) {
	t.Helper()
	got, ok := m.get(key)
	if !ok || got != want {
		t.Errorf("%s = %q (present %v), want %q", key, got, ok, want)
	}
}

func TestProposeReturnsResultAndState(t *testing.T) {
	m := newKV()
	s := openReady(t, t.TempDir(), m)

	if prev := set(t, s, "a", "1"); prev != "" {
		t.Errorf("first set returned %v, want empty previous value", prev)
	}
	if prev := set(t, s, "a", "2"); prev != "1" {
		t.Errorf("second set returned %v, want previous value 1", prev)
	}
	set(t, s, "b", "x")
	del(t, s, "b")
	// The store passes high-bit types through; this Machine skips them.
	if _, err := s.Propose(ctxFor(t), cmdIgnore, []byte("whatever")); err != nil {
		t.Errorf("ignorable type: %v", err)
	}
	wantValue(t, m, "a", "2")
	if _, ok := m.get("b"); ok {
		t.Error("b still present after delete")
	}
	if st := s.Stats(); st["state"] != "Leader" {
		t.Errorf("Stats state = %q, want Leader", st["state"])
	}
}

func TestApplyErrorGoesToProposer(t *testing.T) {
	m := newKV()
	s := openReady(t, t.TempDir(), m)
	set(t, s, "a", "1")

	bad := []struct {
		name string
		typ  byte
		body string
	}{
		{"empty key", cmdSet, "=x"},
		{"no separator", cmdSet, "ax"},
		{"delete missing", cmdDelete, "nope"},
		{"unknown type", 9, ""},
	}
	for _, c := range bad {
		res, err := s.Propose(ctxFor(t), c.typ, []byte(c.body))
		if !errors.Is(err, errInvalid) {
			t.Errorf("%s: err = %v, want the machine's errInvalid", c.name, err)
		}
		if errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: machine error wrapped as ErrUnavailable: %v", c.name, err)
		}
		if res != nil {
			t.Errorf("%s: result = %v, want nil", c.name, res)
		}
	}
	if m.len() != 1 {
		t.Errorf("state has %d keys after rejected commands, want 1", m.len())
	}
	wantValue(t, m, "a", "1")
	// The log still works after rejections.
	set(t, s, "c", "3")
	wantValue(t, m, "c", "3")
}

func TestReopenReplaysLog(t *testing.T) {
	dir := t.TempDir()
	s := openReady(t, dir, newKV())
	for i := range 100 {
		set(t, s, fmt.Sprintf("k%d", i), fmt.Sprint(i))
	}
	del(t, s, "k7")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	m := newKV()
	openReady(t, dir, m)
	// WaitReady promises the whole log is applied by now.
	if m.len() != 99 {
		t.Fatalf("after reopen: %d keys, want 99", m.len())
	}
	for i := range 100 {
		if i != 7 {
			wantValue(t, m, fmt.Sprintf("k%d", i), fmt.Sprint(i))
		}
	}
	if _, restores := m.counts(); restores != 0 {
		t.Errorf("%d snapshot restores without a snapshot", restores)
	}
}

func TestSnapshotThenTailReplay(t *testing.T) {
	dir := t.TempDir()
	s := openReady(t, dir, newKV())
	for i := range 50 {
		set(t, s, fmt.Sprintf("k%d", i), "old")
	}
	if err := s.Snapshot(); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := s.Snapshot(); err != nil {
		t.Errorf("Snapshot with nothing new: %v", err)
	}
	snaps, err := os.ReadDir(filepath.Join(dir, "snapshots"))
	if err != nil || len(snaps) == 0 {
		t.Fatalf("no snapshot on disk: %v %v", snaps, err)
	}
	// The tail: overwrites, a delete and new keys after the snapshot.
	const tail = 20
	for i := range tail - 1 {
		set(t, s, fmt.Sprintf("k%d", i+40), "new")
	}
	del(t, s, "k0")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	m := newKV()
	openReady(t, dir, m)
	applied, restores := m.counts()
	if restores != 1 {
		t.Errorf("restores = %d, want 1 (from the snapshot)", restores)
	}
	if applied != tail {
		t.Errorf("applied %d entries after restore, want the %d-entry tail", applied, tail)
	}
	if _, ok := m.get("k0"); ok {
		t.Error("k0 deleted in the tail but present")
	}
	for i := 1; i < 40; i++ {
		wantValue(t, m, fmt.Sprintf("k%d", i), "old")
	}
	for i := 40; i < 40+tail-1; i++ {
		wantValue(t, m, fmt.Sprintf("k%d", i), "new")
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	s := openReady(t, dir, newKV())
	set(t, s, "a", "1")

	// flock is per open file description, so this conflicts even in the
	// same process, just as a second rgmd would.
	s2, err := Open(Config{Dir: dir, NodeID: "node1", Machine: newKV(), Logger: quietLogger()})
	if err == nil {
		s2.Close()
		t.Fatal("second Open on a locked dir succeeded")
	}
	if !errors.Is(err, ErrDirInUse) || !strings.Contains(err.Error(), "another rgmd") {
		t.Errorf("second Open: %v, want ErrDirInUse saying another rgmd", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Errorf("error %q does not name the holder's pid", err)
	}

	// The lock goes with Close, and the failed Open broke nothing.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	m := newKV()
	openReady(t, dir, m)
	wantValue(t, m, "a", "1")
}

func TestOpenCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	openReady(t, dir, newKV())
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p := fi.Mode().Perm(); p != 0o700 {
		t.Errorf("state dir mode %o, want 700", p)
	}
	for _, name := range []string{"wal", "lock", "snapshots"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
}

func TestOpenRejectsIncompleteConfig(t *testing.T) {
	for _, c := range []Config{
		{NodeID: "n", Machine: newKV()},
		{Dir: t.TempDir(), Machine: newKV()},
		{Dir: t.TempDir(), NodeID: "n"},
	} {
		if s, err := Open(c); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded", c)
		}
	}
}

func TestProposeAfterCloseIsUnavailable(t *testing.T) {
	s := openReady(t, t.TempDir(), newKV())
	s.Close()
	if _, err := s.Propose(context.Background(), cmdSet, []byte("a=1")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Propose after Close: %v, want ErrUnavailable", err)
	}
	if err := s.WaitReady(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("WaitReady after Close: %v, want ErrUnavailable", err)
	}
}

func TestProposeCanceledContext(t *testing.T) {
	s := openReady(t, t.TempDir(), newKV())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Propose(ctx, cmdSet, []byte("a=1"))
	// Either raft was faster than the select or the context won; a
	// canceled wait must never look like the machine's error.
	if err != nil && (!errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled)) {
		t.Errorf("Propose with canceled ctx: %v", err)
	}
}

func TestTCPTransport(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, NodeID: "node1", Bind: "127.0.0.1:0", Machine: newKV(), Logger: quietLogger()}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open with TCP transport: %v", err)
	}
	defer s.Close()
	if err := s.WaitReady(ctxFor(t)); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	set(t, s, "a", "1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Port 0 again means a new address; the node still elects itself by
	// its ID from the configuration stored in the log.
	m := newKV()
	cfg.Machine = m
	s, err = Open(cfg)
	if err != nil {
		t.Fatalf("reopen with TCP transport: %v", err)
	}
	defer s.Close()
	if err := s.WaitReady(ctxFor(t)); err != nil {
		t.Fatalf("WaitReady after reopen: %v", err)
	}
	wantValue(t, m, "a", "1")
	set(t, s, "b", "2")
	wantValue(t, m, "b", "2")
}

func TestSnapshotFraming(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want string // "" = ok
	}{
		{"ok", []byte("RGMS\x01{}"), ""},
		{"ok empty body", []byte("RGMS\x01"), ""},
		{"short", []byte("RGM"), "bad magic"},
		{"bad magic", []byte("XXXX\x01{}"), "bad magic"},
		{"future version", []byte("RGMS\x02{}"), "version 2"},
	} {
		_, err := decodeSnapshot(c.data)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestRaftLogGoesToSlog(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h := newHclog(l, true)
	h.Info("chatter")
	h.Warn("disk slow", "ms", 12)
	h.Warn(electionWarning)
	out := buf.String()
	if strings.Contains(out, "chatter") {
		t.Errorf("raft info passed without debug: %q", out)
	}
	if !strings.Contains(out, `level=WARN msg="disk slow"`) || !strings.Contains(out, "ms=12") || !strings.Contains(out, "module=raft") {
		t.Errorf("raft warning not routed with its fields: %q", out)
	}
	if !strings.Contains(out, `level=INFO msg="`+electionWarning) {
		t.Errorf("single voter's routine election not demoted to info: %q", out)
	}

	buf.Reset()
	l = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h = newHclog(l, false)
	h.Info("chatter")
	h.Warn(electionWarning)
	if !strings.Contains(buf.String(), "level=INFO msg=chatter") {
		t.Errorf("raft info not routed when debugging: %q", buf.String())
	}
	if !strings.Contains(buf.String(), `level=WARN msg="`+electionWarning) {
		t.Errorf("election with peers should stay a warning: %q", buf.String())
	}
}
