// Package fsstore is a handler.Store over a local folder, for the local server and tests.
// os.Root keeps every key inside the folder, whatever it contains.
package fsstore

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"syscall"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/format"
)

// Dir stores each key as a file under a folder; "/" in keys makes subfolders.
type Dir struct{ root *os.Root }

var _ handler.Store = (*Dir)(nil)

// Open creates dir if needed and opens it.
func Open(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Dir{root: root}, nil
}

// Close releases the folder.
func (d *Dir) Close() error { return d.root.Close() }

// FS is the folder as an fs.FS (for listing originals on the local server's page).
func (d *Dir) FS() fs.FS { return d.root.FS() }

// SidecarSuffix names the optional file beside a key that holds its user metadata, the local
// stand-in for S3's x-amz-meta-*: "people/ana.jpg.metadata.json" holds a JSON object of
// strings such as {"focal-point": "0.32,0.41"} for "people/ana.jpg". Only read: Put keeps no
// metadata. A sidecar that is not such an object is ignored.
const SidecarSuffix = ".metadata.json"

// Get reads the file at key, and its sidecar's metadata if there is one. The content type is
// sniffed.
func (d *Dir) Get(_ context.Context, key string) (*handler.Object, error) {
	if !fs.ValidPath(key) {
		return nil, fmt.Errorf("key %q: %w", key, fs.ErrNotExist)
	}
	b, err := d.root.ReadFile(key)
	if errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR) {
		err = fmt.Errorf("%w (%w)", fs.ErrNotExist, err) // a folder is not an object
	}
	if err != nil {
		return nil, err
	}
	return &handler.Object{Body: b, ContentType: format.Sniff(b).ContentType(), ETag: etag(b), Metadata: d.sidecar(key)}, nil
}

// sidecar is key's metadata from its sidecar file, or nil.
func (d *Dir) sidecar(key string) map[string]string {
	b, err := d.root.ReadFile(key + SidecarSuffix)
	if err != nil || len(b) > 64<<10 {
		return nil
	}
	var md map[string]string
	if json.Unmarshal(b, &md) != nil || len(md) == 0 {
		return nil
	}
	return md
}

// Head is Get without the body.
func (d *Dir) Head(ctx context.Context, key string) (*handler.Object, error) {
	o, err := d.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	o.Body = nil
	return o, nil
}

// Delete removes the file at key; a missing file is not an error.
func (d *Dir) Delete(_ context.Context, key string) error {
	if !fs.ValidPath(key) {
		return nil
	}
	if err := d.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// etag is the MD5 of the content in quotes, as S3 gives for a single-part upload.
func etag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// Put writes the file at key atomically: a temporary file beside it, then a rename (or, for
// cond.IfNoneMatch, a hard link, which fails if the key exists), so a reader never sees half a
// variant. Content type and metadata are not kept: Get sniffs the type.
func (d *Dir) Put(ctx context.Context, key string, obj *handler.Object, cond handler.Cond) error {
	if !fs.ValidPath(key) || key == "." {
		return fmt.Errorf("fsstore: invalid key %q", key)
	}
	if dir := path.Dir(key); dir != "." {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	// A short name beside the key: key+suffix could pass the file system's 255-byte name limit.
	tmp := path.Join(path.Dir(key), ".tmp-"+hex.EncodeToString(rnd[:]))
	if err := d.root.WriteFile(tmp, obj.Body, 0o644); err != nil {
		_ = d.root.Remove(tmp)
		return err
	}
	defer d.root.Remove(tmp)
	if cond.IfNoneMatch {
		if err := d.root.Link(tmp, key); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s exists: %w", key, handler.ErrPrecondition)
			}
			return err
		}
		return nil
	}
	if cond.IfMatch != "" {
		// Not atomic against another process; the folder store serves one local server.
		cur, err := d.Head(ctx, key)
		if err != nil || cur.ETag != cond.IfMatch {
			return fmt.Errorf("%s changed: %w", key, handler.ErrPrecondition)
		}
	}
	return d.root.Rename(tmp, key)
}
