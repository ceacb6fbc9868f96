// Command loadtest puts the local server under load against a real S3 server, on loopback only,
// for a bounded time and number of requests:
//
//	go run ./cmd/loadtest -duration 30s
//
// It starts versitygw over a temporary folder, builds and starts cmd/devserver pointed at it
// (IMAGE_BUCKET, AWS_ENDPOINT_URL_S3, S3_PATH_STYLE=true), uploads generated originals, then runs
// concurrent clients on a mix of requests: hits (variants made before the run, some with
// If-None-Match, some HEAD), misses (an original uploaded a moment before, at a size never asked
// for), herds (one cold variant requested by many clients at once) and bad requests (not an
// image, corrupt, a pixel flood, a missing original, malformed and disallowed URLs). Every answer
// is checked against the contract; the devserver's memory (VmRSS, VmHWM) is sampled throughout.
// At the end every variant in the bucket is downloaded and must decode to its exact size, and
// every variant that was served must be in the bucket. It prints a summary and exits 1 on any
// unexpected status, lost or corrupt variant, or memory over -max-rss-mb.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

var sizes = []string{"800x600", "400x300", "200x150"}

type options struct {
	duration    time.Duration
	clients     int
	herd        int
	maxRequests int64
	maxRSSMB    int
	keep        bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long the load runs (at most 10m)")
	flag.IntVar(&o.clients, "clients", 16, "concurrent clients (besides the herds)")
	flag.IntVar(&o.herd, "herd", 24, "clients that request each cold variant at once")
	flag.Int64Var(&o.maxRequests, "max-requests", 2_000_000, "stop after this many requests")
	flag.IntVar(&o.maxRSSMB, "max-rss-mb", 1024, "fail if the devserver's peak RSS goes over this (the origin Lambda's memory)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder (logs, bucket) for a look afterwards")
	flag.Parse()
	if o.duration <= 0 || o.duration > 10*time.Minute || o.clients < 1 || o.clients > 256 || o.herd < 2 || o.herd > 256 {
		fmt.Fprintln(os.Stderr, "loadtest: -duration 1s..10m, -clients 1..256, -herd 2..256")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (bool, error) {
	dir, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		return false, err
	}
	if o.keep {
		fmt.Println("folder:", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	srv, dev, base, err := startServers(ctx, dir)
	if err != nil {
		return false, err
	}
	defer srv.Stop()
	defer dev.stop()

	// The originals.
	fmt.Printf("versitygw on %s, devserver (pid %d) on %s; uploading originals\n", srv.Endpoint, dev.cmd.Process.Pid, base)
	lt := &loadTest{o: o, base: base, s3: srv, photos: photos(), served: map[string]string{}}
	if err := lt.upload(ctx); err != nil {
		return false, err
	}
	lt.http = &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: o.clients + o.herd, MaxConnsPerHost: 0, DisableCompression: true},
		Timeout:   60 * time.Second,
		// A redirect would be an unexpected answer: count it, do not follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if err := lt.warm(ctx); err != nil {
		return false, err
	}

	// The load, with the devserver's memory sampled throughout.
	mem := &memSampler{pid: dev.cmd.Process.Pid}
	memCtx, memStop := context.WithCancel(ctx)
	go mem.run(memCtx)
	fmt.Printf("load: %d clients + herds of %d, for %v\n", o.clients, o.herd, o.duration)
	start := time.Now()
	lt.load(ctx)
	elapsed := time.Since(start)
	memStop()
	mem.sample()
	cpu := procCPU(dev.cmd.Process.Pid)

	// Every variant in the bucket decodes to its exact size; every served variant is there.
	check := lt.verify(context.Background())
	return lt.report(elapsed, mem, cpu, check), nil
}
