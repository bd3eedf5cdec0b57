package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
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
	// The stream takes the connection over from the HTTP server: what a
	// subscriber costs is then its TLS connection and one goroutine,
	// not the server's buffers and its reader goroutine as well, which
	// matters with thousands of subscribers. The body ends when the
	// connection closes (HTTP/1.1 allows that without chunking).
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeError(w, scha.Errorf(scha.ErrInternal, "events: the connection cannot be streamed"))
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		writeError(w, scha.Errorf(scha.ErrInternal, "events: %v", err))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	st := s.streams.add(conn, cancel)
	defer s.streams.remove(st)
	conn.SetReadDeadline(time.Time{})
	wt := or(s.WriteTimeout, DefaultWriteTimeout)
	var buf bytes.Buffer
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\nretry: 1000\n\n")
	if st.write(buf.Bytes(), wt) != nil {
		return
	}
	err = s.Backend.Follow(ctx, a, true, func(e wire.Event) error {
		buf.Reset()
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
		return st.write(buf.Bytes(), wt)
	})
	if err != nil && ctx.Err() == nil {
		s.logger().Debug("event subscriber cut", "addr", r.RemoteAddr, "err", err)
	}
}

// KeepaliveInterval is how often an idle event stream gets a comment
// line: it tells the client the stream is alive, and rgmd that the
// client is (a write to one that left fails, and ends its stream).
const KeepaliveInterval = 15 * time.Second

// stream is one event subscriber's connection, written by its handler and
// by the keepalive loop, one at a time.
type stream struct {
	mu     sync.Mutex
	conn   net.Conn
	cancel func()
}

func (st *stream) write(b []byte, timeout time.Duration) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := st.conn.Write(b)
	return err
}

// streams are the open event streams; one goroutine keeps them alive.
type streams struct {
	mu   sync.Mutex
	set  map[*stream]struct{}
	loop bool
}

func (ss *streams) add(conn net.Conn, cancel func()) *stream {
	st := &stream{conn: conn, cancel: cancel}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.set == nil {
		ss.set = map[*stream]struct{}{}
	}
	ss.set[st] = struct{}{}
	if !ss.loop {
		ss.loop = true
		go ss.keepalive()
	}
	return st
}

func (ss *streams) remove(st *stream) {
	ss.mu.Lock()
	delete(ss.set, st)
	ss.mu.Unlock()
	st.conn.Close()
}

// keepalive writes a comment to every stream each KeepaliveInterval,
// ending those whose client is gone or does not read; it stops when no
// stream is left.
func (ss *streams) keepalive() {
	ping := []byte(": keepalive\n\n")
	for {
		time.Sleep(KeepaliveInterval)
		ss.mu.Lock()
		if len(ss.set) == 0 {
			ss.loop = false
			ss.mu.Unlock()
			return
		}
		all := make([]*stream, 0, len(ss.set))
		for st := range ss.set {
			all = append(all, st)
		}
		ss.mu.Unlock()
		for _, st := range all {
			// TryLock: a stream busy writing an event is alive, or
			// will be cut by its own write's deadline.
			if !st.mu.TryLock() {
				continue
			}
			st.conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, err := st.conn.Write(ping)
			st.mu.Unlock()
			if err != nil {
				st.cancel()
			}
		}
	}
}
