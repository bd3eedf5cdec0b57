package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/openrgm/openrgm/pkg/cluster"
)

var gossipNode = flag.String("gossip-node", "", "internal: run bare memberlist as NAME,ADDR,KEY[,JOIN] (the idle cluster's floor)")

// gossipFloor starts count bare memberlist processes on loopback, with
// rgmd's own gossip timing and encryption, and returns the CPU they use
// idle over d, in clock ticks. Nothing else runs in them: no raft, no
// rgmd, no guard. This is the least any cluster that detects a death in
// the time rgmd does pays on this machine.
func gossipFloor(count int, d time.Duration) int64 {
	self, err := os.Executable()
	check(err)
	key := make([]byte, 32)
	rand.Read(key)
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			p.Process.Signal(syscall.SIGKILL)
			p.Wait()
		}
	}()
	first := ""
	for i := 1; i <= count; i++ {
		addr := freeAddr()
		arg := fmt.Sprintf("g%d,%s,%s", i, addr, hex.EncodeToString(key))
		if first != "" {
			arg += "," + first
		} else {
			first = addr
		}
		cmd := exec.Command(self, "-gossip-node", arg, "-gossip-probe-interval", gossipProbe.String(), "-gossip-interval", gossipEvery.String())
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		// fail() exits without the deferred kills: the kernel ends them.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		check(cmd.Start())
		procs = append(procs, cmd)
		time.Sleep(100 * time.Millisecond) // each joins a running first node
	}
	time.Sleep(3 * time.Second) // the last join gossiped to all
	ticks := func() (t int64) {
		for _, p := range procs {
			t += cpuTicks(p.Process.Pid)
		}
		return t
	}
	t0 := ticks()
	time.Sleep(d)
	return ticks() - t0
}

// runGossipNode is the -gossip-node process.
func runGossipNode(spec string) {
	f := strings.Split(spec, ",")
	host, port, err := net.SplitHostPort(f[1])
	check(err)
	key, err := hex.DecodeString(f[2])
	check(err)
	mc, err := cluster.GossipConfig(f[0], cluster.GossipTiming{ProbeInterval: *gossipProbe, GossipInterval: *gossipEvery})
	check(err)
	mc.BindAddr, mc.AdvertiseAddr = host, host
	mc.BindPort, _ = strconv.Atoi(port)
	mc.AdvertisePort = mc.BindPort
	mc.SecretKey = key
	mc.Logger = log.New(io.Discard, "", 0)
	m, err := memberlist.Create(mc)
	check(err)
	if len(f) > 3 {
		for tries := 0; ; tries++ {
			if _, err = m.Join([]string{f[3]}); err == nil || tries == 50 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		check(err)
	}
	select {}
}
