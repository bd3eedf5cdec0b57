// Command scds_syslog logs a printf-formatted message with the cluster's
// syslog facility, for shell agents; see scds_syslog(1).
package main

import (
	"os"

	"github.com/openrgm/openrgm/pkg/syslogcmd"
)

func main() {
	os.Exit(syslogcmd.Main(os.Args[1:], os.Stderr))
}
