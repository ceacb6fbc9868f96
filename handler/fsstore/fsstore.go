// Package fsstore is a handler.Store over a local folder, for the local server and tests.
// os.Root keeps every key inside the folder, whatever it contains.
package fsstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// Get reads the file at key. The content type is sniffed: a folder keeps no metadata.
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
	return &handler.Object{Body: b, ContentType: format.Sniff(b).ContentType()}, nil
}

// Put writes the file at key atomically: a temporary file beside it, then a rename, so a reader
// never sees half a variant.
func (d *Dir) Put(_ context.Context, key string, obj *handler.Object) error {
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
	tmp := key + ".tmp-" + hex.EncodeToString(rnd[:])
	if err := d.root.WriteFile(tmp, obj.Body, 0o644); err != nil {
		_ = d.root.Remove(tmp)
		return err
	}
	if err := d.root.Rename(tmp, key); err != nil {
		_ = d.root.Remove(tmp)
		return err
	}
	return nil
}
