package daemon

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// RepeatInterval is how often a message the store logs over and over (a
// failed write of the log makes raft say "failed to commit logs" and
// "heartbeat timeout reached, starting election" many times a second,
// until rgmd restarts) is let through: the first time, then at most once
// per interval, with the number of repeats left out in between.
const RepeatInterval = time.Minute

// quietRepeats returns l with repeats of a message (same level and text)
// limited to one per RepeatInterval; now is the clock.
func quietRepeats(l *slog.Logger, now func() time.Time) *slog.Logger {
	return slog.New(&repeatHandler{next: l.Handler(), now: now, seen: &repeatTable{last: make(map[repeatKey]*repeatEntry)}})
}

type repeatKey struct {
	level slog.Level
	msg   string
}

type repeatEntry struct {
	at      time.Time // when last let through
	dropped int       // repeats left out since
}

type repeatTable struct {
	mu   sync.Mutex
	last map[repeatKey]*repeatEntry
}

// repeatHandler drops repeats; handlers made by WithAttrs and WithGroup
// share its table, so that the same message through any of them counts.
type repeatHandler struct {
	next slog.Handler
	now  func() time.Time
	seen *repeatTable
}

func (h *repeatHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *repeatHandler) Handle(ctx context.Context, r slog.Record) error {
	k := repeatKey{r.Level, r.Message}
	now := h.now()
	h.seen.mu.Lock()
	e := h.seen.last[k]
	if e != nil && now.Sub(e.at) < RepeatInterval {
		e.dropped++
		h.seen.mu.Unlock()
		return nil
	}
	dropped := 0
	if e == nil {
		if len(h.seen.last) >= 1024 { // many different messages: start over
			clear(h.seen.last)
		}
		e = &repeatEntry{}
		h.seen.last[k] = e
	}
	dropped, e.at, e.dropped = e.dropped, now, 0
	h.seen.mu.Unlock()
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", dropped), slog.Duration("since", RepeatInterval))
	}
	return h.next.Handle(ctx, r)
}

func (h *repeatHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &repeatHandler{next: h.next.WithAttrs(as), now: h.now, seen: h.seen}
}

func (h *repeatHandler) WithGroup(name string) slog.Handler {
	return &repeatHandler{next: h.next.WithGroup(name), now: h.now, seen: h.seen}
}
