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
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "golang.org/x/image/webp"

	"github.com/imgorigin/imgorigin/handler/variantpath"
)

const (
	accessKey = "loadtest-access-key"
	secretKey = "loadtest-secret-key-0123456789"
	region    = "us-east-1"
	bucket    = "images"
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

// proc is a child process this program started and must end.
type proc struct {
	name string
	cmd  *exec.Cmd
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
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

	// versitygw
	gw, err := findBinary("versitygw")
	if err != nil {
		return false, err
	}
	s3addr, err := freePort()
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "s3"), 0o755); err != nil {
		return false, err
	}
	vgw, err := start(dir, "versitygw", gw, []string{"--port", s3addr, "--quiet", "posix", filepath.Join(dir, "s3")},
		[]string{"ROOT_ACCESS_KEY=" + accessKey, "ROOT_SECRET_KEY=" + secretKey})
	if err != nil {
		return false, err
	}
	defer vgw.stop()
	if err := waitPort(s3addr, 10*time.Second); err != nil {
		return false, fmt.Errorf("versitygw: %w", err)
	}
	endpoint := "http://" + s3addr
	client := s3Client(endpoint)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return false, fmt.Errorf("create bucket: %w", err)
	}

	// devserver
	root, err := moduleRoot()
	if err != nil {
		return false, err
	}
	bin := filepath.Join(dir, "devserver")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/devserver")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return false, fmt.Errorf("go build ./cmd/devserver: %w", err)
	}
	addr, err := freePort()
	if err != nil {
		return false, err
	}
	dev, err := start(dir, "devserver", bin, []string{"-addr", addr}, []string{
		"IMAGE_BUCKET=" + bucket, "AWS_ENDPOINT_URL_S3=" + endpoint, "S3_PATH_STYLE=true",
		"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secretKey, "AWS_REGION=" + region,
		"AWS_EC2_METADATA_DISABLED=true",
	})
	if err != nil {
		return false, err
	}
	defer dev.stop()
	if err := waitPort(addr, 10*time.Second); err != nil {
		return false, fmt.Errorf("devserver: %w (log in %s)", err, filepath.Join(dir, "devserver.log"))
	}
	base := "http://" + addr

	// The originals.
	fmt.Printf("versitygw on %s, devserver (pid %d) on %s; uploading originals\n", s3addr, dev.cmd.Process.Pid, addr)
	lt := &loadTest{o: o, base: base, client: client, photos: photos(), served: map[string]string{}}
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
	lt.herdMakes = herdMakes(filepath.Join(dir, "devserver.log"))
	return lt.report(elapsed, mem, cpu, check), nil
}

// kinds of request, with the statuses each may get.
type kind string

const (
	kHit     kind = "hit"
	kHit304  kind = "hit If-None-Match"
	kHead    kind = "hit HEAD"
	kMiss    kind = "miss"
	kHerd    kind = "herd (cold, many at once)"
	kBad     kind = "bad original"
	kMissing kind = "missing original"
	kJunk    kind = "malformed URL"
)

var kindOrder = []kind{kHit, kHit304, kHead, kMiss, kHerd, kBad, kMissing, kJunk}

type result struct {
	k      kind
	status int
	d      time.Duration
}

type loadTest struct {
	o      options
	base   string
	client *s3.Client
	http   *http.Client
	photos [][]byte

	hits  []string          // URL paths of variants made before the run
	etags map[string]string // their ETags
	bad   map[string]int    // URL path -> expected status

	seq      atomic.Int64 // fresh original names
	requests atomic.Int64

	mu          sync.Mutex
	results     []result
	unexpected  []string
	served      map[string]string // variant key -> sha256 of a body served with 200 for a miss or herd
	herds       int
	herdMakes   int // decodes for the herds' keys, from the devserver's log (-1: unknown)
	herdSplit   int // herds whose members got different bodies
	uploadFails int
}

