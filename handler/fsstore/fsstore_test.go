package fsstore_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/fsstore"
)

var (
	pngBytes  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR rest of a png")
	jpegBytes = []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00 rest of a jpeg \xFF\xD9")
	gifBytes  = []byte("GIF89a rest of a gif;")
)

// open makes a store in base/store, with a secret file beside it (base/secret.txt) and an
// outside folder (base/outside/) that no key may reach.
func open(t *testing.T) (d *fsstore.Dir, base, dir string) {
	t.Helper()
	base = t.TempDir()
	dir = filepath.Join(base, "store")
	if err := os.WriteFile(filepath.Join(base, "secret.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(base, "outside"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, base, dir
}

func put(t *testing.T, d *fsstore.Dir, key string, body []byte) {
	t.Helper()
	if err := d.Put(context.Background(), key, &handler.Object{Body: body, ContentType: "text/plain"}, handler.Cond{}); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

// files lists every regular file and symlink under root, relative, with "/" separators.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func noTemps(t *testing.T, root string) {
	t.Helper()
	for _, f := range files(t, root) {
		if strings.Contains(f, ".tmp-") {
			t.Errorf("temporary file left behind: %s", f)
		}
	}
}

func TestOpenCreatesFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "c")
	d, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("Open did not create %s: %v", dir, err)
	}
}

func TestOpenOnAFileFails(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := fsstore.Open(f); err == nil {
		d.Close()
		t.Fatal("Open of a regular file succeeded")
	}
}

