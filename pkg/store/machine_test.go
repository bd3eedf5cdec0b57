package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Command types of the test machine: explicit numbers, as a real Machine
// would have them.
const (
	cmdSet    byte = 1    // body "key=value"
	cmdDelete byte = 2    // body "key"
	cmdIgnore byte = 0x81 // high bit: a newer command this machine may skip
)

var errInvalid = errors.New("invalid command")

// kv is a tiny deterministic Machine: a map of strings. It counts Applies
// and Restores so tests can tell snapshot restore from log replay.
type kv struct {
	mu       sync.RWMutex
	m        map[string]string
	applied  int
	restores int
}

func newKV() *kv { return &kv{m: map[string]string{}} }

func (k *kv) Apply(typ byte, body []byte) (any, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.applied++
	switch typ {
	case cmdSet:
		key, val, ok := bytes.Cut(body, []byte("="))
		if !ok || len(key) == 0 {
			return nil, fmt.Errorf("%w: set %q", errInvalid, body)
		}
		prev := k.m[string(key)]
		k.m[string(key)] = string(val)
		return prev, nil
	case cmdDelete:
		if _, ok := k.m[string(body)]; !ok {
			return nil, fmt.Errorf("%w: delete of missing %q", errInvalid, body)
		}
		delete(k.m, string(body))
		return nil, nil
	}
	if typ&0x80 != 0 {
		return nil, nil
	}
	return nil, fmt.Errorf("%w: unknown type %d", errInvalid, typ)
}

func (k *kv) Snapshot() ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return json.Marshal(k.m)
}

func (k *kv) Restore(data []byte) error {
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m = m
	k.restores++
	return nil
}

func (k *kv) get(key string) (string, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	v, ok := k.m[key]
	return v, ok
}

func (k *kv) len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.m)
}

func (k *kv) counts() (applied, restores int) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.applied, k.restores
}
