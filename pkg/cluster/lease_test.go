package cluster_test

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// leaseRenewals reads openrgm_lease_renewals_total from the metrics
// rgmd serves on addr (--metrics-addr).
func leaseRenewals(t *testing.T, addr string) int {
	t.Helper()
	for try := 0; ; try++ {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			if try == 100 {
				t.Fatalf("metrics on %s: %v", addr, err)
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "openrgm_lease_renewals_total "); ok {
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("openrgm_lease_renewals_total %q: %v", v, err)
				}
				return int(n)
			}
		}
		t.Fatalf("no openrgm_lease_renewals_total in the metrics on %s", addr)
	}
}

// A node that holds no group renews no lease (it asks nobody anything
// for it); a start there takes a lease first, and the node renews it for
// as long as it holds the group, and no longer.
func TestIdleNodeRenewsNoLease(t *testing.T) {
	c := rgmtest.StartCluster(t, 2)
	n1 := c.Nodes[0]
	maddr := rgmtest.FreeAddr(t)
	c.Add("n3", "--metrics-addr", maddr)
	c.WaitState(n1, "n3", "UP")

	// Renewals of n3's lease counted over four renewal periods (500 ms
	// each by default).
	during := func() int {
		r := leaseRenewals(t, maddr)
		time.Sleep(2 * time.Second)
		return leaseRenewals(t, maddr) - r
	}
	if n := during(); n != 0 {
		t.Errorf("n3 holds nothing, yet renewed its lease %d times in 2 s", n)
	}

	k := newChecker(t)
	waitOK(t, n1, "rgmadm", "rt", "register", k.rtr())
	waitOK(t, n1, "rgmadm", "rg", "create", "idle-rg", "-p", "Nodelist=n3,n1,n2")
	waitOK(t, n1, "rgmadm", "rs", "create", "idle-rs", "-g", "idle-rg", "-t", "chk")
	waitOK(t, n1, "rgmadm", "rg", "online", "-M", "idle-rg", "-n", "n3", "--wait")
	onlineOn(t, n1, "idle-rg", "n3", 30*time.Second)
	if k.servicePID("idle-rs", "n3") == 0 {
		t.Fatal("idle-rs's service does not run on n3")
	}
	if n := during(); n == 0 {
		t.Error("n3 holds idle-rg, yet renewed no lease in 2 s")
	}

	waitOK(t, n1, "rgmadm", "rg", "offline", "idle-rg", "--wait")
	// The renewal after the group left disarms the guard; none follows.
	time.Sleep(time.Second)
	if n := during(); n != 0 {
		t.Errorf("idle-rg is offline, yet n3 renewed its lease %d times in 2 s", n)
	}
	k.check()
}
