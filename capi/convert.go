package main

/*
#include <stdlib.h>
#include <string.h>
#include "scha.h"
*/
import "C"

import (
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/openrgm/openrgm/pkg/scha"
)

// This file turns a reply's strings into the C out-argument of its result
// type (scha.h's table), in C memory owned by the handle. Everything is
// built first and written through out last, so a failed get leaves the
// caller's variable alone, as scha_calls(3HA) promises.

const ptrSize = unsafe.Sizeof(uintptr(0))

// put writes values, of result type typ, through out for tag t.
func (h *handle) put(t *scha.Tag, typ scha.ResultType, extType string, values []string, out unsafe.Pointer) scha.ErrCode {
	switch typ {
	case scha.ResultString:
		s, code := scalar(values)
		if code != scha.ErrNoErr {
			return code
		}
		p := h.cstring(s)
		if p == nil {
			return scha.ErrNoMem
		}
		*(**C.char)(out) = p
	case scha.ResultInt:
		n, code := parseInt(values)
		if code != scha.ErrNoErr {
			return code
		}
		*(*C.int)(out) = n
	case scha.ResultUint:
		s, code := scalar(values)
		if code != scha.ErrNoErr {
			return code
		}
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return scha.ErrInternal
		}
		*(*C.uint_t)(out) = C.uint_t(n)
	case scha.ResultBoolean:
		b, code := parseBool(values)
		if code != scha.ErrNoErr {
			return code
		}
		*(*C.boolean_t)(out) = b
	case scha.ResultEnum:
		s, code := scalar(values)
		if code != scha.ErrNoErr {
			return code
		}
		i, ok := enumIndex(enumFor(t.Name), s)
		if !ok {
			return scha.ErrInternal
		}
		// Every scha.h enum is an int-sized C enum.
		*(*C.int)(out) = C.int(i)
	case scha.ResultStringArray:
		a := h.strArray(values)
		if a == nil {
			return scha.ErrNoMem
		}
		*(**C.scha_str_array_t)(out) = a
	case scha.ResultUintArray:
		a, code := h.uintArray(values)
		if code != scha.ErrNoErr {
			return code
		}
		*(**C.scha_uint_array_t)(out) = a
	case scha.ResultStatus:
		s, code := h.status(values)
		if code != scha.ErrNoErr {
			return code
		}
		*(**C.scha_status_value_t)(out) = s
	case scha.ResultExtension:
		e, code := h.extension(extType, values)
		if code != scha.ErrNoErr {
			return code
		}
		*(**C.scha_extprop_value_t)(out) = e
	default:
		return scha.ErrInternal
	}
	return scha.ErrNoErr
}

// scalar returns the one value of a scalar result; none is "" (an unset
// string property).
func scalar(values []string) (string, scha.ErrCode) {
	switch len(values) {
	case 0:
		return "", scha.ErrNoErr
	case 1:
		return values[0], scha.ErrNoErr
	}
	return "", scha.ErrInternal
}

func parseInt(values []string) (C.int, scha.ErrCode) {
	s, code := scalar(values)
	if code != scha.ErrNoErr {
		return 0, code
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, scha.ErrInternal
	}
	return C.int(n), scha.ErrNoErr
}

func parseBool(values []string) (C.boolean_t, scha.ErrCode) {
	s, code := scalar(values)
	if code != scha.ErrNoErr {
		return 0, code
	}
	switch {
	case strings.EqualFold(s, scha.True):
		return C.B_TRUE, scha.ErrNoErr
	case strings.EqualFold(s, scha.False):
		return C.B_FALSE, scha.ErrNoErr
	}
	return 0, scha.ErrInternal
}

// copyString writes s and a NUL at p.
func copyString(p unsafe.Pointer, s string) {
	b := unsafe.Slice((*byte)(p), len(s)+1)
	copy(b, s)
	b[len(s)] = 0
}

// cstring returns s in C memory owned by h.
func (h *handle) cstring(s string) *C.char {
	p := h.alloc(uintptr(len(s) + 1))
	if p == nil {
		return nil
	}
	copyString(p, s)
	return (*C.char)(p)
}

// strArray builds a scha_str_array_t in one block: the struct, array_cnt
// pointers and a NULL, then the strings. One block is one malloc per get
// and one free per get at close.
func (h *handle) strArray(values []string) *C.scha_str_array_t {
	hdr := unsafe.Sizeof(C.scha_str_array_t{})
	n := hdr + uintptr(len(values)+1)*ptrSize
	for _, v := range values {
		n += uintptr(len(v) + 1)
	}
	p := h.alloc(n)
	if p == nil {
		return nil
	}
	a := (*C.scha_str_array_t)(p)
	ptrs := unsafe.Slice((**C.char)(unsafe.Add(p, hdr)), len(values)+1)
	s := unsafe.Add(p, hdr+uintptr(len(values)+1)*ptrSize)
	for i, v := range values {
		copyString(s, v)
		ptrs[i] = (*C.char)(s)
		s = unsafe.Add(s, len(v)+1)
	}
	ptrs[len(values)] = nil
	a.array_cnt = C.uint_t(len(values))
	a.str_array = &ptrs[0]
	// "*" alone is the value "all" (Installed_nodes, Global_resources_used).
	a.is_ALL_value = C.B_FALSE
	if len(values) == 1 && values[0] == "*" {
		a.is_ALL_value = C.B_TRUE
	}
	return a
}

