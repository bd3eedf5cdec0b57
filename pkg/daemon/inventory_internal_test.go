package daemon

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// collectInventory reads a /proc and /sys tree of a test's making, and
// leaves out what the tree does not have (no DMI, no IPMI) without
// failing.
func TestCollectInventory(t *testing.T) {
	root := t.TempDir()
	write := func(path string, data []byte) {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := sysRoot
	sysRoot = root + "/"
	defer func() { sysRoot = old }()

	write("proc/meminfo", []byte("MemTotal:       2048000 kB\nMemFree:         100 kB\n"))
	write("proc/sys/kernel/osrelease", []byte("6.1.0-test\n"))
	inv := collectInventory("1.2.3")
	if inv.MilliCPU != int64(runtime.NumCPU())*1000 || inv.Memory != 2048000<<10 || inv.Kernel != "6.1.0-test" || inv.Version != "1.2.3" {
		t.Fatalf("inventory %+v", inv)
	}
	if inv.Serial != "" || inv.BMC != "" {
		t.Fatalf("serial or BMC out of nothing: %+v", inv)
	}

	write("sys/class/dmi/id/product_serial", []byte("To Be Filled By O.E.M.\n"))
	write("sys/class/dmi/id/board_serial", []byte("BRD-42\n"))
	// SMBIOS type 38: KCS (1), IPMI 2.0, base address 0xca2 (I/O).
	raw := []byte{38, 0x12, 0, 0, 1, 0x20, 0x20, 0xff, 0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0}
	write("sys/firmware/dmi/entries/38-0/raw", raw)
	inv = collectInventory("1.2.3")
	if inv.Serial != "BRD-42" {
		t.Errorf("serial %q: the product's placeholder should give way to the board's", inv.Serial)
	}
	if inv.BMC != "IPMI 2.0 KCS at I/O 0xca2" {
		t.Errorf("BMC %q", inv.BMC)
	}
}
