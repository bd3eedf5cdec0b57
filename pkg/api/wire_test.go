package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/client/remote"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

// fakeBackend answers every op at once and records what reached it.
type fakeBackend struct {
	mu      sync.Mutex
	calls   []string // op, and "http" or "wire" by the way it came
	refused []string
	revoked map[string]bool
}

func (b *fakeBackend) Call(ctx context.Context, _ Caller, op string, _ json.RawMessage) (json.RawMessage, error) {
	way := "wire"
	if _, ok := ctx.Value(http.ServerContextKey).(*http.Server); ok {
		way = "http"
	}
	b.mu.Lock()
	b.calls = append(b.calls, op+" "+way)
	b.mu.Unlock()
	if op == wire.OpGet {
		return json.RawMessage(`{"type":"int","values":["2"],"seq":7}`), nil
	}
	return json.RawMessage(`{"node":"n1"}`), nil
}

func (b *fakeBackend) Follow(context.Context, wire.EventsArgs, bool, func(wire.Event) error) error {
	return nil
}

func (b *fakeBackend) Refused(_ context.Context, _ Caller, op string, _ json.RawMessage, _ error) {
	b.mu.Lock()
	b.refused = append(b.refused, op)
	b.mu.Unlock()
}

func (b *fakeBackend) Revoked(serial string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.revoked[serial]
}

func (b *fakeBackend) revoke(serial string) {
	b.mu.Lock()
	b.revoked[serial] = true
	b.mu.Unlock()
}

func (b *fakeBackend) took() (calls, refused []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.calls...), append([]string(nil), b.refused...)
}

// wireNode is an in-process API server with a fake backend.
type wireNode struct {
	s    *Server
	b    *fakeBackend
	ca   *trust.CA
	addr string
}

