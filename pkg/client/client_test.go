package client_test

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
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/daemon"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// socketPath returns a path in a new short temp directory: t.TempDir()
// names can pass the 108-byte sun_path limit.
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rgm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "rgmd.sock")
}

var handlers = map[string]daemon.Handler{
	wire.OpPing: func(context.Context, daemon.Peer, json.RawMessage) (any, error) {
		return wire.PingReply{Node: "n1", Protocol: wire.ProtocolVersion}, nil
	},
	wire.OpGet: func(_ context.Context, _ daemon.Peer, args json.RawMessage) (any, error) {
		var a wire.GetArgs
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, scha.Errorf(scha.ErrInval, "%v", err)
		}
		if a.Name != "r1" {
			return nil, scha.Errorf(scha.ErrRsrc, "no resource %q", a.Name)
		}
		return wire.GetReply{Type: scha.ResultStringArray, Values: append([]string{a.Tag}, a.Operands...), Seq: 7}, nil
	},
	wire.OpRGCreate: func(_ context.Context, _ daemon.Peer, args json.RawMessage) (any, error) {
		var a wire.RGArgs
		json.Unmarshal(args, &a)
		return map[string]string{"name": a.Name}, nil
	},
	"sleep": func(ctx context.Context, _ daemon.Peer, args json.RawMessage) (any, error) {
		if string(args) == `"signal"` {
			sleeping <- struct{}{}
		}
		<-ctx.Done() // until the server stops: longer than any client timeout here
		return nil, ctx.Err()
	},
}

// sleeping receives a value when a "sleep" request with the argument
// "signal" has reached the server.
var sleeping = make(chan struct{})

