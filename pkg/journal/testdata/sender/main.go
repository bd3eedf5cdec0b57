// Command sender logs two records through journal.Handler; the journal
// tests build it with go-systemd's journal socket pointed at a fake
// journald (the path is fixed at build time in go-systemd).
package main

import (
	"log/slog"
	"os"

	"github.com/openrgm/openrgm/pkg/journal"
)

func main() {
	log := slog.New(journal.NewHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log = log.With("node", "node1")
	log.Info("method output", "resource", "web-rs", "group", "web-rg", "type", "ORGM.hello", "method", "START", "stream", "stdout", "line", "listening on :8080")
	log.Error("multi\nline", "err", "boom")
}
