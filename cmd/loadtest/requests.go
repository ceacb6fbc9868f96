package main

import (
	"github.com/imgorigin/imgorigin/handler/variantpath"

	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgorigin/imgorigin/internal/s3test"
)

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
	s3     *s3test.Server
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
	herdMakes   int // decodes for the herds' keys, from Server-Timing
	herdSplit   int // herds whose members got different bodies
	uploadFails int
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

// answer is what do saw of a response: the status, the body's sha256 (for a wanted answer) and
// the Server-Timing header.
type answer struct {
	status      int
	sum, timing string
}

// do sends one request and records its status and latency; an answer other than want is
// unexpected. A 200 for a miss or a herd records the body's hash under the variant's key.
func (lt *loadTest) do(ctx context.Context, k kind, method, path, inm string, want int) answer {
	lt.requests.Add(1)
	start := time.Now()
	res, err := lt.get(ctx, method, path, inm)
	if err != nil {
		if ctx.Err() == nil {
			lt.fail(fmt.Sprintf("%s %s %s: %v", k, method, path, err))
		}
		return answer{}
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil && ctx.Err() != nil {
		return answer{} // the run ended under this request
	}
	lt.mu.Lock()
	lt.results = append(lt.results, result{k, res.StatusCode, d})
	lt.mu.Unlock()
	if err != nil || res.StatusCode != want {
		lt.fail(fmt.Sprintf("%s %s %s: %d (want %d) %q %v", k, method, path, res.StatusCode, want, clip(body), err))
		return answer{status: res.StatusCode}
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
	return answer{res.StatusCode, sum, res.Header.Get("Server-Timing")}
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
	answers := make([]answer, lt.o.herd)
	for i := range lt.o.herd {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			answers[i] = lt.do(ctx, kHerd, "GET", u, "", 200)
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
	lt.herdMakes += decodes(answers)
	for _, a := range answers {
		if a.sum != answers[0].sum {
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

// decodes counts the decodes behind a herd's answers from their Server-Timing headers. Every
// caller that waited on one shared miss gets "made" with that miss's transform and store times
// (its total and fetch are its own); an answer from the LRU or the bucket was no decode. So the
// distinct transform and store times of the "made" answers are the distinct decodes.
func decodes(answers []answer) int {
	seen := map[string]bool{}
	for _, a := range answers {
		parts := strings.Split(a.timing, ", ")
		if a.status != 200 || !strings.HasPrefix(parts[0], "made;") {
			continue
		}
		var work []string
		for _, p := range parts[1:] {
			if strings.HasPrefix(p, "transform;") || strings.HasPrefix(p, "store;") {
				work = append(work, p)
			}
		}
		seen[strings.Join(work, ", ")] = true
	}
	return len(seen)
}
