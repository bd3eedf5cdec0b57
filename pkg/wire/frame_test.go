package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestReadRequest(t *testing.T) {
	in := `{"v":1,"id":7,"op":"get","args":{"kind":"cluster","tag":"NODENAME_LOCAL"},"future":[1,2]}` + "\n" +
		`{"v":1,"id":8,"op":"ping"}` + "\n"
	r := NewReader(strings.NewReader(in))
	req, err := r.ReadRequest()
	if err != nil {
		t.Fatal(err)
	}
	if req.Version != 1 || req.ID != 7 || req.Op != OpGet {
		t.Errorf("got %+v", req)
	}
	var args GetArgs
	if err := json.Unmarshal(req.Args, &args); err != nil {
		t.Fatal(err)
	}
	if args.Kind != KindCluster || args.Tag != "NODENAME_LOCAL" {
		t.Errorf("args = %+v", args)
	}
	req, err = r.ReadRequest()
	if err != nil || req.ID != 8 || req.Op != OpPing || req.Args != nil {
		t.Errorf("second = %+v, %v", req, err)
	}
	if _, err := r.ReadRequest(); err != io.EOF {
		t.Errorf("at end: %v, want io.EOF", err)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"eof mid-line", `{"v":1,"id":1`, io.ErrUnexpectedEOF},
		{"eof mid long line", `{"op":"` + strings.Repeat("x", 3*readBufSize), io.ErrUnexpectedEOF},
		{"garbage", "hello\n", ErrMalformed},
		{"empty line", "\n", ErrMalformed},
		{"null", "null\n", ErrMalformed},
		{"array", "[1]\n", ErrMalformed},
		{"bad json", `{"v":1,` + "\n", ErrMalformed},
		{"wrong type", `{"v":"one"}` + "\n", ErrMalformed},
		{"two objects", `{}{}` + "\n", ErrMalformed},
		{"too long", strings.Repeat("x", MaxMessage) + "\n", ErrTooLong},
		{"too long no newline", strings.Repeat("x", 3*MaxMessage), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.in)).ReadRequest()
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMaxMessageBoundary(t *testing.T) {
	// A line of exactly MaxMessage bytes, newline included, is allowed.
	pad := MaxMessage - len(`{"v":1,"id":1,"op":""}`) - 1
	line := `{"v":1,"id":1,"op":"` + strings.Repeat("a", pad) + `"}` + "\n"
	if len(line) != MaxMessage {
		t.Fatalf("test line is %d bytes", len(line))
	}
	req, err := NewReader(strings.NewReader(line + line)).ReadRequest()
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Op) != pad {
		t.Errorf("op has %d bytes, want %d", len(req.Op), pad)
	}
	over := `{"v":1,"id":1,"op":"a` + strings.Repeat("a", pad) + `"}` + "\n"
	if _, err := NewReader(strings.NewReader(over)).ReadRequest(); err != ErrTooLong {
		t.Errorf("one byte over: %v", err)
	}
}

// endless counts what is read from it and never ends a line.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	e.n += len(p)
	return len(p), nil
}

