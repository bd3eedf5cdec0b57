package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/client/remote"
	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

// node is a real rgmd serving the API, with credentials for each role.
type node struct {
	*rgmtest.Daemon
	addr  string            // the API's HOST:PORT
	creds map[string]string // role (or user) → credential file
}

func startNode(t *testing.T, extra ...string) *node {
	t.Helper()
	addr := rgmtest.FreeAddr(t)
	d := rgmtest.StartDaemon(t, append([]string{"--api-addr", addr}, extra...)...)
	n := &node{Daemon: d, addr: addr, creds: map[string]string{}}
	for _, role := range []string{"viewer", "operator", "admin"} {
		n.issue(t, role, role)
	}
	return n
}

// issue makes a credential for user with role through the socket, as
// root on the node does.
func (n *node) issue(t *testing.T, user, role string, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), user+".cred")
	n.MustRun("rgmadm", append([]string{"cred", "issue", user, "--role", role, "--out", path}, extra...)...)
	n.creds[user] = path
	return path
}

// remote runs the built rgmadm against the API as user.
func (n *node) remote(t *testing.T, user string, args ...string) rgmtest.Result {
	t.Helper()
	return n.Run("rgmadm", append([]string{"--server", "https://" + n.addr, "--cred", n.creds[user]}, args...)...)
}

// httpClient is an HTTP client presenting user's credential.
func (n *node) httpClient(t *testing.T, user string) *http.Client {
	t.Helper()
	return &http.Client{Transport: &http.Transport{TLSClientConfig: n.tlsConfig(t, user)}}
}

func (n *node) tlsConfig(t *testing.T, user string) *tls.Config {
	t.Helper()
	b, err := os.ReadFile(n.creds[user])
	if err != nil {
		t.Fatal(err)
	}
	cred, err := trust.ParseCredential(b)
	if err != nil {
		t.Fatal(err)
	}
	return cred.ClientConfig()
}

func (n *node) url(path string) string { return "https://" + n.addr + path }