func TestPutGetRoundTrip(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	for _, tc := range []struct {
		key  string
		body []byte
		ct   string
	}{
		{"photo.png", pngBytes, "image/png"},
		{"photo.jpg", jpegBytes, "image/jpeg"},
		{"anim.gif", gifBytes, "image/gif"},
		{"notes.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "application/octet-stream"},
		{"empty", []byte{}, "application/octet-stream"},
		{"jpeg-named.png", jpegBytes, "image/jpeg"}, // sniffed, never taken from the name
	} {
		// The content type given to Put is not kept: a folder has no metadata.
		if err := d.Put(ctx, tc.key, &handler.Object{Body: tc.body, ContentType: "text/plain"}, handler.Cond{}); err != nil {
			t.Fatalf("Put(%q): %v", tc.key, err)
		}
		o, err := d.Get(ctx, tc.key)
		if err != nil {
			t.Fatalf("Get(%q): %v", tc.key, err)
		}
		if !bytes.Equal(o.Body, tc.body) {
			t.Errorf("Get(%q) body = %q, want %q", tc.key, o.Body, tc.body)
		}
		if o.ContentType != tc.ct {
			t.Errorf("Get(%q) content type = %q, want %q", tc.key, o.ContentType, tc.ct)
		}
		sum := md5.Sum(tc.body)
		if want := `"` + hex.EncodeToString(sum[:]) + `"`; o.ETag != want {
			t.Errorf("Get(%q) ETag = %s, want %s (MD5, as S3 gives)", tc.key, o.ETag, want)
		}
		h, err := d.Head(ctx, tc.key)
		if err != nil || h.Body != nil || h.ContentType != tc.ct || h.ETag != o.ETag {
			t.Errorf("Head(%q) = %+v, %v; want Get without the body", tc.key, h, err)
		}
		// The file is where the key says, with the bytes given.
		b, err := os.ReadFile(filepath.Join(dir, tc.key))
		if err != nil || !bytes.Equal(b, tc.body) {
			t.Errorf("file %s: %q, %v", tc.key, b, err)
		}
	}
	// Overwrite.
	put(t, d, "photo.png", jpegBytes)
	if o, err := d.Get(ctx, "photo.png"); err != nil || !bytes.Equal(o.Body, jpegBytes) || o.ContentType != "image/jpeg" {
		t.Errorf("after overwrite: %+v, %v", o, err)
	}
	noTemps(t, dir)
}

func TestNestedKeys(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	keys := []string{
		"originals/nested/summer 2024/beach+sunset.jpg",
		"800x600/nested/summer 2024/beach+sunset.jpg",
		"originals/café/日本.jpg",
		"originals/a+b/c d+e/100%.jpg",
		"originals/deep/a/b/c/d/e/f/g/h/i/j.jpg",
		"originals/emoji/😀 🎉.png",
		"originals/" + strings.Repeat("日本", 40) + ".jpg", // a 244-byte file name: under NAME_MAX (255)
	}
	for i, k := range keys {
		body := append(append([]byte{}, jpegBytes...), byte(i))
		if err := d.Put(ctx, k, &handler.Object{Body: body}, handler.Cond{}); err != nil {
			t.Errorf("Put(%q): %v", k, err)
			continue
		}
		o, err := d.Get(ctx, k)
		if err != nil || !bytes.Equal(o.Body, body) {
			t.Errorf("Get(%q) = %v, %v", k, o, err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(k))); err != nil || !bytes.Equal(b, body) {
			t.Errorf("%s is not a file at its path: %v", k, err)
		}
	}
	// "/" made folders.
	for _, f := range []string{"originals/nested/summer 2024", "800x600/nested", "originals/café", "originals/a+b/c d+e"} {
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil || !st.IsDir() {
			t.Errorf("%s is not a folder: %v", f, err)
		}
	}
	// The folder is listable as an fs.FS, with the same names.
	b, err := fs.ReadFile(d.FS(), "originals/café/日本.jpg")
	if err != nil || !bytes.HasPrefix(b, jpegBytes) {
		t.Errorf("FS().ReadFile: %v", err)
	}
	noTemps(t, dir)
}

func TestGetMissing(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	put(t, d, "a/b/c.jpg", jpegBytes)
	put(t, d, "file.jpg", jpegBytes)
	for _, k := range []string{
		"missing.jpg",
		"a/missing.jpg",
		"missing/folder/x.jpg",
		"a",          // a folder is not an object
		"a/b",        // nor is a nested one
		".",          // nor the root
		"file.jpg/x", // a file used as a folder
		"",
		"a/b/c.jpg/",
		"a//b/c.jpg",
		"./a/b/c.jpg",
	} {
		o, err := d.Get(ctx, k)
		if err == nil {
			t.Errorf("Get(%q) = %+v, want an error", k, o)
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Get(%q): %v does not wrap fs.ErrNotExist", k, err)
		}
		if _, err := d.Head(ctx, k); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Head(%q): %v does not wrap fs.ErrNotExist", k, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "b", "c.jpg")); err != nil {
		t.Fatal(err)
	}
}

func TestEscapingKeys(t *testing.T) {
	d, base, dir := open(t)
	ctx := context.Background()

	// Links inside the folder that point outside it.
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(dir, "link-abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../secret.txt", filepath.Join(dir, "link-rel")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "outside"), filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(base, "secret.txt")
	keys := []string{
		"../secret.txt",
		"../x",
		"/etc/passwd",
		abs,
		"a/../../x",
		"a/../../secret.txt",
		"../store/../secret.txt",
		"..",
		"../outside/x",
		"./../secret.txt",
		"..\\secret.txt",
		"link-abs",
		"link-rel",
		"dirlink/x",
		"dirlink/../secret.txt",
	}
	for _, k := range keys {
		if o, err := d.Get(ctx, k); err == nil {
			t.Errorf("Get(%q) read %q from outside the folder", k, o.Body)
		}
		_ = d.Put(ctx, k, &handler.Object{Body: []byte("pwned")}, handler.Cond{})
		_ = d.Put(ctx, k, &handler.Object{Body: []byte("pwned")}, handler.Cond{IfNoneMatch: true})
		_ = d.Delete(ctx, k)
	}
	// Nothing beside the folder changed.
	if b, err := os.ReadFile(filepath.Join(base, "secret.txt")); err != nil || string(b) != "secret" {
		t.Errorf("secret.txt beside the folder = %q, %v", b, err)
	}
	if got := files(t, filepath.Join(base, "outside")); len(got) != 0 {
		t.Errorf("files written outside the folder: %v", got)
	}
	var besides []string
	for _, f := range files(t, base) {
		if !strings.HasPrefix(f, "store/") {
			besides = append(besides, f)
		}
	}
	if len(besides) != 1 || besides[0] != "secret.txt" {
		t.Errorf("files beside the folder: %v, want only secret.txt", besides)
	}
	for _, p := range []string{"/etc/passwd.tmp", filepath.Join(base, "x")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
	// Within the folder, nothing but what the links were replaced with (a Put over a link
	// replaces the link, never writes through it).
	for _, f := range files(t, dir) {
		if strings.Contains(f, ".tmp-") {
			t.Errorf("temporary file left behind: %s", f)
		}
	}
}

func TestPutRejectsBadKeys(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	for _, k := range []string{"", ".", "/", "/abs", "a/", "a//b", "../x", "a/./b", "a/../b"} {
		if err := d.Put(ctx, k, &handler.Object{Body: jpegBytes}, handler.Cond{}); err == nil {
			t.Errorf("Put(%q) succeeded", k)
		}
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("bad keys wrote %v", got)
	}
}

func TestPutOverAFolderFails(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	put(t, d, "a/b.jpg", jpegBytes)
	if err := d.Put(ctx, "a", &handler.Object{Body: jpegBytes}, handler.Cond{}); err == nil {
		t.Error("Put over a folder succeeded")
	}
	if err := d.Put(ctx, "a/b.jpg/c", &handler.Object{Body: jpegBytes}, handler.Cond{}); err == nil {
		t.Error("Put under a file succeeded")
	}
	if o, err := d.Get(ctx, "a/b.jpg"); err != nil || !bytes.Equal(o.Body, jpegBytes) {
		t.Errorf("a/b.jpg damaged: %v", err)
	}
	noTemps(t, dir)
}

func TestPutIsAtomic(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for i := range 20 {
		put(t, d, fmt.Sprintf("n/%d/x.jpg", i%3), big)
	}
	noTemps(t, dir)

	// Readers racing a writer see the old or the new file, never a part of one.
	a := append([]byte("A"), bytes.Repeat([]byte("a"), 1<<20)...)
	b := append([]byte("B"), bytes.Repeat([]byte("b"), 1<<20)...)
	put(t, d, "race.jpg", a)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan string, 100)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				o, err := d.Get(ctx, "race.jpg")
				if err != nil {
					errs <- fmt.Sprintf("Get during Put: %v", err)
					return
				}
				if !bytes.Equal(o.Body, a) && !bytes.Equal(o.Body, b) {
					errs <- fmt.Sprintf("Get during Put read %d bytes, neither version", len(o.Body))
					return
				}
			}
		}()
	}
	for i := range 30 {
		body := a
		if i%2 == 0 {
			body = b
		}
		put(t, d, "race.jpg", body)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	noTemps(t, dir)
}

