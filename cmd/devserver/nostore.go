package main

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/imgorigin/imgorigin/handler"
)

// noStore is the variants store of -store-nothing: it holds nothing and keeps nothing, so that
// every request is a miss (read the original, decode, resize, encode) and nothing is written.
// For benchmarks of the miss path; never for serving.
type noStore struct{}

var _ handler.Store = noStore{}

func (noStore) Get(_ context.Context, key string) (*handler.Object, error) {
	return nil, fmt.Errorf("%s: -store-nothing: %w", key, fs.ErrNotExist)
}

func (s noStore) Head(ctx context.Context, key string) (*handler.Object, error) {
	return s.Get(ctx, key)
}

func (noStore) Put(context.Context, string, *handler.Object, handler.Cond) error { return nil }

func (noStore) Delete(context.Context, string) error { return nil }