// uintArray builds a scha_uint_array_t in one block.
func (h *handle) uintArray(values []string) (*C.scha_uint_array_t, scha.ErrCode) {
	nums := make([]C.uint_t, len(values))
	for i, v := range values {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, scha.ErrInternal
		}
		nums[i] = C.uint_t(n)
	}
	hdr := unsafe.Sizeof(C.scha_uint_array_t{})
	p := h.alloc(hdr + uintptr(len(nums))*unsafe.Sizeof(C.uint_t(0)))
	if p == nil {
		return nil, scha.ErrNoMem
	}
	a := (*C.scha_uint_array_t)(p)
	a.array_cnt = C.uint_t(len(nums))
	a.uint_array = (*C.uint_t)(unsafe.Add(p, hdr))
	copy(unsafe.Slice(a.uint_array, len(nums)), nums)
	return a, scha.ErrNoErr
}

// status builds a scha_status_value_t and its message in one block; an
// empty message is NULL, as scha_resource_setstatus without a message
// leaves it.
func (h *handle) status(values []string) (*C.scha_status_value_t, scha.ErrCode) {
	if len(values) < 1 || len(values) > 2 {
		return nil, scha.ErrInternal
	}
	st, ok := enumIndex(statuses, values[0])
	if !ok {
		return nil, scha.ErrInternal
	}
	msg := ""
	if len(values) == 2 {
		msg = values[1]
	}
	hdr := unsafe.Sizeof(C.scha_status_value_t{})
	p := h.alloc(hdr + uintptr(len(msg)+1))
	if p == nil {
		return nil, scha.ErrNoMem
	}
	s := (*C.scha_status_value_t)(p)
	s.status = C.scha_rsstatus_t(st)
	s.status_msg = nil
	if msg != "" {
		copyString(unsafe.Add(p, hdr), msg)
		s.status_msg = (*C.char)(unsafe.Add(p, hdr))
	}
	return s, scha.ErrNoErr
}

// extension builds a scha_extprop_value_t whose union member is chosen by
// the property's type.
func (h *handle) extension(extType string, values []string) (*C.scha_extprop_value_t, scha.ErrCode) {
	pt, ok := enumIndex(propTypes, extType)
	if !ok {
		return nil, scha.ErrInternal
	}
	p := h.alloc(unsafe.Sizeof(C.scha_extprop_value_t{}))
	if p == nil {
		return nil, scha.ErrNoMem
	}
	e := (*C.scha_extprop_value_t)(p)
	e.prop_type = C.scha_prop_type_t(pt)
	val := unsafe.Pointer(&e.val)
	*(*uintptr)(val) = 0
	switch propTypes[pt] {
	case scha.ExtString, scha.ExtEnum:
		s, code := scalar(values)
		if code != scha.ErrNoErr {
			return nil, code
		}
		c := h.cstring(s)
		if c == nil {
			return nil, scha.ErrNoMem
		}
		*(**C.char)(val) = c
	case scha.ExtInt:
		n, code := parseInt(values)
		if code != scha.ErrNoErr {
			return nil, code
		}
		*(*C.int)(val) = n
	case scha.ExtBoolean:
		b, code := parseBool(values)
		if code != scha.ErrNoErr {
			return nil, code
		}
		*(*C.boolean_t)(val) = b
	case scha.ExtStringArray:
		a := h.strArray(values)
		if a == nil {
			return nil, scha.ErrNoMem
		}
		*(**C.scha_str_array_t)(val) = a
	case "UINT":
		s, code := scalar(values)
		if code != scha.ErrNoErr {
			return nil, code
		}
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, scha.ErrInternal
		}
		*(*C.uint_t)(val) = C.uint_t(n)
	case "UINTARRAY":
		a, code := h.uintArray(values)
		if code != scha.ErrNoErr {
			return nil, code
		}
		*(**C.scha_uint_array_t)(val) = a
	}
	return e, scha.ErrNoErr
}

// goString copies the caller's C string s into Go; NULL is "". It finds
// the NUL with C's strlen and copies exactly that many bytes, never
// C.GoString, whose scan (the runtime's vectorized IndexByte) reads 16 or
// 32 bytes at a time past the NUL and past the end of the caller's block:
// harmless on the processor, but an invalid read to valgrind, which would
// charge it to every correct program that checks itself with valgrind.
// valgrind replaces strlen with a scan of its own that reads no further
// than the NUL.
func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	n := C.strlen(s)
	return strings.Clone(unsafe.String((*byte)(unsafe.Pointer(s)), int(n)))
}

// cString returns s in C memory that the caller frees with free(3).
func cString(s string) *C.char { return C.CString(s) }

// errTexts caches scha_strerror's texts as C strings: scha_strerror returns
// static text that the caller never frees. Filled once, on first use.
var errTexts struct {
	once    sync.Once
	texts   [scha.MaxErrCode + 1]*C.char
	unknown *C.char
}

// strerror returns the C text of code.
func strerror(code int) *C.char {
	errTexts.once.Do(func() {
		for c := range errTexts.texts {
			errTexts.texts[c] = C.CString(scha.Strerror(scha.ErrCode(c)))
		}
		errTexts.unknown = C.CString(scha.Strerror(-1))
	})
	if code < 0 || code >= len(errTexts.texts) {
		return errTexts.unknown
	}
	return errTexts.texts[code]
}
