package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/faultmon"
	"github.com/openrgm/openrgm/pkg/paths"
	"github.com/openrgm/openrgm/pkg/wire"
)

// hostnameKind is ORGM.LogicalHostname (callbacks/logicalhostname): IPv4
// and IPv6 addresses that move with their group. Prenet_start adds them
// with ip(8) and announces them (IPv4: gratuitous ARP requests sent by
// arping(8) from iputils-arping; IPv6: the kernel's unsolicited neighbour
// advertisement after duplicate address detection, turned on with the
// interface's ndisc_notify); Postnet_stop removes them.
type hostnameKind struct{}

// vip is one address of HostnameList on the interface that carries it.
type vip struct {
	addr   netip.Addr
	bits   int // prefix length
	iface  string
	source string // the HostnameList element it came from
}

func (v vip) String() string { return fmt.Sprintf("%s/%d on %s", v.addr, v.bits, v.iface) }

func (hostnameKind) method(ctx context.Context, c *call) error {
	switch c.method {
	case "validate":
		vips, err := hostnameVIPs(ctx, c)
		if err != nil {
			return err
		}
		for _, v := range vips {
			if err := checkUnused(ctx, v); err != nil {
				return err
			}
		}
		return nil
	case "monitor_check":
		_, err := hostnameVIPs(ctx, c)
		return err
	case "prenet_start", "start":
		vips, err := hostnameVIPs(ctx, c)
		if err != nil {
			return err
		}
		// What is put up is what Postnet_stop takes down, even if a name
		// no longer resolves then.
		saveVIPs(c, vips)
		for _, v := range vips {
			if err := addVIP(ctx, c, v); err != nil {
				return err
			}
		}
		return nil
	case "postnet_stop", "stop":
		vips, ok := savedVIPs(c)
		if !ok {
			var err error
			if vips, err = hostnameVIPs(ctx, c); err != nil {
				return err
			}
		}
		var errs []error
		for _, v := range vips {
			if err := delVIP(ctx, v); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) == 0 {
			os.Remove(vipFile(c))
		}
		return errors.Join(errs...)
	}
	return errUnknownMethod
}

// vipFile records the addresses a Prenet_start put up: beside rgmd's
// socket, so per rgmd and gone after a reboot.
func vipFile(c *call) string {
	return filepath.Join(filepath.Dir(paths.Socket()), "orgm_agent", c.group+","+c.resource+".addrs")
}

func saveVIPs(c *call, vips []vip) {
	var b strings.Builder
	for _, v := range vips {
		fmt.Fprintf(&b, "%s %d %s\n", v.addr, v.bits, v.iface)
	}
	if os.MkdirAll(filepath.Dir(vipFile(c)), 0o755) == nil {
		os.WriteFile(vipFile(c), []byte(b.String()), 0o644)
	}
}

func savedVIPs(c *call) ([]vip, bool) {
	b, err := os.ReadFile(vipFile(c))
	if err != nil {
		return nil, false
	}
	var out []vip
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, false
		}
		a, err := netip.ParseAddr(f[0])
		bits, berr := strconv.Atoi(f[1])
		if err != nil || berr != nil {
			return nil, false
		}
		out = append(out, vip{addr: a, bits: bits, iface: f[2], source: f[0]})
	}
	return out, len(out) > 0
}

func (hostnameKind) probe(ctx context.Context, c *call) error {
	vips, ok := savedVIPs(c)
	if !ok {
		var err error
		if vips, err = hostnameVIPs(ctx, c); err != nil {
			// A name service that does not answer does not take the
			// addresses down.
			return &faultmon.Failure{Msg: err.Error(), Degraded: true}
		}
	}
	for _, v := range vips {
		if st := operState(v.iface); st != "up" && st != "unknown" {
			return failed("link %s is %s", v.iface, st)
		}
		if _, ok := presentBits(v); !ok {
			return failed("address %s is gone", v)
		}
	}
	return nil
}

