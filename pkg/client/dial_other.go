//go:build !linux

package client

import "net"

// dialSocket uses Go's network poller where unixConn is not written for
// the platform.
func dialSocket(path string) (net.Conn, error) { return net.Dial("unix", path) }
