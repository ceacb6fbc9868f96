package handler

import (
	"context"
	"errors"
)

// Object is a stored file: an original or a variant.
type Object struct {
	Body         []byte
	ContentType  string
	CacheControl string            // set on variants when they are written
	ETag         string            // the store's entity tag, when it has one
	Metadata     map[string]string // user metadata (S3 x-amz-meta-*)
}

// Store reads and writes whole objects by key. Get wraps fs.ErrNotExist when the key is
// missing. s3store.Bucket and fsstore.Dir implement it; the handler uses one for originals and
// one for variants (the same bucket on AWS, two folders locally).
type Store interface {
	Get(ctx context.Context, key string) (*Object, error)
	Put(ctx context.Context, key string, obj *Object) error
}

// Errors a Store or Resizer wraps so that the handler can choose the status (see status.go).
var (
	// ErrUnavailable: the store cannot be reached or asks us to slow down, after retries (503).
	ErrUnavailable = errors.New("storage unavailable")
	// ErrUnsupported: the original is not an image format the service reads (415).
	ErrUnsupported = errors.New("unsupported image format")
	// ErrInvalid: the original is corrupt or truncated (422).
	ErrInvalid = errors.New("corrupt or unreadable image")
	// ErrTooLarge: the original is over a limit: bytes, pixels or frames (422).
	ErrTooLarge = errors.New("image over the limits")
)
