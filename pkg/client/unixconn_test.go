//go:build linux

package client

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	dir, err := os.MkdirTemp("", "uc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return path
}

func TestUnixConnReadDeadline(t *testing.T) {
	c, err := blockingDial(silentServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = c.Read(make([]byte, 10))
	var ne timeouter
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past deadline: %v, want a timeout", err)
	}
}

func TestUnixConnPastDeadlineWakesBlockedRead(t *testing.T) {
	c, err := blockingDial(silentServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error)
	go func() {
		_, err := c.Read(make([]byte, 10)) // no deadline: blocks in the kernel
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	c.SetDeadline(time.Unix(1, 0)) // how the client cancels a call
	select {
	case err := <-done:
		var ne timeouter
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("cancelled read: %v, want a timeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a past deadline did not wake the blocked read")
	}
}

func TestUnixConnEOFAndErrors(t *testing.T) {
	path := silentServer(t)
	c, err := blockingDial(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := c.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := blockingDial(path + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dial of a missing socket: %v", err)
	}
	// A server that hangs up gives EOF, not a timeout.
	dir, _ := os.MkdirTemp("", "uc")
	defer os.RemoveAll(dir)
	ln, err := net.Listen("unix", filepath.Join(dir, "h.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if s, err := ln.Accept(); err == nil {
			s.Close()
		}
	}()
	h, err := blockingDial(filepath.Join(dir, "h.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.Read(make([]byte, 4)); err != io.EOF {
		t.Errorf("read after hang-up: %v, want EOF", err)
	}
}

func blockingDial(path string) (*unixConn, error) {
	c, err := (&Client{Socket: path, Blocking: true}).dialSocket()
	if err != nil {
		return nil, err
	}
	return c.(*unixConn), nil
}
