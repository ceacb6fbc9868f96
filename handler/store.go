package handler

import "context"

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

// MetaReplaced marks a variant written over one made from an older original: its CDN paths
// had to be invalidated. A retry of the upload event, which finds the variant fresh, still
// invalidates them (the first attempt's invalidation may be what failed).
const MetaReplaced = "replaced"

// Cond makes a Put conditional, so that concurrent writers never clobber each other.
type Cond struct {
	IfNoneMatch bool   // write only if the key does not exist (If-None-Match: *)
	IfMatch     string // write only if the key's ETag is this one
}

// Store reads and writes whole objects by key. Get and Head wrap fs.ErrNotExist when the key is
// missing; a Put whose Cond does not hold wraps ErrPrecondition; Delete of a missing key is not
// an error (errors.go lists the errors). s3store.Bucket and fsstore.Dir implement it; the handler uses one for originals
// and one for variants (the same bucket on AWS, two folders locally).
type Store interface {
	Get(ctx context.Context, key string) (*Object, error)
	Head(ctx context.Context, key string) (*Object, error)
	Put(ctx context.Context, key string, obj *Object, cond Cond) error
	Delete(ctx context.Context, key string) error
}