func TestTooLongStopsReading(t *testing.T) {
	src := new(endless)
	if _, err := NewReader(src).ReadLine(); err != ErrTooLong {
		t.Fatalf("err = %v", err)
	}
	if src.n > MaxMessage+readBufSize {
		t.Errorf("read %d bytes for a %d-byte limit", src.n, MaxMessage)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	reqs := []*Request{
		{Version: 1, ID: 1, Op: "ping"},
		{Version: 1, ID: 1<<64 - 1, Op: "get", Args: json.RawMessage("{\n  \"kind\": \"cluster\"\n}")},
		{Version: 2, ID: 3, Op: "odd \"op\"\n\t\x01\\ é \u2028 \xff"},
	}
	for _, req := range reqs {
		if err := w.WriteRequest(req); err != nil {
			t.Fatal(err)
		}
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != len(reqs) {
		t.Fatalf("%d lines for %d requests:\n%s", n, len(reqs), buf.Bytes())
	}
	r := NewReader(&buf)
	for i, want := range reqs {
		got, err := r.ReadRequest()
		if err != nil {
			t.Fatal(err)
		}
		want := *want
		want.Op = strings.ToValidUTF8(want.Op, "\ufffd")
		if len(want.Args) > 0 {
			var c bytes.Buffer
			json.Compact(&c, want.Args)
			want.Args = c.Bytes()
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("request %d: got %+v, want %+v", i, *got, want)
		}
	}
}

func TestWriteReplyMatchesEncodingJSON(t *testing.T) {
	reps := []Reply{
		{Version: 1, ID: 9},
		{Version: 1, ID: 9, Code: 3, Message: "bad <tag> & \"x\"\n"},
		{Version: 1, ID: 9, Data: json.RawMessage(`{"type":"string","values":["a"],"seq":4}`)},
	}
	for _, rep := range reps {
		var buf bytes.Buffer
		if err := NewWriter(&buf).WriteReply(&rep); err != nil {
			t.Fatal(err)
		}
		var std bytes.Buffer
		enc := json.NewEncoder(&std)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&rep); err != nil {
			t.Fatal(err)
		}
		if buf.String() != std.String() {
			t.Errorf("got  %s want %s", buf.Bytes(), std.Bytes())
		}
	}
}

func TestWriteRejects(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteRequest(&Request{Op: "x", Args: json.RawMessage(`{"a":`)}); err == nil {
		t.Error("invalid args accepted")
	}
	big := json.RawMessage(`"` + strings.Repeat("a", MaxMessage) + `"`)
	if err := w.WriteRequest(&Request{Op: "x", Args: big}); err != ErrTooLong {
		t.Errorf("oversized request: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes for rejected messages", buf.Len())
	}
}

// TestReplyLimit: replies may exceed MaxMessage (a large cluster's
// listing); a request reader still refuses such a line, a reply reader
// takes it.
func TestReplyLimit(t *testing.T) {
	var buf bytes.Buffer
	big := json.RawMessage(`"` + strings.Repeat("a", 2*MaxMessage) + `"`)
	if err := NewWriter(&buf).WriteReply(&Reply{ID: 3, Data: big}); err != nil {
		t.Fatalf("a 2 MiB reply: %v", err)
	}
	line := buf.Bytes()
	if _, err := NewReader(bytes.NewReader(line)).ReadReply(); err != ErrTooLong {
		t.Errorf("request reader on a 2 MiB line: %v", err)
	}
	rep, err := NewReplyReader(bytes.NewReader(line)).ReadReply()
	if err != nil || rep.ID != 3 || len(rep.Data) != len(big) {
		t.Errorf("reply reader: %v", err)
	}
}

func TestReadRequestAllocs(t *testing.T) {
	line := []byte(`{"v":1,"id":7,"op":"get","args":{"kind":"cluster","tag":"NODENAME_LOCAL"}}` + "\n")
	src := bytes.NewReader(line)
	r := NewReader(src)
	var w Writer
	w.w = io.Discard
	req := &Request{Version: 1, ID: 7, Op: OpGet, Args: json.RawMessage(`{"kind":"cluster"}`)}
	n := testing.AllocsPerRun(100, func() {
		if err := w.WriteRequest(req); err != nil {
			t.Fatal(err)
		}
		src.Reset(line)
		if _, err := r.ReadLine(); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("write+ReadLine allocates %v times per message", n)
	}
}

// FuzzDecodeRequest feeds arbitrary streams to the reader: it must never
// panic or hang, and whatever it decodes must survive a write and re-read
// unchanged.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"v":1,"id":1,"op":"ping"}` + "\n"))
	f.Add([]byte(`{"v":1,"id":2,"op":"get","args":{"kind":"resource","name":"r1","tag":"Status"}}` + "\n{\"v\":1}\n"))
	f.Add([]byte(`{"v":1,"id":3,"op":"get","args":[1,{"a":null}],"x":{}}`))
	f.Add([]byte("{\"op\":\"\\u2028\\ud800\"}\n\n"))
	f.Add([]byte("null\n[]\n\"s\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for range 64 {
			req, err := r.ReadRequest()
			if errors.Is(err, ErrMalformed) {
				continue
			}
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && err != ErrTooLong {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var buf bytes.Buffer
			if err := NewWriter(&buf).WriteRequest(req); err != nil {
				if err == ErrTooLong {
					continue // escaping can grow a line past the cap
				}
				t.Fatalf("re-encoding %+v: %v", req, err)
			}
			if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
				t.Fatalf("re-encoded request is not one line: %q", buf.Bytes())
			}
			again, err := NewReader(&buf).ReadRequest()
			if err != nil {
				t.Fatalf("re-reading %q: %v", buf.Bytes(), err)
			}
			if req.Version != again.Version || req.ID != again.ID || req.Op != again.Op {
				t.Fatalf("round trip changed %+v into %+v", req, again)
			}
			var a, b bytes.Buffer
			json.Compact(&a, req.Args)
			json.Compact(&b, again.Args)
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("round trip changed args %q into %q", req.Args, again.Args)
			}
		}
	})
}
