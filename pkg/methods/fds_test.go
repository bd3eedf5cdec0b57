package methods

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

// TestManyOpenDescriptors runs methods in parallel while descriptors
// around 64 open and close, as in a busy rgmd: the program's descriptor
// (pkg/execfile, 64 or above) was then at times just above the child's
// stdin, stdout and stderr, where the child's own descriptor shuffling
// (syscall's forkAndExecInChild moves its error pipe to just above the
// highest descriptor it is given) landed on it, and the exec of
// /proc/self/fd/N failed with "permission denied" (1 method in a few
// hundred, with 100 resources whose Monitor_start calls pmfadm).
func TestManyOpenDescriptors(t *testing.T) {
	var held []*os.File
	t.Cleanup(func() {
		for _, f := range held {
			f.Close()
		}
	})
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, f)
		if f.Fd() >= 56 {
			break
		}
	}
	dir := t.TempDir()
	sh := script(t, dir, "start", "#!/bin/sh\nexit 0\n")
	var stop atomic.Bool
	var churn sync.WaitGroup
	churn.Add(1)
	go func() { // other connections come and go
		defer churn.Done()
		for !stop.Load() {
			var fs []*os.File
			for i := 0; i < 12; i++ {
				if f, err := os.Open(os.DevNull); err == nil {
					fs = append(fs, f)
				}
			}
			for _, f := range fs {
				f.Close()
			}
		}
	}()
	var failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				p := "/bin/true"
				if i%2 == 1 {
					p = sh
				}
				if res := (&Runner{}).Run(context.Background(), Spec{Path: p, Timeout: guard}); !res.OK() {
					if failed.Add(1) == 1 {
						t.Errorf("%s: %s (%v)", p, res.Reason, res.Err)
					}
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	churn.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of 480 methods failed to start", n)
	}
}
