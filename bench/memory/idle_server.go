// The memory-per-connection benchmark's server in Go: a goroutine per
// connection reads lines through a bufio.Reader (the idiomatic form) and
// writes each back. Prints "listening on 127.0.0.1:PORT".
//
//	go build -o build/release/bench/idle_server_go bench/memory/idle_server.go
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
)

func handle(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if len(line) > 0 {
			if _, werr := conn.Write([]byte(line)); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	port := flag.Int("port", 0, "port to listen on (0: any)")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr().String())
	for {
		conn, err := ln.Accept()
		if err != nil {
			continue
		}
		go handle(conn)
	}
}
