package daemon_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/daemon"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// socketPath returns a socket path in a new short temp directory:
// t.TempDir() names can pass the 108-byte sun_path limit.
func socketPath(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "rgm")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "rgmd.sock")
}

// testLogger sends the server's log to the test's log, so a failing test
// shows it and a passing one stays quiet.
func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// toyHandlers is a handler map with one of each kind of behaviour.
func toyHandlers() map[string]daemon.Handler {
	return map[string]daemon.Handler{
		"echo": func(_ context.Context, _ daemon.Peer, args json.RawMessage) (any, error) {
			return args, nil
		},
		"fail": func(context.Context, daemon.Peer, json.RawMessage) (any, error) {
			return nil, fmt.Errorf("looking up: %w", scha.Errorf(scha.ErrRG, "no group %q", "rg9"))
		},
		"plainfail": func(context.Context, daemon.Peer, json.RawMessage) (any, error) {
			return nil, errors.New("disk on fire")
		},
		"panic": func(context.Context, daemon.Peer, json.RawMessage) (any, error) {
			var m map[string]int
			//lint:ignore SA5000 the nil map write is the point
			m["x"] = 1 // nil map write: a real bug, not a panic(value) staged for the test
			return nil, nil
		},
		wire.OpGet: func(_ context.Context, _ daemon.Peer, args json.RawMessage) (any, error) {
			var a wire.GetArgs
			if err := json.Unmarshal(args, &a); err != nil {
				return nil, scha.Errorf(scha.ErrInval, "get: %v", err)
			}
			v := a.Name + "/" + a.Tag
			if a.Name == "big" { // more than a socket buffer holds
				v = strings.Repeat("b", 4<<20)
			}
			return &wire.GetReply{Type: scha.ResultString, Values: []string{v}, Seq: 1}, nil
		},
		wire.OpPing: func(context.Context, daemon.Peer, json.RawMessage) (any, error) {
			return &wire.PingReply{Node: "n1", Protocol: wire.ProtocolVersion, PID: os.Getpid()}, nil
		},
		"whoami": func(_ context.Context, p daemon.Peer, _ json.RawMessage) (any, error) {
			return p, nil
		},
		wire.OpRGCreate: func(context.Context, daemon.Peer, json.RawMessage) (any, error) {
			return map[string]string{"created": "yes"}, nil
		},
	}
}

type running struct {
	path string
	stop func() // cancels Serve and waits for it to return
}

// serve runs srv on a fresh socket until the test ends.
func serve(tb testing.TB, srv *daemon.Server) *running {
	tb.Helper()
	path := socketPath(tb)
	return serveAt(tb, srv, path)
}

func serveAt(tb testing.TB, srv *daemon.Server, path string) *running {
	tb.Helper()
	if srv.Handlers == nil {
		srv.Handlers = toyHandlers()
	}
	if srv.Logger == nil {
		srv.Logger = testLogger(tb)
	}
	ln, err := daemon.Listen(path)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("Serve: %v", err)
			}
		})
	}
	tb.Cleanup(stop)
	return &running{path: path, stop: stop}
}

func newClient(tb testing.TB, path string) *client.Client {
	c := &client.Client{Socket: path}
	tb.Cleanup(func() { c.Close() })
	return c
}

// raw is a hand-driven connection, for sending what the client never would.
type raw struct {
	tb testing.TB
	c  net.Conn
	r  *bufio.Reader
}

func dialRaw(tb testing.TB, path string) *raw {
	tb.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return &raw{tb: tb, c: c, r: bufio.NewReader(c)}
}

func (r *raw) send(s string) {
	r.tb.Helper()
	if _, err := io.WriteString(r.c, s); err != nil {
		r.tb.Fatal(err)
	}
}

func (r *raw) reply() wire.Reply {
	r.tb.Helper()
	line, err := r.r.ReadBytes('\n')
	if err != nil {
		r.tb.Fatalf("reading reply: %v (got %q)", err, line)
	}
	var rep wire.Reply
	if err := json.Unmarshal(line, &rep); err != nil {
		r.tb.Fatalf("reply %q: %v", line, err)
	}
	return rep
}

