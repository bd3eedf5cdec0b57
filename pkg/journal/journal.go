// Package journal is a log/slog handler that writes to the systemd
// journal through its native protocol (go-systemd's journal package), so
// that `journalctl -u rgmd` can search rgmd's messages by resource, group,
// type, method and node.
//
// Each record becomes one journal entry:
//
//   - MESSAGE is the record's message followed by its attributes in slog's
//     text form (key=value ...), so the default journalctl output says as
//     much as rgmd's text log on stderr.
//
//   - PRIORITY comes from the level: below Info is 7 (debug), Info and
//     Info+1 are 6 (info), Info+2 and Info+3 are 5 (notice), Warn to
//     Error-1 are 4 (warning), Error to Error+3 are 3 (err), and anything
//     higher is 2 (crit).
//
//   - Every attribute is also a field of its own. The attributes the whole
//     project uses for the objects a message is about have fixed names:
//
//     slog attribute   journal field
//     resource         RGM_RESOURCE
//     group            RGM_GROUP
//     type             RGM_TYPE
//     method           RGM_METHOD
//     node             RGM_NODE
//
//     Any other attribute key k becomes RGM_ + k upper-cased, with every
//     character other than A-Z, 0-9 and _ replaced by _ (so "err" is
//     RGM_ERR and "state_dir" is RGM_STATE_DIR); attributes inside a
//     slog group are prefixed with the group names joined by _. The RGM_
//     prefix keeps our fields from ever colliding with journald's own
//     (MESSAGE, PRIORITY, CODE_FILE, ...).
//
//   - SYSLOG_IDENTIFIER is the identifier given to NewHandler ("rgmd").
//
// Code that logs a callback's output should log each line with the
// attributes resource, group, type, method and node (and stream, stdout
// or stderr), so that `journalctl RGM_RESOURCE=web-rs` shows the
// resource's whole history including what its methods printed.
//
// journald's socket path is fixed in go-systemd; when sending fails (no
// journald, or a full socket buffer that even a memfd cannot get around)
// the handler writes the record as text to its fallback writer instead of
// losing it.
package journal

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	sdjournal "github.com/coreos/go-systemd/v22/journal"
)

// The slog attribute keys every part of OpenRGM uses for the objects a
// message is about; each has a fixed journal field (see the package doc).
const (
	AttrResource = "resource" // RGM_RESOURCE
	AttrGroup    = "group"    // RGM_GROUP
	AttrType     = "type"     // RGM_TYPE: a resource type's full name
	AttrMethod   = "method"   // RGM_METHOD: START, STOP, MONITOR_CHECK, ...
	AttrNode     = "node"     // RGM_NODE
)

var fieldNames = map[string]string{
	AttrResource: "RGM_RESOURCE",
	AttrGroup:    "RGM_GROUP",
	AttrType:     "RGM_TYPE",
	AttrMethod:   "RGM_METHOD",
	AttrNode:     "RGM_NODE",
}

// Identifier is the SYSLOG_IDENTIFIER of every entry.
const Identifier = "rgmd"

// Handler is an slog.Handler writing to the journal. Create it with
// NewHandler; it is safe for concurrent use.
type Handler struct {
	opts     slog.HandlerOptions
	fallback io.Writer
	mu       *sync.Mutex // serialises fallback writes
	prefix   string      // field-name prefix from WithGroup, "" or "A_B_"
	textPfx  string      // key prefix in MESSAGE text, "" or "a.b."
	attrs    []attr      // from WithAttrs, already resolved
	// send is go-systemd's journal.Send; tests replace it.
	send func(msg string, pri sdjournal.Priority, vars map[string]string) error
}

type attr struct {
	field, text, value string
}

// NewHandler returns a handler that sends to the journal, and writes a
// record as text to fallback when the journal cannot take it. opts may be
// nil; its ReplaceAttr is not supported and ignored.
func NewHandler(fallback io.Writer, opts *slog.HandlerOptions) *Handler {
	h := &Handler{fallback: fallback, mu: &sync.Mutex{}, send: sdjournal.Send}
	if opts != nil {
		h.opts = *opts
	}
	return h
}

// Enabled reports whether level is at or above the handler's level.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	min := slog.LevelInfo
	if h.opts.Level != nil {
		min = h.opts.Level.Level()
	}
	return level >= min
}