// startServer serves handlers at path until the returned stop is called or
// the test ends.
func startServer(t *testing.T, path string) (stop func()) {
	t.Helper()
	ln, err := daemon.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &daemon.Server{Handlers: handlers, Logger: slog.New(slog.DiscardHandler)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestCall(t *testing.T) {
	path := socketPath(t)
	startServer(t, path)
	c := &client.Client{Socket: path}
	defer c.Close()
	ctx := context.Background()

	got, err := c.Get(ctx, wire.GetArgs{Kind: wire.KindResource, Name: "r1", Tag: "Resource_dependencies", Operands: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != scha.ResultStringArray || got.Seq != 7 || strings.Join(got.Values, ",") != "Resource_dependencies,x" {
		t.Errorf("Get = %+v", got)
	}
	var out map[string]string
	if err := c.Call(ctx, wire.OpRGCreate, wire.RGArgs{Name: "rg1"}, &out); err != nil || out["name"] != "rg1" {
		t.Errorf("Call = %v, %v", out, err)
	}
	if p, err := c.Ping(ctx); err != nil || p.Node != "n1" {
		t.Errorf("Ping = %+v, %v", p, err)
	}
}

func TestErrorCodes(t *testing.T) {
	path := socketPath(t)
	startServer(t, path)
	c := &client.Client{Socket: path}
	defer c.Close()
	ctx := context.Background()

	_, err := c.Get(ctx, wire.GetArgs{Kind: wire.KindResource, Name: "nope", Tag: "Status"})
	var se *scha.Error
	if !errors.As(err, &se) || se.Code != scha.ErrRsrc || se.Detail != `no resource "nope"` {
		t.Errorf("daemon error: %#v", err)
	}
	err = c.Call(ctx, "bogus", nil, nil)
	if scha.CodeOf(err) != scha.ErrInval || !strings.Contains(scha.DetailOf(err), "unknown operation") {
		t.Errorf("unknown op: %v", err)
	}
	err = c.Call(ctx, wire.OpGet, func() {}, nil)
	if scha.CodeOf(err) != scha.ErrInval {
		t.Errorf("unencodable args: %v", err)
	}
	var wrong struct{ Values int }
	err = c.Call(ctx, wire.OpGet, wire.GetArgs{Name: "r1"}, &wrong)
	if scha.CodeOf(err) != scha.ErrInternal || !strings.Contains(scha.DetailOf(err), "decoding") {
		t.Errorf("undecodable reply: %v", err)
	}
	// Errors do not spoil the connection.
	if _, err := c.Ping(ctx); err != nil {
		t.Error(err)
	}
}

func TestNotRunning(t *testing.T) {
	// No socket file at all.
	path := socketPath(t)
	c := &client.Client{Socket: path}
	err := c.Call(context.Background(), wire.OpPing, nil, nil)
	if scha.CodeOf(err) != scha.ErrInternal {
		t.Errorf("code %v", err)
	}
	d := scha.DetailOf(err)
	if !strings.Contains(d, "cannot connect to rgmd at "+path+": no such file or directory") || !strings.Contains(d, "is rgmd running?") {
		t.Errorf("detail %q", d)
	}

	// A socket file whose daemon died.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	err = c.Call(context.Background(), wire.OpPing, nil, nil)
	want := "cannot connect to rgmd at " + path + ": connection refused (is rgmd running? start it with `rgmd &` or `systemctl start rgmd`)"
	if scha.CodeOf(err) != scha.ErrInternal || scha.DetailOf(err) != want {
		t.Errorf("got %v\nwant detail %q", err, want)
	}
}

// TestStartHint: a client run from a source tree's bin suggests make
// start there first; any other only rgmd and systemctl.
func TestStartHint(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "scripts", "start.sh"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	plain := "`rgmd &` or `systemctl start rgmd`"
	for exe, want := range map[string]string{
		filepath.Join(root, "bin", "rgmadm"):        "`make start` in " + root + ", " + plain,
		filepath.Join(root, "other", "rgmadm"):      plain,
		filepath.Join(root, "bin", "sub", "rgmadm"): plain,
		"/usr/bin/rgmadm":                           plain,
	} {
		if got := client.StartHint(exe); got != want {
			t.Errorf("StartHint(%s) = %q, want %q", exe, got, want)
		}
	}
}

func TestZeroValueUsesRGMSocket(t *testing.T) {
	path := socketPath(t)
	startServer(t, path)
	t.Setenv("RGM_SOCKET", path)
	var c client.Client
	defer c.Close()
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRedialAfterRestart(t *testing.T) {
	path := socketPath(t)
	stop := startServer(t, path)
	c := &client.Client{Socket: path}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	stop() // closes every connection, ours included
	err := c.Call(ctx, wire.OpPing, nil, nil)
	if scha.CodeOf(err) != scha.ErrInternal || !strings.Contains(scha.DetailOf(err), "is rgmd running?") {
		t.Errorf("while stopped: %v", err)
	}

	stop = startServer(t, path)
	if _, err := c.Ping(ctx); err != nil {
		t.Errorf("read after restart: %v", err)
	}

	// Restart while the client holds a connection: even a mutation goes
	// out on a new one, because the client sees the close before sending.
	// Stop returns only after the server closed its end, so this is not
	// a race.
	stop()
	startServer(t, path)
	var out map[string]string
	if err := c.Call(ctx, wire.OpRGCreate, wire.RGArgs{Name: "rg2"}, &out); err != nil || out["name"] != "rg2" {
		t.Errorf("mutation after restart: %v, %v", out, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	path := socketPath(t)
	startServer(t, path)
	c := &client.Client{Socket: path}
	defer c.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				op := fmt.Sprint(g, "-", i)
				got, err := c.Get(context.Background(), wire.GetArgs{Name: "r1", Tag: op})
				if err != nil || got.Values[0] != op {
					t.Errorf("%s: %+v, %v", op, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestTimeout(t *testing.T) {
	path := socketPath(t)
	startServer(t, path)
	c := &client.Client{Socket: path, Timeout: time.Millisecond}
	defer c.Close()
	err := c.Call(context.Background(), "sleep", nil, nil)
	if scha.CodeOf(err) != scha.ErrTimeout {
		t.Errorf("Timeout: %v", err)
	}

	c.Timeout = 0
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-sleeping // the request reached the daemon: cancel mid-call
		cancel()
	}()
	err = c.Call(ctx, "sleep", "signal", nil)
	if scha.CodeOf(err) == scha.ErrNoErr || !strings.Contains(err.Error(), "cancel") {
		t.Errorf("cancelled: %v", err)
	}

	ctx, cancelTimeout := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancelTimeout()
	err = c.Call(ctx, "sleep", nil, nil)
	if scha.CodeOf(err) != scha.ErrTimeout {
		t.Errorf("context deadline: %v", err)
	}

	// A timed-out call leaves the stream out of step; the next call must
	// not read the stale reply.
	if _, err := c.Ping(context.Background()); err != nil {
		t.Errorf("after timeouts: %v", err)
	}
}

// fakeDaemon answers each request on conn with reply(req), and hangs up
// after a reply that does not end in a newline.
func fakeDaemon(conn net.Conn, reply func(wire.Request) string) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		var req wire.Request
		json.Unmarshal(line, &req)
		rep := reply(req)
		io.WriteString(conn, rep)
		if !strings.HasSuffix(rep, "\n") {
			return
		}
	}
}

func TestDialAndProtocolErrors(t *testing.T) {
	tests := []struct {
		name  string
		reply func(wire.Request) string
		code  scha.ErrCode
		want  string
	}{
		{"wrong id", func(r wire.Request) string {
			return fmt.Sprintf(`{"v":1,"id":%d,"code":0}`+"\n", r.ID+1)
		}, scha.ErrInternal, "out of step"},
		{"garbage", func(wire.Request) string { return "garbage\n" }, scha.ErrInternal, "bad reply"},
		{"hang up", func(wire.Request) string { return `{"v":1,` }, scha.ErrInternal, "closed the connection"},
		{"future fields", func(r wire.Request) string {
			return fmt.Sprintf(`{"v":1,"id":%d,"code":4,"msg":"no such tag","new":{"x":1}}`+"\n", r.ID)
		}, scha.ErrTag, "no such tag"},
		{"version and args", func(r wire.Request) string {
			if r.Version != wire.ProtocolVersion || r.Op != wire.OpGet || !strings.Contains(string(r.Args), `"tag":"Status"`) {
				return fmt.Sprintf(`{"v":1,"id":%d,"code":18,"msg":"bad request %+v"}`+"\n", r.ID, r)
			}
			return fmt.Sprintf(`{"v":1,"id":%d,"code":0,"data":{"type":"string","values":["OK"]}}`+"\n", r.ID)
		}, scha.ErrNoErr, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &client.Client{
				Socket: "/nonexistent/fake.sock",
				Dial: func(context.Context) (client.Conn, error) {
					cl, sv := net.Pipe()
					go fakeDaemon(sv, tt.reply)
					return cl, nil
				},
			}
			defer c.Close()
			_, err := c.Get(context.Background(), wire.GetArgs{Kind: wire.KindResource, Name: "r1", Tag: "Status"})
			if scha.CodeOf(err) != tt.code || !strings.Contains(scha.DetailOf(err), tt.want) {
				t.Errorf("got %v, want %v containing %q", err, tt.code.Symbol(), tt.want)
			}
		})
	}
}

func TestIDsIncrease(t *testing.T) {
	var seen []uint64
	var mu sync.Mutex
	c := &client.Client{Dial: func(context.Context) (client.Conn, error) {
		cl, sv := net.Pipe()
		go fakeDaemon(sv, func(r wire.Request) string {
			mu.Lock()
			seen = append(seen, r.ID)
			mu.Unlock()
			return fmt.Sprintf(`{"v":1,"id":%d,"code":0}`+"\n", r.ID)
		})
		return cl, nil
	}}
	defer c.Close()
	for range 3 {
		if err := c.Call(context.Background(), wire.OpPing, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(seen) != "[1 2 3]" {
		t.Errorf("ids %v", seen)
	}
}

// refusingConn is a connection whose reads fail with its own scha error,
// as pkg/client/remote's TLS connection reports a refused certificate.
type refusingConn struct{ net.Conn }

func (refusingConn) Read([]byte) (int, error) {
	return 0, &scha.Error{Code: scha.ErrAccess, Detail: "refused by the server"}
}

// TestConnOwnError: an error with a scha code from a Dial'ed connection
// reaches the caller as is.
func TestConnOwnError(t *testing.T) {
	c := &client.Client{Dial: func(context.Context) (client.Conn, error) {
		cl, sv := net.Pipe()
		go io.Copy(io.Discard, sv)
		return refusingConn{cl}, nil
	}}
	defer c.Close()
	err := c.Call(context.Background(), wire.OpPing, nil, nil)
	if scha.CodeOf(err) != scha.ErrAccess || scha.DetailOf(err) != "refused by the server" {
		t.Errorf("got %v, want SCHA_ERR_ACCESS: refused by the server", err)
	}
}
