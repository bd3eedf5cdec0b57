package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// ErrTooLong is returned for a line longer than the reader's limit
// (MaxMessage for requests, MaxReply for replies). The reader stops at the
// limit and leaves the rest of the line unread, so a hostile or broken peer
// cannot make us hold more than that; the stream is then out of step and
// the caller must close it.
var ErrTooLong = errors.New("wire: message too long")

// ErrMalformed is wrapped by the error returned for a complete line that is
// not a JSON object of the expected shape. The line has been consumed, so
// the stream is still in step, but the protocol says to close it anyway: a
// peer that sends garbage is not worth a conversation.
var ErrMalformed = errors.New("wire: malformed message")

// readBufSize is bufio's buffer: a whole scha_* query or reply fits, so the
// common line is decoded straight from it without a copy.
const readBufSize = 4096

// keepLineBuf is the largest line buffer kept between lines; a rare big
// message must not pin a megabyte per idle connection in the daemon.
const keepLineBuf = 64 << 10

// Reader reads JSON lines of at most MaxMessage bytes. It is not safe for
// concurrent use.
type Reader struct {
	br    *bufio.Reader
	buf   []byte // a line that spans bufio's buffer is gathered here
	limit int
}

// NewReader returns a Reader of requests from r: lines of at most
// MaxMessage bytes.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, readBufSize), limit: MaxMessage}
}

// NewReplyReader returns a Reader of replies from r: lines of at most
// MaxReply bytes.
func NewReplyReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, readBufSize), limit: MaxReply}
}

// WaitMessage blocks until the first byte of the next line can be read, or
// returns the read error (io.EOF when the peer closed between messages).
// The daemon uses it to wait for a request under the idle deadline and only
// then apply the shorter per-message deadline.
func (r *Reader) WaitMessage() error {
	_, err := r.br.Peek(1)
	return err
}

// Buffered returns the number of bytes read from the stream but not yet
// returned. A client checks it is zero before reusing a connection: bytes
// nobody asked for mean the stream is out of step.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// ReadLine returns the next line without its newline. The slice is valid
// until the next call. A line of more than MaxMessage bytes (newline
// included) yields ErrTooLong after reading at most MaxMessage bytes of it;
// a stream that ends inside a line yields io.ErrUnexpectedEOF; a stream that
// ends between lines yields io.EOF.
func (r *Reader) ReadLine() ([]byte, error) {
	if cap(r.buf) > keepLineBuf {
		r.buf = nil
	}
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		switch err {
		case nil:
			line := chunk
			if len(r.buf) > 0 {
				r.buf = append(r.buf, chunk...)
				line = r.buf
			}
			if len(line) > r.limit {
				return nil, ErrTooLong
			}
			return line[:len(line)-1], nil
		case bufio.ErrBufferFull:
			// The newline is still to come, so the line will be at
			// least one byte longer than what we hold.
			if len(r.buf)+len(chunk) >= r.limit {
				return nil, ErrTooLong
			}
			r.buf = append(r.buf, chunk...)
		case io.EOF:
			if len(r.buf)+len(chunk) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}

// ReadRequest reads and decodes one request. Unknown fields are ignored.
// Errors are those of ReadLine, or one wrapping ErrMalformed.
func (r *Reader) ReadRequest() (*Request, error) {
	line, err := r.ReadLine()
	if err != nil {
		return nil, err
	}
	req := new(Request)
	if err := decodeObject(line, req); err != nil {
		return nil, err
	}
	return req, nil
}

// ReadReply reads and decodes one reply. Unknown fields are ignored.
// Errors are those of ReadLine, or one wrapping ErrMalformed.
func (r *Reader) ReadReply() (*Reply, error) {
	line, err := r.ReadLine()
	if err != nil {
		return nil, err
	}
	rep := new(Reply)
	if err := decodeObject(line, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// DecodeRequest decodes one line (without its newline) as a request, with
// the same rules as Reader.ReadRequest. Args is a copy, not a slice of line.
func DecodeRequest(line []byte) (*Request, error) {
	req := new(Request)
	if err := decodeObject(line, req); err != nil {
		return nil, err
	}
	return req, nil
}

// decodeObject insists on a JSON object: encoding/json would accept "null"
// or a bare number into a struct and leave it zero, which would then look
// like a request for the empty operation rather than garbage.
func decodeObject(line []byte, v any) error {
	trimmed := bytes.TrimLeft(line, " \t\r")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if decodeFast(line, v) { // fast.go
		return nil
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// Writer writes requests and replies, one JSON object and a newline per
// Write call on the underlying writer, so concurrent writers to a socket
// never interleave within a line. It is not safe for concurrent use.
type Writer struct {
	w   io.Writer
	buf bytes.Buffer // reused: encoding a message allocates nothing
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{w: w}
	wr.buf.Grow(SmallMessage)
	return wr
}

// SmallMessage is room for a typical request or reply. Buffers start this
// big so that encoding one does not step through bytes.Buffer's and
// append's growing sizes: in a fresh process, each new size's first
// allocation takes fresh memory, a page fault each (tens of microseconds
// of a scha_* command's time, all told).
const SmallMessage = 512

// WriteRequest writes req. Args must be valid JSON (or empty); it is
// compacted so that no newline inside it can break the framing. A message
// over MaxMessage (MaxReply for WriteReply) is not written and yields
// ErrTooLong.
func (w *Writer) WriteRequest(req *Request) error {
	b := &w.buf
	b.Reset()
	b.WriteString(`{"v":`)
	b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(req.Version), 10))
	b.WriteString(`,"id":`)
	b.Write(strconv.AppendUint(b.AvailableBuffer(), req.ID, 10))
	b.WriteString(`,"op":`)
	b.Write(appendString(b.AvailableBuffer(), req.Op))
	if len(req.Args) > 0 {
		b.WriteString(`,"args":`)
		args, ok := appendCompact(b.AvailableBuffer(), req.Args)
		if !ok {
			return fmt.Errorf("wire: args of %q are not valid JSON", req.Op)
		}
		b.Write(args)
	}
	return w.flush(MaxMessage)
}

// WriteReply writes rep, with the rules of WriteRequest for Data.
func (w *Writer) WriteReply(rep *Reply) error {
	b := &w.buf
	b.Reset()
	b.WriteString(`{"v":`)
	b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(rep.Version), 10))
	b.WriteString(`,"id":`)
	b.Write(strconv.AppendUint(b.AvailableBuffer(), rep.ID, 10))
	b.WriteString(`,"code":`)
	b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(rep.Code), 10))
	if rep.Message != "" {
		b.WriteString(`,"msg":`)
		b.Write(appendString(b.AvailableBuffer(), rep.Message))
	}
	if len(rep.Data) > 0 {
		b.WriteString(`,"data":`)
		data, ok := appendCompact(b.AvailableBuffer(), rep.Data)
		if !ok {
			return errors.New("wire: reply data is not valid JSON")
		}
		b.Write(data)
	}
	return w.flush(MaxReply)
}

func (w *Writer) flush(limit int) error {
	w.buf.WriteString("}\n")
	if w.buf.Len() > limit {
		w.buf.Reset()
		return ErrTooLong
	}
	_, err := w.w.Write(w.buf.Bytes())
	if w.buf.Cap() > keepLineBuf {
		w.buf = bytes.Buffer{}
	}
	return err
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, as encoding/json would without
// HTML escaping: invalid UTF-8 becomes U+FFFD, and U+2028 and U+2029 are
// escaped for the JavaScript readers of a captured log.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
