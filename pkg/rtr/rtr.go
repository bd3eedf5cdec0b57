// Package rtr reads RTR (resource type registration) files, the rt_reg(4)
// format that registers a resource type, and turns them into a
// *model.ResourceType.
//
// Parse checks the syntax only and returns the file as written, with
// positions (a *File). Load parses, checks the meaning and builds the type.
// Both stop at the first problem and return it as an *Error naming the file,
// line and column (columns count bytes, as the Go tools do); scha.CodeOf of
// such an error is scha.ErrRT.
//
// # Syntax
//
// A file is a list of RT-property assignments (NAME = value;), upgrade
// directives (#$upgrade and #$upgrade_from "VERSION" WHEN) and property
// blocks ({ PROPERTY = name; attribute; ... }). Keywords, property names and
// attribute names are case-insensitive; values keep their case. A value is a
// bare word (SUNW, TRUE, /opt/x/bin, 4.5-05) or a double-quoted string with
// \" and \\ escapes (any other backslash is kept as written); an array takes
// a comma-separated list; NAME = ; gives the empty value. Everything from #
// to the end of the line is a comment (#pragma ident too), except the two
// upgrade directives. Other #$ words are comments as well, so that
// $Revision$ keywords survive, but a misspelt #$upgrade... is an error
// rather than a silently ignored directive.
//
// # Choices where rt_reg(4) is silent or real files differ
//
//   - RT_version may be missing. The reference calls it required since Sun
//     Cluster 3.1, but older agents' files omit it and registering them is
//     more useful than refusing them; such a type's name has no version.
//     #$upgrade, though, needs RT_version, because it puts the version in
//     the type's name.
//   - RT_basedir, when set, must be absolute. When it is not set and a
//     method path is relative, RT_basedir becomes the directory of the RTR
//     file if Load was given an absolute file name (the callbacks usually
//     sit beside their RTR file); otherwise that is an error.
//   - An extension property without TUNABLE is TUNABLE = ANYTIME: our
//     reference is silent, and Solaris's rt_reg(4) gives TRUE (ANYTIME) as
//     the attribute's default as far as we recall it. A system property
//     keeps the TUNABLE of its standard declaration.
//   - A bare value is one word: "RT_description = Demo agent;" is an
//     error asking for ';', so that a missing ';' can't silently glue two
//     lines into one value. Text with blanks must be quoted.
//   - PER_NODE applies to extension properties only.
//   - RT-property assignments must come before the first property block, as
//     in rt_reg(4)'s layout; the directives may appear anywhere.
//   - A ';' after the '}' of a property block or of an ENUM list is
//     allowed and ignored, and an upgrade version may be bare or quoted.
//   - UINT and UINTARRAY are not extension types: rt_reg(4) lists STRING,
//     INT, BOOLEAN, ENUM and STRINGARRAY only.
package rtr

import (
	"fmt"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// Error is a problem in an RTR file, at a position. Line and Col are
// 1-based; Col counts bytes.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
}

// Error returns "file:line:col: msg" (without "file:" when File is empty).
func (e *Error) Error() string {
	if e.File == "" {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Unwrap gives the scha view of the error, so that scha.CodeOf reports
// ErrRT and scha.DetailOf the positioned message, as everywhere else an
// error crosses into the API.
func (e *Error) Unwrap() error {
	return &scha.Error{Code: scha.ErrRT, Detail: e.Error()}
}

// Pos is a position in an RTR file: 1-based line and byte column.
type Pos struct {
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Parse reads the syntax of an RTR file. filename is used in errors only.
// The error, if any, is an *Error.
func Parse(filename string, src []byte) (*File, error) {
	toks, err := scan(filename, src)
	if err != nil {
		return nil, err
	}
	p := &parser{file: filename, toks: toks}
	f, perr := p.parseFile()
	if perr != nil {
		return nil, perr
	}
	return f, nil
}

// Load parses an RTR file, checks it and builds the resource type it
// registers. filename becomes the type's SourceFile; when it is absolute
// it also gives the default RT_basedir (see the package comment). The
// error, if any, is an *Error.
func Load(filename string, src []byte) (*model.ResourceType, error) {
	f, err := Parse(filename, src)
	if err != nil {
		return nil, err
	}
	rt, lerr := load(f)
	if lerr != nil {
		return nil, lerr
	}
	return rt, nil
}
