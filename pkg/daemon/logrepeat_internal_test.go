package daemon

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A message repeated many times a second is logged once, then once a
// minute saying how many repeats were left out; other messages pass.
func TestQuietRepeats(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(1000, 0)
	l := quietRepeats(slog.New(slog.NewTextHandler(&buf, nil)), func() time.Time { return clock })
	raft := l.With("module", "raft")
	for i := 0; i < 27*60; i++ { // a minute at 27 a second
		raft.Error("failed to commit logs", "error", "no space left on device")
		raft.Info("heartbeat timeout reached, starting election", "term", i)
		clock = clock.Add(time.Second / 27)
	}
	l.Info("something else")
	clock = clock.Add(time.Second)
	raft.Error("failed to commit logs", "error", "no space left on device")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[3], "failed to commit logs") || !strings.Contains(lines[3], "repeated=1619") {
		t.Errorf("the repeat after a minute: %s", lines[3])
	}
	if !strings.Contains(lines[2], "something else") {
		t.Errorf("another message: %s", lines[2])
	}
}
