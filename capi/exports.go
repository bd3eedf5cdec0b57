package main

// The Go side of every public function: fixed argument lists, called only
// by scha_shim.c, which adds const, reads variadic arguments and gives the
// public names. Each export recovers a panic into SCHA_ERR_INTERNAL, so a
// Go panic never unwinds into C. These orgm_* symbols are private.

import "C"

import (
	"unsafe"

	"github.com/openrgm/openrgm/pkg/scha"
)

// guard turns a panic into SCHA_ERR_INTERNAL; defer it first.
func guard(rc *C.int) {
	if recover() != nil {
		*rc = C.int(scha.ErrInternal)
	}
}

//export orgm_open
func orgm_open(kind C.int, zone, name, group *C.char, out *unsafe.Pointer) (rc C.int) {
	defer guard(&rc)
	if out == nil || kind < 0 || int(kind) >= len(kindNames) || (name == nil && int(kind) != kindCluster) {
		return C.int(scha.ErrInval)
	}
	h, code := open(int(kind), goString(zone), goString(name), goString(group))
	if code == scha.ErrNoErr {
		*out = h
	}
	return C.int(code)
}

//export orgm_close
func orgm_close(kind C.int, h unsafe.Pointer) (rc C.int) {
	defer guard(&rc)
	return C.int(unregister(h, int(kind)))
}

// orgm_taginfo tells the shim how to read the variadic arguments after
// tag: how many inputs, and which of them are uint_t (a bit each).
//
//export orgm_taginfo
func orgm_taginfo(kind C.int, h unsafe.Pointer, tag *C.char, operands, uintMask *C.int) (rc C.int) {
	defer guard(&rc)
	if lookup(h, int(kind)) == nil {
		return C.int(scha.ErrHandle)
	}
	if tag == nil {
		return C.int(scha.ErrTag)
	}
	t, _, ok := lookupTag(int(kind), goString(tag))
	if !ok {
		return C.int(scha.ErrTag)
	}
	*operands = C.int(t.Operands)
	*uintMask = C.int(uintOperands(t.Name))
	return C.int(scha.ErrNoErr)
}

//export orgm_get
func orgm_get(kind C.int, zone *C.char, h unsafe.Pointer, tag *C.char, nops C.int, ops **C.char, out unsafe.Pointer) (rc C.int) {
	defer guard(&rc)
	hd := lookup(h, int(kind))
	if hd == nil {
		return C.int(scha.ErrHandle)
	}
	if tag == nil {
		return C.int(scha.ErrTag)
	}
	t, qualified, ok := lookupTag(int(kind), goString(tag))
	if !ok {
		return C.int(scha.ErrTag)
	}
	if out == nil || int(nops) != t.Operands {
		return C.int(scha.ErrInval)
	}
	var operands []string
	if nops > 0 {
		for _, o := range unsafe.Slice(ops, int(nops)) {
			if o == nil {
				return C.int(scha.ErrInval)
			}
			operands = append(operands, goString(o))
		}
	}
	return C.int(get(hd, goString(zone), t, qualified, operands, out))
}

//export orgm_setstatus
func orgm_setstatus(zone, resource, group *C.char, status C.int, msg *C.char) (rc C.int) {
	defer guard(&rc)
	if resource == nil || group == nil {
		return C.int(scha.ErrInval)
	}
	var m *string
	if msg != nil {
		s := goString(msg)
		m = &s
	}
	return C.int(setStatus(goString(zone), goString(resource), goString(group), int(status), m))
}

//export orgm_control
func orgm_control(zone, tag, group, resource *C.char) (rc C.int) {
	defer guard(&rc)
	if tag == nil {
		return C.int(scha.ErrTag)
	}
	if group == nil || resource == nil {
		return C.int(scha.ErrInval)
	}
	return C.int(control(goString(zone), goString(tag), goString(group), goString(resource)))
}

// orgm_cluster_string answers scha_cluster_getnodename (NODENAME_LOCAL)
// and scha_cluster_getzone (ZONE_LOCAL) in memory the caller frees.
//
//export orgm_cluster_string
func orgm_cluster_string(optag *C.char, out **C.char) (rc C.int) {
	defer guard(&rc)
	if out == nil {
		return C.int(scha.ErrInval)
	}
	v, code := clusterValue(goString(optag))
	if code == scha.ErrNoErr {
		*out = cString(v)
	}
	return C.int(code)
}

//export orgm_logfacility
func orgm_logfacility(out *C.int) (rc C.int) {
	defer guard(&rc)
	if out == nil {
		return C.int(scha.ErrInval)
	}
	n, code := logFacility()
	if code == scha.ErrNoErr {
		*out = C.int(n)
	}
	return C.int(code)
}

//export orgm_strerror
func orgm_strerror(code C.int) (s *C.char) {
	defer func() {
		if recover() != nil {
			s = nil
		}
	}()
	return strerror(int(code))
}

// orgm_live_allocs returns the number of C blocks held by open handles,
// for the C tests (see liveAllocs).
//
//export orgm_live_allocs
func orgm_live_allocs() C.int { return C.int(liveAllocs.Load()) }

// orgm_quarantined_allocs returns the number of C blocks that closed
// handles' values still hold in the quarantine, for the C tests.
//
//export orgm_quarantined_allocs
func orgm_quarantined_allocs() C.int { return C.int(quarantinedAllocs.Load()) }
