// Package faultproxy is a small HTTP proxy for tests that sits between the service's S3 client
// and a real S3 server (versitygw) and injects storage faults: error statuses, slow responses,
// connections cut in the middle of a body, connections dropped, and the server gone (the port
// refusing connections). Requests pass through untouched otherwise; SigV4 signatures stay
// valid because the Host header is kept.
package faultproxy

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is one kind of misbehaviour and the requests it applies to. The zero Match fields
// match every request.
type Fault struct {
	// Which requests: Method ("GET", "PUT", "HEAD"...; empty: any) and PathPrefix on the
	// path-style URL path ("/bucket/originals/"; empty: any).
	Method     string
	PathPrefix string
	// Prob is the chance that a matching request gets the fault (0 means always).
	Prob float64
	// Times limits the fault to the first Times matching requests (0: no limit).
	Times int

	// What happens, in this order of precedence:
	Status   int           // answer with this status and an S3 XML error, not forwarding
	Drop     bool          // close the connection without answering
	Delay    time.Duration // wait this long (or until the client goes away), then go on
	CutAfter int           // forward, then cut the connection after this many body bytes (> 0)
}

// Code is the S3 error code sent with Status.
func code(status int) string {
	switch status {
	case http.StatusServiceUnavailable:
		return "SlowDown"
	case http.StatusInternalServerError:
		return "InternalError"
	case http.StatusForbidden:
		return "AccessDenied"
	}
	return "InternalError"
}

func (f *Fault) matches(r *http.Request) bool {
	return (f.Method == "" || f.Method == r.Method) && strings.HasPrefix(r.URL.Path, f.PathPrefix)
}

// Proxy forwards to one upstream S3 endpoint.
type Proxy struct {
	URL  string // http://127.0.0.1:PORT, the endpoint to give the S3 client
	addr string

	upstream  *url.URL
	transport *http.Transport
	srv       *http.Server

	mu      sync.Mutex
	ln      net.Listener
	faults  []*fault
	stopped bool

	requests atomic.Int64 // every request that reached the proxy
	injected atomic.Int64 // requests that got a fault
}

type fault struct {
	Fault
	seen int
}

// Start runs a proxy to upstream until the test ends.
func Start(t testing.TB, upstream string) *Proxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{
		URL:       "http://" + ln.Addr().String(),
		addr:      ln.Addr().String(),
		upstream:  u,
		transport: &http.Transport{MaxIdleConnsPerHost: 64, ResponseHeaderTimeout: time.Minute},
		ln:        ln,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = p.srv.Close()
		p.transport.CloseIdleConnections()
	})
	return p
}

// Set replaces the faults in force. A request gets the first fault that matches it (and whose
// Prob and Times let it through).
func (p *Proxy) Set(faults ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = p.faults[:0]
	for _, f := range faults {
		p.faults = append(p.faults, &fault{Fault: f})
	}
}

// Clear removes every fault: requests pass through again.
func (p *Proxy) Clear() { p.Set() }

// Requests is the number of requests the proxy has received; Injected, how many got a fault.
func (p *Proxy) Requests() int64 { return p.requests.Load() }
func (p *Proxy) Injected() int64 { return p.injected.Load() }

// Stop closes the listening port, so that new connections are refused, and drops every open
// connection: the server is gone. Start brings it back on the same port.
func (p *Proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stopped = true
	_ = p.srv.Close()
	p.transport.CloseIdleConnections()
}

// Restart listens again on the port Stop closed.
func (p *Proxy) Restart(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		return
	}
	var ln net.Listener
	var err error
	for range 50 { // the port may linger for a moment
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("faultproxy: listen again on %s: %v", p.addr, err)
	}
	p.ln, p.stopped = ln, false
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func(srv *http.Server) { _ = srv.Serve(ln) }(p.srv)
}

// pick returns the fault for r, if any.
func (p *Proxy) pick(r *http.Request) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if !f.matches(r) || (f.Times > 0 && f.seen >= f.Times) {
			continue
		}
		if f.Prob > 0 && rand.Float64() >= f.Prob {
			continue
		}
		f.seen++
		c := f.Fault
		return &c
	}
	return nil
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	f := p.pick(r)
	if f != nil {
		p.injected.Add(1)
	}
	switch {
	case f != nil && f.Status != 0:
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by faultproxy</Message><RequestId>faultproxy</RequestId></Error>`, code(f.Status))
		return
	case f != nil && f.Drop:
		drop(w, false)
		return
	case f != nil && f.Delay > 0:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return // the client gave up
		}
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		drop(w, false)
		return
	}
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host = p.upstream.Scheme, p.upstream.Host
	out.RequestURI = ""
	out.Host = r.Host // the signature covers it
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	res, err := p.transport.RoundTrip(out)
	if err != nil {
		drop(w, false) // the upstream is down: look like it to the client
		return
	}
	defer res.Body.Close()
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	if f != nil && f.CutAfter > 0 {
		_, _ = io.CopyN(w, res.Body, int64(f.CutAfter))
		drop(w, true)
		return
	}
	_, _ = io.Copy(w, res.Body)
}

// drop closes the connection under the client, with a reset as a crashed server gives; what
// was written of the response is flushed first when flush is set (a cut body), never otherwise
// (flushing an unwritten response would send a 200 header).
func drop(w http.ResponseWriter, flush bool) {
	rc := http.NewResponseController(w)
	if flush {
		_ = rc.Flush()
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
