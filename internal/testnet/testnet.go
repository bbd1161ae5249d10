// Package testnet hands tests local addresses to listen on.
package testnet

import (
	"net"
	"sync"
	"testing"
)

// handedOut holds the addresses FreeAddr returned: a port closed right after it was
// picked can be picked again, and two listeners of one config must not share one.
var handedOut sync.Map

// FreeAddr returns a 127.0.0.1 address whose port is free right now and was not
// returned before in this test binary.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if _, dup := handedOut.LoadOrStore(addr, true); !dup {
			return addr
		}
	}
}
