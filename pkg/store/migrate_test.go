package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// writeBoltDir leaves in dir what an rgmd from before raft-wal left: a
// raft-boltdb raft.db holding n sets (k0=0 ...) and a delete of k1, plus
// raft's vote and term, written by raft itself. With snap, raft also took a
// snapshot half-way and compacted the log behind it, so the log to move
// starts well after index 1.
func writeBoltDir(t *testing.T, dir string, n int, snap bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	logs, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, boltFile)})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	hl := newHclog(quietLogger(), true)
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hl)
	if err != nil {
		t.Fatal(err)
	}
	rc := raft.DefaultConfig()
	rc.LocalID = "node1"
	rc.Logger = hl
	rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = singleHeartbeatTimeout, singleElectionTimeout, singleLeaderLeaseTimeout
	rc.TrailingLogs = 10
	addr, tr := raft.NewInmemTransport("node1")
	boot := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: rc.LocalID, Address: addr}}}
	if err := raft.BootstrapCluster(rc, logs, logs, snaps, tr, boot); err != nil {
		t.Fatal(err)
	}
	r, err := raft.NewRaft(rc, &fsm{m: newKV()}, logs, logs, snaps, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown()
	if err := electNow(r); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(guard)
	for r.State() != raft.Leader {
		if time.Now().After(deadline) {
			t.Fatal("old-format raft never led")
		}
		time.Sleep(5 * time.Millisecond)
	}
	apply := func(typ byte, body string) {
		if err := r.Apply(append([]byte{typ}, body...), guard).Error(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		apply(cmdSet, fmt.Sprintf("k%d=%d", i, i))
		if snap && i == n/2 {
			if err := r.Snapshot().Error(); err != nil {
				t.Fatal(err)
			}
		}
	}
	apply(cmdDelete, "k1")
	if err := r.Shutdown().Error(); err != nil {
		t.Fatal(err)
	}
}

func wantMigrated(t *testing.T, m *kv, n int) {
	t.Helper()
	if m.len() != n-1 {
		t.Fatalf("%d keys after the move, want %d", m.len(), n-1)
	}
	wantValue(t, m, "k0", "0")
	wantValue(t, m, fmt.Sprintf("k%d", n-1), fmt.Sprint(n-1))
	if _, ok := m.get("k1"); ok {
		t.Error("k1 came back: the delete was lost")
	}
}

func TestMigrateFromBolt(t *testing.T) {
	dir := t.TempDir()
	writeBoltDir(t, dir, 300, false)

	m := newKV()
	s := openReady(t, dir, m)
	wantMigrated(t, m, 300)
	if _, err := os.Stat(filepath.Join(dir, boltFile)); !os.IsNotExist(err) {
		t.Errorf("raft.db still in place after the move: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, boltMigrated)); err != nil {
		t.Errorf("the old log was not kept: %v", err)
	}
	set(t, s, "after", "1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A second start uses wal/ and migrates nothing again.
	m = newKV()
	openReady(t, dir, m)
	wantValue(t, m, "after", "1")
	wantValue(t, m, "k0", "0")
}

// A log compacted behind a snapshot moves from its first kept entry, and
// the state is the snapshot plus that tail.
func TestMigrateCompactedBolt(t *testing.T) {
	dir := t.TempDir()
	writeBoltDir(t, dir, 200, true)
	src, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, boltFile)})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := src.FirstIndex()
	src.Close()
	if first <= 1 {
		t.Fatalf("the old log was not compacted (first index %d)", first)
	}
	m := newKV()
	openReady(t, dir, m)
	wantMigrated(t, m, 200)
	if _, restores := m.counts(); restores != 1 {
		t.Errorf("%d snapshot restores, want 1", restores)
	}
}

// A crash after wal/ was renamed into place but before raft.db was
// retired: the next start keeps wal/ (with what was written since) and
// only retires raft.db.
func TestMigrateCrashBeforeRetire(t *testing.T) {
	dir := t.TempDir()
	writeBoltDir(t, dir, 20, false)
	s := openReady(t, dir, newKV())
	set(t, s, "after", "1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, boltMigrated), filepath.Join(dir, boltFile)); err != nil {
		t.Fatal(err)
	}
	m := newKV()
	openReady(t, dir, m)
	wantValue(t, m, "after", "1")
	if m.len() != 20 { // k0..k19 but k1, and "after"
		t.Errorf("%d keys, want 20", m.len())
	}
	wantValue(t, m, "k19", "19")
	if _, err := os.Stat(filepath.Join(dir, boltFile)); !os.IsNotExist(err) {
		t.Errorf("raft.db not retired: %v", err)
	}
}

// A crash during the copy leaves wal.tmp/: the next start copies afresh.
func TestMigrateCrashDuringCopy(t *testing.T) {
	dir := t.TempDir()
	writeBoltDir(t, dir, 20, false)
	tmp := filepath.Join(dir, walDir+".tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "00000000000000000001-0000000000000001.wal"), []byte("torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := newKV()
	openReady(t, dir, m)
	wantMigrated(t, m, 20)
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("wal.tmp left behind: %v", err)
	}
}

// A raft.db that cannot be read stops Open with an error naming it, and
// leaves it untouched for the operator.
func TestMigrateUnreadableBolt(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, boltFile)
	if err := os.WriteFile(old, []byte("not a bolt file"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{Dir: dir, NodeID: "node1", Machine: newKV(), Logger: quietLogger()})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a garbage raft.db")
	}
	if want := old; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
	if b, _ := os.ReadFile(old); string(b) != "not a bolt file" {
		t.Error("raft.db was changed")
	}
	if _, err := os.Stat(filepath.Join(dir, walDir)); !os.IsNotExist(err) {
		t.Errorf("wal/ created from a failed move: %v", err)
	}
	// The failed Open released the directory lock.
	if l, err := lockDir(dir); err != nil {
		t.Errorf("lock still held after a failed Open: %v", err)
	} else {
		l.Close()
	}
}

// Every error after the lock is taken returns an error and releases the
// lock (an earlier version dereferenced a nil Store here).
func TestOpenErrorReleasesLock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, walDir), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{Dir: dir, NodeID: "node1", Machine: newKV(), Logger: quietLogger()})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded with a file where wal/ belongs")
	}
	if err := os.Remove(filepath.Join(dir, walDir)); err != nil {
		t.Fatal(err)
	}
	openReady(t, dir, newKV())
}
