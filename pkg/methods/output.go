package methods

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"sync"
)

const (
	// MaxLine is the longest line handed to OnLine; longer lines arrive in
	// pieces of this size, so a method printing megabytes without a newline
	// cannot make rgmd buffer all of it.
	MaxLine = 4 << 10
	// MaxOutput is how much of the end of a method's combined output a
	// Result keeps. The end is what explains a failure.
	MaxOutput = 32 << 10
	// truncatedMark starts Result.Output when its beginning was dropped.
	truncatedMark = "[truncated]\n"
)

// capture reads a method's stdout and stderr, hands each line to onLine
// and keeps the tail of the combined output. It outlives Run when a process
// the method left behind still holds the pipes.
type capture struct {
	onLine func(stream, line string)

	mu        sync.Mutex // serializes onLine calls and guards the fields below
	tail      []byte
	truncated bool
	detached  bool // Run has taken its snapshot; stop keeping the tail

	wg  sync.WaitGroup
	eof chan struct{} // closed when every stream has reached EOF
}

func newCapture(onLine func(stream, line string)) *capture {
	return &capture{onLine: onLine, eof: make(chan struct{})}
}

// start reads each named pipe until EOF in its own goroutine and closes it.
func (c *capture) start(streams map[string]*os.File) {
	c.wg.Add(len(streams))
	for name, f := range streams {
		go c.read(name, f)
	}
	go func() {
		c.wg.Wait()
		close(c.eof)
	}()
}

func (c *capture) read(stream string, f *os.File) {
	defer c.wg.Done()
	defer f.Close()
	br := bufio.NewReaderSize(f, MaxLine)
	split := false // the previous piece was cut at MaxLine, not at a newline
	for {
		b, err := br.ReadSlice('\n')
		full := errors.Is(err, bufio.ErrBufferFull)
		if len(b) > 0 && !(split && len(b) == 1 && b[0] == '\n') {
			c.line(stream, string(bytes.TrimSuffix(bytes.TrimSuffix(b, []byte{'\n'}), []byte{'\r'})))
		}
		split = full
		if err != nil && !full {
			// EOF, or a read error that the next read would repeat.
			return
		}
	}
}

func (c *capture) line(stream, line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.onLine != nil {
		c.onLine(stream, line)
	}
	if c.detached {
		return
	}
	c.tail = append(c.tail, line...)
	c.tail = append(c.tail, '\n')
	// Trim only once the buffer has doubled, so copying stays amortized.
	if len(c.tail) > 2*MaxOutput {
		c.tail = append(c.tail[:0], c.tail[len(c.tail)-MaxOutput:]...)
		c.truncated = true
	}
}

// snapshot returns the kept output, at most MaxOutput bytes plus the
// marker, and stops keeping more.
func (c *capture) snapshot() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.detached = true
	out, cut := c.tail, c.truncated
	if len(out) > MaxOutput {
		out, cut = out[len(out)-MaxOutput:], true
	}
	if !cut {
		return string(out)
	}
	// Start at a line boundary unless that would throw away nearly all.
	if i := bytes.IndexByte(out, '\n'); i >= 0 && i < len(out)/2 {
		out = out[i+1:]
	}
	return truncatedMark + string(out)
}
