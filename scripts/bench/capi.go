package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/wire"
)

// capiBench: libscha from C (capi/test/bench.c against bin/lib): a get on
// an open handle and open+get+close, each against a raw Unix-socket round
// trip from C with request and reply lines of the same sizes, answered by
// a Go server in this process (so the baseline pays the same kernel and
// goroutine wake-ups, but no JSON, no lookup and no cgo); and the first
// libscha call of a fresh process, which waits for the Go runtime to start.
func capiBench(rtr string) {
	const n = 5000
	dir := tempDir()
	defer os.RemoveAll(dir)
	lib := filepath.Join(*binDir, "lib")
	if _, err := os.Stat(filepath.Join(lib, "libscha.so.1")); err != nil {
		fail("capi: %v (run make capi)", err)
	}
	prog := filepath.Join(dir, "bench")
	out, err := exec.Command("gcc", "-O2", "-I", "capi", "-o", prog, "capi/test/bench.c",
		"-L", lib, "-lscha", "-Wl,-rpath,"+lib).CombinedOutput()
	if err != nil {
		fail("capi: gcc: %v\n%s", err, out)
	}
	d, _ := startDaemon(dir)
	defer d.kill(syscall.SIGTERM)
	d.populate(rtr, 1, 1, 1)
	r, g := "rg0000-rs00", "rg0000"

	// The sizes of the real request and reply lines of the measured get.
	args, _ := json.Marshal(wire.GetArgs{Kind: wire.KindResource, Name: r, Group: g, Tag: "RESOURCE_STATE"})
	req, _ := json.Marshal(wire.Request{Version: wire.ProtocolVersion, ID: 1000, Op: wire.OpGet, Args: args})
	data, _ := json.Marshal(wire.GetReply{Type: "enum", Values: []string{"OFFLINE"}, Seq: 5})
	rep, _ := json.Marshal(wire.Reply{Version: wire.ProtocolVersion, ID: 1000, Data: data})
	rep = append(rep, '\n')

	echo := filepath.Join(dir, "echo.sock")
	ln, err := net.Listen("unix", echo)
	check(err)
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					if _, err := br.ReadSlice('\n'); err != nil {
						return
					}
					if _, err := conn.Write(rep); err != nil {
						return
					}
				}
			}()
		}
	}()

	run := func(env []string, args ...string) map[string]float64 {
		cmd := exec.Command(prog, args...)
		cmd.Env = append(d.env(), env...)
		out, err := cmd.Output()
		if err != nil {
			fail("capi: bench %s: %v", strings.Join(args, " "), err)
		}
		m := map[string]float64{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			k, v, _ := strings.Cut(l, " ")
			f, _ := strconv.ParseFloat(v, 64)
			m[k] = f
		}
		return m
	}
	// Interleaved rounds, so both sides see the same noise; medians of
	// the rounds' medians.
	// With the library's cache (capi/cache.go), which answers from memory
	// while rgmd's change counter stands still, and without it
	// (RGM_CACHE=off), which is what every get costs after a change.
	off := []string{"RGM_CACHE=off"}
	var gets, ocgs, ugets, uocgs, raws []float64
	for round := 0; round < 3; round++ {
		m := run(nil, "loop", r, g, strconv.Itoa(n))
		gets, ocgs = append(gets, m["get_ns"]), append(ocgs, m["ocg_ns"])
		m = run(off, "loop", r, g, strconv.Itoa(n))
		ugets, uocgs = append(ugets, m["get_ns"]), append(uocgs, m["ocg_ns"])
		raws = append(raws, run(nil, "raw", echo, strconv.Itoa(n), strconv.Itoa(len(req)+1))["raw_ns"])
	}
	get, ocg, uget, uocg, raw := med(gets), med(ocgs), med(ugets), med(uocgs), med(raws)
	us := func(ns float64) time.Duration { return time.Duration(ns) }
	fmt.Printf("capi    scha_resource_get(RESOURCE_STATE) on an open handle: median %v (goal < 20µs); raw socket round trip (%d/%d-byte lines) %v; ratio %.2fx\n",
		us(get), len(req)+1, len(rep), us(raw), get/raw)
	fmt.Printf("capi    open+get+close: median %v (goal < 60µs); ratio %.2fx of one raw round trip\n",
		us(ocg), ocg/raw)
	fmt.Printf("capi    the same asking rgmd every time (RGM_CACHE=off, as after a change): get %v, ratio %.2fx; open+get+close %v, ratio %.2fx (two requests)\n",
		us(uget), uget/raw, us(uocg), uocg/raw)
	var firsts []float64
	for i := 0; i < 30; i++ {
		firsts = append(firsts, run(nil, "first", r, g)["first_us"])
	}
	fmt.Printf("capi    first libscha call of a process (runtime start, connect, open): median %v (goal < 5ms)\n",
		time.Duration(med(firsts))*time.Microsecond)
}

func med(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}
