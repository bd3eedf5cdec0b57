package daemon

import (
	"strings"

	"github.com/openrgm/openrgm/pkg/seqfile"
)

// publishSeq makes the change counter next to the socket (package
// seqfile). Without it clients still work, asking rgmd every time, so a
// failure is logged, not fatal: a socket directory rgmd may not write in,
// or a counter file someone else made.
func (d *Daemon) publishSeq(socket string) {
	if socket == "" || strings.HasPrefix(socket, "@") {
		return // not a path (an abstract socket, a test listener)
	}
	w, err := seqfile.Create(seqfile.Path(socket))
	if err != nil {
		d.opts.Logger.Warn("no change counter; C library handles will ask rgmd on every get", "err", err)
		return
	}
	d.seq.Store(w)
}

func (d *Daemon) closeSeq() {
	if w := d.seq.Swap(nil); w != nil {
		w.Close()
	}
}
