package proc

import (
	"net"
	"strconv"
	"testing"
)

func TestFreePortIsBelowTheEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		addr, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("FreePort() = %q, %v", addr, err)
		}
		p, _ := strconv.Atoi(port)
		if low > minPort+1 && (p < minPort || p >= low) {
			t.Errorf("port %d outside [%d, %d): the kernel may hand it to an outgoing connection", p, minPort, low)
		}
		l, err := net.Listen("tcp", addr) // free: a child can listen on it
		if err != nil {
			t.Fatalf("listen on %s: %v", addr, err)
		}
		l.Close()
	}
}
