package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/raft"
)

// Snapshot framing: magic, then a format version byte, then the Machine's
// bytes. A new version is added when the framing changes; Restore keeps
// reading the old ones.
var snapshotMagic = []byte("RGMS")

const snapshotVersion byte = 1

// applied carries Machine.Apply's result through raft's interface{}
// response back to Propose.
type applied struct {
	val any
	err error
}

// fsm adapts a Machine to raft.FSM. raft calls Apply, Snapshot and Restore
// from one goroutine, so the Machine never sees them concurrently.
type fsm struct {
	m     Machine
	index appliedIndex
	// snaps is where a restored snapshot came from: after a Restore the
	// newest one's index is what the Machine has applied.
	snaps raft.SnapshotStore
	// configChanged, when set, is told that raft's configuration may
	// have changed: a configuration entry was committed here, or a
	// snapshot restored.
	configChanged func()
}

// StoreConfiguration makes fsm a raft.ConfigurationStore: raft calls it
// for each configuration entry as it commits, in order with Apply.
func (f *fsm) StoreConfiguration(uint64, raft.Configuration) {
	if f.configChanged != nil {
		f.configChanged()
	}
}

func (f *fsm) Apply(l *raft.Log) any {
	defer f.index.set(l.Index)
	if len(l.Data) == 0 {
		// Propose never writes this; an empty entry is not the Machine's.
		return applied{err: errors.New("store: empty log entry")}
	}
	v, err := f.m.Apply(l.Data[0], l.Data[1:])
	return applied{val: v, err: err}
}

// Snapshot serializes the Machine here, on the FSM goroutine, so the bytes
// are consistent with the applied index; raft writes them out later in
// Persist while Apply goes on.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	b, err := f.m.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("store: machine snapshot: %w", err)
	}
	return snapshot(b), nil
}

func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("store: read snapshot: %w", err)
	}
	body, err := decodeSnapshot(data)
	if err != nil {
		return err
	}
	if err := f.m.Restore(body); err != nil {
		return fmt.Errorf("store: machine restore: %w", err)
	}
	if f.configChanged != nil {
		// raft takes the snapshot's configuration once Restore returned.
		time.AfterFunc(time.Second, f.configChanged)
	}
	if f.snaps != nil {
		if metas, err := f.snaps.List(); err == nil && len(metas) > 0 {
			f.index.set(metas[0].Index)
		}
	}
	return nil
}

func decodeSnapshot(data []byte) ([]byte, error) {
	n := len(snapshotMagic)
	if len(data) < n+1 || !bytes.Equal(data[:n], snapshotMagic) {
		return nil, errors.New("store: not an OpenRGM snapshot (bad magic)")
	}
	if v := data[n]; v != snapshotVersion {
		return nil, fmt.Errorf("store: snapshot format version %d not supported (want %d)", v, snapshotVersion)
	}
	return data[n+1:], nil
}

// snapshot is the Machine's serialized state awaiting Persist.
type snapshot []byte

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	hdr := append(append([]byte{}, snapshotMagic...), snapshotVersion)
	_, err := sink.Write(hdr)
	if err == nil {
		_, err = sink.Write(s)
	}
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("store: write snapshot: %w", err)
	}
	return sink.Close()
}

func (snapshot) Release() {}
