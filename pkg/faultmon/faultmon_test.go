package faultmon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// host records what the monitor asks of rgmd.
type host struct {
	retries, restarts int
	giveover          bool
	calls             []string
}

func (h *host) Interval(context.Context) time.Duration { return time.Second }
func (h *host) Load(context.Context) error             { return nil }
func (h *host) RetryCount() int                        { return h.retries }
func (h *host) GiveoverAllowed() bool                  { return h.giveover }
func (h *host) Restarts(context.Context) (int, error)  { return h.restarts, nil }
func (h *host) SetStatus(_ context.Context, status, msg string) {
	h.calls = append(h.calls, "status "+status+" "+msg)
}
func (h *host) Control(_ context.Context, tag string) error {
	h.calls = append(h.calls, "control "+tag)
	return errors.New("refused")
}
func (h *host) Logf(format string, args ...any) {
	h.calls = append(h.calls, "log "+fmt.Sprintf(format, args...))
}

func TestAct(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		h     host
		err   error
		last  string
		want  string
		calls []string
	}{
		{"healthy", host{}, nil, "", "OK", []string{"status OK "}},
		{"healthy again", host{}, nil, "OK", "OK", nil},
		{"degraded", host{}, &Failure{Msg: "slow", Degraded: true}, "OK", "DEGRADED", []string{"status DEGRADED slow"}},
		{"restart", host{retries: 2, restarts: 1, giveover: true}, Failed("down"), "OK", "FAULTED",
			[]string{"status FAULTED down", "log down; requesting RESOURCE_RESTART", "control RESOURCE_RESTART", "log RESOURCE_RESTART refused: refused"}},
		{"giveover after retries", host{retries: 2, restarts: 2, giveover: true}, Failed("down"), "OK", "FAULTED",
			[]string{"status FAULTED down", "log down; requesting GIVEOVER", "control GIVEOVER", "log GIVEOVER refused: refused"}},
		{"giveover not allowed", host{retries: 2, restarts: 2}, Failed("down"), "OK", "FAULTED",
			[]string{"status FAULTED down", "log down; requesting RESOURCE_RESTART", "control RESOURCE_RESTART", "log RESOURCE_RESTART refused: refused"}},
		{"no limit", host{retries: -1, restarts: 9, giveover: true}, errors.New("plain"), "", "FAULTED",
			[]string{"status FAULTED plain", "log plain; requesting RESOURCE_RESTART", "control RESOURCE_RESTART", "log RESOURCE_RESTART refused: refused"}},
		{"asks for giveover", host{retries: 2, giveover: true}, &Failure{Msg: "201", Giveover: true}, "", "FAULTED",
			[]string{"status FAULTED 201", "log 201; requesting GIVEOVER", "control GIVEOVER", "log GIVEOVER refused: refused"}},
	} {
		h := c.h
		if got := Act(ctx, &h, c.err, c.last); got != c.want || !slices.Equal(h.calls, c.calls) {
			t.Errorf("%s: %s %q, want %s %q", c.name, got, h.calls, c.want, c.calls)
		}
	}
}
