package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"

	"github.com/imgorigin/imgorigin/handler/meta"
	"github.com/imgorigin/imgorigin/handler/variantpath"
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
		if _, isDoc := strings.CutPrefix(k, meta.KeyPrefix+"/"); isDoc {
			// A /meta document (the server writes one per original it pre-warms or analyses).
			mu.Lock()
			if problem := lt.checkDoc(ctx, k); problem != "" {
				v.stray++
				v.problems = append(v.problems, problem)
			}
			mu.Unlock()
			continue
		}
		vp, err := variantpath.ParseKey(k)
		w, h, ok := vp.Size.W, vp.Size.H, err == nil
		mu.Lock()
		v.variants++
		stored[k] = true
		if !ok || strings.Contains(k, "/bad/") || !slices.Contains(sizes, vp.Size.String()) {
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

// checkDoc reads the /meta document at key: it must parse, and no bad original has one.
func (lt *loadTest) checkDoc(ctx context.Context, key string) string {
	if strings.Contains(key, "/bad/") {
		return "stray object " + key
	}
	body, err := lt.s3.GetObject(ctx, key)
	if err != nil {
		return fmt.Sprintf("%s: %v", key, err)
	}
	if _, err := meta.Parse(body); err != nil {
		return fmt.Sprintf("%s: not a /meta document: %v", key, err)
	}
	return ""
}
