package daemon_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// crashPoints is how many kill points TestPMFCrashDuringCreate tries:
// RGM_CRASH_POINTS, else 30 (make bench and the figure use 200).
func crashPoints(t *testing.T) int {
	if s := os.Getenv("RGM_CRASH_POINTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("RGM_CRASH_POINTS=%q: want a positive number", s)
		}
		return n
	}
	return 30
}

// crashSeed is RGM_SEED, else the clock; the test prints it so that a
// failure can be replayed.
func crashSeed(t *testing.T) int64 {
	if s := os.Getenv("RGM_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("RGM_SEED=%q: want a number", s)
		}
		return n
	}
	return time.Now().UnixNano()
}

// treesOf returns the pids of the live processes whose command line is
// exactly argv and whose environment names socket (pmfadm passes the
// method's RGM_SOCKET to the tree).
func treesOf(socket string, argv ...string) []int {
	want := []byte(string(bytes.Join(func() [][]byte {
		var b [][]byte
		for _, a := range argv {
			b = append(b, []byte(a))
		}
		return b
	}(), []byte{0})) + "\x00")
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + e.Name()
		cmd, err := os.ReadFile(dir + "/cmdline")
		if err != nil || !bytes.Equal(cmd, want) {
			continue
		}
		env, err := os.ReadFile(dir + "/environ")
		if err != nil || !bytes.Contains(append([]byte{0}, env...), []byte("\x00RGM_SOCKET="+socket+"\x00")) {
			continue
		}
		if rgmtest.Alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// rgmd killed at many points of a Start method's pmfadm -c: at every
// instant the tree is either not started or known to the next rgmd. After
// the restart (crash recovery runs Stop, then Start again) exactly one
// tree runs and pmfadm knows it; after rg offline none is left.
func TestPMFCrashDuringCreate(t *testing.T) {
	seed := crashSeed(t)
	points := crashPoints(t)
	t.Logf("seed %d (RGM_SEED=%d replays it), %d kill points", seed, seed, points)
	rnd := rand.New(rand.NewSource(seed))

	d := rgmtest.StartDaemon(t)
	dir := t.TempDir()
	mark := strconv.Itoa(31536000 + os.Getpid()%100000) // sleep's argument: this test's trees
	start := fmt.Sprintf("#!/bin/sh\n: >%s/go\nexec pmfadm -c crash.svc -n 0 sleep %s\n", dir, mark)
	stop := "#!/bin/sh\npmfadm -s crash.svc -w 20 KILL\nexit 0\n"
	for name, body := range map[string]string{"start": start, "stop": stop} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rtr := fmt.Sprintf("Resource_type = crash; RT_basedir = %q; Start = start; Stop = stop;\n", dir)
	if err := os.WriteFile(filepath.Join(dir, "crash.rtr"), []byte(rtr), 0o644); err != nil {
		t.Fatal(err)
	}
	d.MustRun("rgmadm", "rt", "register", filepath.Join(dir, "crash.rtr"))
	d.MustRun("rgmadm", "rg", "create", "cg")
	d.MustRun("rgmadm", "rs", "create", "c", "-g", "cg", "-t", "crash")
	d.MustRun("rgmadm", "rg", "manage", "cg", "--wait")

	bad := 0
	for i := 0; i < points; i++ {
		os.Remove(filepath.Join(dir, "go"))
		d.MustRun("rgmadm", "rg", "online", "cg")
		poll(t, 30*time.Second, "Start to run", func() bool {
			_, err := os.Stat(filepath.Join(dir, "go"))
			return err == nil
		})
		// Anywhere from before pmfadm dials to after its answer.
		delay := time.Duration(rnd.Intn(40000)) * time.Microsecond
		time.Sleep(delay)
		d.Kill()
		d.Start()
		if r := d.Run("rgmadm", "rg", "online", "cg", "--wait"); r.Code != 0 {
			t.Fatalf("kill point %d (%v after Start began): rg online after the restart: exit %d, %s\n%s", i, delay, r.Code, r.Stderr, d.Log())
		}
		trees := treesOf(d.Socket, "sleep", mark)
		known := tagPids(t, d, "crash.svc")
		wrong := len(trees) != 1 || len(known) == 0 || known[0] != trees[0]
		if wrong {
			t.Errorf("kill point %d (%v after Start began): trees %v, pmfadm knows %v", i, delay, trees, known)
		}
		d.MustRun("rgmadm", "rg", "offline", "cg", "--wait")
		// pmfadm -s -w returned before Stop did: nothing may be left.
		if left := treesOf(d.Socket, "sleep", mark); len(left) > 0 {
			wrong = true
			t.Errorf("kill point %d (%v after Start began): trees %v left after rg offline", i, delay, left)
			for _, pid := range left {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if wrong {
			bad++
		}
	}
	t.Logf("%d kill points, %d with an unknown or duplicate tree", points, bad)
}
