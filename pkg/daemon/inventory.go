package daemon

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/store"
)

// Node inventory (#22): what this node has, recorded in the log at each
// start when it differs from what the log holds, so that rgmadm node
// show tells it and placement defaults the cpu and memory load limits
// to it (model/load.go). Nothing here fails rgmd: what the system does
// not expose is left empty.

// sysRoot is where /proc and /sys are read from (tests point it at a
// tree of their own).
var sysRoot = "/"

func readSys(path string) string {
	b, err := os.ReadFile(sysRoot + strings.TrimPrefix(path, "/"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// collectInventory reads this node's inventory.
func collectInventory(version string) model.Inventory {
	inv := model.Inventory{
		// The CPUs this process may run on (its affinity mask), as
		// milli-cores.
		MilliCPU: int64(runtime.NumCPU()) * 1000,
		Kernel:   readSys("/proc/sys/kernel/osrelease"),
		Version:  version,
	}
	inv.Hostname, _ = os.Hostname()
	for _, line := range strings.Split(readSys("/proc/meminfo"), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					inv.Memory = kb << 10
				}
			}
		}
	}
	inv.Serial = cleanDMI(readSys("/sys/class/dmi/id/product_serial"))
	if inv.Serial == "" {
		inv.Serial = cleanDMI(readSys("/sys/class/dmi/id/board_serial"))
	}
	raw, _ := os.ReadFile(sysRoot + "sys/firmware/dmi/entries/38-0/raw")
	inv.BMC = ipmiDevice(raw)
	return inv
}

// cleanDMI drops the placeholders firmware writes where it knows no
// serial.
func cleanDMI(s string) string {
	switch strings.ToLower(s) {
	case "", "none", "0", "not specified", "to be filled by o.e.m.", "default string", "system serial number", "0123456789":
		return ""
	}
	return s
}

// ipmiDevice describes the BMC from SMBIOS type 38 (IPMI Device
// Information), the only trace of it that /sys gives: its interface
// and base address on the host (the BMC's network address is known to
// the BMC alone: ipmitool lan print).
func ipmiDevice(b []byte) string {
	if len(b) < 0x10 || b[0] != 38 {
		return ""
	}
	kinds := map[byte]string{1: "KCS", 2: "SMIC", 3: "BT", 4: "SSIF"}
	kind := kinds[b[4]]
	if kind == "" {
		kind = "type " + strconv.Itoa(int(b[4]))
	}
	addr := binary.LittleEndian.Uint64(b[8:16])
	space := "memory"
	if addr&1 == 1 { // bit 0 set: an I/O port address
		space, addr = "I/O", addr&^1
	}
	return fmt.Sprintf("IPMI %d.%d %s at %s 0x%x", b[5]>>4, b[5]&0xf, kind, space, addr)
}

// recordInventory proposes this node's inventory when the log's differs
// (the time of the report aside).
func (d *Daemon) recordInventory(ctx context.Context) {
	inv := collectInventory(d.opts.Version)
	var old model.Inventory
	d.machine.Read(func(c *model.Config) {
		if n, ok := c.Node(d.opts.NodeName); ok && n.Inventory != nil {
			old = *n.Inventory
		}
	})
	old.At = 0
	if old == inv {
		return
	}
	inv.At = time.Now().Unix()
	if err := d.propose(ctx, store.CmdSetInventory, store.InventoryCmd{Node: d.opts.NodeName, Inventory: inv}); err != nil {
		d.opts.Logger.Warn("could not record this node's inventory", "err", err)
	}
}
