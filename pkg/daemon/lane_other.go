//go:build !linux

package daemon

import (
	"context"
	"net"
	"sync"
)

// The lane (lane.go) is Linux-only; elsewhere Serve's accept loop does all.
func laneFD(net.Listener) (int, bool) { return -1, false }

func (s *Server) lane(context.Context, int, *sync.WaitGroup) error { panic("unreachable") }
