package schacmd

import (
	"io"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
)

// ControlTimeout bounds how long scha_control waits for rgmd. An accepted
// request returns only after the group or resource has gone offline and
// come back online, which may take several method timeouts; the caller (a
// fault monitor) is the one who decides to give up, by being killed.
const ControlTimeout = 24 * time.Hour

// Main runs the command called name against the rgmd found by
// paths.Socket() (or $RGM_SOCKET) and returns its exit status.
func Main(name string, args []string, stdout, stderr io.Writer) int {
	c := &client.Client{Blocking: true}
	if baseName(name) == "scha_control" {
		c.Timeout = ControlTimeout
	}
	defer c.Close()
	return Run(c, name, args, stdout, stderr)
}