// hostnameVIPs reads HostnameList and NetIfList: each element of
// HostnameList is an address, ADDRESS/PREFIX, or a host name resolved now
// (every address it has); each is put on the first NetIfList interface of
// this node whose network holds it, else the first one, else the
// interface of the route to it. The prefix length, when not given, is that
// of the interface's network holding the address, else 32 or 128.
func hostnameVIPs(ctx context.Context, c *call) ([]vip, error) {
	list := c.xList("HostnameList")
	if len(list) == 0 {
		return nil, errors.New("HostnameList is empty: give -x HostnameList=ADDRESS[/PREFIX][,ADDRESS]")
	}
	ifaces, err := localIfaces(ctx, c.xList("NetIfList"))
	if err != nil {
		return nil, err
	}
	var out []vip
	for _, e := range list {
		host, bitsText, hasBits := strings.Cut(e, "/")
		var addrs []netip.Addr
		if a, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{a.Unmap()}
		} else {
			ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			if err != nil || len(ips) == 0 {
				return nil, fmt.Errorf("HostnameList: %q is neither an address nor a name that resolves (%v)", host, err)
			}
			for _, a := range ips {
				addrs = append(addrs, a.Unmap())
			}
		}
		for _, a := range addrs {
			if a.IsLoopback() || a.IsUnspecified() || a.IsMulticast() {
				return nil, fmt.Errorf("HostnameList: %s is not an address to move between nodes", a)
			}
			v := vip{addr: a, bits: -1, source: e}
			if hasBits {
				n, err := strconv.Atoi(bitsText)
				if err != nil || n < 1 || n > a.BitLen() {
					return nil, fmt.Errorf("HostnameList: %q: bad prefix length", e)
				}
				v.bits = n
			}
			if v.iface, err = pickIface(ctx, a, ifaces); err != nil {
				return nil, err
			}
			if v.bits < 0 {
				v.bits = a.BitLen()
				if p, ok := onLinkPrefix(v.iface, a); ok {
					v.bits = p.Bits()
				}
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// localIfaces keeps the NetIfList elements for this node: IFACE, or
// IFACE@NODE (node name or id) as Solaris Cluster writes them. Each must
// exist here.
func localIfaces(ctx context.Context, list []string) ([]string, error) {
	var node, nodeID string
	var out []string
	for _, e := range list {
		name, at, scoped := strings.Cut(e, "@")
		if scoped {
			if node == "" {
				cl := &client.Client{}
				if rep, err := cl.Get(ctx, wire.GetArgs{Kind: wire.KindCluster, Tag: "NODENAME_LOCAL"}); err == nil && len(rep.Values) > 0 {
					node = rep.Values[0]
				}
				if rep, err := cl.Get(ctx, wire.GetArgs{Kind: wire.KindCluster, Tag: "NODEID_LOCAL"}); err == nil && len(rep.Values) > 0 {
					nodeID = rep.Values[0]
				}
				cl.Close()
			}
			if at != node && at != nodeID {
				continue
			}
		}
		if _, err := net.InterfaceByName(name); err != nil {
			return nil, fmt.Errorf("NetIfList: no interface %s on this node", name)
		}
		out = append(out, name)
	}
	if len(list) > 0 && len(out) == 0 {
		return nil, fmt.Errorf("NetIfList %s names no interface of this node", strings.Join(list, ","))
	}
	return out, nil
}

func pickIface(ctx context.Context, a netip.Addr, ifaces []string) (string, error) {
	for _, i := range ifaces {
		if _, ok := onLinkPrefix(i, a); ok {
			return i, nil
		}
	}
	if len(ifaces) > 0 {
		return ifaces[0], nil
	}
	// The interface that has it already (the resource is online here).
	if all, err := net.Interfaces(); err == nil {
		for _, i := range all {
			if _, ok := presentBits(vip{addr: a, iface: i.Name}); ok && i.Flags&net.FlagLoopback == 0 {
				return i.Name, nil
			}
		}
	}
	// The interface of the route to the address.
	out, err := output(ctx, nil, "ip", "-o", "route", "get", a.String())
	if err != nil {
		return "", fmt.Errorf("no route to %s to choose an interface by (give NetIfList): %v", a, err)
	}
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "dev" {
			if f[i+1] == "lo" {
				break
			}
			return f[i+1], nil
		}
	}
	return "", fmt.Errorf("the route to %s leaves by no interface to put it on (give NetIfList): %s", a, strings.TrimSpace(out))
}

// ifacePrefixes returns an interface's addresses.
func ifacePrefixes(name string) []netip.Prefix {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			ip, _ := netip.AddrFromSlice(ipn.IP)
			bits, _ := ipn.Mask.Size()
			out = append(out, netip.PrefixFrom(ip.Unmap(), bits))
		}
	}
	return out
}