// photos are the originals: smooth gradients with a little noise (they compress like photos),
// landscape and portrait, JPEG and PNG.
func photos() [][]byte {
	var out [][]byte
	rng := rand.New(rand.NewPCG(1, 2))
	for i, d := range [][2]int{{1600, 1200}, {1200, 1600}, {2048, 1152}, {1000, 1000}} {
		img := image.NewRGBA(image.Rect(0, 0, d[0], d[1]))
		for y := range d[1] {
			for x := range d[0] {
				n := uint8(rng.IntN(16))
				img.SetRGBA(x, y, color.RGBA{uint8(x*255/d[0]) + n, uint8(y*255/d[1]) + n, uint8(i*60) + n, 255})
			}
		}
		var b bytes.Buffer
		if i == 3 {
			_ = png.Encode(&b, img)
		} else {
			_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
		}
		out = append(out, b.Bytes())
	}
	return out
}

func ext(b []byte) string {
	if bytes.HasPrefix(b, []byte("\x89PNG")) {
		return ".png"
	}
	return ".jpg"
}

func (lt *loadTest) put(ctx context.Context, key string, body []byte) error {
	_, err := lt.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	return err
}

// upload stores the originals the hits and the bad requests use.
func (lt *loadTest) upload(ctx context.Context) error {
	for i, p := range lt.photos {
		name := fmt.Sprintf("hit/photo %d%s", i, ext(p))
		if err := lt.put(ctx, "originals/"+name, p); err != nil {
			return err
		}
		for _, s := range sizes {
			lt.hits = append(lt.hits, "/"+s+"/"+variantpath.EscapePath(name))
		}
	}
	jpg := lt.photos[0]
	flood := pngFlood()
	lt.bad = map[string]int{}
	for name, c := range map[string]struct {
		body   []byte
		status int
	}{
		"text.jpg":      {[]byte("this is not an image\n"), 415},
		"svg.jpg":       {[]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>`), 415},
		"empty.jpg":     {nil, 415},
		"truncated.jpg": {jpg[:len(jpg)/2], 422},
		"flood.png":     {flood, 422},
	} {
		if err := lt.put(ctx, "originals/bad/"+name, c.body); err != nil {
			return err
		}
		for _, s := range sizes {
			lt.bad["/"+s+"/bad/"+name] = c.status
		}
	}
	return nil
}

// pngFlood is a tiny PNG that declares 60000x60000 pixels.
func pngFlood() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	p := b.Bytes()
	p[16], p[17], p[18], p[19] = 0, 0, 0xEA, 0x60
	p[20], p[21], p[22], p[23] = 0, 0, 0xEA, 0x60
	crc := crc32.ChecksumIEEE(p[12:29])
	p[29], p[30], p[31], p[32] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return p
}

// warm makes every hit variant before the run and records its ETag.
func (lt *loadTest) warm(ctx context.Context) error {
	lt.etags = map[string]string{}
	for _, u := range lt.hits {
		res, err := lt.get(ctx, "GET", u, "")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("warming %s: %d", u, res.StatusCode)
		}
		lt.etags[u] = res.Header.Get("ETag")
	}
	return nil
}

func (lt *loadTest) get(ctx context.Context, method, path, inm string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, lt.base+path, nil)
	if err != nil {
		return nil, err
	}
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	return lt.http.Do(req)
}

// load runs the clients and the herds until the time or the request budget is spent.
func (lt *loadTest) load(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, lt.o.duration)
	defer cancel()
	var wg sync.WaitGroup
	for c := range lt.o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 99))
			for ctx.Err() == nil && lt.requests.Load() < lt.o.maxRequests {
				lt.one(ctx, rng)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil && lt.requests.Load() < lt.o.maxRequests {
			lt.herdOnce(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	wg.Wait()
}

// one sends one request of a kind drawn from the mix.
func (lt *loadTest) one(ctx context.Context, rng *rand.Rand) {
	switch n := rng.IntN(100); {
	case n < 45:
		u := lt.hits[rng.IntN(len(lt.hits))]
		lt.do(ctx, kHit, "GET", u, "", 200)
	case n < 52:
		u := lt.hits[rng.IntN(len(lt.hits))]
		lt.do(ctx, kHit304, "GET", u, lt.etags[u], 304)
	case n < 57:
		u := lt.hits[rng.IntN(len(lt.hits))]
		lt.do(ctx, kHead, "HEAD", u, "", 200)
	case n < 75:
		p, err := lt.fresh(ctx, rng, "miss")
		if err != nil {
			return
		}
		lt.do(ctx, kMiss, "GET", "/"+sizes[rng.IntN(len(sizes))]+"/"+p, "", 200)
	case n < 85:
		keys := make([]string, 0, len(lt.bad))
		for k := range lt.bad {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		u := keys[rng.IntN(len(keys))]
		lt.do(ctx, kBad, "GET", u, "", lt.bad[u])
	case n < 92:
		lt.do(ctx, kMissing, "GET", fmt.Sprintf("/%s/nowhere/%d.jpg", sizes[rng.IntN(len(sizes))], rng.IntN(1_000_000)), "", 404)
	default:
		junk := []string{
			fmt.Sprintf("/%dx%d/hit/photo%%200.jpg", 1+rng.IntN(5000), 1+rng.IntN(5000)), // cache busting
			"/800x600/../originals/hit/photo%200.jpg", "/800x600/%2e%2e/x.jpg", "/0x0/a.jpg",
			"/800x600x1/a.jpg", "/0800x600/a.jpg", "/99999999x1/a.jpg", "/abc/a.jpg", "/800x600//a.jpg",
			"/800x600/a%00.jpg", "/800x600/", "/-1x5/a.jpg",
		}
		lt.do(ctx, kJunk, "GET", junk[rng.IntN(len(junk))], "", 400)
	}
}

// fresh uploads a new original (a copy of a photo under a new name) and returns its URL path.
func (lt *loadTest) fresh(ctx context.Context, rng *rand.Rand, dir string) (string, error) {
	p := lt.photos[rng.IntN(len(lt.photos))]
	name := fmt.Sprintf("%s/%d%s", dir, lt.seq.Add(1), ext(p))
	if err := lt.put(ctx, "originals/"+name, p); err != nil {
		if ctx.Err() == nil {
			lt.mu.Lock()
			lt.uploadFails++
			lt.mu.Unlock()
		}
		return "", err
	}
	return name, nil
}

// do sends one request and records its status and latency; an answer other than want is
// unexpected. A 200 for a miss or a herd records the body's hash under the variant's key.
func (lt *loadTest) do(ctx context.Context, k kind, method, path, inm string, want int) (int, string) {
	lt.requests.Add(1)
	start := time.Now()
	res, err := lt.get(ctx, method, path, inm)
	if err != nil {
		if ctx.Err() == nil {
			lt.fail(fmt.Sprintf("%s %s %s: %v", k, method, path, err))
		}
		return 0, ""
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil && ctx.Err() != nil {
		return 0, "" // the run ended under this request
	}
	lt.mu.Lock()
	lt.results = append(lt.results, result{k, res.StatusCode, d})
	lt.mu.Unlock()
	if err != nil || res.StatusCode != want {
		lt.fail(fmt.Sprintf("%s %s %s: %d (want %d) %q %v", k, method, path, res.StatusCode, want, clip(body), err))
		return res.StatusCode, ""
	}
	if want >= 400 && res.Header.Get("Cache-Control") == "" {
		lt.fail(fmt.Sprintf("%s %s: %d without Cache-Control", k, path, res.StatusCode))
	}
	sum := fmt.Sprintf("%x", sha256.Sum256(body))
	if (k == kMiss || k == kHerd) && res.StatusCode == 200 {
		v, _ := variantpath.ParseEscaped(path)
		key := v.Key()
		lt.mu.Lock()
		lt.served[key] = sum
		lt.mu.Unlock()
	}
	return res.StatusCode, sum
}

// herdOnce uploads a cold original and has o.herd clients request the same variant at once.
func (lt *loadTest) herdOnce(ctx context.Context) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	p, err := lt.fresh(ctx, rng, "herd")
	if err != nil {
		return
	}
	u := "/" + sizes[rng.IntN(len(sizes))] + "/" + p
	var wg sync.WaitGroup
	gate := make(chan struct{})
	sums := make([]string, lt.o.herd)
	for i := range lt.o.herd {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			_, sums[i] = lt.do(ctx, kHerd, "GET", u, "", 200)
		}()
	}
	close(gate)
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	lt.herds++
	for _, s := range sums {
		if s != sums[0] {
			lt.herdSplit++
			lt.unexpected = append(lt.unexpected, "herd "+u+": clients got different bodies")
			break
		}
	}
}

func (lt *loadTest) fail(msg string) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	lt.unexpected = append(lt.unexpected, msg)
}

type verifyResult struct {
	variants, ok, corrupt, lost, stray int
	problems                           []string
}

// verify downloads every variant in the bucket and decodes it; every variant served for a miss
// or a herd must be there with the same bytes; no variant may exist for a bad original.
func (lt *loadTest) verify(ctx context.Context) verifyResult {
	var v verifyResult
	stored := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(lt.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	var keys []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			v.problems = append(v.problems, "list: "+err.Error())
			return v
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, k := range keys {
		if strings.HasPrefix(k, "originals/") {
			continue
		}
		w, h, ok := parseSize(k)
		mu.Lock()
		v.variants++
		stored[k] = true
		if !ok || strings.Contains(k, "/bad/") || !slices.Contains(sizes, fmt.Sprintf("%dx%d", w, h)) {
			v.stray++
			v.problems = append(v.problems, "stray object "+k)
			mu.Unlock()
			continue
		}
		mu.Unlock()
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			problem := ""
			out, err := lt.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
			var body []byte
			if err == nil {
				body, err = io.ReadAll(out.Body)
				out.Body.Close()
			}
			if err != nil {
				problem = fmt.Sprintf("%s: %v", k, err)
			} else if img, _, err := image.Decode(bytes.NewReader(body)); err != nil {
				problem = fmt.Sprintf("%s: does not decode: %v", k, err)
			} else if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
				problem = fmt.Sprintf("%s: %v, want %dx%d", k, b.Size(), w, h)
			} else if want, ok := lt.served[k]; ok && want != fmt.Sprintf("%x", sha256.Sum256(body)) {
				problem = fmt.Sprintf("%s: stored bytes differ from those served", k)
			}
			mu.Lock()
			defer mu.Unlock()
			if problem != "" {
				v.corrupt++
				v.problems = append(v.problems, problem)
			} else {
				v.ok++
			}
		}()
	}
	wg.Wait()
	for k := range lt.served {
		if !stored[k] {
			v.lost++
			v.problems = append(v.problems, "served but not stored: "+k)
		}
	}
	return v
}

// herdMakes counts the decodes the devserver made for the herds' keys: its request log says
// cache=made with the shared miss's transform_ms for every caller that waited on one decode,
// so distinct (key, transform_ms) pairs are distinct decodes. Informational: -1 if unreadable.
func herdMakes(logPath string) int {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return -1
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, "cache=made") || !strings.Contains(l, "key=") {
			continue
		}
		var key, tr string
		for _, f := range strings.Fields(l) {
			if v, ok := strings.CutPrefix(f, "key="); ok {
				key = v
			}
			if v, ok := strings.CutPrefix(f, "transform_ms="); ok {
				tr = v
			}
		}
		if _, rest, ok := strings.Cut(key, "/"); ok && strings.HasPrefix(rest, "herd/") && tr != "" {
			seen[key+" "+tr] = true
		}
	}
	return len(seen)
}

// report prints the summary and says whether the run passed.
func (lt *loadTest) report(elapsed time.Duration, mem *memSampler, cpu time.Duration, v verifyResult) bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	byKind := map[kind][]result{}
	for _, r := range lt.results {
		byKind[r.k] = append(byKind[r.k], r)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\trequests\tstatuses\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	line := func(name string, rs []result) {
		ds := make([]time.Duration, len(rs))
		st := map[int]int{}
		for i, r := range rs {
			ds[i] = r.d
			st[r.status]++
		}
		slices.Sort(ds)
		var codes []string
		for _, c := range slices.Sorted(maps.Keys(st)) {
			codes = append(codes, fmt.Sprintf("%d:%d", c, st[c]))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, len(rs), strings.Join(codes, " "),
			pct(ds, 50), pct(ds, 90), pct(ds, 99), pct(ds, 100))
	}
	for _, k := range kindOrder {
		line(string(k), byKind[k])
	}
	line("all", lt.results)
	tw.Flush()

	rps := float64(len(lt.results)) / elapsed.Seconds()
	fmt.Printf("\n%d requests in %.1fs: %.0f req/s; %d herds of %d: %d decodes (from the devserver log), %d split answers; %d upload failures\n",
		len(lt.results), elapsed.Seconds(), rps, lt.herds, lt.o.herd, lt.herdMakes, lt.herdSplit, lt.uploadFails)
	fmt.Printf("devserver memory: peak RSS (VmHWM) %.1f MB, highest sampled VmRSS %.1f MB, last VmRSS %.1f MB; CPU %.1fs (%.0f%% of one core)\n",
		mb(mem.hwm.Load()), mb(mem.maxRSS.Load()), mb(mem.lastRSS.Load()), cpu.Seconds(), 100*cpu.Seconds()/elapsed.Seconds())
	fmt.Printf("bucket: %d variants, %d decode to their exact size, %d corrupt, %d stray, %d served but lost\n",
		v.variants, v.ok, v.corrupt, v.stray, v.lost)

	ok := true
	if n := len(lt.unexpected); n > 0 {
		ok = false
		fmt.Printf("\nUNEXPECTED: %d\n", n)
		for _, u := range lt.unexpected[:min(n, 20)] {
			fmt.Println("  " + u)
		}
	}
	if len(v.problems) > 0 {
		ok = false
		fmt.Printf("\nBUCKET PROBLEMS: %d\n", len(v.problems))
		for _, p := range v.problems[:min(len(v.problems), 20)] {
			fmt.Println("  " + p)
		}
	}
	if lt.uploadFails > 0 {
		ok = false
	}
	if hwm := mb(mem.hwm.Load()); hwm > float64(lt.o.maxRSSMB) {
		ok = false
		fmt.Printf("\nMEMORY: peak RSS %.0f MB over %d MB\n", hwm, lt.o.maxRSSMB)
	}
	if len(lt.results) == 0 {
		ok = false
	}
	if ok {
		fmt.Println("\nPASS: zero unexpected statuses, zero lost or corrupt variants")
	} else {
		fmt.Println("\nFAIL")
	}
	return ok
}

func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	return float64(ds[min(max(i-1, 0), len(ds)-1)].Microseconds()) / 1000
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// parseSize reads <W>x<H>/ at the start of a variant key.
func parseSize(key string) (int, int, bool) {
	s, _, ok := strings.Cut(key, "/")
	if !ok {
		return 0, 0, false
	}
	ws, hs, ok := strings.Cut(s, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	return w, h, ok && err1 == nil && err2 == nil && w > 0 && h > 0
}

// memSampler reads the devserver's VmRSS and VmHWM every 100 ms.
type memSampler struct {
	pid                  int
	hwm, maxRSS, lastRSS atomic.Int64 // kB
}

func (m *memSampler) run(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		m.sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *memSampler) sample() {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.pid))
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			m.hwm.Store(v)
		case "VmRSS:":
			m.lastRSS.Store(v)
			if v > m.maxRSS.Load() {
				m.maxRSS.Store(v)
			}
		}
	}
}

// procCPU is the user+system CPU time of pid so far.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / 100 // USER_HZ
}

// start runs a program with its output in dir/<name>.log.
func start(dir, name, bin string, args, env []string) (*proc, error) {
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive this program
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return &proc{name: name, cmd: cmd}, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitPort(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listening on %s after %v", addr, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findBinary looks on PATH, then in $(go env GOPATH)/bin (where `make tools` installs).
func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in GOPATH/bin: run `make tools`", name)
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the module (go env GOMOD is empty)")
	}
	return filepath.Dir(mod), nil
}

func s3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     region,
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}