// envelope decodes an answer's body.
func envelope(t *testing.T, resp *http.Response) (code scha.ErrCode, msg string) {
	t.Helper()
	defer resp.Body.Close()
	var e struct {
		Code scha.ErrCode `json:"code"`
		Msg  string       `json:"msg"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("HTTP %d: body %q is not an envelope: %v", resp.StatusCode, b, err)
	}
	return e.Code, e.Msg
}

func post(t *testing.T, c *http.Client, url, body string) *http.Response {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// stillServes checks the Unix socket answers and changes, and the API
// answers a read.
func (n *node) stillServes(t *testing.T) {
	t.Helper()
	n.MustRun("rgmadm", "status")
	if r := n.remote(t, "viewer", "status"); r.Code != 0 {
		t.Fatalf("remote status: exit %d: %s", r.Code, r.Stderr)
	}
}

// TestRemoteVerbsAsLocal: every verb run with --server prints what it
// prints locally and exits with the same code.
func TestRemoteVerbsAsLocal(t *testing.T) {
	n := startNode(t)
	rtr := filepath.Join(rgmtest.RepoRoot(), "examples", "hello", "hello.rtr")
	steps := [][]string{
		{"rt", "register", rtr},
		{"rg", "create", "web-rg", "-p", "Nodelist=node1"},
		{"rs", "create", "web-rs", "-g", "web-rg", "-t", "ORGM.hello", "-x", "Port=18080"},
	}
	for _, s := range steps {
		if r := n.remote(t, "admin", s...); r.Code != 0 {
			t.Fatalf("remote %v: exit %d: %s", s, r.Code, r.Stderr)
		}
	}
	for _, args := range [][]string{
		{"status"},
		{"status", "-o", "json"},
		{"rt", "list"},
		{"rg", "list", "-o", "table"},
		{"rg", "show", "web-rg"},
		{"rs", "show", "-v", "web-rs"},
		{"rs", "list", "-o", "json"},
		{"rg", "show", "no-such-rg"},
		{"rs", "delete", "no-such-rs"},
		{"rg", "create", "web-rg"},
		{"export"},
	} {
		local := n.Run("rgmadm", args...)
		rem := n.remote(t, "admin", args...)
		if local.Code != rem.Code || local.Stdout != rem.Stdout {
			t.Errorf("%v: local exit %d, remote exit %d\nlocal:\n%s\nremote:\n%s\nremote stderr: %s", args, local.Code, rem.Code, local.Stdout, rem.Stdout, rem.Stderr)
		}
	}
	// RGM_SERVER and RGM_CRED set them for a shell.
	cmd := exec.Command(filepath.Join(n.Bin, "rgmadm"), "rg", "list")
	cmd.Env = append(os.Environ(), "RGM_SERVER=https://"+n.addr, "RGM_CRED="+n.creds["viewer"], "RGM_SOCKET=/nonexistent/rgmd.sock")
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) != "web-rg" {
		t.Errorf("rgmadm with RGM_SERVER: %v, stdout %q", err, out)
	}
}

// TestRoles: each role may do what it should, and no more; a refusal is
// 403 and SCHA_ERR_ACCESS and changes nothing.
func TestRoles(t *testing.T) {
	n := startNode(t)
	n.MustRun("rgmadm", "rg", "create", "web-rg", "-p", "Nodelist=node1")
	cases := []struct {
		user string
		args []string
		code int
	}{
		{"viewer", []string{"rg", "list"}, 0},
		{"viewer", []string{"rg", "offline", "web-rg"}, int(scha.ErrAccess)},
		{"viewer", []string{"rg", "create", "v-rg"}, int(scha.ErrAccess)},
		{"viewer", []string{"cred", "issue", "eve", "--role", "admin"}, int(scha.ErrAccess)},
		{"operator", []string{"rg", "online", "-M", "web-rg"}, int(scha.ErrAccess)}, // -M manages: admin
		{"operator", []string{"rg", "create", "o-rg"}, int(scha.ErrAccess)},
		{"operator", []string{"cred", "revoke", "viewer"}, int(scha.ErrAccess)},
		{"admin", []string{"rg", "manage", "web-rg"}, 0},
		{"operator", []string{"rg", "online", "web-rg"}, 0},
		{"operator", []string{"rg", "offline", "web-rg"}, 0},
		{"admin", []string{"rg", "create", "a-rg"}, 0},
		{"admin", []string{"cred", "list"}, 0},
	}
	for _, c := range cases {
		r := n.remote(t, c.user, c.args...)
		if r.Code != c.code {
			t.Errorf("%s: rgmadm %v: exit %d, want %d: %s", c.user, c.args, r.Code, c.code, r.Stderr)
		}
	}
	out := n.MustRun("rgmadm", "rg", "list")
	if strings.Contains(out, "v-rg") || strings.Contains(out, "o-rg") || !strings.Contains(out, "a-rg") {
		t.Errorf("groups after the refusals:\n%s", out)
	}
	// Over HTTP: 403 with the code in the body.
	resp := post(t, n.httpClient(t, "viewer"), n.url("/v1/ops/rg.offline"), `{"name":"web-rg"}`)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's rg.offline: HTTP %d, want 403", resp.StatusCode)
	}
	if code, msg := envelope(t, resp); code != scha.ErrAccess {
		t.Errorf("viewer's rg.offline: code %d (%s), want SCHA_ERR_ACCESS", code, msg)
	}
	// The refusals are in the audit record, with who and the result.
	audit := n.MustRun("rgmadm", "audit", "-o", "json")
	var recs []wire.AuditRecord
	if err := json.Unmarshal([]byte(audit), &recs); err != nil {
		t.Fatal(err)
	}
	var refused, done bool
	for _, r := range recs {
		if r.Who == "viewer" && r.Op == wire.OpRGOffline && r.Code == int(scha.ErrAccess) && r.Role == "viewer" && r.Target == "web-rg" {
			refused = true
		}
		if r.Who == "operator" && r.Op == wire.OpRGOnline && r.Code == 0 && strings.HasPrefix(r.Addr, "127.0.0.1:") {
			done = true
		}
	}
	if !refused || !done {
		t.Errorf("audit lacks the viewer's refusal (%v) or the operator's online (%v):\n%s", refused, done, audit)
	}
}

// TestRevokeReachesEveryNode: a revoked credential is refused on the
// next request, on a kept connection and on another node.
func TestRevokeReachesEveryNode(t *testing.T) {
	a1, a2 := rgmtest.FreeAddr(t), rgmtest.FreeAddr(t)
	first := rgmtest.NewNode(t, "n1")
	first.Start("--cluster-addr", first.ClusterAddr, "--api-addr", a1)
	c := rgmtest.AdoptCluster(t, first)
	second := c.Add("n2", "--api-addr", a2)
	c.WaitState(second, "", "UP")
	n1 := &node{Daemon: first, addr: a1, creds: map[string]string{}}
	n2 := &node{Daemon: second, addr: a2, creds: map[string]string{}}
	alice := n1.issue(t, "alice", "operator")
	n2.creds["alice"] = alice
	b, _ := os.ReadFile(alice)
	cred, err := trust.ParseCredential(b)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cl1, err := remote.NewWithCredential([]string{a1}, cred)
	if err != nil {
		t.Fatal(err)
	}
	cl2, _ := remote.NewWithCredential([]string{a2}, cred)
	for _, cl := range []*remote.Client{cl1, cl2} {
		if _, err := pingOf(ctx, cl); err != nil {
			t.Fatalf("alice before revocation: %v", err)
		}
	}
	// Any node may revoke; n2's socket here.
	n2.MustRun("rgmadm", "cred", "revoke", "alice")
	// The kept connections: refused at the next request. A follower
	// applies the revocation within the log's replication, so n1 is
	// asked until it has (bounded).
	for _, cl := range []*remote.Client{cl2, cl1} {
		var err error
		for i := 0; i < 100; i++ {
			if _, err = pingOf(ctx, cl); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if scha.CodeOf(err) != scha.ErrAccess || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("alice after revocation: %v, want SCHA_ERR_ACCESS, revoked", err)
		}
	}
	// New connections: refused in the handshake, on both nodes.
	for _, n := range []*node{n1, n2} {
		r := n.remote(t, "alice", "status")
		if r.Code != int(scha.ErrAccess) {
			t.Errorf("%s: alice's new connection: exit %d, want %d: %s", n.Node, r.Code, scha.ErrAccess, r.Stderr)
		}
	}
	// The list says so.
	out := n1.MustRun("rgmadm", "cred", "list", "-o", "json")
	var creds []wire.Credential
	json.Unmarshal([]byte(out), &creds)
	if len(creds) != 1 || creds[0].Name != "alice" || creds[0].Revoked == 0 {
		t.Errorf("cred list after revoke: %s", out)
	}
	// n1's audit shows the revocation made on n2, with n2's name. n1
	// asks the nodes it sees UP, and may not see n2 so yet, soon after
	// it joined on a busy machine: asked again until it does (bounded).
	var recs []wire.AuditRecord
	found := false
	for i := 0; i < 100 && !found; i++ {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		recs = nil
		json.Unmarshal([]byte(n1.MustRun("rgmadm", "audit", "-o", "json")), &recs)
		for _, r := range recs {
			found = found || (r.Op == wire.OpCredRevoke && r.Node == "n2" && r.Target == "alice" && r.Code == 0)
		}
	}
	if !found {
		t.Errorf("n1's audit lacks n2's revocation: %+v", recs)
	}
	json.Unmarshal([]byte(n1.MustRun("rgmadm", "audit", "--local", "-o", "json")), &recs)
	for _, r := range recs {
		if r.Node != "n1" {
			t.Errorf("audit --local on n1 has a record of %s", r.Node)
		}
	}
	// A client given both servers tries the next when one is down.
	bob := n1.issue(t, "bob", "viewer")
	n1.Stop()
	r := second.Run("rgmadm", "--server", a1+","+a2, "--cred", bob, "status")
	if r.Code != 0 || !strings.Contains(r.Stdout, "n2") {
		t.Errorf("status with n1 down: exit %d: %s %s", r.Code, r.Stdout, r.Stderr)
	}
}

func pingOf(ctx context.Context, c *remote.Client) (*wire.PingReply, error) {
	var p wire.PingReply
	return &p, c.Call(ctx, wire.OpPing, nil, &p)
}

// TestBadInput: each kind of bad request is refused with the right code,
// changes nothing, and rgmd keeps serving the socket and the API.
func TestBadInput(t *testing.T) {
	n := startNode(t, "--api-header-timeout", "2s", "--api-write-timeout", "1s")
	admin := n.httpClient(t, "admin")

	t.Run("NoCertificate", func(t *testing.T) {
		cfg := n.tlsConfig(t, "admin")
		cfg.Certificates = nil
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := c.Get(n.url("/v1/ping"))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("a client without a certificate got HTTP %d", resp.StatusCode)
		}
		if !strings.Contains(err.Error(), "certificate required") {
			t.Errorf("error %v, want the server's 'certificate required' alert", err)
		}
	})
	t.Run("OtherCA", func(t *testing.T) {
		ca, err := trust.NewCA("other", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "mallory.cred")
		cred, _, _, err := ca.IssueUser("admin", trust.RoleAdmin, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, cred, 0o600)
		n.creds["mallory"] = path
		r := n.remote(t, "mallory", "rg", "create", "evil-rg")
		if r.Code != int(scha.ErrAccess) {
			t.Errorf("another CA's admin: exit %d, want %d: %s", r.Code, scha.ErrAccess, r.Stderr)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		ca, err := trust.LoadCA(filepath.Join(n.StateDir, "trust"))
		if err != nil {
			t.Fatal(err)
		}
		// The cluster's own CA, for one second, and then expired.
		cred, _, notAfter, err := ca.IssueUser("old", trust.RoleAdmin, time.Second, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(notAfter) + 1100*time.Millisecond)
		path := filepath.Join(t.TempDir(), "old.cred")
		os.WriteFile(path, cred, 0o600)
		n.creds["old"] = path
		r := n.remote(t, "old", "rg", "create", "old-rg")
		if r.Code != int(scha.ErrAccess) {
			t.Errorf("expired credential: exit %d, want %d: %s", r.Code, scha.ErrAccess, r.Stderr)
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		n.issue(t, "gone", "admin")
		n.MustRun("rgmadm", "cred", "revoke", "gone")
		r := n.remote(t, "gone", "rg", "create", "gone-rg")
		if r.Code != int(scha.ErrAccess) {
			t.Errorf("revoked credential: exit %d, want %d: %s", r.Code, scha.ErrAccess, r.Stderr)
		}
	})
	t.Run("ViewerChange", func(t *testing.T) {
		resp := post(t, n.httpClient(t, "viewer"), n.url("/v1/ops/rg.create"), `{"name":"viewer-rg"}`)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("HTTP %d, want 403", resp.StatusCode)
		}
		if code, _ := envelope(t, resp); code != scha.ErrAccess {
			t.Errorf("code %d, want SCHA_ERR_ACCESS", code)
		}
	})
	t.Run("MalformedJSON", func(t *testing.T) {
		resp := post(t, admin, n.url("/v1/ops/rg.create"), `{"name":"bad-rg"`)
		if code, msg := envelope(t, resp); resp.StatusCode != 400 || code != scha.ErrInval || !strings.Contains(msg, "malformed") {
			t.Errorf("HTTP %d, code %d %q; want 400, SCHA_ERR_INVAL, malformed", resp.StatusCode, code, msg)
		}
	})
	t.Run("UnknownField", func(t *testing.T) {
		resp := post(t, admin, n.url("/v1/ops/rg.create"), `{"name":"typo-rg","prop":{"Nodelist":"node1"}}`)
		if code, msg := envelope(t, resp); resp.StatusCode != 400 || code != scha.ErrInval || !strings.Contains(msg, `"prop"`) {
			t.Errorf("HTTP %d, code %d %q; want 400, SCHA_ERR_INVAL naming the field", resp.StatusCode, code, msg)
		}
	})
	t.Run("BodyTooLarge", func(t *testing.T) {
		big := `{"name":"big-rg","props":{"Description":"` + strings.Repeat("x", 2<<20) + `"}}`
		resp, err := admin.Post(n.url("/v1/ops/rg.create"), "application/json", strings.NewReader(big))
		if err != nil {
			// The server may close while the client still sends.
			t.Logf("client error (the server closed early): %v", err)
			return
		}
		if code, _ := envelope(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge || code != scha.ErrInval {
			t.Errorf("HTTP %d, code %d; want 413, SCHA_ERR_INVAL", resp.StatusCode, code)
		}
	})
	t.Run("OneByteASecond", func(t *testing.T) {
		conn, err := tls.Dial("tcp", n.addr, n.tlsConfig(t, "admin"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := "GET /v1/ping HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 60) + "\r\n\r\n"
		closed := false
		for i := 0; i < len(req) && !closed; i++ {
			if _, err := conn.Write([]byte{req[i]}); err != nil {
				closed = true
				break
			}
			// Meanwhile, others are served.
			if i%3 == 0 {
				n.MustRun("rgmadm", "status")
			}
			time.Sleep(time.Second)
			conn.SetReadDeadline(time.Now().Add(time.Millisecond))
			var b [1]byte
			if _, err := conn.Read(b[:]); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				closed = true
			}
		}
		if !closed {
			t.Error("a client sending one byte a second was never cut off")
		}
	})
	t.Run("IdleConnections", func(t *testing.T) {
		const idle = 5000
		var lim syscall.Rlimit
		if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < idle+1000 {
			// Go raises the soft limit to the hard one at start.
			t.Skipf("open files limited to %d here; 5,000 idle connections need more", lim.Cur)
		}
		conns := make([]net.Conn, 0, idle)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < idle; i++ {
			c, err := net.Dial("tcp", n.addr)
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		// With 5,000 connections open and silent, rgmd still serves.
		n.stillServes(t)
	})
	t.Run("SubscriberNeverReads", func(t *testing.T) {
		// A subscriber that reads nothing, with a small receive
		// buffer: rgmd's writes to it stall and it is cut after the
		// write timeout, while another subscriber gets every event.
		// (Events are kept once, in the history, whoever subscribes:
		// scripts/bench measures rgmd's memory with 1,000 subscribers.)
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		raw, err := d.Dial("tcp", n.addr)
		if err != nil {
			t.Fatal(err)
		}
		stuck := tls.Client(raw, n.tlsConfig(t, "viewer"))
		defer stuck.Close()
		fmt.Fprintf(stuck, "GET /v1/events?kind=config HTTP/1.1\r\nHost: x\r\n\r\n")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		got := make(chan wire.Event, 100000)
		go func() {
			resp, err := n.httpClient(t, "viewer").Do(mustReq(ctx, n.url("/v1/events?kind=config")))
			if err != nil {
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if d, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: ")); ok {
					var e wire.Event
					json.Unmarshal(d, &e)
					got <- e
				}
			}
		}()
		time.Sleep(300 * time.Millisecond) // both subscribed
		// Imports of many groups: one event each, in bursts smaller
		// than the history, so that a subscriber that reads keeps up,
		// and more bytes in all than the stuck one's socket buffers
		// hold (a loopback socket's send buffer starts at megabytes).
		const imports, per = 6, 4000
		for k := 0; k < imports; k++ {
			f := wire.ConfigFile{Format: wire.ConfigFormat, Types: []wire.ConfigType{}, Resources: []wire.ConfigResource{}}
			for i := 0; i < per; i++ {
				f.Groups = append(f.Groups, wire.ConfigGroup{Name: fmt.Sprintf("flood-%d-%04d-%s", k, i, strings.Repeat("x", 48))})
			}
			b, _ := json.Marshal(f)
			path := filepath.Join(t.TempDir(), "flood.json")
			os.WriteFile(path, b, 0o600)
			n.MustRun("rgmadm", "import", path)
		}
		seen := 0
		timeout := time.After(120 * time.Second)
		for seen < imports*per {
			select {
			case e := <-got:
				if strings.HasPrefix(e.Name, "flood-") {
					seen++
				}
			case <-timeout:
				t.Fatalf("the reading subscriber got %d of %d events", seen, imports*per)
			}
		}
		for i := 0; !strings.Contains(n.Log(), "event subscriber cut"); i++ {
			if i == 600 {
				t.Fatal("the subscriber that never reads was not cut")
			}
			time.Sleep(100 * time.Millisecond)
		}
		n.stillServes(t)
	})
	// Nothing the bad requests tried was made.
	out := n.MustRun("rgmadm", "rg", "list")
	for _, g := range []string{"evil-rg", "old-rg", "gone-rg", "viewer-rg", "bad-rg", "typo-rg", "big-rg"} {
		if strings.Contains("\n"+out, "\n"+g+"\n") {
			t.Errorf("group %s exists after a refused request:\n%s", g, out)
		}
	}
	n.stillServes(t)
}

func mustReq(ctx context.Context, url string) *http.Request {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// TestEventsResume: a client that reconnects with the last number it saw
// gets every event after it, once; one that resumes from a number older
// than the history is told how many it lost; another run's number gets a
// reset.
func TestEventsResume(t *testing.T) {
	n := startNode(t)
	c := n.httpClient(t, "viewer")
	read := func(last string, want int) (ids []string, evs []wire.Event) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req := mustReq(ctx, n.url("/v1/events"))
		if last != "" {
			req.Header.Set("Last-Event-ID", last)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		id := ""
		for len(evs) < want && sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "id: "); ok {
				id = v
			}
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				var e wire.Event
				json.Unmarshal([]byte(d), &e)
				evs = append(evs, e)
				ids = append(ids, id)
				id = ""
			}
		}
		if len(evs) < want {
			t.Fatalf("got %d events, want %d: %v", len(evs), want, sc.Err())
		}
		return ids, evs
	}
	for i := 0; i < 3; i++ {
		n.MustRun("rgmadm", "rg", "create", fmt.Sprintf("g%d", i))
	}
	ids, evs := read("0", 4) // the node's own event, then g0..g2
	if evs[3].Name != "g2" {
		t.Fatalf("events %+v", evs)
	}
	// Disconnected; changes go on; resume after the last id seen.
	for i := 3; i < 6; i++ {
		n.MustRun("rgmadm", "rg", "create", fmt.Sprintf("g%d", i))
	}
	_, evs = read(ids[3], 3)
	for i, e := range evs {
		if want := fmt.Sprintf("g%d", i+3); e.Name != want || e.Seq != uint64(i+5) {
			t.Errorf("resumed event %d: %+v, want %s numbered %d", i, e, want, i+5)
		}
	}
	// Another run's number: a reset numbered as the last event, from
	// which the client goes on.
	ids, evs = read("0123456789ab.3", 1)
	if evs[0].Kind != wire.EventReset || evs[0].Seq != 7 || !strings.HasSuffix(ids[0], ".7") {
		t.Errorf("resume from another epoch: %+v %q", evs, ids)
	}
	n.MustRun("rgmadm", "rg", "create", "g6")
	if _, evs = read(ids[0], 1); evs[0].Name != "g6" {
		t.Errorf("after the reset: %+v", evs)
	}
	// The same numbers on the socket's stream.
	out := n.MustRun("rgmadm", "events", "--since", "5", "-n", "1", "-o", "json")
	var e wire.Event
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Seq != 6 || e.Name != "g4" {
		t.Errorf("rgmadm events --since 5: %s", out)
	}
	// And through the API, the same lines.
	local := n.MustRun("rgmadm", "events", "--since", "2", "-n", "3")
	r := n.remote(t, "viewer", "events", "--since", "2", "-n", "3")
	if r.Code != 0 || r.Stdout != local || strings.Count(local, "\n") != 3 {
		t.Errorf("remote events: exit %d\n%s\nlocal:\n%s\nstderr: %s", r.Code, r.Stdout, local, r.Stderr)
	}
}

// TestMetrics scrapes /v1/metrics as a viewer and the plain loopback
// port, after a group went online: states, method runs, commit latency.
func TestMetrics(t *testing.T) {
	plain := rgmtest.FreeAddr(t)
	n := startNode(t, "--metrics-addr", plain)
	rtr := filepath.Join(rgmtest.RepoRoot(), "examples", "hello", "hello.rtr")
	n.MustRun("rgmadm", "rt", "register", rtr)
	n.MustRun("rgmadm", "rg", "create", "web-rg", "-p", "Nodelist=node1")
	// A work directory of the test's own (the type's default, beside
	// rgmd's socket, would be the test's too).
	n.MustRun("rgmadm", "rs", "create", "web-rs", "-g", "web-rg", "-t", "ORGM.hello", "-x", "Port="+strings.Split(rgmtest.FreeAddr(t), ":")[1],
		"-x", "Workdir="+t.TempDir())
	if r := n.remote(t, "admin", "rg", "online", "-M", "web-rg", "--wait"); r.Code != 0 {
		t.Fatalf("rg online: exit %d: %s", r.Code, r.Stderr)
	}
	defer n.Run("rgmadm", "rg", "offline", "web-rg", "--wait")
	resp, err := n.httpClient(t, "viewer").Get(n.url("/v1/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`openrgm_group_state{group="web-rg",node="node1",state="ONLINE"} 1`,
		`openrgm_resource_state{group="web-rg",node="node1",resource="web-rs",state="ONLINE"} 1`,
		`openrgm_method_runs_total{exit_code="0",method="Start"}`,
		`openrgm_method_duration_seconds_bucket{method="Start",le="+Inf"}`,
		`openrgm_raft_commit_duration_seconds_count`,
		`openrgm_node_up{node="node1"} 1`,
		`openrgm_raft_leader 1`,
		`openrgm_api_connections_open`,
		`openrgm_state_transitions_total{object="resourcegroup",state="ONLINE"}`,
		`openrgm_events_total`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/v1/metrics lacks %s", want)
		}
	}
	// The plain port serves the same, to a local scraper.
	resp, err = http.Get("http://" + plain + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "openrgm_group_state") {
		t.Errorf("--metrics-addr: %.300s", body)
	}
	// Not on another address.
	if r := n.RunDaemon("--metrics-addr", "0.0.0.0:1"); r.Code == 0 || !strings.Contains(r.Stderr, "loopback") {
		t.Errorf("--metrics-addr 0.0.0.0:1: exit %d: %s", r.Code, r.Stderr)
	}
}