// onLinkPrefix finds the network of the interface that holds a, other
// than a host route of a itself.
func onLinkPrefix(name string, a netip.Addr) (netip.Prefix, bool) {
	for _, p := range ifacePrefixes(name) {
		if p.Addr() != a && p.Bits() < a.BitLen() && p.Masked().Contains(a) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// presentBits reports whether v's address is on its interface, and with
// which prefix length.
func presentBits(v vip) (int, bool) {
	for _, p := range ifacePrefixes(v.iface) {
		if p.Addr() == v.addr {
			return p.Bits(), true
		}
	}
	return 0, false
}

func operState(iface string) string {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/operstate")
	if err != nil {
		return "missing"
	}
	return strings.TrimSpace(string(b))
}

// checkUnused refuses an address that another host already answers for:
// IPv4 by duplicate address detection with arping -D (RFC 5227 probes,
// two, one second apart), IPv6 by a neighbour solicitation with ndisc6. An
// address already on this node (the resource is online here) is not
// probed. Without the tool, or without the privilege to send (rgmd not
// root), the check is skipped with a warning.
func checkUnused(ctx context.Context, v vip) error {
	if _, ok := presentBits(v); ok {
		return nil
	}
	var tool string
	var args []string
	if v.addr.Is4() {
		tool, args = "arping", []string{"-D", "-q", "-c", "2", "-w", "3", "-I", v.iface, v.addr.String()}
	} else {
		tool, args = "ndisc6", []string{"-1", "-q", "-r", "2", "-w", "1000", v.addr.String(), v.iface}
	}
	if _, err := exec.LookPath(tool); err != nil {
		fmt.Fprintf(os.Stderr, "validate: %s not installed: not checking that %s is unused\n", tool, v.addr)
		return nil
	}
	_, err := output(ctx, nil, tool, args...)
	code := exitCode(err)
	inUse := (v.addr.Is4() && code == 1) || (v.addr.Is6() && code == 0)
	switch {
	case inUse:
		return fmt.Errorf("address %s (HostnameList %s) is already in use on the network: a host on %s answered for it", v.addr, v.source, v.iface)
	case v.addr.Is4() && code != 0, v.addr.Is6() && code != 1 && code != 2:
		fmt.Fprintf(os.Stderr, "validate: could not check that %s is unused: %v\n", v.addr, err)
	}
	return nil
}

// addVIP puts the address on its interface and announces it.
func addVIP(ctx context.Context, c *call, v vip) error {
	if _, ok := presentBits(v); !ok {
		args := []string{"addr", "add", fmt.Sprintf("%s/%d", v.addr, v.bits), "dev", v.iface}
		if v.addr.Is6() {
			// The kernel sends the unsolicited advertisement after its
			// duplicate address detection only with ndisc_notify on.
			os.WriteFile("/proc/sys/net/ipv6/conf/"+v.iface+"/ndisc_notify", []byte("1\n"), 0o644)
		}
		if _, err := output(ctx, nil, "ip", args...); err != nil {
			return fmt.Errorf("adding %s: %v", v, err)
		}
	}
	if v.addr.Is4() {
		announce4(v)
		return nil
	}
	// IPv6: wait out duplicate address detection, so that what starts
	// next can bind the address.
	deadline := time.Now().Add(c.timeout("Prenet_start") * 9 / 10)
	for {
		out, err := output(ctx, nil, "ip", "-o", "addr", "show", "dev", v.iface, "to", v.addr.String()+"/128")
		if err != nil {
			return err
		}
		switch {
		case strings.Contains(out, "dadfailed"):
			delVIP(ctx, v)
			return fmt.Errorf("address %s: duplicate address detection failed: another host has it", v.addr)
		case !strings.Contains(out, "tentative"):
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("address %s still tentative", v.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// announce4 sends three gratuitous ARP requests for the address, the first
// at once, then one a second, from an arping left running in a session of
// its own so that Prenet_start does not wait for it.
func announce4(v vip) {
	cmd := exec.Command("arping", "-U", "-c", "3", "-w", "4", "-I", v.iface, v.addr.String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "prenet_start: cannot announce %s (arping, from iputils-arping): %v\n", v.addr, err)
		return
	}
	cmd.Process.Release()
}

// delVIP takes the address off its interface; absent is done.
func delVIP(ctx context.Context, v vip) error {
	bits, ok := presentBits(v)
	if !ok {
		return nil
	}
	if _, err := output(ctx, nil, "ip", "addr", "del", fmt.Sprintf("%s/%d", v.addr, bits), "dev", v.iface); err != nil {
		if _, still := presentBits(v); still {
			return fmt.Errorf("removing %s: %v", v, err)
		}
	}
	return nil
}
