package fence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/openrgm/openrgm/pkg/cluster"
	"github.com/openrgm/openrgm/pkg/trust"
)

// OpFenced is the request a guard sends to the other nodes once it has
// fenced its node (FencedReport is its body): the node's certificate
// proves who sends it, and a node may only report itself.
const OpFenced = "fenced"

// FencedReport is the body of OpFenced.
type FencedReport struct {
	Node        string `json:"node"`
	Incarnation uint64 `json:"incarnation"`
}

// FencedFile is the guard's record of its last fencing, in the state
// directory.
const FencedFile = "fenced"

// FencedRecord is what FencedFile holds (JSON).
type FencedRecord struct {
	// Incarnation is the lease incarnation fenced: the guard refuses any
	// later lease of that incarnation or an older one.
	Incarnation uint64    `json:"incarnation"`
	Time        time.Time `json:"time"`   // when every process was gone
	Reason      string    `json:"reason"` // "lease expired", "fence command", ...
	Killed      int       `json:"killed"` // processes signalled
	// Reported is set once a peer acknowledged the report.
	Reported bool `json:"reported"`
}

// ReadFenced reads STATE_DIR/fenced. An error wrapping fs.ErrNotExist
// means the node's guard never fenced.
func ReadFenced(stateDir string) (FencedRecord, error) {
	var r FencedRecord
	b, err := os.ReadFile(filepath.Join(stateDir, FencedFile))
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", filepath.Join(stateDir, FencedFile), err)
	}
	return r, nil
}

// writeFenced writes the record so that a reader, or a crash, sees the
// old file or the whole new one.
func writeFenced(stateDir string, r FencedRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(stateDir, ".fenced.tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(stateDir, FencedFile))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", filepath.Join(stateDir, FencedFile), err)
	}
	if d, err := os.Open(stateDir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Backoff of the report's retries, from the first to the longest.
const (
	reportFirstRetry = 50 * time.Millisecond
	reportMaxRetry   = time.Second
	reportTimeout    = 5 * time.Second // one attempt at one peer
)

// report tells the cluster that incarnation inc of this node was fenced:
// OpFenced to each peer in turn, until one answers OK, retrying with
// backoff (a network cut heals, a peer comes back) until ctx ends. The
// node's certificate is read from STATE_DIR/trust at every round, so a
// node that had none yet is covered once it joins.
func (g *guard) report(ctx context.Context, inc uint64) {
	pause := reportFirstRetry
	noID := false
	for {
		id, err := trust.LoadIdentity(filepath.Join(g.dir, "trust"))
		switch {
		case err != nil && errors.Is(err, fs.ErrNotExist):
			if !noID {
				g.log.Info("no node certificate in the state directory: nobody to report the fencing to until the node joins a cluster")
				noID = true
			}
		case err != nil:
			g.log.Warn("cannot report the fencing", "err", err)
		default:
			for _, addr := range g.peerList() {
				cctx, cancel := context.WithTimeout(ctx, reportTimeout)
				err := cluster.CallOnce(cctx, addr, id.ClientConfig("", nil), OpFenced,
					FencedReport{Node: id.NodeName(), Incarnation: inc}, nil)
				cancel()
				if err == nil {
					g.reported(inc, addr)
					return
				}
				g.log.Debug("fencing report not acknowledged", "peer", addr, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-g.peersChanged:
			pause = reportFirstRetry
		case <-time.After(pause):
			pause = min(2*pause, reportMaxRetry)
		}
	}
}