// startWireNode serves s (with a fakeBackend unless it has a Backend) on
// a loopback port until the test ends.
func startWireNode(t testing.TB, s *Server) *wireNode {
	t.Helper()
	now := time.Now()
	ca, err := trust.NewCA("test", now)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.SignAPIServer("n1", []string{"127.0.0.1"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend == nil {
		s.Backend = &fakeBackend{revoked: map[string]bool{}}
	}
	b, _ := s.Backend.(*fakeBackend)
	cfg := trust.APIServerConfig(cert, ca.Certificate(), func(_ string, c *x509.Certificate) error {
		if s.Backend.Revoked(trust.Serial(c)) {
			return errors.New("credential revoked")
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx, ln, cfg); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &wireNode{s: s, b: b, ca: ca, addr: ln.Addr().String()}
}

func (n *wireNode) cred(t testing.TB, role trust.Role) *trust.Credential {
	t.Helper()
	b, _, _, err := n.ca.IssueUser(string(role)+"-user", role, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := trust.ParseCredential(b)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// client is a remote client of the node with cred, closed when the test
// ends.
func (n *wireNode) client(t testing.TB, cred *trust.Credential) *remote.Client {
	t.Helper()
	c, err := remote.NewWithCredential([]string{n.addr}, cred)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialWire opens a TLS connection asking for the wire protocol.
func (n *wireNode) dialWire(t *testing.T, cred *trust.Credential) *tls.Conn {
	t.Helper()
	cfg := cred.ClientConfig()
	cfg.NextProtos = []string{wire.ALPN}
	c, err := tls.Dial("tcp", n.addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != wire.ALPN {
		t.Fatalf("negotiated %q, want %q", p, wire.ALPN)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(time.Minute)) // a hang fails, not blocks
	return c
}

// exchange writes line and reads one reply from r.
func exchange(t *testing.T, c net.Conn, r *bufio.Reader, line string) *wire.Reply {
	t.Helper()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatalf("writing %q: %v", line, err)
	}
	b, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("reply to %q: %v", line, err)
	}
	rep, err := decodeReply(bytes.TrimSuffix(b, []byte("\n")))
	if err != nil {
		t.Fatalf("reply to %q: %q: %v", line, b, err)
	}
	return rep
}

// decodeReply decodes one reply line, as pkg/client does.
func decodeReply(line []byte) (*wire.Reply, error) {
	r := wire.NewReplyReader(bytes.NewReader(append(line, '\n')))
	return r.ReadReply()
}

// closed checks the server closed the connection.
func closed(t *testing.T, r *bufio.Reader) {
	t.Helper()
	if b, err := r.ReadBytes('\n'); err == nil {
		t.Errorf("connection still open; read %q", b)
	}
}

// TestWireReads: the remote client's reads go over the wire protocol
// on one kept connection, its changes over HTTPS; both answer as the
// socket would.
func TestWireReads(t *testing.T) {
	n := startWireNode(t, &Server{})
	c := n.client(t, n.cred(t, trust.RoleAdmin))
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		var rep wire.GetReply
		if err := c.Call(ctx, wire.OpGet, wire.GetArgs{Kind: wire.KindResource, Name: "r", Group: "g", Tag: "RETRY_COUNT"}, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Type != "int" || len(rep.Values) != 1 || rep.Values[0] != "2" || rep.Seq != 7 {
			t.Fatalf("get: %+v", rep)
		}
	}
	if err := c.Call(ctx, wire.OpPing, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, wire.OpRGOnline, wire.LifecycleArgs{Name: "g"}, nil); err != nil {
		t.Fatal(err)
	}
	calls, _ := n.b.took()
	want := []string{"get wire", "get wire", "get wire", "ping wire", "rg.online http"}
	if strings.Join(calls, ",") != strings.Join(want, ",") {
		t.Errorf("calls %q, want %q", calls, want)
	}
	if o := n.s.OpenConns(); o != 2 {
		t.Errorf("%d connections open, want 2: one kept for the reads, one for HTTPS", o)
	}
}

// TestWireHostile: what a client may send on the wire protocol, each
// answered with the right code; nothing refused reaches the backend,
// and the server keeps serving.
func TestWireHostile(t *testing.T) {
	n := startWireNode(t, &Server{HeaderTimeout: 300 * time.Millisecond})
	viewer, admin := n.cred(t, trust.RoleViewer), n.cred(t, trust.RoleAdmin)
	t.Run("Handshake", func(t *testing.T) {
		// No certificate, and another cluster's: the handshake fails
		// as over HTTPS (in TLS 1.3 the client hears of it at its first
		// read), before any request is read.
		stranger := startWireNode(t, &Server{}).cred(t, trust.RoleAdmin)
		for name, cred := range map[string]*trust.Credential{"none": nil, "another CA": stranger} {
			cfg := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true, NextProtos: []string{wire.ALPN}}
			if cred != nil {
				cfg.Certificates = cred.ClientConfig().Certificates
			}
			c, err := tls.Dial("tcp", n.addr, cfg)
			if err != nil {
				continue // refused at once: as good
			}
			c.SetDeadline(time.Now().Add(time.Minute))
			io.WriteString(c, `{"v":1,"id":1,"op":"ping"}`+"\n")
			if b, err := bufio.NewReader(c).ReadBytes('\n'); err == nil {
				t.Errorf("%s: answered %q", name, b)
			}
			c.Close()
		}
	})
	t.Run("Garbage", func(t *testing.T) {
		for _, junk := range []string{"hello", "null", `{"v":1,"id":`, "\x00\x01\x02\xff", `[1,2,3]`, `"op"`} {
			c := n.dialWire(t, viewer)
			r := bufio.NewReader(c)
			rep := exchange(t, c, r, junk)
			if rep.Code != scha.ErrInval || rep.ID != 0 {
				t.Errorf("%q: reply %+v, want SCHA_ERR_INVAL with id 0", junk, rep)
			}
			closed(t, r)
		}
	})
	t.Run("TooLong", func(t *testing.T) {
		c := n.dialWire(t, viewer)
		r := bufio.NewReader(c)
		go c.Write(bytes.Repeat([]byte("x"), wire.MaxMessage+10))
		b, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		rep, _ := decodeReply(bytes.TrimSpace(b))
		if rep == nil || rep.Code != scha.ErrInval || !strings.Contains(rep.Message, "exceeds") {
			t.Errorf("reply %q, want SCHA_ERR_INVAL, exceeds", b)
		}
		closed(t, r)
	})
	t.Run("Stalled", func(t *testing.T) {
		c := n.dialWire(t, viewer)
		r := bufio.NewReader(c)
		io.WriteString(c, `{"v":1,"id":1,"op":"pi`) // and nothing more
		closed(t, r)                                // at HeaderTimeout
	})
	t.Run("ViewerWrite", func(t *testing.T) {
		c := n.dialWire(t, viewer)
		r := bufio.NewReader(c)
		rep := exchange(t, c, r, `{"v":1,"id":5,"op":"rg.online","args":{"name":"g"}}`)
		if rep.Code != scha.ErrAccess || rep.ID != 5 || !strings.Contains(rep.Message, "needs operator") {
			t.Errorf("viewer's rg.online: %+v, want SCHA_ERR_ACCESS", rep)
		}
		// Refused is told (the audit), the connection stays.
		if rep := exchange(t, c, r, `{"v":1,"id":6,"op":"ping"}`); rep.Code != 0 || rep.ID != 6 {
			t.Errorf("ping after the refusal: %+v", rep)
		}
	})
	t.Run("AdminWrite", func(t *testing.T) {
		c := n.dialWire(t, admin)
		r := bufio.NewReader(c)
		for _, line := range []string{
			`{"v":1,"id":7,"op":"rg.delete","args":{"name":"g"}}`,
			`{"v":1,"id":8,"op":"events"}`,
			`{"v":1,"id":9,"op":"pmf.start","args":{}}`,
		} {
			rep := exchange(t, c, r, line)
			if rep.Code != scha.ErrInval && rep.Code != scha.ErrAccess {
				t.Errorf("%s: %+v, want SCHA_ERR_INVAL or SCHA_ERR_ACCESS", line, rep)
			}
		}
	})
	t.Run("BadArgs", func(t *testing.T) {
		c := n.dialWire(t, viewer)
		r := bufio.NewReader(c)
		for _, line := range []string{
			`{"v":1,"id":10,"op":"get","args":{"kind":"resource","name":"r","tag":"X","bogus":1}}`,
			`{"v":1,"id":11,"op":"get","args":{"kind":5}}`,
			`{"v":1,"id":12,"op":"rs.show","args":[1]}`,
			`{"v":99,"id":13,"op":"ping"}`,
			`{"v":1,"id":14,"op":"no.such.op"}`,
		} {
			rep := exchange(t, c, r, line)
			if rep.Code == 0 {
				t.Errorf("%s: answered %+v, want a refusal", line, rep)
			}
		}
	})
	calls, refused := n.b.took()
	for _, c := range calls {
		if c != "ping wire" {
			t.Errorf("the backend ran %q, which was refused", c)
		}
	}
	if !strings.Contains(strings.Join(refused, ","), wire.OpRGOnline) {
		t.Errorf("the viewer's rg.online was not reported refused: %q", refused)
	}
	// Still serving.
	c := n.dialWire(t, viewer)
	if rep := exchange(t, c, bufio.NewReader(c), `{"v":1,"id":1,"op":"ping"}`); rep.Code != 0 {
		t.Errorf("ping after it all: %+v", rep)
	}
}

// TestWireRevokedKept: a credential revoked while its connection is kept
// is refused at its next request and the connection closed; a new one
// is refused at the handshake. The remote client reports both as
// SCHA_ERR_ACCESS. A credential that expires while its connection is
// kept is refused the same way, over HTTP too.
func TestWireRevokedKept(t *testing.T) {
	n := startWireNode(t, &Server{})
	cred := n.cred(t, trust.RoleViewer)
	ctx := context.Background()
	rc := n.client(t, cred)
	if err := rc.Call(ctx, wire.OpPing, nil, nil); err != nil {
		t.Fatal(err)
	}
	c := n.dialWire(t, cred)
	r := bufio.NewReader(c)
	if rep := exchange(t, c, r, `{"v":1,"id":1,"op":"ping"}`); rep.Code != 0 {
		t.Fatalf("ping: %+v", rep)
	}
	n.b.revoke(trust.Serial(cred.Cert))
	rep := exchange(t, c, r, `{"v":1,"id":2,"op":"ping"}`)
	if rep.Code != scha.ErrAccess || !strings.Contains(rep.Message, "revoked") {
		t.Errorf("ping once revoked: %+v, want SCHA_ERR_ACCESS, revoked", rep)
	}
	closed(t, r)
	// The client's kept connection, then its new one.
	for i := 0; i < 2; i++ {
		err := rc.Call(ctx, wire.OpPing, nil, nil)
		if scha.CodeOf(err) != scha.ErrAccess {
			t.Errorf("call %d once revoked: %v, want SCHA_ERR_ACCESS", i, err)
		}
	}
	if calls, _ := n.b.took(); len(calls) != 2 {
		t.Errorf("backend calls %q, want the two pings before the revocation", calls)
	}

	other := n.cred(t, trust.RoleViewer)
	c = n.dialWire(t, other)
	r = bufio.NewReader(c)
	if rep := exchange(t, c, r, `{"v":1,"id":1,"op":"ping"}`); rep.Code != 0 {
		t.Fatalf("ping: %+v", rep)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: other.ClientConfig()}}
	defer hc.CloseIdleConnections()
	getPing := func() (int, string) {
		resp, err := hc.Get("https://" + n.addr + "/v1/ping")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := getPing(); code != http.StatusOK {
		t.Fatalf("GET /v1/ping: %d %s", code, body)
	}
	n.s.testNow.Store(other.Cert.NotAfter.Add(time.Second).UnixNano())
	rep = exchange(t, c, r, `{"v":1,"id":2,"op":"ping"}`)
	if rep.Code != scha.ErrAccess || !strings.Contains(rep.Message, "expired") {
		t.Errorf("ping once expired: %+v, want SCHA_ERR_ACCESS, expired", rep)
	}
	closed(t, r)
	// Over HTTP too, on the connection kept from before.
	if code, body := getPing(); code != http.StatusForbidden || !strings.Contains(body, "expired") {
		t.Errorf("GET /v1/ping once expired: %d %s, want 403, expired", code, body)
	}
}

// FuzzWireConversation: whatever a client sends after the handshake, the
// server answers with well-formed replies or hangs up, never panics, and
// runs nothing the viewer role may not, nor anything but reads.
func FuzzWireConversation(f *testing.F) {
	now := time.Now()
	ca, err := trust.NewCA("fuzz", now)
	if err != nil {
		f.Fatal(err)
	}
	b, _, _, err := ca.IssueUser("v", trust.RoleViewer, time.Hour, now)
	if err != nil {
		f.Fatal(err)
	}
	cred, err := trust.ParseCredential(b)
	if err != nil {
		f.Fatal(err)
	}
	cs := &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{cred.Cert, ca.Certificate()}}}
	for _, seed := range []string{
		`{"v":1,"id":1,"op":"ping"}` + "\n",
		`{"v":1,"id":2,"op":"get","args":{"kind":"resource","name":"r","group":"g","tag":"RETRY_COUNT"}}` + "\n" + `{"v":1,"id":3,"op":"status"}` + "\n",
		`{"v":1,"id":4,"op":"rg.delete","args":{"name":"g"}}` + "\n",
		`{"v":1,"id":5,"op":"get","args":{"kind":"resource","extra":true}}` + "\n",
		"garbage\n",
		`{"v":1,"id":6,"op":"ping","args":{"a":[1,{"b":null}]}}` + "\n",
		"{\"v\":1,\"id\":7,\"op\":\"rs.show\",\"args\":{\"name\":\"\\u00e9\"}}\n\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		be := &fakeBackend{revoked: map[string]bool{}}
		s := &Server{Backend: be, HeaderTimeout: 5 * time.Second}
		client, server := socketPair(t)
		done := make(chan struct{})
		go func() { s.serveWire(context.Background(), server, cs); close(done) }()
		go func() { client.Write(in); client.CloseWrite() }()
		r := wire.NewReplyReader(client)
		for {
			if _, err := r.ReadReply(); err != nil {
				if err != io.EOF {
					t.Fatalf("reply: %v", err)
				}
				break
			}
		}
		client.Close()
		<-done
		calls, _ := be.took()
		for _, c := range calls {
			op := strings.TrimSuffix(c, " wire")
			if !wire.IsRead(op) || !Allowed(trust.RoleViewer, op) || op == wire.OpEvents {
				t.Errorf("the backend ran %q", op)
			}
		}
	})
}

// socketPair returns the two ends of a connected Unix stream socket.
func socketPair(t *testing.T) (*net.UnixConn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "pair")
		conns[i], err = net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return conns[0].(*net.UnixConn), conns[1]
}

// FuzzCheckGetArgs: checking a get's arguments without reflection accepts
// exactly what the strict decoder accepts.
func FuzzCheckGetArgs(f *testing.F) {
	for _, seed := range []string{
		`{"kind":"resource","name":"r","group":"g","tag":"RETRY_COUNT"}`,
		`{"kind":"resource","name":"r","tag":"X","operands":["a","b"]}`,
		`{"kind":"resource","Name":"r"}`,
		`{"kind":"resource","bogus":1}`,
		`{"kind":5}`,
		`{"kind":"a","kind":"b"}`,
		`{"kind":"\u00e9\ud800"}`,
		`[]`, `null`, `{}`, ` {"tag":"x"} `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_, err := checkArgs(wire.OpGet, in)
		body := bytes.TrimSpace(in)
		strictErr := error(nil)
		if len(body) > 0 {
			var a wire.GetArgs
			if !json.Valid(body) {
				strictErr = errors.New("invalid")
			} else {
				dec := json.NewDecoder(bytes.NewReader(body))
				dec.DisallowUnknownFields()
				strictErr = dec.Decode(&a)
			}
		}
		if (err == nil) != (strictErr == nil) {
			t.Errorf("checkArgs(%q): %v; the strict decoder: %v", in, err, strictErr)
		}
	})
}

// TestWireIdleClosed: a kept connection the server closed for idleness
// is dialed again by the client, and the read answered, as on the socket.
func TestWireIdleClosed(t *testing.T) {
	n := startWireNode(t, &Server{IdleTimeout: 50 * time.Millisecond})
	c := n.client(t, n.cred(t, trust.RoleViewer))
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := c.Call(ctx, wire.OpPing, nil, nil); err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
		for n.s.OpenConns() > 0 { // closed by the server
			time.Sleep(10 * time.Millisecond)
		}
	}
	if calls, _ := n.b.took(); len(calls) != 3 {
		t.Errorf("backend calls %q, want 3 pings", calls)
	}
}
