package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// While the barrier is held, a request is not answered, whether the lane
// or a connection's goroutine reads it; once released, it is.
func TestReadBarrierHoldsRequests(t *testing.T) {
	var b readBarrier
	get := func(context.Context, Peer, json.RawMessage) (any, error) {
		return &wire.GetReply{Type: scha.ResultString, Values: []string{"v"}}, nil
	}
	srv := &Server{Handlers: map[string]Handler{wire.OpGet: get, wire.OpPing: get}, reads: &b}
	path := filepath.Join(t.TempDir(), "s")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()

	ask := func(c net.Conn, id int) <-chan string {
		line, _ := json.Marshal(wire.Request{Version: 1, ID: uint64(id), Op: wire.OpGet, Args: json.RawMessage(`{"kind":"cluster","tag":"X"}`)})
		if _, err := c.Write(append(line, '\n')); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() {
			l, _ := bufio.NewReader(c).ReadString('\n')
			got <- l
		}()
		return got
	}
	dial := func() net.Conn {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	// A connection already past its first request.
	warm := dial()
	if l := <-ask(warm, 1); l == "" {
		t.Fatal("no reply before the barrier")
	}
	b.hold()
	first := ask(dial(), 2) // the lane's
	later := ask(warm, 3)   // a connection goroutine's
	time.Sleep(50 * time.Millisecond)
	select {
	case l := <-first:
		t.Fatalf("first request answered through the barrier: %s", l)
	case l := <-later:
		t.Fatalf("later request answered through the barrier: %s", l)
	default:
	}
	b.release()
	for _, ch := range []<-chan string{first, later} {
		var rep wire.Reply
		if err := json.Unmarshal([]byte(<-ch), &rep); err != nil || rep.Code != scha.ErrNoErr {
			t.Errorf("after release: %+v, %v", rep, err)
		}
	}
	if b.held() {
		t.Error("still held")
	}
}

func TestReadBarrierWaitEndsWithContext(t *testing.T) {
	var b readBarrier
	if err := b.wait(context.Background()); err != nil {
		t.Fatalf("open barrier: %v", err)
	}
	b.hold()
	b.hold()
	b.release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.wait(ctx); err == nil {
		t.Error("wait returned nil while held once more")
	}
	b.release()
	if err := b.wait(context.Background()); err != nil {
		t.Errorf("after the last release: %v", err)
	}
}
