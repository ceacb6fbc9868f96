// Package proc has what starting a server as a child process needs, for the tests and
// cmd/loadtest: a free loopback port, waiting for it to listen, an output buffer safe to read
// while the child writes, and a child that dies with its parent.
package proc

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"time"
)

// FreePort returns a loopback address with a port that was free a moment ago.
func FreePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
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
