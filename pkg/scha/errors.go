// Package scha holds the vocabulary of the Resource Management API: error
// codes with their numbers and strerror texts, optags, enums and the shell
// formatting of values. Every client, the daemon and the C API use it.
package scha

import (
	"errors"
	"fmt"
)

// ErrCode is a scha_err_t value. Numbers 0–18 are those of Solaris Cluster
// (shell scripts test them as exit codes); 19 onward are OpenRGM's, assigned
// in the order the reference lists them, and must never be renumbered.
type ErrCode int

const (
	ErrNoErr       ErrCode = 0  // SCHA_ERR_NOERR
	ErrNoMem       ErrCode = 1  // SCHA_ERR_NOMEM
	ErrHandle      ErrCode = 2  // SCHA_ERR_HANDLE
	ErrInval       ErrCode = 3  // SCHA_ERR_INVAL
	ErrTag         ErrCode = 4  // SCHA_ERR_TAG
	ErrReconf      ErrCode = 5  // SCHA_ERR_RECONF
	ErrAccess      ErrCode = 6  // SCHA_ERR_ACCESS
	ErrSeqID       ErrCode = 7  // SCHA_ERR_SEQID
	ErrDepend      ErrCode = 8  // SCHA_ERR_DEPEND
	ErrState       ErrCode = 9  // SCHA_ERR_STATE
	ErrMethod      ErrCode = 10 // SCHA_ERR_METHOD
	ErrNode        ErrCode = 11 // SCHA_ERR_NODE
	ErrRG          ErrCode = 12 // SCHA_ERR_RG
	ErrRT          ErrCode = 13 // SCHA_ERR_RT
	ErrRsrc        ErrCode = 14 // SCHA_ERR_RSRC
	ErrProp        ErrCode = 15 // SCHA_ERR_PROP
	ErrChecks      ErrCode = 16 // SCHA_ERR_CHECKS
	ErrRStatus     ErrCode = 17 // SCHA_ERR_RSTATUS
	ErrInternal    ErrCode = 18 // SCHA_ERR_INTERNAL
	ErrTimeout     ErrCode = 19 // SCHA_ERR_TIMEOUT (OpenRGM's number)
	ErrCluster     ErrCode = 20 // SCHA_ERR_CLUSTER (OpenRGM's number)
	ErrZoneCluster ErrCode = 21 // SCHA_ERR_ZONE_CLUSTER (OpenRGM's number)
	ErrZCDown      ErrCode = 22 // SCHA_ERR_ZC_DOWN (OpenRGM's number)
)

type codeInfo struct {
	symbol string
	text   string
}

// codes is the one table of symbols and scha_strerror texts; the C header,
// the man pages and the tests are checked against it.
var codes = [...]codeInfo{
	ErrNoErr:       {"SCHA_ERR_NOERR", "no error"},
	ErrNoMem:       {"SCHA_ERR_NOMEM", "not enough swap space"},
	ErrHandle:      {"SCHA_ERR_HANDLE", "invalid resource management handle"},
	ErrInval:       {"SCHA_ERR_INVAL", "invalid input argument"},
	ErrTag:         {"SCHA_ERR_TAG", "invalid API tag"},
	ErrReconf:      {"SCHA_ERR_RECONF", "cluster is reconfiguring"},
	ErrAccess:      {"SCHA_ERR_ACCESS", "permission denied"},
	ErrSeqID:       {"SCHA_ERR_SEQID", "resource, resource group, or resource type has been updated since last scha_*_open call"},
	ErrDepend:      {"SCHA_ERR_DEPEND", "object dependency problem"},
	ErrState:       {"SCHA_ERR_STATE", "object is in wrong state"},
	ErrMethod:      {"SCHA_ERR_METHOD", "invalid method"},
	ErrNode:        {"SCHA_ERR_NODE", "invalid node"},
	ErrRG:          {"SCHA_ERR_RG", "invalid resource group"},
	ErrRT:          {"SCHA_ERR_RT", "invalid resource type"},
	ErrRsrc:        {"SCHA_ERR_RSRC", "invalid resource"},
	ErrProp:        {"SCHA_ERR_PROP", "invalid property"},
	ErrChecks:      {"SCHA_ERR_CHECKS", "sanity checks failed"},
	ErrRStatus:     {"SCHA_ERR_RSTATUS", "bad resource status"},
	ErrInternal:    {"SCHA_ERR_INTERNAL", "internal error was encountered"},
	ErrTimeout:     {"SCHA_ERR_TIMEOUT", "operation timed out"},
	ErrCluster:     {"SCHA_ERR_CLUSTER", "invalid cluster"},
	ErrZoneCluster: {"SCHA_ERR_ZONE_CLUSTER", "invalid zone cluster"},
	ErrZCDown:      {"SCHA_ERR_ZC_DOWN", "zone cluster is down"},
}

// MaxErrCode is the highest defined code.
const MaxErrCode = ErrZCDown

// Symbol returns the C name, e.g. "SCHA_ERR_TAG".
func (c ErrCode) Symbol() string {
	if c < 0 || int(c) >= len(codes) {
		return fmt.Sprintf("SCHA_ERR_%d", int(c))
	}
	return codes[c].symbol
}

// String returns the scha_strerror text.
func (c ErrCode) String() string { return Strerror(c) }

// Strerror returns the short English text of scha_strerror(3HA).
func Strerror(c ErrCode) string {
	if c < 0 || int(c) >= len(codes) {
		return "unknown error"
	}
	return codes[c].text
}

// Error is an error that carries a scha_err_t code and a detail for people.
// Errors are wrapped with %w around it and turned into a reply code at one
// point on the server and back at one point in the client.
type Error struct {
	Code   ErrCode
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return Strerror(e.Code)
	}
	return Strerror(e.Code) + ": " + e.Detail
}

// Errorf makes an *Error with a formatted detail.
func Errorf(code ErrCode, format string, args ...any) error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code carried by err: ErrNoErr for nil, ErrInternal for
// an error that carries none.
func CodeOf(err error) ErrCode {
	if err == nil {
		return ErrNoErr
	}
	var se *Error
	if errors.As(err, &se) {
		return se.Code
	}
	return ErrInternal
}

// DetailOf returns the detail text of err without the strerror prefix.
func DetailOf(err error) string {
	if err == nil {
		return ""
	}
	var se *Error
	if errors.As(err, &se) {
		return se.Detail
	}
	return err.Error()
}
