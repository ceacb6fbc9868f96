package main

import (
	"context"
	"testing"
	"time"
)

// TestShortLoad runs the whole load test briefly (versitygw, the devserver built from this tree,
// every kind of request): every answer must be one the contract allows, every stored variant
// and /meta document must read back exact, none lost. It is what `make load` checks, small
// enough for `make test`, so that a change of the key layout or the contract cannot leave
// `make load` broken unnoticed.
func TestShortLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw and the devserver")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ok, err := run(ctx, options{duration: 3 * time.Second, clients: 4, herd: 4, maxRequests: 400, maxRSSMB: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("the load test found unexpected answers or lost, stray or corrupt objects (summary above)")
	}
}
