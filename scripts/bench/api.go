package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/client/remote"
	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

// apiBench measures the remote API (issue #19's goals): a remote read
// over a kept connection against the same read on the Unix socket; one
// change reaching 1,000 event subscribers against one subscriber, with
// rgmd's extra memory; and 1,000 reconnects with the last event number
// while changes flow, counting events lost and duplicated.
func apiBench(rtr string, readsOnly bool) {
	dir := tempDir()
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	d := &daemon{dir: dir, socket: dir + "/rgmd.sock", state: dir + "/state"}
	started.Lock()
	started.list = append(started.list, d)
	started.Unlock()
	d.startAs("n1", "--api-addr", addr)
	defer d.kill(syscall.SIGTERM)
	d.populate(rtr, 1, 1, 1)
	local := d.client()
	defer local.Close()
	var issued wire.CredIssueReply
	check(local.Call(context.Background(), wire.OpCredIssue, wire.CredIssueArgs{Name: "bench", Role: "admin"}, &issued))
	cred, err := trust.ParseCredential([]byte(issued.Cred))
	check(err)

	apiReads(addr, cred, local, "rg0000-rs00", "rg0000")
	if readsOnly {
		return
	}

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cred.ClientConfig(), MaxIdleConnsPerHost: 2000}}
	subscribeLatency(d, hc, addr, local)
	reconnects(d, hc, addr, local)
}

