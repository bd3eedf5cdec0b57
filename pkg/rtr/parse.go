package rtr

import "fmt"

// parser reads the token list of a file. Grammar:
//
//	file   = { assign | block | directive } .
//	assign = name "=" [ values ] ";" .
//	values = value { "," value } .
//	block  = "{" { attr } "}" [ ";" ] .
//	attr   = name ( ";" | "=" [ values ] ";" | "{" [ values ] "}" [ ";" ] ) .
//	directive = "#$upgrade" | "#$upgrade_from" value value .   (on one line)
type parser struct {
	file string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(pos Pos, format string, args ...any) *Error {
	return &Error{File: p.file, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parseFile() (*File, *Error) {
	f := &File{Name: p.file}
	for {
		t := p.peek()
		var d Decl
		var err *Error
		switch t.kind {
		case tEOF:
			f.End = t.pos
			return f, nil
		case tWord:
			d, err = p.parseAssign()
		case tLBrace:
			d, err = p.parseBlock()
		case tUpgrade, tUpgradeFrom:
			d, err = p.parseDirective()
		default:
			err = p.errorf(t.pos, "expected a property name, '{' or an upgrade directive, found %s", t.describe())
		}
		if err != nil {
			return nil, err
		}
		f.Decls = append(f.Decls, d)
	}
}

func (p *parser) parseAssign() (*Assign, *Error) {
	name := p.next()
	if !isName(name.text) {
		return nil, p.errorf(name.pos, "expected a property name, found %s", name.describe())
	}
	if t := p.next(); t.kind != tEq {
		return nil, p.errorf(t.pos, "expected '=' after %s, found %s", name.text, t.describe())
	}
	vals, err := p.parseValues(name.text)
	if err != nil {
		return nil, err
	}
	return &Assign{NamePos: name.pos, Name: name.text, Values: vals}, nil
}

// parseValues reads what follows '=': an optional comma-separated list of
// values, then ';'.
func (p *parser) parseValues(owner string) ([]Value, *Error) {
	if p.peek().kind == tSemi {
		p.next()
		return nil, nil
	}
	var vals []Value
	for {
		t := p.next()
		if t.kind != tWord && t.kind != tString {
			if len(vals) == 0 {
				return nil, p.errorf(t.pos, "expected a value or ';' after '=' in %s, found %s", owner, t.describe())
			}
			return nil, p.errorf(t.pos, "expected a value after ',' in %s, found %s", owner, t.describe())
		}
		vals = append(vals, Value{Pos: t.pos, Text: t.text, Quoted: t.kind == tString})
		switch t := p.next(); t.kind {
		case tComma:
		case tSemi:
			return vals, nil
		default:
			return nil, p.errorf(t.pos, "expected ';' after value of %s, found %s", owner, t.describe())
		}
	}
}

func (p *parser) parseBlock() (*Block, *Error) {
	b := &Block{Lbrace: p.next().pos}
	for {
		t := p.peek()
		switch {
		case t.kind == tRBrace:
			b.Rbrace = p.next().pos
			// Tolerated: some hand-written files end blocks with "};".
			if p.peek().kind == tSemi {
				p.next()
			}
			return b, nil
		case t.kind == tEOF:
			return nil, p.errorf(t.pos, "expected '}' to close the property block opened at %v, found end of file", b.Lbrace)
		case t.kind != tWord || !isName(t.text):
			return nil, p.errorf(t.pos, "expected an attribute name or '}', found %s", t.describe())
		}
		name := p.next()
		a := &Attr{NamePos: name.pos, Name: name.text}
		switch t := p.next(); t.kind {
		case tSemi:
			a.Form = AttrFlag
		case tEq:
			a.Form = AttrAssign
			vals, err := p.parseValues(name.text)
			if err != nil {
				return nil, err
			}
			a.Values = vals
		case tLBrace:
			a.Form = AttrList
			vals, err := p.parseList(name.text)
			if err != nil {
				return nil, err
			}
			a.Values = vals
		default:
			return nil, p.errorf(t.pos, "expected ';' after %s, found %s", name.text, t.describe())
		}
		b.Attrs = append(b.Attrs, a)
	}
}

// parseList reads the rest of a braced list, as in ENUM { A, B };, after
// its '{'.
func (p *parser) parseList(owner string) ([]Value, *Error) {
	var vals []Value
	if p.peek().kind != tRBrace {
		for {
			t := p.next()
			if t.kind != tWord && t.kind != tString {
				return nil, p.errorf(t.pos, "expected a value in the list of %s, found %s", owner, t.describe())
			}
			vals = append(vals, Value{Pos: t.pos, Text: t.text, Quoted: t.kind == tString})
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
	}
	if t := p.next(); t.kind != tRBrace {
		return nil, p.errorf(t.pos, "expected ',' or '}' in the list of %s, found %s", owner, t.describe())
	}
	if p.peek().kind == tSemi {
		p.next()
	}
	return vals, nil
}

// parseDirective reads #$upgrade or #$upgrade_from and its arguments,
// which must be on the directive's line: the line is a comment to older
// tools, so nothing of it may spill onto the next.
func (p *parser) parseDirective() (Decl, *Error) {
	d := p.next()
	onLine := func(t token) bool { return t.kind != tEOF && t.pos.Line == d.pos.Line }
	var out Decl
	if d.kind == tUpgrade {
		out = &Upgrade{Pos: d.pos}
	} else {
		u := &UpgradeFrom{Pos: d.pos}
		t := p.peek()
		if !onLine(t) || t.kind != tString && t.kind != tWord {
			return nil, p.errorf(lineEnd(t, d.pos), "expected a quoted version after #$upgrade_from (\"\" for no version), found %s", describeOnLine(t, d.pos))
		}
		p.next()
		u.Version = Value{Pos: t.pos, Text: t.text, Quoted: t.kind == tString}
		t = p.peek()
		if !onLine(t) || t.kind != tWord {
			return nil, p.errorf(lineEnd(t, d.pos), "expected ANYTIME, WHEN_OFFLINE, WHEN_DISABLED, WHEN_UNMONITORED, WHEN_UNMANAGED or AT_CREATION after the version in #$upgrade_from, found %s", describeOnLine(t, d.pos))
		}
		p.next()
		u.When = Value{Pos: t.pos, Text: t.text}
		out = u
	}
	if t := p.peek(); onLine(t) {
		return nil, p.errorf(t.pos, "unexpected %s after #$%s", t.describe(), d.text)
	}
	return out, nil
}

// lineEnd is where to report something missing from a directive's line:
// at t when t is still on that line, else at the directive itself (the
// next line's token would point the reader at the wrong line).
func lineEnd(t token, dir Pos) Pos {
	if t.kind != tEOF && t.pos.Line == dir.Line {
		return t.pos
	}
	return dir
}

func describeOnLine(t token, dir Pos) string {
	if t.kind != tEOF && t.pos.Line == dir.Line {
		return t.describe()
	}
	return "end of line"
}
