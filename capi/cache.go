package main

import (
	"context"
	"os"
	"strings"
	"sync"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The library keeps rgmd's answers, each with the change count rgmd showed
// before it was asked (package seqfile). While rgmd still shows that
// count, nothing a query can see has changed, so the kept answer is the
// answer rgmd would give: a monitor's repeated get, or open+get+close of
// the same object, costs no round trip until something changes. The count
// vouches only while the rgmd on our connection holds its file's lock, so
// a stopped or restarted rgmd is asked again (and its absence reported).
// Answers that move with time (Tag.Timed) are never kept. RGM_CACHE=off
// turns the cache off, to rule it out when chasing a problem.
var cache struct {
	sync.Mutex
	off     bool
	answers map[string]cached
}

// cached is an answer and the change count it was asked under.
type cached struct {
	count client.Count
	rep   *wire.GetReply
}

// maxCached bounds the cache; a program asking about many objects, nodes
// or extension properties starts it over.
const maxCached = 256

func init() { cache.off = os.Getenv("RGM_CACHE") == "off" }

// cachedGetter is the client.Getter the library asks through.
type cachedGetter struct{}

// Get answers a from the cache or from rgmd. A kept reply is shared:
// callers read it and never change it.
func (cachedGetter) Get(ctx context.Context, a wire.GetArgs) (*wire.GetReply, error) {
	t, known := scha.LookupTag(a.Kind, a.Tag)
	var count client.Count
	counted := known && !t.Timed && !cache.off
	if counted {
		count, counted = rgmd.ChangeCount()
	}
	key := ""
	if counted {
		key = strings.Join(append([]string{a.Kind, a.Name, a.Group, a.Tag}, a.Operands...), "\x00")
		cache.Lock()
		e, ok := cache.answers[key]
		cache.Unlock()
		if ok && e.count == count {
			return e.rep, nil
		}
	}
	rep, err := rgmd.Get(ctx, a)
	if err != nil || !counted {
		return rep, err
	}
	cache.Lock()
	if cache.answers == nil || len(cache.answers) >= maxCached {
		cache.answers = make(map[string]cached)
	}
	cache.answers[key] = cached{count: count, rep: rep}
	cache.Unlock()
	return rep, nil
}

// ask is the library's one way to query rgmd.
func ask(a wire.GetArgs) (*wire.GetReply, error) {
	return cachedGetter{}.Get(context.Background(), a)
}
