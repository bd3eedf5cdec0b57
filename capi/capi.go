package main

import (
	"context"
	"strconv"
	"unsafe"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// rgmd is the one client of the library: it keeps one connection to rgmd
// for every handle and thread (client.Client is safe for concurrent use),
// and finds the socket the way every command does ($RGM_SOCKET, ...),
// over a connection that blocks the calling thread (client.Blocking).
var rgmd = client.Client{Blocking: true}

// openTags are the cheap queries open asks to check that the object
// exists and learn its sequence number: computed values that every object
// of the kind has.
var openTags = [...]string{
	kindResource:      "TYPE",
	kindResourceType:  "RESOURCE_LIST",
	kindResourceGroup: "RESOURCE_LIST",
	kindCluster:       "CLUSTERNAME",
}

func checkZone(zone string) error {
	return client.CheckZone(context.Background(), cachedGetter{}, zone)
}

// open asks rgmd about the object and registers a handle for it.
func open(kind int, zone, name, group string) (unsafe.Pointer, scha.ErrCode) {
	if err := checkZone(zone); err != nil {
		return nil, scha.CodeOf(err)
	}
	rep, err := ask(wire.GetArgs{Kind: kindNames[kind], Name: name, Group: group, Tag: openTags[kind]})
	if err != nil {
		return nil, scha.CodeOf(err)
	}
	return register(kind, name, group, rep.Seq)
}

// get answers one scha_*_get on h and writes the value through out.
//
// Seq: a handle of a resource, type or group whose object changed since
// open returns the value and SCHA_ERR_SEQID. A cluster handle never does:
// the cluster's Seq is the configuration's, which moves with every change
// to any object (Solaris's cluster handle reported only a changed
// cluster), and a monitor would otherwise see SCHA_ERR_SEQID after its own
// setstatus.
func get(h *handle, zone string, t *scha.Tag, qualified bool, operands []string, out unsafe.Pointer) scha.ErrCode {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return scha.ErrHandle
	}
	if err := checkZone(zone); err != nil {
		return scha.CodeOf(err)
	}
	rep, err := ask(wire.GetArgs{Kind: kindNames[h.kind], Name: h.name, Group: h.group, Tag: t.Name, Operands: operands})
	if err != nil {
		return scha.CodeOf(err)
	}
	typ := rep.Type
	if typ == "" {
		typ = t.Type
	}
	values := rep.Values
	if h.kind == kindResource && isDependencyTag(t.Name) && !qualified {
		values = scha.StripQualifiers(values)
	}
	if code := h.put(t, typ, rep.ExtType, values, out); code != scha.ErrNoErr {
		return code
	}
	if h.kind != kindCluster && rep.Seq != h.seq {
		return scha.ErrSeqID
	}
	return scha.ErrNoErr
}

// clusterValue answers a cluster query without a handle
// (scha_cluster_getnodename and friends).
func clusterValue(optag string) (string, scha.ErrCode) {
	rep, err := ask(wire.GetArgs{Kind: wire.KindCluster, Tag: optag})
	if err != nil {
		return "", scha.CodeOf(err)
	}
	if len(rep.Values) != 1 {
		return "", scha.ErrInternal
	}
	return rep.Values[0], scha.ErrNoErr
}

func logFacility() (int, scha.ErrCode) {
	v, code := clusterValue("SYSLOG_FACILITY")
	if code != scha.ErrNoErr {
		return 0, code
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, scha.ErrInternal
	}
	return n, scha.ErrNoErr
}

// setStatus is scha_resource_setstatus: status is a scha_rsstatus_t.
func setStatus(zone, resource, group string, status int, msg *string) scha.ErrCode {
	if status < 0 || status >= len(statuses) {
		return scha.ErrRStatus
	}
	if err := checkZone(zone); err != nil {
		return scha.CodeOf(err)
	}
	err := rgmd.Call(context.Background(), wire.OpSetStatus, wire.SetStatusArgs{Resource: resource, Group: group, Status: statuses[status], Message: msg}, nil)
	return scha.CodeOf(err)
}

// control is scha_control.
func control(zone, tag, group, resource string) scha.ErrCode {
	canon, ok := scha.LookupControlTag(tag)
	if !ok {
		return scha.ErrTag
	}
	if err := checkZone(zone); err != nil {
		return scha.CodeOf(err)
	}
	err := rgmd.Call(context.Background(), wire.OpControl, wire.ControlArgs{Tag: canon, Resource: resource, Group: group}, nil)
	return scha.CodeOf(err)
}
