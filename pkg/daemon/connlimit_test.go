package daemon_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// Connections that send nothing count against rgmd --max-connections-per-uid:
// beyond it a new connection is told at once that rgmd is busy
// (SCHA_ERR_INTERNAL, 18), a command says so, and once they close rgmd
// serves that user again (issue 23, item 7).
func TestIdleConnectionsAreBounded(t *testing.T) {
	d := rgmtest.StartDaemon(t, "--max-connections-per-uid", "20", "--max-connections", "40")
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for i := 0; i < 20; i++ {
		c, err := net.Dial("unix", d.Socket)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	// The 21st is refused without a request: a reply with id 0.
	c, err := net.Dial("unix", d.Socket)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a guard, not a measure
	line, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || !strings.Contains(line, `"code":18`) || !strings.Contains(line, "rgmd is busy: uid") {
		t.Errorf("21st idle connection: %q, %v", line, err)
	}
	r := d.Run("scha_cluster_get", "-O", "CLUSTERNAME")
	if r.Code != 18 || !strings.Contains(r.Stderr, "--max-connections-per-uid") {
		t.Errorf("a query beyond the limit: exit %d, %q", r.Code, r.Stderr)
	}
	for _, c := range idle {
		c.Close()
	}
	idle = nil
	poll(t, 30*time.Second, "rgmd to serve again", func() bool {
		return d.Run("scha_cluster_get", "-O", "CLUSTERNAME").Code == 0
	})
}
