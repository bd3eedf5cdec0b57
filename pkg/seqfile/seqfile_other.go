//go:build !linux

package seqfile

import "errors"

// Elsewhere there is no counter: clients ask rgmd every time.

var errUnsupported = errors.New("seqfile: only on Linux")

type Writer struct{}

func Create(string) (*Writer, error) { return nil, errUnsupported }
func (*Writer) Bump()                {}
func (*Writer) Close() error         { return nil }

type Reader struct{}

func Open(string, int32) (*Reader, error) { return nil, errUnsupported }
func (*Reader) Load() (uint64, bool)      { return 0, false }
func (*Reader) Close() error              { return nil }
