package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bbrks/go-blurhash"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/fsstore"
	"github.com/imgorigin/imgorigin/internal/app"
)

// The page's own route /_crops/<path>: the box of the first size's aspect each policy chooses,
// through the real imaging code, on the landscape fixture whose figure is at x 1600-1899 of
// 2000x800 (a centre crop misses it, attention holds it); the sidecar's focal point is listed too.
func TestCropsPage(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "subject-landscape.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "originals", "people"), 0o755); err != nil {
		t.Fatal(err)
	}
	orig := filepath.Join(dir, "originals", "people", "ana at the lake.jpg")
	if err := os.WriteFile(orig, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orig+fsstore.SidecarSuffix, []byte(`{"focal-point":"0.875,0.5625"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	originals, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	c := &cropsPage{originals: originals, prefix: cfg.OriginalsPrefix, sizes: cfg.Sizes, resizers: map[focus.Source]handler.Resizer{}}
	for _, p := range []focus.Source{focus.FromAttention, focus.FromEntropy} {
		pc := cfg
		pc.Crop = p
		c.resizers[p] = app.Resizer(pc)
	}

	w := httptest.NewRecorder()
	c.ServeHTTP(w, httptest.NewRequest("GET", "/_crops/people/ana%20at%20the%20lake.jpg", nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var got []policyBox
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	boxes := map[focus.Source][4]int{}
	for _, b := range got {
		boxes[b.Policy] = [4]int{b.Box.X, b.Box.Y, b.Box.Width, b.Box.Height}
	}
	for p, want := range map[focus.Source][4]int{
		focus.FromCentre:    {466, 0, 1067, 800}, // misses the figure
		focus.FromAttention: {933, 0, 1067, 800}, // holds it
		focus.FromMetadata:  {933, 0, 1067, 800},
	} {
		if boxes[p] != want {
			t.Errorf("%s box %v, want %v", p, boxes[p], want)
		}
	}
	if _, ok := boxes[focus.FromEntropy]; !ok || len(got) != 4 {
		t.Errorf("policies %v", got)
	}

	for target, want := range map[string]int{"/_crops/people/missing.jpg": 404, "/_crops/a//b.jpg": 400} {
		w := httptest.NewRecorder()
		c.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		if w.Code != want {
			t.Errorf("%s: %d, want %d", target, w.Code, want)
		}
	}

	// The page lists the original with its /meta and /_crops URLs and every variant.
	page := &indexPage{dir: dir, prefix: cfg.OriginalsPrefix, sizes: cfg.Sizes, policy: focus.FromAttention}
	w = httptest.NewRecorder()
	page.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	body := w.Body.String()
	for _, s := range []string{`data-meta="/meta/people/ana%20at%20the%20lake.jpg"`, `data-crops="/_crops/people/ana%20at%20the%20lake.jpg"`,
		`data-src="/200x150/people/ana%20at%20the%20lake.jpg"`, "CROP=attention", "blurhashURL"} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	if strings.Contains(body, "metadata.json\"") || w.Code != http.StatusOK {
		t.Errorf("page %d lists the sidecar", w.Code)
	}
}

// The page's BlurHash decoder (JavaScript, run by node with a stand-in canvas) paints the same
// pixels as go-blurhash, the library the placeholders are encoded with.
func TestPageBlurHashDecoder(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	var page bytes.Buffer
	if err := pageTmpl.Execute(&page, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	script := page.String()
	start, end := strings.Index(script, "<script>")+len("<script>"), strings.Index(script, "const ratioOf")
	if start < len("<script>") || end < start {
		t.Fatal("no BlurHash decoder in the page")
	}
	const hash, w, h = "LXJuGoX.fQ-A.AsUfQbcO@wIfQS$", 32, 24
	harness := script[start:end] + `
let painted;
globalThis.document = {createElement: () => ({getContext: () => ({
  createImageData: (w, h) => ({data: new Uint8ClampedArray(w * h * 4)}),
  putImageData: img => { painted = img; }}), toDataURL: () => "data:image/png;base64,"})};
blurhashURL("` + hash + `", ` + strconv.Itoa(w) + `, ` + strconv.Itoa(h) + `);
process.stdout.write(JSON.stringify(Array.from(painted.data)));
`
	out, err := exec.Command(node, "-e", harness).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var px []int
	if err := json.Unmarshal(out, &px); err != nil || len(px) != w*h*4 {
		t.Fatalf("node painted %d values: %v", len(px), err)
	}
	want, err := blurhash.Decode(hash, w, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	for y := range h {
		for x := range w {
			r, g, b, _ := want.At(x, y).RGBA()
			o := 4 * (x + y*w)
			for i, c := range []uint32{r >> 8, g >> 8, b >> 8} {
				if d := px[o+i] - int(c); d < -2 || d > 2 || px[o+3] != 255 {
					t.Fatalf("(%d,%d) channel %d: page %d, go-blurhash %d", x, y, i, px[o+i], c)
				}
			}
		}
	}
}
