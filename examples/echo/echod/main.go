// Command orgm_echod is the service of the ORGM.echo sample resource
// type: a TCP echo server (each line a client sends comes back), and,
// with -probe, the probe client its fault monitor runs under hatimerun.
//
//	orgm_echod -port PORT [-addr ADDR]   serve until SIGTERM
//	orgm_echod -probe PORT [-addr ADDR]  one round trip; exit 0 if it echoed
//
// Standard library only, so that `make` builds it with the commands.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	port := flag.Int("port", 0, "serve on this TCP port")
	probe := flag.Int("probe", 0, "probe the server on this TCP port and exit")
	addr := flag.String("addr", "127.0.0.1", "address to listen on or to probe")
	flag.Parse()
	switch {
	case *probe > 0:
		os.Exit(runProbe(net.JoinHostPort(*addr, strconv.Itoa(*probe))))
	case *port > 0:
		os.Exit(serve(net.JoinHostPort(*addr, strconv.Itoa(*port))))
	}
	fmt.Fprintln(os.Stderr, "usage: orgm_echod -port PORT | -probe PORT [-addr ADDR]")
	os.Exit(2)
}

func serve(addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgm_echod:", err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "orgm_echod: serving on", ln.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return 0 // closed by SIGTERM
		}
		go echo(c)
	}
}

// echo copies lines back until the client hangs up or idles a minute.
func echo(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		c.SetDeadline(time.Now().Add(time.Minute))
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if _, werr := c.Write(line); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// runProbe is one round trip. The caller bounds it (hatimerun -t); the
// deadline here only keeps a stray run from hanging forever.
func runProbe(addr string) int {
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgm_echod: probe:", err)
		return 1
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	const msg = "orgm-probe\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		fmt.Fprintln(os.Stderr, "orgm_echod: probe:", err)
		return 1
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != msg {
		fmt.Fprintf(os.Stderr, "orgm_echod: probe: got %q, %v\n", got, err)
		return 1
	}
	return 0
}
