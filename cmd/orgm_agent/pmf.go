package main

import (
	"context"
	"os"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The process monitor facility, asked directly as pmfadm(8) asks it (one
// request each, no pmfadm process): the service of a gds resource and
// every fault monitor run under it.

// pmfStart is pmfadm -c TAG -n retries -t period [-C level] ARGV, with the
// environment pmfadm gives without -E: PATH and RGM_SOCKET. A tag that
// exists already is success when exists is true.
func pmfStart(ctx context.Context, tag string, argv []string, retries int, period time.Duration, level int, exists bool) error {
	env := []string{"PATH=" + os.Getenv("PATH")}
	if s := os.Getenv("RGM_SOCKET"); s != "" {
		env = append(env, "RGM_SOCKET="+s)
	}
	a := wire.PMFStartArgs{Tag: tag, Argv: argv, Env: env, Dir: "/", Retries: retries, PeriodMS: -1, Level: level}
	if period > 0 {
		a.PeriodMS = period.Milliseconds()
	}
	cl := &client.Client{}
	defer cl.Close()
	err := cl.Call(ctx, wire.OpPMFStart, &a, nil)
	if exists && scha.CodeOf(err) == scha.ErrState {
		return nil
	}
	return err
}

// pmfInfo is pmfadm -l: nil when the tag does not exist.
func pmfInfo(ctx context.Context, tag string) *wire.PMFInfo {
	cl := &client.Client{}
	defer cl.Close()
	var info wire.PMFInfo
	if err := cl.Call(ctx, wire.OpPMFShow, &wire.PMFTagArgs{Tag: tag}, &info); err != nil {
		return nil
	}
	return &info
}

// pmfStop is pmfadm -k TAG -w wait SIG (kill), or -s TAG [SIG]: no such
// tag is success, and so is a tag gone meanwhile.
func pmfStop(ctx context.Context, tag string, kill bool, sig syscall.Signal, wait time.Duration) error {
	cl := &client.Client{}
	defer cl.Close()
	if wait > 0 {
		cl.Timeout = wait + client.DefaultTimeout
	}
	err := cl.Call(ctx, wire.OpPMFStop, &wire.PMFStopArgs{Tag: tag, Kill: kill, Signal: int(sig), WaitMS: wait.Milliseconds()}, nil)
	if err != nil && (scha.CodeOf(err) == scha.ErrTag || pmfInfo(ctx, tag) == nil) {
		return nil
	}
	return err
}

// pmfModify is pmfadm -m TAG -n retries -t period.
func pmfModify(ctx context.Context, tag string, retries int, period time.Duration) error {
	p := period.Milliseconds()
	if period <= 0 {
		p = -1
	}
	cl := &client.Client{}
	defer cl.Close()
	err := cl.Call(ctx, wire.OpPMFModify, &wire.PMFModifyArgs{Tag: tag, Retries: &retries, PeriodMS: &p}, nil)
	if scha.CodeOf(err) == scha.ErrTag {
		return nil
	}
	return err
}

// waitGone waits up to d for a tag to be gone.
func waitGone(ctx context.Context, tag string, d time.Duration) bool {
	end := time.Now().Add(d)
	for {
		if pmfInfo(ctx, tag) == nil {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
