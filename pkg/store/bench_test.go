package store

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkPropose is one proposer: every op waits for its own fsync.
func BenchmarkPropose(b *testing.B) {
	s := openReady(b, b.TempDir(), newKV())
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Propose(ctx, cmdSet, []byte("k"+strconv.Itoa(i%1000)+"=v")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProposeParallel has GOMAXPROCS proposers, so raft batches their
// entries into shared disk writes.
func BenchmarkProposeParallel(b *testing.B) {
	s := openReady(b, b.TempDir(), newKV())
	ctx := context.Background()
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if _, err := s.Propose(ctx, cmdSet, []byte("k"+strconv.FormatInt(i%1000, 10)+"=v")); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReopen is a restart: Open, replay a 1000-entry log, become
// ready, Close. Most of it is the single voter's election wait.
func BenchmarkReopen(b *testing.B) {
	dir := b.TempDir()
	s := openReady(b, dir, newKV())
	for i := range 1000 {
		if _, err := s.Propose(context.Background(), cmdSet, []byte("k"+strconv.Itoa(i)+"=v")); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	for b.Loop() {
		s, err := Open(Config{Dir: dir, NodeID: "node1", Machine: newKV(), Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.WaitReady(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
