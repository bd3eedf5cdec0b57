package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// events serves GET /v1/events: Server-Sent Events, one per change, each
// with id EPOCH.N (N the event's number, EPOCH the rgmd run that numbered
// it). A client resumes with the Last-Event-ID header (or ?since=N) and
// gets every event kept after it; a client that fell further behind than
// the history gets a "lost" event with the count first, and one that
// resumes from another run's (or node's) number a "reset" event. A
// subscriber that stops reading is cut when a write stalls for
// WriteTimeout, or when it falls out of the history: its next resume
// tells it what it missed.
//
// Filters: ?group=G, ?resource=R, ?kind=K (repeatable or comma-separated).
func (s *Server) events(w http.ResponseWriter, r *http.Request, _ Caller) {
	q := r.URL.Query()
	a := wire.EventsArgs{Group: q.Get("group"), Resource: q.Get("resource")}
	for _, k := range q["kind"] {
		for _, k := range strings.Split(k, ",") {
			if k = strings.TrimSpace(k); k != "" {
				a.Kinds = append(a.Kinds, k)
			}
		}
	}
	from := q.Get("since")
	if h := r.Header.Get("Last-Event-ID"); h != "" {
		from = h
	}
	if from != "" {
		epoch, n, err := parseEventID(from)
		if err != nil {
			writeError(w, scha.Errorf(scha.ErrInval, "%v", err))
			return
		}
		a.Since, a.Epoch = &n, epoch
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{}) // a stream has no end: only writes are bounded
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	wt := or(s.WriteTimeout, DefaultWriteTimeout)
	var buf bytes.Buffer
	write := func() error {
		rc.SetWriteDeadline(time.Now().Add(wt))
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		buf.Reset()
		return rc.Flush()
	}
	buf.WriteString("retry: 1000\n\n")
	if write() != nil {
		return
	}
	err := s.Backend.Follow(r.Context(), a, true, func(e wire.Event) error {
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if e.Seq > 0 {
			buf.WriteString("id: " + eventID(e) + "\n")
		}
		buf.WriteString("event: " + e.Kind + "\ndata: ")
		buf.Write(data)
		buf.WriteString("\n\n")
		return write()
	})
	if err != nil && !errors.Is(err, r.Context().Err()) {
		s.logger().Debug("event subscriber cut", "addr", r.RemoteAddr, "err", err)
	}
}
