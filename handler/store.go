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
	ETag         string            // the store's entity tag (read back on Get and Head)
	Metadata     map[string]string // user metadata (S3 x-amz-meta-*); variants record MetaSourceETag
}

// MetaSourceETag is the variant metadata key holding the ETag of the original the variant was
// made from, so that a stale variant can be recognised.
const MetaSourceETag = "source-etag"

// Cond makes a Put conditional, so that concurrent writers never clobber each other.
type Cond struct {
	IfNoneMatch bool   // write only if the key does not exist (If-None-Match: *)
	IfMatch     string // write only if the key's ETag is this one
}

// Store reads and writes whole objects by key. Get and Head wrap fs.ErrNotExist when the key is
// missing; a Put whose Cond does not hold wraps ErrPrecondition; Delete of a missing key is not
// an error. s3store.Bucket and fsstore.Dir implement it; the handler uses one for originals
// and one for variants (the same bucket on AWS, two folders locally).
type Store interface {
	Get(ctx context.Context, key string) (*Object, error)
	Head(ctx context.Context, key string) (*Object, error)
	Put(ctx context.Context, key string, obj *Object, cond Cond) error
	Delete(ctx context.Context, key string) error
}

// Errors a Store or Resizer wraps so that the handler can choose the status (see status.go).
var (
	// ErrUnavailable: the store cannot be reached or asks us to slow down, after retries (503).
	ErrUnavailable = errors.New("storage unavailable")
	// ErrPrecondition: a conditional Put lost a race with another writer.
	ErrPrecondition = errors.New("precondition failed")
	// ErrUnsupported: the original is not an image format the service reads (415).
	ErrUnsupported = errors.New("unsupported image format")
	// ErrInvalid: the original is corrupt or truncated (422).
	ErrInvalid = errors.New("corrupt or unreadable image")
	// ErrTooLarge: the original is over a limit: bytes, pixels or frames (422).
	ErrTooLarge = errors.New("image over the limits")
)