func TestConcurrentPutsOneKey(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	const n = 16
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = bytes.Repeat([]byte{byte('a' + i)}, 256<<10+i)
	}
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- d.Put(ctx, "new/folder/same key.jpg", &handler.Object{Body: bodies[i]}, handler.Cond{})
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("concurrent Put: %v", err)
		}
	}
	o, err := d.Get(ctx, "new/folder/same key.jpg")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range bodies {
		if bytes.Equal(o.Body, b) {
			found = true
		}
	}
	if !found {
		t.Errorf("after concurrent Puts the file (%d bytes) is none of the bodies written", len(o.Body))
	}
	noTemps(t, dir)
	if got := files(t, dir); len(got) != 1 {
		t.Errorf("files: %v, want one", got)
	}
}

func TestConcurrentPutsNewFolders(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- d.Put(ctx, fmt.Sprintf("x/y/z/%d.jpg", i), &handler.Object{Body: jpegBytes}, handler.Cond{})
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("Put into a folder being created by another Put: %v", err)
		}
	}
	if got := files(t, dir); len(got) != 32 {
		t.Errorf("%d files, want 32", len(got))
	}
}

func TestPutIfNoneMatch(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	if err := d.Put(ctx, "v/a.jpg", &handler.Object{Body: jpegBytes}, handler.Cond{IfNoneMatch: true}); err != nil {
		t.Fatalf("first conditional Put: %v", err)
	}
	err := d.Put(ctx, "v/a.jpg", &handler.Object{Body: pngBytes}, handler.Cond{IfNoneMatch: true})
	if !errors.Is(err, handler.ErrPrecondition) {
		t.Errorf("second conditional Put: %v, want ErrPrecondition", err)
	}
	if o, _ := d.Get(ctx, "v/a.jpg"); o == nil || !bytes.Equal(o.Body, jpegBytes) {
		t.Error("the losing conditional Put changed the file")
	}
	noTemps(t, dir)

	// Of many racing conditional Puts, exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, losses := 0, 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := d.Put(ctx, "v/race.jpg", &handler.Object{Body: []byte{byte(i)}}, handler.Cond{IfNoneMatch: true})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, handler.ErrPrecondition):
				losses++
			default:
				t.Errorf("racing conditional Put: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || losses != 15 {
		t.Errorf("%d wins, %d losses; want 1 and 15", wins, losses)
	}
	noTemps(t, dir)
}

