package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/fs"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/migrate"
	"github.com/hashicorp/raft-wal/segment"
	"github.com/hashicorp/raft-wal/types"
	"go.etcd.io/bbolt"
)

// The log's directory in the state dir, and the files of the raft-boltdb
// log that rgmd used before.
const (
	walDir       = "wal"
	boltFile     = "raft.db"
	boltMigrated = "raft.db.migrated"
)

// migrateBolt moves a state dir written by an older rgmd, whose log is
// raft-boltdb's raft.db, to raft-wal. The copy is built in a scratch
// directory and renamed into place, so a crash at any point leaves either
// the old log alone in charge or the new one complete; raft.db is then
// renamed to raft.db.migrated (kept, not deleted: the operator removes it).
// A dir that has wal/ already, or no raft.db, is left alone.
func migrateBolt(dir string, log *slog.Logger) error {
	old := filepath.Join(dir, boltFile)
	if _, err := os.Stat(filepath.Join(dir, walDir)); err == nil {
		if _, err := os.Stat(old); err == nil {
			// A crash after the rename of wal/, before that of raft.db.
			return retireBolt(dir, log)
		}
		return nil
	}
	if _, err := os.Stat(old); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	fail := func(err error) error {
		return fmt.Errorf("store: moving the log from %s to %s/: %w", old, walDir, err)
	}
	start := time.Now()
	src, err := raftboltdb.New(raftboltdb.Options{
		Path: old,
		// We hold the directory lock; only another tool could hold bolt's.
		BoltOptions: &bbolt.Options{Timeout: time.Second},
	})
	if err != nil {
		return fail(err)
	}
	defer src.Close()
	tmp := filepath.Join(dir, walDir+".tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return fail(err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fail(err)
	}
	dst, meta, err := openWAL(tmp, newHclog(log, false), nil)
	if err != nil {
		return fail(err)
	}
	err = copyLog(dst, src)
	if cerr := errors.Join(dst.Close(), meta.Close()); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, walDir))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fail(err)
	}
	last, _ := src.LastIndex()
	log.Info("moved the replicated log from raft-boltdb to raft-wal", "from", old, "to", filepath.Join(dir, walDir), "last_index", last, "took", time.Since(start))
	return retireBolt(dir, log)
}

// openWAL opens the raft-wal log in dir with a metadata store of our own:
// raft-wal v0.4.0's Close leaves its own open, and with it bolt's flock,
// so a reopen in the same process would hang.
func openWAL(dir string, log hclog.Logger, e *early) (*wal.WAL, *metadb.BoltMetaDB, error) {
	meta := &metadb.BoltMetaDB{}
	var vfs types.VFS = fs.New()
	if e != nil {
		vfs = earlyVFS{vfs, e}
	}
	w, err := wal.Open(dir, wal.WithMetaStore(meta), wal.WithLogger(log.Named("wal")),
		wal.WithSegmentFiler(segment.NewFiler(dir, vfs)))
	if err != nil {
		meta.Close()
		return nil, nil, err
	}
	return w, meta, nil
}

// copyLog copies every entry and the keys raft keeps in its stable store.
// A key raft never wrote (no vote yet, say) is skipped rather than copied
// as a zero.
func copyLog(dst *wal.WAL, src *raftboltdb.BoltStore) error {
	if last, err := src.LastIndex(); err != nil {
		return err
	} else if last > 0 {
		if err := migrate.CopyLogs(context.Background(), dst, src, 1<<20, nil); err != nil {
			return err
		}
	}
	for _, k := range []string{"CurrentTerm", "LastVoteTerm"} {
		v, err := src.GetUint64([]byte(k))
		if errors.Is(err, raftboltdb.ErrKeyNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if err := dst.SetUint64([]byte(k), v); err != nil {
			return err
		}
	}
	v, err := src.Get([]byte("LastVoteCand"))
	if errors.Is(err, raftboltdb.ErrKeyNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return dst.Set([]byte("LastVoteCand"), v)
}

func retireBolt(dir string, log *slog.Logger) error {
	if err := os.Rename(filepath.Join(dir, boltFile), filepath.Join(dir, boltMigrated)); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	log.Info("the old log is kept as " + filepath.Join(dir, boltMigrated) + "; remove it once rgmd runs well")
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
