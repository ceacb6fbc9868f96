package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"slices"
	"strconv"
	"strings"
	"sync"

	_ "golang.org/x/image/webp"
)

type verifyResult struct {
	variants, ok, corrupt, lost, stray int
	problems                           []string
}

// verify downloads every variant in the bucket and decodes it; every variant served for a miss
// or a herd must be there with the same bytes; no variant may exist for a bad original.
func (lt *loadTest) verify(ctx context.Context) verifyResult {
	var v verifyResult
	stored := map[string]bool{}
	keys, err := lt.s3.List(ctx)
	if err != nil {
		v.problems = append(v.problems, "list: "+err.Error())
		return v
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
			body, err := lt.s3.GetObject(ctx, k)
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
