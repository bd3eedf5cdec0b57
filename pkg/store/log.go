package store

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// electionWarning is what raft warns on every start of a single voter: it
// waits out a heartbeat timeout and elects itself. Nothing is wrong then.
const electionWarning = "heartbeat timeout reached, starting election"

// newHclog gives raft an hclog.Logger whose records end up in l. Raft is
// chatty at info (every election, every snapshot), so only warnings and
// errors pass unless l has debug enabled. single says there is only one
// voter, which makes raft's election warning routine.
func newHclog(l *slog.Logger, single bool) hclog.Logger {
	level := hclog.Warn
	if l.Enabled(context.Background(), slog.LevelDebug) {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:        "raft",
		Level:       level,
		Output:      slogWriter{l: l, single: single},
		JSONFormat:  true, // so the writer can split message from fields
		DisableTime: true, // slog stamps its own
	})
}

// slogWriter receives one JSON-encoded hclog record per write, with its
// level beside it (hclog.LevelWriter), and re-logs it through slog.
type slogWriter struct {
	l      *slog.Logger
	single bool
}

func (w slogWriter) Write(p []byte) (int, error) { return w.LevelWrite(hclog.Info, p) }

func (w slogWriter) LevelWrite(level hclog.Level, p []byte) (int, error) {
	var lv slog.Level
	switch {
	case level >= hclog.Error:
		lv = slog.LevelError
	case level == hclog.Warn:
		lv = slog.LevelWarn
	case level == hclog.Info:
		lv = slog.LevelInfo
	default:
		lv = slog.LevelDebug
	}
	var rec map[string]any
	if err := json.Unmarshal(p, &rec); err != nil {
		w.l.Log(context.Background(), lv, strings.TrimSpace(string(p)))
		return len(p), nil
	}
	msg, _ := rec["@message"].(string)
	if w.single && msg == electionWarning {
		lv = slog.LevelInfo
	}
	attrs := make([]slog.Attr, 0, len(rec))
	for k, v := range rec {
		switch k {
		case "@module":
			attrs = append(attrs, slog.Any("module", v))
		case "@message", "@level", "@timestamp":
		default:
			attrs = append(attrs, slog.Any(k, v))
		}
	}
	// Map order is random; keep lines stable for people and tests.
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].Key < attrs[j].Key })
	w.l.LogAttrs(context.Background(), lv, msg, attrs...)
	return len(p), nil
}
