// Package proc has what starting a server as a child process needs, for the tests and
// cmd/loadtest: a free loopback port, waiting for it to listen, an output buffer safe to read
// while the child writes, and a child that dies with its parent.
package proc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FreePort returns a loopback address with a port that was free a moment ago, for a child
// process to listen on. It is chosen below the kernel's ephemeral range: a port from that range
// (what listening on port 0 gives) is also the kernel's pick for the local end of any outgoing
// connection, and the tests' own clients open many, so one could take the port between this
// check and the child's bind (seen: aws-lambda-rie "bind: address already in use").
func FreePort() (string, error) {
	if low := ephemeralLow(); low > minPort+1 {
		for range 100 {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", minPort+rand.IntN(low-minPort)))
			if err != nil {
				continue // taken: try another
			}
			addr := l.Addr().String()
			l.Close()
			return addr, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// minPort is the lowest port FreePort picks: above the registered services most machines run.
const minPort = 20000

// ephemeralLow is the first port of the kernel's ephemeral range (32768 when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return n
}

// WaitPort waits until something listens on addr; it gives up after within, or when exited
// (closed when the process that should listen has ended) is closed.
func WaitPort(addr string, within time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the process ended before listening on %s", addr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listening on %s after %v", addr, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Buffer is a bytes.Buffer safe for a child's output and a reader at once.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