func TestPutIfMatch(t *testing.T) {
	d, _, _ := open(t)
	ctx := context.Background()
	put(t, d, "o.jpg", jpegBytes)
	cur, err := d.Head(ctx, "o.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "o.jpg", &handler.Object{Body: pngBytes}, handler.Cond{IfMatch: `"not-the-etag"`}); !errors.Is(err, handler.ErrPrecondition) {
		t.Errorf("Put with a stale If-Match: %v, want ErrPrecondition", err)
	}
	if err := d.Put(ctx, "missing.jpg", &handler.Object{Body: pngBytes}, handler.Cond{IfMatch: cur.ETag}); !errors.Is(err, handler.ErrPrecondition) {
		t.Errorf("Put If-Match on a missing key: %v, want ErrPrecondition", err)
	}
	if err := d.Put(ctx, "o.jpg", &handler.Object{Body: pngBytes}, handler.Cond{IfMatch: cur.ETag}); err != nil {
		t.Errorf("Put with the current ETag: %v", err)
	}
	if o, _ := d.Get(ctx, "o.jpg"); o == nil || !bytes.Equal(o.Body, pngBytes) {
		t.Error("Put with the current ETag did not write")
	}
}

func TestDelete(t *testing.T) {
	d, _, dir := open(t)
	ctx := context.Background()
	put(t, d, "a/b.jpg", jpegBytes)
	if err := d.Delete(ctx, "a/b.jpg"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(ctx, "a/b.jpg"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get after Delete: %v", err)
	}
	for _, k := range []string{"a/b.jpg", "missing.jpg", "no/such/folder.jpg"} {
		if err := d.Delete(ctx, k); err != nil {
			t.Errorf("Delete(%q) of a missing key: %v, want nil", k, err)
		}
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("files left: %v", got)
	}
}

// A sidecar "<key>.metadata.json" is the key's user metadata (the local focal point); a broken
// one is ignored.
func TestSidecarMetadata(t *testing.T) {
	dir := t.TempDir()
	d, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if err := d.Put(ctx, "people/ana.jpg", &handler.Object{Body: []byte("x")}, handler.Cond{}); err != nil {
		t.Fatal(err)
	}
	if o, _ := d.Head(ctx, "people/ana.jpg"); o.Metadata != nil {
		t.Fatalf("metadata %v without a sidecar", o.Metadata)
	}
	side := filepath.Join(dir, "people", "ana.jpg"+fsstore.SidecarSuffix)
	if err := os.WriteFile(side, []byte(`{"focal-point": "0.32,0.41"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func(context.Context, string) (*handler.Object, error){d.Get, d.Head} {
		o, err := get(ctx, "people/ana.jpg")
		if err != nil || o.Metadata["focal-point"] != "0.32,0.41" || len(o.Metadata) != 1 {
			t.Fatalf("metadata %v, %v", o.Metadata, err)
		}
	}
	if err := os.WriteFile(side, []byte(`{"focal-point": 0.3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := d.Get(ctx, "people/ana.jpg"); err != nil || o.Metadata != nil {
		t.Fatalf("broken sidecar: %v, %v", o.Metadata, err)
	}
}