// closed reports whether the server closed the connection (after any
// replies already read).
func (r *raw) closed() bool {
	_, err := r.r.ReadByte()
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// stillServes checks that a new client gets answers.
func stillServes(tb testing.TB, path string) {
	tb.Helper()
	c := newClient(tb, path)
	var out string
	if err := c.Call(context.Background(), "echo", "alive", &out); err != nil || out != "alive" {
		tb.Fatalf("server no longer serves: %q, %v", out, err)
	}
}

func TestRoundTrip(t *testing.T) {
	s := serve(t, &daemon.Server{})
	c := newClient(t, s.path)
	ctx := context.Background()

	var out map[string]any
	if err := c.Call(ctx, "echo", map[string]any{"a": 1, "b": []string{"x"}}, &out); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out) != "map[a:1 b:[x]]" {
		t.Errorf("echo = %v", out)
	}
	got, err := c.Get(ctx, wire.GetArgs{Kind: wire.KindResource, Name: "r1", Tag: "Status"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Values) != 1 || got.Values[0] != "r1/Status" || got.Type != scha.ResultString {
		t.Errorf("get = %+v", got)
	}
	ping, err := c.Ping(ctx)
	if err != nil || ping.Node != "n1" || ping.PID != os.Getpid() {
		t.Errorf("ping = %+v, %v", ping, err)
	}
	if err := c.Call(ctx, "echo", nil, nil); err != nil {
		t.Errorf("no args, no out: %v", err)
	}
}

func TestHandlerErrors(t *testing.T) {
	s := serve(t, &daemon.Server{})
	c := newClient(t, s.path)
	tests := []struct {
		op     string
		code   scha.ErrCode
		detail string
	}{
		{"fail", scha.ErrRG, `no group "rg9"`},
		{"plainfail", scha.ErrInternal, "disk on fire"},
		{"panic", scha.ErrInternal, "panic"},
		{"no.such.op", scha.ErrInval, `unknown operation "no.such.op"`},
		{"echo", scha.ErrNoErr, ""}, // the connection survived all of the above
	}
	for _, tt := range tests {
		err := c.Call(context.Background(), tt.op, 1, nil)
		if got := scha.CodeOf(err); got != tt.code {
			t.Errorf("%s: code %v (%v), want %v", tt.op, got.Symbol(), err, tt.code.Symbol())
		}
		if !strings.Contains(scha.DetailOf(err), tt.detail) {
			t.Errorf("%s: detail %q lacks %q", tt.op, scha.DetailOf(err), tt.detail)
		}
	}
}

func TestManyRequestsPerConnection(t *testing.T) {
	s := serve(t, &daemon.Server{})
	r := dialRaw(t, s.path)
	// Pipelined: all requests first, then all replies, in order.
	const n = 200
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"v":1,"id":%d,"op":"echo","args":%d}`+"\n", i, i)
	}
	go io.WriteString(r.c, b.String())
	for i := 1; i <= n; i++ {
		rep := r.reply()
		if rep.ID != uint64(i) || rep.Code != 0 || string(rep.Data) != fmt.Sprint(i) {
			t.Fatalf("reply %d = %+v", i, rep)
		}
	}
}

func TestConcurrentClients(t *testing.T) {
	s := serve(t, &daemon.Server{})
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 32 {
		wg.Go(func() {
			c := &client.Client{Socket: s.path}
			defer c.Close()
			for i := range 50 {
				want := fmt.Sprintf("%d-%d", g, i)
				var got string
				if err := c.Call(context.Background(), "echo", want, &got); err != nil || got != want {
					errs <- fmt.Errorf("client %d call %d: %q, %v", g, i, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestGarbageLine(t *testing.T) {
	s := serve(t, &daemon.Server{})
	for _, garbage := range []string{"hello\n", "\n", "null\n", `{"v":1,"id":3,"op":` + "\n", "[1,2]\n", "\x00\xff\xfe\n"} {
		r := dialRaw(t, s.path)
		r.send(garbage)
		rep := r.reply()
		if rep.Code != scha.ErrInval || rep.ID != 0 || !strings.Contains(rep.Message, "malformed") {
			t.Errorf("%q: reply %+v", garbage, rep)
		}
		if !r.closed() {
			t.Errorf("%q: connection left open", garbage)
		}
	}
	stillServes(t, s.path)
}

func TestOversizedLine(t *testing.T) {
	s := serve(t, &daemon.Server{})
	r := dialRaw(t, s.path)
	big := `{"v":1,"id":1,"op":"echo","args":"` + strings.Repeat("a", 2<<20) + `"}` + "\n"
	go io.WriteString(r.c, big) // fails with EPIPE once the server gives up: expected
	rep := r.reply()
	if rep.Code != scha.ErrInval || rep.Message != "message exceeds 1 MiB" {
		t.Errorf("reply %+v", rep)
	}
	if !r.closed() {
		t.Error("connection left open")
	}
	stillServes(t, s.path)
}

func TestHangUpMidMessage(t *testing.T) {
	s := serve(t, &daemon.Server{})
	for range 10 {
		r := dialRaw(t, s.path)
		r.send(`{"v":1,"id":1,"op":"ec`)
		r.c.Close()
	}
	// Also hang up before sending anything, and right after a request.
	dialRaw(t, s.path).c.Close()
	r := dialRaw(t, s.path)
	r.send(`{"v":1,"id":1,"op":"echo","args":1}` + "\n")
	r.c.Close()
	stillServes(t, s.path)
}

func TestMessageTimeout(t *testing.T) {
	s := serve(t, &daemon.Server{MessageTimeout: time.Millisecond})
	r := dialRaw(t, s.path)
	r.send(`{"v":1,"id":1,`) // and never the rest
	if !r.closed() {
		t.Error("a stalled message did not close the connection")
	}
}

func TestIdleTimeout(t *testing.T) {
	s := serve(t, &daemon.Server{IdleTimeout: time.Millisecond})
	r := dialRaw(t, s.path)
	if !r.closed() {
		t.Error("an idle connection was not closed")
	}
}

func TestProtocolVersion(t *testing.T) {
	s := serve(t, &daemon.Server{})
	r := dialRaw(t, s.path)
	r.send(fmt.Sprintf(`{"v":%d,"id":5,"op":"echo","args":1}`+"\n", wire.ProtocolVersion+1))
	rep := r.reply()
	want := fmt.Sprintf("protocol version %d not supported (max %d)", wire.ProtocolVersion+1, wire.ProtocolVersion)
	if rep.Code != scha.ErrInval || rep.ID != 5 || !strings.Contains(rep.Message, want) {
		t.Errorf("reply %+v", rep)
	}
	if rep.Version != wire.ProtocolVersion {
		t.Errorf("reply version %d", rep.Version)
	}
	// A refused version is an answer, not a protocol break: carry on.
	r.send(`{"v":1,"id":6,"op":"echo","args":2,"added_in_v9":true}` + "\n")
	if rep := r.reply(); rep.ID != 6 || rep.Code != 0 || string(rep.Data) != "2" {
		t.Errorf("next reply %+v", rep)
	}
}

func TestServerSeesPeerCredentials(t *testing.T) {
	s := serve(t, &daemon.Server{})
	c := newClient(t, s.path)
	var p daemon.Peer
	if err := c.Call(context.Background(), "whoami", nil, &p); err != nil {
		t.Fatal(err)
	}
	want := daemon.Peer{PID: os.Getpid(), UID: os.Geteuid(), GID: os.Getegid()}
	if p != want {
		t.Errorf("peer = %+v, want %+v", p, want)
	}
}

func TestDefaultAuthorize(t *testing.T) {
	me := os.Geteuid()
	foreign := me + 1
	if me == 0 {
		foreign = 4242
	}
	tests := []struct {
		uid  int
		op   string
		want scha.ErrCode
	}{
		{foreign, wire.OpGet, scha.ErrNoErr},
		{foreign, wire.OpStatus, scha.ErrNoErr},
		{-1, wire.OpPing, scha.ErrNoErr},
		{foreign, wire.OpRGCreate, scha.ErrAccess},
		{foreign, wire.OpControl, scha.ErrAccess},
		{foreign, "no.such.op", scha.ErrAccess}, // unknown ops are not reads
		{-1, wire.OpRGCreate, scha.ErrAccess},
		{me, wire.OpRGCreate, scha.ErrNoErr},
		{0, wire.OpRSDelete, scha.ErrNoErr},
	}
	for _, tt := range tests {
		err := daemon.DefaultAuthorize(daemon.Peer{PID: 99, UID: tt.uid, GID: tt.uid}, tt.op)
		if got := scha.CodeOf(err); got != tt.want {
			t.Errorf("uid %d %s: %v, want %v", tt.uid, tt.op, err, tt.want.Symbol())
		}
	}
}

func TestAuthorizeHook(t *testing.T) {
	var called atomic.Int32
	h := toyHandlers()
	h[wire.OpRGCreate] = func(context.Context, daemon.Peer, json.RawMessage) (any, error) {
		called.Add(1)
		return nil, nil
	}
	s := serve(t, &daemon.Server{
		Handlers: h,
		Authorize: func(p daemon.Peer, op string) error {
			// Pretend the caller is someone else.
			p.UID = os.Geteuid() + 1
			return daemon.DefaultAuthorize(p, op)
		},
	})
	c := newClient(t, s.path)
	err := c.Call(context.Background(), wire.OpRGCreate, wire.RGArgs{Name: "rg1"}, nil)
	if scha.CodeOf(err) != scha.ErrAccess {
		t.Errorf("mutation by a foreign uid: %v", err)
	}
	if called.Load() != 0 {
		t.Error("refused handler ran")
	}
	if _, err := c.Get(context.Background(), wire.GetArgs{Kind: wire.KindCluster, Tag: "x"}); err != nil {
		t.Errorf("read by a foreign uid: %v", err)
	}
}

func TestServeStops(t *testing.T) {
	block := make(chan struct{})
	var started sync.WaitGroup
	started.Add(1)
	h := toyHandlers()
	h["block"] = func(ctx context.Context, _ daemon.Peer, _ json.RawMessage) (any, error) {
		started.Done()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-block:
			return nil, nil
		}
	}
	s := serve(t, &daemon.Server{Handlers: h})
	idle := dialRaw(t, s.path)
	busy := dialRaw(t, s.path)
	busy.send(`{"v":1,"id":1,"op":"block"}` + "\n")
	started.Wait()

	s.stop() // returns only once Serve has: the blocked handler saw ctx end

	if !idle.closed() {
		t.Error("idle connection survived shutdown")
	}
	if _, err := os.Stat(s.path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after shutdown: %v", err)
	}
	close(block)
}

