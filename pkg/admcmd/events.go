package admcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Streamer is the part of the client that follows a stream of replies;
// *client.Client has it.
type Streamer interface {
	Stream(ctx context.Context, op string, args any, fn func(data json.RawMessage) error) error
}

// Flags of `events`. The verb's flag function registers them afresh (with
// their defaults) on every run.
var eventsFlags struct {
	follow   bool
	count    int
	group    string
	resource string
	since    string
	kinds    []string
}

func init() {
	objects = append(objects, &object{
		name:    "events",
		summary: "follow changes as they happen",
		self: &verb{
			name: "events", read: true, synopsis: "[--follow] [-n COUNT] [-g GROUP] [-r RESOURCE] [--kind KIND]... [--since N]",
			summary: "Print every change (configuration, state, status) as it happens",
			flags: func(fs *pflag.FlagSet, _ *opts) {
				fs.BoolVarP(&eventsFlags.follow, "follow", "f", false, "keep printing until interrupted (the default unless -n is given)")
				fs.IntVarP(&eventsFlags.count, "count", "n", 0, "exit after `COUNT` events")
				fs.StringVarP(&eventsFlags.group, "group", "g", "", "only events of resource group `GROUP` and its resources")
				fs.StringVarP(&eventsFlags.resource, "resource", "r", "", "only events of resource `RESOURCE`")
				fs.StringArrayVar(&eventsFlags.kinds, "kind", nil, "only events of `KIND` (config, state, status, node; repeatable)")
				fs.StringVar(&eventsFlags.since, "since", "", "start after event number `N` (or EPOCH.N, as -o json shows), from rgmd's history")
			},
			run: events,
		},
	})
}

// errEnough ends a stream after -n events.
var errEnough = errors.New("enough events")

func events(inv *invocation, o *opts, _ []string) error {
	f := eventsFlags
	if f.count < 0 {
		return usageError("events: -n must not be negative")
	}
	if inv.caller == nil {
		c, err := inv.connect()
		if err != nil {
			return err
		}
		inv.caller = c
	}
	s, ok := inv.caller.(Streamer)
	if !ok {
		return scha.Errorf(scha.ErrInternal, "events: this client cannot follow a stream")
	}
	a := &wire.EventsArgs{Group: f.group, Resource: f.resource, Kinds: f.kinds}
	if f.since != "" {
		num := f.since
		if i := strings.LastIndexByte(num, '.'); i >= 0 {
			a.Epoch, num = num[:i], num[i+1:]
		}
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			return usageError("events: --since %q: want an event number N or EPOCH.N", f.since)
		}
		a.Since = &n
	}
	seen := 0
	err := s.Stream(inv.ctx, wire.OpEvents, a, func(data json.RawMessage) error {
		var e wire.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return scha.Errorf(scha.ErrInternal, "events: bad event from rgmd: %v", err)
		}
		if o.output == "json" {
			fmt.Fprintf(inv.env.Stdout, "%s\n", data)
		} else {
			fmt.Fprintln(inv.env.Stdout, inv.eventLine(e))
		}
		seen++
		if f.count > 0 && seen >= f.count {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

// eventLine is one event for people: time, kind, object, then what changed.
func (inv *invocation) eventLine(e wire.Event) string {
	fields := []string{strconv.FormatUint(e.Seq, 10), e.Time, e.Kind}
	if e.Object != "" {
		fields = append(fields, e.Object)
	}
	if e.Name != "" {
		fields = append(fields, e.Name)
	}
	if e.Group != "" && e.Object == wire.KindResource {
		fields = append(fields, "group="+e.Group)
	}
	if e.Node != "" {
		fields = append(fields, "node="+e.Node)
	}
	switch e.Kind {
	case wire.EventConfig:
		fields = append(fields, e.Change)
	case wire.EventState:
		fields = append(fields, inv.paint(e.State))
	case wire.EventStatus:
		fields = append(fields, inv.paint(e.Status))
		if e.StatusMsg != "" {
			fields = append(fields, fmt.Sprintf("%q", e.StatusMsg))
		}
	case wire.EventLost:
		fields = append(fields, fmt.Sprintf("%d events lost: too slow, or older than rgmd's history; re-read the state", e.Count))
	case wire.EventReset:
		fields = append(fields, "event numbers restarted (another rgmd run or node): re-read the state")
	}
	return strings.Join(fields, " ")
}
