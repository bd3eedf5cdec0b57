package daemon

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestLazyAttrs: a record through lazyAttrs carries its attributes, as
// Logger.With's would, and so do the loggers made from it.
func TestLazyAttrs(t *testing.T) {
	var buf bytes.Buffer
	base := slog.NewTextHandler(&buf, nil)
	log := slog.New(&lazyAttrs{next: base, attrs: []slog.Attr{slog.String("user", "alice"), slog.String("addr", "10.0.0.1:5")}})
	log.Info("refused", "op", "rg.online")
	log.With("k", "v").Warn("with")
	log.WithGroup("g").Error("group", "x", 1)
	out := buf.String()
	for _, want := range []string{
		`msg=refused op=rg.online user=alice addr=10.0.0.1:5`,
		`msg=with user=alice addr=10.0.0.1:5 k=v`,
		`msg=group user=alice addr=10.0.0.1:5 g.x=1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	slog.New(&lazyAttrs{next: slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}), attrs: []slog.Attr{slog.String("user", "a")}}).Info("dropped")
	if buf.Len() != 0 {
		t.Errorf("a record below the level was written: %s", buf.String())
	}
}
