//go:build !linux

package client

import "net"

// dialSocket uses Go's network poller where unixConn is not written for
// the platform (and net's start-up cost is paid).
func (c *Client) dialSocket() (Conn, error) { return net.Dial("unix", c.socket()) }

// unixConn is Linux's blocking socket; elsewhere none is ever made.
type unixConn struct{ Conn }