// brokenListener fails to accept with a permanent error.
type brokenListener struct {
	net.Listener
	closed atomic.Bool
}

func (l *brokenListener) Accept() (net.Conn, error) { return nil, errors.New("listener broke") }
func (l *brokenListener) Close() error              { l.closed.Store(true); return nil }

func TestServeReturnsAcceptError(t *testing.T) {
	ln := new(brokenListener)
	srv := &daemon.Server{Handlers: toyHandlers(), Logger: testLogger(t)}
	err := srv.Serve(context.Background(), ln)
	if err == nil || err.Error() != "listener broke" {
		t.Errorf("Serve = %v", err)
	}
	if !ln.closed.Load() {
		t.Error("listener left open")
	}
}

func TestListen(t *testing.T) {
	dir, err := os.MkdirTemp("", "rgm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Creates the directory, and the socket is open to all local users.
	path := filepath.Join(dir, "sub", "rgmd.sock")
	ln, err := daemon.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o666 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("socket: %v, %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm()&0o555 != 0o555 {
		t.Errorf("directory: %v, %v", fi.Mode(), err)
	}

	// A live socket is not taken over.
	if _, err := daemon.Listen(path); err == nil || !strings.Contains(err.Error(), "another rgmd is listening on "+path) {
		t.Errorf("second Listen: %v", err)
	}

	// A stale one (its daemon died without unlinking) is.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	ln, err = daemon.Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln.Close()

	// Anything else is left alone.
	file := filepath.Join(dir, "notasocket")
	os.WriteFile(file, []byte("precious"), 0o644)
	if _, err := daemon.Listen(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen on a regular file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "precious" {
		t.Error("regular file was touched")
	}

	long := "/tmp/" + strings.Repeat("x", 110) + "/rgmd.sock"
	if _, err := daemon.Listen(long); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("Listen on a long path: %v", err)
	}
}

// BenchmarkGet measures one client's round-trip latency on a trivial
// handler over a real socket.
func BenchmarkGet(b *testing.B) {
	s := serve(b, &daemon.Server{Logger: slog.New(slog.DiscardHandler)})
	c := newClient(b, s.path)
	args := wire.GetArgs{Kind: wire.KindResource, Name: "r1", Tag: "Status"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, args); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkGetParallel16 measures throughput with 16 clients, each with its
// own connection, as when many callbacks query at once.
func BenchmarkGetParallel16(b *testing.B) {
	s := serve(b, &daemon.Server{Logger: slog.New(slog.DiscardHandler)})
	const clients = 16
	cs := make([]*client.Client, clients)
	for i := range cs {
		cs[i] = newClient(b, s.path)
		if _, err := cs[i].Ping(context.Background()); err != nil { // connect outside the timing
			b.Fatal(err)
		}
	}
	args := wire.GetArgs{Kind: wire.KindResource, Name: "r1", Tag: "Status"}
	var left atomic.Int64
	left.Store(int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if _, err := c.Get(context.Background(), args); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// The lane (lane.go) answers a first get at once, but nothing a client
// sends may hold it: a slow first request, several at once and a big reply
// to a reader that does not read all go on in serveConn's goroutine.

func getLine(id int, name string) string {
	return fmt.Sprintf(`{"v":1,"id":%d,"op":"get","args":{"kind":"resource","name":%q,"tag":"T"}}`, id, name) + "\n"
}

func TestLaneSlowFirstRequest(t *testing.T) {
	s := serve(t, &daemon.Server{})
	r := dialRaw(t, s.path)
	line := getLine(1, "r1")
	r.send(line[:10])
	time.Sleep(20 * time.Millisecond) // well past the lane's wait
	stillServes(t, s.path)
	r.send(line[10:])
	if rep := r.reply(); rep.Code != 0 || !strings.Contains(string(rep.Data), "r1/T") {
		t.Errorf("reply %+v", rep)
	}
	r.send(getLine(2, "r2")) // and the connection carries on
	if rep := r.reply(); rep.ID != 2 || !strings.Contains(string(rep.Data), "r2/T") {
		t.Errorf("second reply %+v", rep)
	}
}

func TestLaneRequestsAtOnce(t *testing.T) {
	s := serve(t, &daemon.Server{})
	r := dialRaw(t, s.path)
	r.send(getLine(1, "a") + `{"v":1,"id":2,"op":"echo","args":"b"}` + "\n" + getLine(3, "c"))
	for i, want := range []string{"a/T", `"b"`, "c/T"} {
		if rep := r.reply(); rep.ID != uint64(i+1) || !strings.Contains(string(rep.Data), want) {
			t.Errorf("reply %d: %+v", i+1, rep)
		}
	}
}

func TestLaneBigReplyToSlowReader(t *testing.T) {
	s := serve(t, &daemon.Server{})
	r := dialRaw(t, s.path)
	r.send(getLine(1, "big"))
	time.Sleep(20 * time.Millisecond) // the reply fills the socket; the lane must not wait for us
	stillServes(t, s.path)
	rep := r.reply()
	var got wire.GetReply
	if err := json.Unmarshal(rep.Data, &got); err != nil || len(got.Values) != 1 || len(got.Values[0]) != 4<<20 {
		t.Fatalf("big reply: %v, %d values", err, len(got.Values))
	}
}

func TestLaneFirstRequestOtherThanGet(t *testing.T) {
	s := serve(t, &daemon.Server{})
	for line, code := range map[string]scha.ErrCode{
		`{"v":1,"id":7,"op":"fail"}`:             scha.ErrRG,
		`{"v":1,"id":7,"op":"rg.create"}`:        scha.ErrNoErr,
		`{"v":1,"id":7,"op":"get","args":7}`:     scha.ErrInval, // answered by the lane, as an error
		`{"v":1,"id":7,"op":"nosuch","args":{}}`: scha.ErrInval,
	} {
		r := dialRaw(t, s.path)
		r.send(line + "\n")
		if rep := r.reply(); rep.ID != 7 || rep.Code != code {
			t.Errorf("%s: reply %+v", line, rep)
		}
	}
}

// A first request the lane does not answer is served on the lane's thread,
// which hands accepting to a new one first: clients whose requests block
// hold up nobody, and shutdown still waits for them.
func TestLaneBusyFirstRequests(t *testing.T) {
	release := make(chan struct{})
	h := toyHandlers()
	h["block"] = func(ctx context.Context, _ daemon.Peer, args json.RawMessage) (any, error) {
		if string(args) == `"forever"` {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		<-release
		return "released", nil
	}
	s := serve(t, &daemon.Server{Handlers: h})
	forever := dialRaw(t, s.path)
	forever.send(`{"v":1,"id":1,"op":"block","args":"forever"}` + "\n")
	var blocked []*raw
	for i := 0; i < 3; i++ {
		r := dialRaw(t, s.path)
		r.send(`{"v":1,"id":2,"op":"block","args":"x"}` + "\n")
		blocked = append(blocked, r)
		stillServes(t, s.path)
	}
	r := dialRaw(t, s.path)
	r.send(getLine(3, "g"))
	if rep := r.reply(); !strings.Contains(string(rep.Data), "g/T") {
		t.Errorf("get while others block: %+v", rep)
	}
	close(release)
	for _, r := range blocked {
		if rep := r.reply(); rep.ID != 2 || string(rep.Data) != `"released"` {
			t.Errorf("blocked request: %+v", rep)
		}
	}
	s.stop() // with a request still blocked until shutdown
}

// plainListener hides the *net.UnixListener, so Serve uses its accept loop.
type plainListener struct{ net.Listener }

func TestAcceptLoopWithoutLane(t *testing.T) {
	path := socketPath(t)
	ln, err := daemon.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &daemon.Server{Handlers: toyHandlers(), Logger: testLogger(t)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, plainListener{ln}) }()
	r := dialRaw(t, path)
	r.send(getLine(1, "x"))
	if rep := r.reply(); !strings.Contains(string(rep.Data), "x/T") {
		t.Errorf("reply %+v", rep)
	}
	stillServes(t, path)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestLaneTrickle(t *testing.T) {
	s := serve(t, &daemon.Server{})
	r := dialRaw(t, s.path)
	// Leading blanks, one every 100µs, until another client has
	// been served: a lane that waited for each byte in turn would read
	// its whole buffer (4096) first.
	started, served := make(chan struct{}), make(chan struct{})
	sent := make(chan int)
	go func() {
		n := 0
		for ; n < 5000; n++ {
			select {
			case <-served:
				sent <- n
				return
			default:
			}
			if n == 20 {
				close(started)
			}
			io.WriteString(r.c, " ")
			for t0 := time.Now(); time.Since(t0) < 100*time.Microsecond; {
				// spin: a sleep this short is not kept on a busy machine
			}
		}
		sent <- n
	}()
	<-started
	stillServes(t, s.path)
	close(served)
	if n := <-sent; n >= 2000 {
		t.Errorf("the lane read %d trickled bytes before serving anyone else", n)
	}
	r.send(getLine(1, "slow"))
	if rep := r.reply(); !strings.Contains(string(rep.Data), "slow/T") {
		t.Errorf("reply %+v", rep)
	}
}
