package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// A descriptor rgmd inherited from whoever started it reaches neither a
// callback nor a process monitor tree (issue 23, item 2).
func TestInheritedDescriptorsStayInRgmd(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	dir := t.TempDir()
	marker, err := os.Create(filepath.Join(dir, "inherited-marker"))
	if err != nil {
		t.Fatal(err)
	}
	defer marker.Close()
	d.Stop()
	d.ExtraFiles = []*os.File{nil, nil, nil, nil, nil, nil, marker} // fd 9
	d.Start()

	// Lists the descriptors of the process that runs it into $1.
	fds := filepath.Join(dir, "fds")
	os.WriteFile(fds, []byte("#!/bin/sh\nfor f in /proc/$$/fd/*; do readlink $f; done >$1\n"), 0o755)
	validate := fmt.Sprintf("#!/bin/sh\n%s %s/validate.out\nexit 0\n", fds, dir)
	os.WriteFile(filepath.Join(dir, "validate"), []byte(validate), 0o755)
	os.WriteFile(filepath.Join(dir, "ok"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	rtr := filepath.Join(dir, "fd.rtr")
	os.WriteFile(rtr, []byte(fmt.Sprintf("Resource_type = fd; RT_basedir = %s; Validate = validate; Start = ok; Stop = ok;\n", dir)), 0o644)
	d.MustRun("rgmadm", "rt", "register", rtr)
	d.MustRun("rgmadm", "rg", "create", "g")
	d.MustRun("rgmadm", "rs", "create", "r", "-g", "g", "-t", "fd")
	d.MustRun("pmfadm", "-c", "fds", "sh", "-c", fds+" "+dir+"/tree.out; exec sleep 300")
	defer d.Run("pmfadm", "-s", "fds", "-w", "10", "KILL")

	for _, out := range []string{"validate.out", "tree.out"} {
		var b []byte
		poll(t, 30*time.Second, out, func() bool {
			b, _ = os.ReadFile(filepath.Join(dir, out))
			return len(b) > 0
		})
		if strings.Contains(string(b), "inherited-marker") {
			t.Errorf("%s: rgmd's inherited descriptor reached it:\n%s", out, b)
		}
	}
}
