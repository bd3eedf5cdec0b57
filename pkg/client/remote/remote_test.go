package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

func TestReadSSE(t *testing.T) {
	in := "retry: 1000\n\nid: e.1\nevent: config\ndata: {\"seq\":1}\n\n: comment\n\nid: e.2\ndata: {\"seq\":2}\n\n"
	var ids, data []string
	err := readSSE(strings.NewReader(in), func(id string, d []byte) error {
		ids, data = append(ids, id), append(data, string(d))
		return nil
	})
	if !errors.Is(err, errStreamEnded) {
		t.Errorf("end: %v", err)
	}
	if strings.Join(ids, ",") != "e.1,e.2" || strings.Join(data, ",") != `{"seq":1},{"seq":2}` {
		t.Errorf("ids %q data %q", ids, data)
	}
}

func FuzzReadSSE(f *testing.F) {
	f.Add([]byte("id: e.1\ndata: {}\n\n"))
	f.Add([]byte("data: x\ndata: y\n\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		readSSE(strings.NewReader(string(b)), func(string, []byte) error { return nil })
	})
}

func TestNewServers(t *testing.T) {
	ca, err := trust.NewCA("c", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, _, _, err := ca.IssueUser("u", trust.RoleViewer, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := trust.ParseCredential(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewWithCredential([]string{"n1:1"}, nil); err == nil {
		t.Error("no credential accepted")
	}
	for _, c := range []struct {
		in   []string
		want string
		bad  bool
	}{
		{[]string{"n1:7443"}, "https://n1:7443", false},
		{[]string{"https://n1:7443,n2:7443"}, "https://n1:7443 https://n2:7443", false},
		{[]string{"http://n1:7443"}, "", true},
		{[]string{" , "}, "", true},
	} {
		cl, err := NewWithCredential(c.in, cred)
		if c.bad {
			if err == nil {
				t.Errorf("%q accepted", c.in)
			}
			continue
		}
		if err != nil || strings.Join(cl.servers, " ") != c.want {
			t.Errorf("%q: %v, %v", c.in, err, cl)
		}
	}
}

// TestStreamResumes: when the server ends a stream, the client resumes
// with the last id it passed on, and fn sees every event once.
// tlsServer serves h over HTTPS with the API's TLS configuration (so
// HTTP/1.1 only, as an rgmd before the wire protocol) until the test
// ends, and returns its address and a viewer's credential.
func tlsServer(t *testing.T, h http.HandlerFunc) (addr string, cred *trust.Credential) {
	t.Helper()
	now := time.Now()
	ca, _ := trust.NewCA("c", now)
	srvCert, err := ca.SignAPIServer("n1", []string{"127.0.0.1"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _, _ := ca.IssueUser("u", trust.RoleViewer, time.Hour, now)
	if cred, err = trust.ParseCredential(b); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = trust.APIServerConfig(srvCert, ca.Certificate(), nil)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), cred
}

func TestStreamResumes(t *testing.T) {
	var lastIDs []string
	var mu sync.Mutex
	addr, cred := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		n := len(lastIDs)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			fmt.Fprint(w, "id: e.1\ndata: {\"seq\":1}\n\nid: e.2\ndata: {\"seq\":2}\n\n")
			return // the server cuts the stream
		}
		fmt.Fprint(w, "id: e.3\ndata: {\"seq\":3}\n\n")
	})
	c, err := NewWithCredential([]string{addr}, cred)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	enough := errors.New("enough")
	err = c.Stream(context.Background(), wire.OpEvents, nil, func(data json.RawMessage) error {
		got = append(got, string(data))
		if len(got) == 3 {
			return enough
		}
		return nil
	})
	if err != enough || strings.Join(got, "") != `{"seq":1}{"seq":2}{"seq":3}` {
		t.Errorf("Stream: %v, got %q", err, got)
	}
	if len(lastIDs) != 2 || lastIDs[0] != "" || lastIDs[1] != "e.2" {
		t.Errorf("Last-Event-ID of each connection: %q", lastIDs)
	}
}

// TestReadsWithoutWire: an rgmd whose API port speaks only HTTP/1.1 (one
// from before the wire protocol) gets the reads over HTTPS, as the
// changes, after one handshake that found so.
func TestReadsWithoutWire(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	addr, cred := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"code":0,"data":{"node":"old"}}`)
	})
	c, err := NewWithCredential([]string{addr}, cred)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 2; i++ {
		var p wire.PingReply
		if err := c.Call(context.Background(), wire.OpPing, nil, &p); err != nil || p.Node != "old" {
			t.Fatalf("ping %d: %v, %+v", i, err, p)
		}
	}
	if !c.wires[0].none.Load() {
		t.Error("the server was not marked as speaking HTTP only")
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(paths, ",") != "POST /v1/ops/ping,POST /v1/ops/ping" {
		t.Errorf("requests %q", paths)
	}
}