// apiReads: a read over a kept connection, remote against local. The
// same query (a resource's RETRY_COUNT, as scha_resource_get asks it)
// through the same method of the one client package, Call(ctx, "get",
// args, &reply), one call after another on one kept connection, from
// this process: over the API port (remote.Client: TLS 1.3 with a client
// certificate, the wire protocol chosen by ALPN, role and revocation
// checked at every request) against over the Unix socket (client.Client).
// Beside them, the same get over HTTPS (POST /v1/ops/get from net/http's
// client, its connection kept), what curl and other HTTP clients pay.
// The three take turns in blocks of 100 calls, so that the machine's
// noise falls on each alike; each figure is the median of 3,000 calls
// (RGM_BENCH_API_READS) after 100 of warm-up.
func apiReads(addr string, cred *trust.Credential, local *client.Client, rs, rg string) {
	rc, err := remote.NewWithCredential([]string{addr}, cred)
	check(err)
	defer rc.Close()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cred.ClientConfig()}}
	defer hc.CloseIdleConnections()
	args := wire.GetArgs{Kind: wire.KindResource, Name: rs, Group: rg, Tag: "RETRY_COUNT"}
	body, err := json.Marshal(args)
	check(err)
	reads := 3000
	if n, err := strconv.Atoi(os.Getenv("RGM_BENCH_API_READS")); err == nil && n > 0 {
		reads = n
	}
	ctx := context.Background()
	var rep wire.GetReply
	ways := []func() error{
		func() error { return rc.Call(ctx, wire.OpGet, args, &rep) },
		func() error { return local.Call(ctx, wire.OpGet, args, &rep) },
		func() error {
			resp, err := hc.Post("https://"+addr+"/v1/ops/get", "application/json", bytes.NewReader(body))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var env struct {
				Code int             `json:"code"`
				Data json.RawMessage `json:"data"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
				return err
			}
			if env.Code != 0 {
				return fmt.Errorf("HTTPS get: code %d", env.Code)
			}
			return json.Unmarshal(env.Data, &rep)
		},
	}
	const block = 100
	lat := make([][]time.Duration, len(ways))
	for done := -block; done < reads; done += block { // the first block warms up
		for k, get := range ways {
			for i := 0; i < block; i++ {
				t0 := time.Now()
				check(get())
				if done >= 0 {
					lat[k] = append(lat[k], time.Since(t0))
				}
			}
		}
	}
	remoteMed, localMed, httpsMed := pct(lat[0], 50), pct(lat[1], 50), pct(lat[2], 50)
	fmt.Printf("api     remote get over a kept TLS connection: median %v (goal <= 1ms); the Unix socket's %v; ratio %.2fx (goal <= 2x)\n",
		remoteMed.Round(100*time.Nanosecond), localMed.Round(100*time.Nanosecond), float64(remoteMed)/float64(localMed))
	fmt.Printf("api     the same get over HTTPS (POST /v1/ops/get, kept connection): median %v; ratio %.2fx of the Unix socket's\n",
		httpsMed.Round(100*time.Nanosecond), float64(httpsMed)/float64(localMed))
}

// subscriber is one GET /v1/events reading in a goroutine of its own.
type subscriber struct {
	mu   sync.Mutex
	seen map[string]time.Time // group name → when its creation arrived
}

func subscribe(ctx context.Context, hc *http.Client, addr string, ready *sync.WaitGroup) *subscriber {
	s := &subscriber{seen: map[string]time.Time{}}
	req, err := http.NewRequestWithContext(ctx, "GET", "https://"+addr+"/v1/events?kind=config", nil)
	check(err)
	go func() {
		resp, err := hc.Do(req)
		ready.Done()
		if err != nil {
			if ctx.Err() == nil {
				fail("subscribe: %v", err)
			}
			return
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: "))
			if !ok {
				continue
			}
			now := time.Now()
			var e wire.Event
			json.Unmarshal(data, &e)
			s.mu.Lock()
			s.seen[e.Name] = now
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *subscriber) at(name string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.seen[name]
	return t, ok
}

// deliver makes one change and returns how long it took to reach each
// subscriber.
func deliver(d *daemon, c *client.Client, subs []*subscriber, name string) []time.Duration {
	t0 := time.Now()
	d.call(c, wire.OpRGCreate, wire.RGArgs{Name: name})
	lat := make([]time.Duration, 0, len(subs))
	for _, s := range subs {
		for end := time.Now().Add(patience); ; time.Sleep(200 * time.Microsecond) {
			if t, ok := s.at(name); ok {
				lat = append(lat, t.Sub(t0))
				break
			}
			if time.Now().After(end) {
				fail("event %s did not reach a subscriber", name)
			}
		}
	}
	return lat
}

func subscribeLatency(d *daemon, hc *http.Client, addr string, c *client.Client) {
	const n, rounds = 1000, 5
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ready sync.WaitGroup
	ready.Add(1)
	one := []*subscriber{subscribe(ctx, hc, addr, &ready)}
	ready.Wait()
	time.Sleep(100 * time.Millisecond)
	var base []time.Duration
	for i := 0; i < rounds; i++ {
		base = append(base, deliver(d, c, one, fmt.Sprintf("one%d", i))...)
	}
	rss0 := d.rss()
	subs := make([]*subscriber, 0, n)
	ready.Add(n)
	for i := 0; i < n; i++ {
		subs = append(subs, subscribe(ctx, hc, addr, &ready))
	}
	ready.Wait()
	time.Sleep(500 * time.Millisecond) // every stream past its first line
	var lat []time.Duration
	for i := 0; i < rounds; i++ {
		lat = append(lat, deliver(d, c, subs, fmt.Sprintf("many%d", i))...)
	}
	rss1 := d.rss()
	fmt.Printf("api     one change to %d subscribers: median %v, p99 %v (goal median <= 100ms); to one subscriber: median %v; ratio %.1fx\n",
		n, pct(lat, 50).Round(time.Microsecond), pct(lat, 99).Round(time.Microsecond), pct(base, 50).Round(time.Microsecond), float64(pct(lat, 50))/float64(pct(base, 50)))
	fmt.Printf("api     rgmd RSS with %d subscribers %d MB, with one %d MB: %d MB more (goal <= 50 MB)\n", n, rss1, rss0, rss1-rss0)
	cancel()
	hc.CloseIdleConnections()
}

// reconnects: a writer changes the configuration without pause while a
// reader takes a few events, hangs up and resumes with Last-Event-ID,
// 1,000 times; then every number from the first to the last must have
// been read exactly once.
func reconnects(d *daemon, hc *http.Client, addr string, c *client.Client) {
	const times = 1000
	var stop atomic.Bool
	var writes atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := d.client()
		defer w.Close()
		d.call(w, wire.OpRGCreate, wire.RGArgs{Name: "flow"})
		for i := 0; !stop.Load(); i++ {
			d.call(w, wire.OpRGSet, wire.RGArgs{Name: "flow", Props: map[string]string{"RG_description": fmt.Sprint(i)}})
			writes.Add(1)
		}
	}()
	count := map[uint64]int{}
	var first, last uint64
	lastID := ""
	read := func(max int, until uint64) {
		req, err := http.NewRequest("GET", "https://"+addr+"/v1/events", nil)
		check(err)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := hc.Do(req)
		check(err)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		got := 0
		for sc.Scan() {
			line := sc.Text()
			if id, ok := strings.CutPrefix(line, "id: "); ok {
				lastID = id
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			var e wire.Event
			check(json.Unmarshal([]byte(data), &e))
			if e.Kind == wire.EventLost || e.Kind == wire.EventReset {
				fail("reconnect: %s event after %s", e.Kind, lastID)
			}
			count[e.Seq]++
			if first == 0 {
				first = e.Seq
			}
			last = max64(last, e.Seq)
			got++
			if (max > 0 && got >= max) || (until > 0 && e.Seq >= until) {
				return
			}
		}
		fail("event stream ended: %v", sc.Err())
	}
	t0 := time.Now()
	for i := 0; i < times; i++ {
		read(1+i%5, 0)
	}
	took := time.Since(t0)
	stop.Store(true)
	<-done
	// Read on until the last event made.
	if end := lastEventSeq(hc, addr); end > last {
		read(0, end)
	}
	lost, dup := 0, 0
	for s := first; s <= last; s++ {
		switch n := count[s]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	fmt.Printf("api     %d reconnects with Last-Event-ID while %d changes were made: events %d to %d, %d lost, %d duplicated (goal 0 and 0); %v per reconnect\n",
		times, writes.Load(), first, last, lost, dup, (took / times).Round(time.Microsecond))
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// lastEventSeq is the number of the last event, from the metrics.
func lastEventSeq(hc *http.Client, addr string) uint64 {
	resp, err := hc.Get("https://" + addr + "/v1/metrics")
	check(err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "openrgm_events_total "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return uint64(f)
		}
	}
	fail("no openrgm_events_total in the metrics")
	return 0
}