// WithAttrs returns a handler whose entries also carry as.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]attr(nil), h.attrs...), h.flatten(nil, h.prefix, h.textPfx, as)...)
	return &h2
}

// WithGroup returns a handler that puts later attributes in group name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + fieldPart(name) + "_"
	h2.textPfx = h.textPfx + name + "."
	return &h2
}

// Handle sends r to the journal.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	msg, pri, vars := h.Encode(r)
	err := h.send(msg, pri, vars)
	if err != nil && h.fallback != nil {
		h.mu.Lock()
		defer h.mu.Unlock()
		_, err = fmt.Fprintf(h.fallback, "<%d>%s\n", pri, msg)
	}
	return err
}

// Encode returns what Handle sends for r: the MESSAGE text, the priority
// and the other fields.
func (h *Handler) Encode(r slog.Record) (string, sdjournal.Priority, map[string]string) {
	var rattrs []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		rattrs = append(rattrs, a)
		return true
	})
	all := append(append([]attr(nil), h.attrs...), h.flatten(nil, h.prefix, h.textPfx, rattrs)...)
	vars := map[string]string{"SYSLOG_IDENTIFIER": Identifier}
	var b strings.Builder
	b.WriteString(r.Message)
	for _, a := range all {
		vars[a.field] = a.value
		b.WriteByte(' ')
		b.WriteString(a.text)
		b.WriteByte('=')
		b.WriteString(quote(a.value))
	}
	if h.opts.AddSource && r.PC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		vars["CODE_FILE"] = f.File
		vars["CODE_LINE"] = strconv.Itoa(f.Line)
		vars["CODE_FUNC"] = f.Function
	}
	return b.String(), Priority(r.Level), vars
}

// Priority maps an slog level to a journal (syslog) priority; see the
// package doc for the table.
func Priority(l slog.Level) sdjournal.Priority {
	switch {
	case l < slog.LevelInfo:
		return sdjournal.PriDebug
	case l < slog.LevelInfo+2:
		return sdjournal.PriInfo
	case l < slog.LevelWarn:
		return sdjournal.PriNotice
	case l < slog.LevelError:
		return sdjournal.PriWarning
	case l < slog.LevelError+4:
		return sdjournal.PriErr
	default:
		return sdjournal.PriCrit
	}
}

// FieldName returns the journal field of the attribute key (inside the
// slog groups whose field prefix is prefix, "" at the top level).
func FieldName(prefix, key string) string {
	if prefix == "" {
		if f, ok := fieldNames[key]; ok {
			return f
		}
	}
	return "RGM_" + prefix + fieldPart(key)
}

// fieldPart upper-cases s and replaces what a journal field name may not
// hold with _.
func fieldPart(s string) string {
	b := []byte(strings.ToUpper(s))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// flatten resolves as into attrs, descending into groups.
func (h *Handler) flatten(out []attr, prefix, textPfx string, as []slog.Attr) []attr {
	for _, a := range as {
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			sub := prefix
			subText := textPfx
			if a.Key != "" { // an empty key inlines the group, as slog does
				sub += fieldPart(a.Key) + "_"
				subText += a.Key + "."
			}
			out = h.flatten(out, sub, subText, v.Group())
			continue
		}
		if a.Key == "" {
			continue
		}
		out = append(out, attr{field: FieldName(prefix, a.Key), text: textPfx + a.Key, value: v.String()})
	}
	return out
}

// quote quotes s for the MESSAGE text when slog's text handler would.
func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"=\\") || !strconv.CanBackquote(s) {
		return strconv.Quote(s)
	}
	return s
}

// IsStream reports whether f is connected to the journal's stream
// transport: JOURNAL_STREAM, which systemd sets for a service whose
// output goes to the journal, names f's device and inode. A process whose
// stderr was redirected elsewhere inherits JOURNAL_STREAM but no longer
// matches, which is why the variable alone is not enough.
func IsStream(f *os.File) (bool, error) {
	js := os.Getenv("JOURNAL_STREAM")
	if js == "" {
		return false, nil
	}
	dev, ino, ok := strings.Cut(js, ":")
	d, err1 := strconv.ParseUint(dev, 10, 64)
	i, err2 := strconv.ParseUint(ino, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return false, fmt.Errorf("malformed JOURNAL_STREAM=%q", js)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return false, err
	}
	return uint64(st.Dev) == d && uint64(st.Ino) == i, nil
}

var _ slog.Handler = (*Handler)(nil)
