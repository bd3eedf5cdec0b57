package rtr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tEq
	tSemi
	tComma
	tLBrace
	tRBrace
	tUpgrade     // #$upgrade
	tUpgradeFrom // #$upgrade_from
)

type token struct {
	kind tokKind
	pos  Pos
	text string // the word, or the string with escapes resolved
}

// describe names a token the way an error message should show it.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tWord:
		return strconv.Quote(t.text)
	case tString:
		return "string " + strconv.Quote(t.text)
	case tEq:
		return "'='"
	case tSemi:
		return "';'"
	case tComma:
		return "','"
	case tLBrace:
		return "'{'"
	case tRBrace:
		return "'}'"
	case tUpgrade:
		return "#$upgrade"
	case tUpgradeFrom:
		return "#$upgrade_from"
	}
	return "?"
}

// isWordByte reports whether c may appear in a bare value. The set is
// what paths, versions, node lists, port lists (8080/tcp) and load
// balancing weights (1@node) need; anything else outside a string is more
// likely a typo than a value, so it is reported rather than swallowed.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("_-./:+@*%~!?^[]()&$", c) >= 0
}

// isName reports whether s can be a keyword, property or attribute name.
// Names are checked in full (model.CheckName) by Load; this only keeps a
// path or a number from being read as a name by the parser.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}

type scanner struct {
	file string
	src  []byte
	off  int
	line int
	col  int
}

// scan splits src into tokens, the last one tEOF.
func scan(file string, src []byte) ([]token, *Error) {
	s := &scanner{file: file, src: src, line: 1, col: 1}
	// A UTF-8 byte order mark is an editor's doing, not content.
	if strings.HasPrefix(string(src), "\uFEFF") {
		s.off = 3
	}
	var toks []token
	for {
		t, err := s.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks, nil
		}
	}
}

func (s *scanner) pos() Pos { return Pos{s.line, s.col} }

func (s *scanner) errorf(p Pos, format string, args ...any) *Error {
	return &Error{File: s.file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)}
}

// advance moves past n bytes that hold no newline.
func (s *scanner) advance(n int) {
	s.off += n
	s.col += n
}

func (s *scanner) newline() {
	s.off++
	s.line++
	s.col = 1
}

func (s *scanner) skipLine() {
	for s.off < len(s.src) && s.src[s.off] != '\n' {
		s.advance(1)
	}
}

func (s *scanner) next() (token, *Error) {
	for s.off < len(s.src) {
		c := s.src[s.off]
		p := s.pos()
		switch {
		case c == '\n':
			s.newline()
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			s.advance(1)
		case c == '#':
			if t, ok, err := s.directive(); err != nil || ok {
				return t, err
			}
			s.skipLine()
		case c == '=':
			s.advance(1)
			return token{kind: tEq, pos: p}, nil
		case c == ';':
			s.advance(1)
			return token{kind: tSemi, pos: p}, nil
		case c == ',':
			s.advance(1)
			return token{kind: tComma, pos: p}, nil
		case c == '{':
			s.advance(1)
			return token{kind: tLBrace, pos: p}, nil
		case c == '}':
			s.advance(1)
			return token{kind: tRBrace, pos: p}, nil
		case c == '"':
			return s.str()
		case isWordByte(c):
			start := s.off
			for s.off < len(s.src) && isWordByte(s.src[s.off]) {
				s.advance(1)
			}
			return token{kind: tWord, pos: p, text: string(s.src[start:s.off])}, nil
		default:
			r, _ := utf8.DecodeRune(s.src[s.off:])
			if r == utf8.RuneError || r < ' ' || r == 0x7f {
				return token{}, s.errorf(p, "unexpected byte 0x%02x", c)
			}
			return token{}, s.errorf(p, "unexpected character %q (quote values that hold it)", r)
		}
	}
	return token{kind: tEOF, pos: s.pos()}, nil
}

// directive reads #$upgrade or #$upgrade_from at a '#'. It reports ok =
// false, leaving the scanner where it was, when the comment is not one.
func (s *scanner) directive() (token, bool, *Error) {
	p := s.pos()
	rest := s.src[s.off+1:]
	if len(rest) == 0 || rest[0] != '$' {
		return token{}, false, nil
	}
	n := 0
	for n+1 < len(rest) && isName(string(rest[1:n+2])) {
		n++
	}
	word := string(rest[1 : n+1])
	var kind tokKind
	switch {
	case strings.EqualFold(word, "upgrade"):
		kind = tUpgrade
	case strings.EqualFold(word, "upgrade_from"):
		kind = tUpgradeFrom
	case len(word) >= len("upgrade") && strings.EqualFold(word[:len("upgrade")], "upgrade"):
		return token{}, false, s.errorf(p, "unknown directive #$%s (expected #$upgrade or #$upgrade_from)", word)
	default:
		return token{}, false, nil
	}
	s.advance(2 + n)
	return token{kind: kind, pos: p, text: word}, true, nil
}

// str reads a double-quoted string. It may not span lines: a missing
// closing quote would otherwise swallow the rest of the file.
func (s *scanner) str() (token, *Error) {
	p := s.pos()
	s.advance(1)
	var b strings.Builder
	for {
		if s.off >= len(s.src) || s.src[s.off] == '\n' {
			return token{}, s.errorf(p, "unterminated string: expected '\"' before end of line")
		}
		c := s.src[s.off]
		switch {
		case c == '"':
			s.advance(1)
			return token{kind: tString, pos: p, text: b.String()}, nil
		case c == '\\' && s.off+1 < len(s.src) && (s.src[s.off+1] == '"' || s.src[s.off+1] == '\\'):
			b.WriteByte(s.src[s.off+1])
			s.advance(2)
		case c == 0:
			return token{}, s.errorf(s.pos(), "NUL byte in string")
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			s.advance(1)
		default:
			r, n := utf8.DecodeRune(s.src[s.off:])
			if r == utf8.RuneError && n <= 1 {
				return token{}, s.errorf(s.pos(), "invalid UTF-8 in string")
			}
			b.WriteString(string(s.src[s.off : s.off+n]))
			s.advance(n)
		}
	}
}
