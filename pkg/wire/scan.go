package wire

// A JSON scanner of its own, so that framing and the fast decoders need
// nothing of encoding/json: its scanner comes from a sync.Pool, whose first
// use in a fresh process writes to pages the process has not yet touched
// (a copy-on-write fault, a TLB shootdown when the runtime's other threads
// run) and which a scha_* command, once per query, paid three times.
// FuzzScan checks that both functions agree with encoding/json's Valid and
// Compact.

// Valid reports whether data is one valid JSON value, as json.Valid does.
func Valid(data []byte) bool {
	_, ok := scanJSON(nil, data, false)
	return ok
}

// appendCompact appends src without insignificant whitespace to dst, as
// json.Compact does, and reports false (dst unchanged) if src is not one
// valid JSON value.
func appendCompact(dst, src []byte) ([]byte, bool) {
	out, ok := scanJSON(dst, src, true)
	if !ok {
		return dst, false
	}
	return out, true
}

// maxNesting is encoding/json's limit on nested arrays and objects.
const maxNesting = 10000

// scanJSON checks that src is one JSON value with optional whitespace
// around it and, if keep, appends its tokens to dst without that
// whitespace. It walks the value without recursion: open holds the
// brackets it is inside ('[' or '{').
func scanJSON(dst, src []byte, keep bool) ([]byte, bool) {
	const (
		value     = iota // a value comes next
		firstKey         // just after '{': a key or '}'
		key              // after '{' or a comma in an object: a key
		firstElem        // just after '[': a value or ']'
		after            // after a value: a comma, a closing bracket or the end
	)
	var stack [32]byte
	open := stack[:0]
	state := value
	for p := skipSpace(src, 0); ; p = skipSpace(src, p) {
		if p >= len(src) {
			return dst, state == after && len(open) == 0
		}
		c := src[p]
		start := p
		switch state {
		case firstKey, firstElem:
			if c == open[len(open)-1]+2 { // '}' is '{'+2, ']' is '['+2
				open = open[:len(open)-1]
				p, state = p+1, after
				break
			}
			if state == firstElem {
				state = value
				continue
			}
			state = key
			continue
		case key:
			if c != '"' {
				return dst, false
			}
			if p = scanString(src, p); p < 0 {
				return dst, false
			}
			if keep {
				dst = append(dst, src[start:p]...)
				dst = append(dst, ':')
			}
			if p = skipSpace(src, p); p >= len(src) || src[p] != ':' {
				return dst, false
			}
			p, state = p+1, value
			continue
		case after:
			switch {
			case len(open) == 0:
				return dst, false // something after the value
			case c == ',':
				p, state = p+1, value
				if open[len(open)-1] == '{' {
					state = key
				}
			case c == open[len(open)-1]+2:
				open = open[:len(open)-1]
				p++
			default:
				return dst, false
			}
		case value:
			switch {
			case c == '{' || c == '[':
				if len(open) >= maxNesting {
					return dst, false
				}
				open = append(open, c)
				p, state = p+1, firstElem
				if c == '{' {
					state = firstKey
				}
			case c == '"':
				p = scanString(src, p)
			case c == '-' || c >= '0' && c <= '9':
				p = scanNumber(src, p)
			case c == 't':
				p = scanLiteral(src, p, "true")
			case c == 'f':
				p = scanLiteral(src, p, "false")
			case c == 'n':
				p = scanLiteral(src, p, "null")
			default:
				return dst, false
			}
			if p < 0 {
				return dst, false
			}
			if state == value {
				state = after
			}
		}
		if keep && p > start {
			dst = append(dst, src[start:p]...)
		}
	}
}

// scanString returns the end of the JSON string starting at src[p] (a
// quote), or -1 if it is not one. As in encoding/json, any byte from 0x20
// up is allowed, even in invalid UTF-8.
func scanString(src []byte, p int) int {
	for i := p + 1; i < len(src); i++ {
		switch c := src[i]; {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			i++
			if i >= len(src) {
				return -1
			}
			switch src[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(src) {
					return -1
				}
				for _, h := range src[i+1 : i+5] {
					if !isHex(h) {
						return -1
					}
				}
				i += 4
			default:
				return -1
			}
		}
	}
	return -1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanNumber returns the end of the JSON number starting at src[p], or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(src []byte, p int) int {
	if src[p] == '-' {
		p++
	}
	switch {
	case p < len(src) && src[p] == '0':
		p++
	case p < len(src) && src[p] >= '1' && src[p] <= '9':
		p = digits(src, p)
	default:
		return -1
	}
	if p < len(src) && src[p] == '.' {
		if q := digits(src, p+1); q > p+1 {
			p = q
		} else {
			return -1
		}
	}
	if p < len(src) && (src[p] == 'e' || src[p] == 'E') {
		p++
		if p < len(src) && (src[p] == '+' || src[p] == '-') {
			p++
		}
		if q := digits(src, p); q > p {
			p = q
		} else {
			return -1
		}
	}
	return p
}

func digits(src []byte, p int) int {
	for p < len(src) && src[p] >= '0' && src[p] <= '9' {
		p++
	}
	return p
}

func scanLiteral(src []byte, p int, lit string) int {
	if len(src)-p < len(lit) || string(src[p:p+len(lit)]) != lit {
		return -1
	}
	return p + len(lit)
}
