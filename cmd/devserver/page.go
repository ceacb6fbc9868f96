package main

import (
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// indexPage lists every original under dir/prefix with its variants, so a person can look at
// the crops. The page itself is a client of the origin: for each original it reads
// /meta/<path> (the focal point, the box of each aspect, the placeholder painted under each
// variant before it loads) and the format and bytes of each variant, and /_crops/<path> (this
// server only) for the box each CROP policy would choose.
type indexPage struct {
	dir, prefix string
	sizes       []size.Size
	policy      focus.Source // the running CROP
}

type pageImage struct {
	Path     string
	Original string
	Meta     string // URL of its /meta document
	Crops    string // URL of /_crops
	Variants []pageVariant
}

type pageVariant struct {
	Size     string
	URL      string
	W, H     int
	DisplayW int
	DisplayH int
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>image origin</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;background:#f4f4f4;color:#222}
section{background:#fff;margin:0 0 1.5em;padding:1em;border-radius:6px}
.row{display:flex;gap:1em;align-items:flex-end;flex-wrap:wrap}
figure{margin:0}figcaption{font-size:12px;color:#666}
img{display:block;background:repeating-conic-gradient(#ddd 0 25%,#fff 0 50%) 0 0/16px 16px;background-size:cover}
code{background:#eee;padding:0 .3em}
.orig{position:relative;display:inline-block}
.box{position:absolute;border:2px solid;box-sizing:border-box;pointer-events:none}
.dot{position:absolute;width:12px;height:12px;margin:-6px 0 0 -6px;border-radius:50%;background:#f0f;border:2px solid #fff}
.centre{border-color:#999}.attention{border-color:#e33;border-style:dashed}.entropy{border-color:#33e;border-style:dotted}.metadata{border-color:#f0f}
.legend span{margin-right:1em}
</style>
<h1>Image origin, local</h1>
<p>Originals from <code>{{.Dir}}/{{.Prefix}}</code>; each variant is <code>GET /&lt;W&gt;x&lt;H&gt;/&lt;path&gt;</code>, made on first request and cached;
the facts about each original are <code>GET /meta/&lt;path&gt;</code>. Crop policy: <code>CROP={{.Policy}}</code>.
A focal point is set with a sidecar <code>&lt;original&gt;.metadata.json</code> holding <code>{"focal-point": "0.32,0.41"}</code> (then empty the cache folder).</p>
<p>Format: <select id="format"><option value="">as the original</option><option>avif</option><option>webp</option><option>original</option></select>
(<code>?format=</code>; until the output formats land every variant is in the original's format)</p>
<p class="legend">Boxes of the first aspect over each original: <span class="metadata">▭ focal point (metadata)</span><span style="color:#999">▭ centre</span><span style="color:#e33">▭ attention</span><span style="color:#33e">▭ entropy</span>; the dot is the focal point in use.</p>
{{range .Images}}<section data-meta="{{.Meta}}" data-crops="{{.Crops}}"><h2>{{.Path}}</h2><p class="facts">…</p><div class="row">
<figure><div class="orig"><img class="original" src="{{.Original}}" style="max-width:320px;max-height:320px" alt="original"></div><figcaption>original</figcaption></figure>
{{range .Variants}}<figure><a href="{{.URL}}"><img class="variant" data-src="{{.URL}}" data-w="{{.W}}" data-h="{{.H}}" width="{{.DisplayW}}" height="{{.DisplayH}}" alt="{{.Size}}"></a><figcaption>{{.Size}} <span class="took"></span></figcaption></figure>
{{end}}</div></section>
{{else}}<p>No originals found under <code>{{.Dir}}/{{.Prefix}}</code>.</p>{{end}}
<script>
// BlurHash decoding (https://github.com/woltapp/blurhash, the algorithm in ~30 lines).
const B83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
const d83 = s => [...s].reduce((v, c) => v * 83 + B83.indexOf(c), 0);
const toLinear = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
const toSRGB = v => { v = Math.max(0, Math.min(1, v)); return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * Math.pow(v, 1 / 2.4) - 0.055) * 255); };
const signPow = (v, e) => Math.sign(v) * Math.pow(Math.abs(v), e);
function blurhashURL(hash, w, h) {
  const n = d83(hash[0]), nx = n % 9 + 1, ny = Math.floor(n / 9) + 1, max = (d83(hash[1]) + 1) / 166;
  const dc = d83(hash.slice(2, 6)), cs = [[toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]];
  for (let i = 1; i < nx * ny; i++) {
    const v = d83(hash.slice(4 + i * 2, 6 + i * 2));
    cs.push([Math.floor(v / 361), Math.floor(v / 19) % 19, v % 19].map(q => signPow((q - 9) / 9, 2) * max));
  }
  const cv = document.createElement("canvas"); cv.width = w; cv.height = h;
  const ctx = cv.getContext("2d"), img = ctx.createImageData(w, h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const c = [0, 0, 0];
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const b = Math.cos(Math.PI * x * i / w) * Math.cos(Math.PI * y * j / h), k = cs[i + j * nx];
      c[0] += k[0] * b; c[1] += k[1] * b; c[2] += k[2] * b;
    }
    const o = 4 * (x + y * w);
    img.data[o] = toSRGB(c[0]); img.data[o + 1] = toSRGB(c[1]); img.data[o + 2] = toSRGB(c[2]); img.data[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return cv.toDataURL();
}
const ratioOf = (w, h) => { const g = (a, b) => b ? g(b, a % b) : a; const d = g(w, h); return (w / d) + ":" + (h / d); };
function drawBox(orig, doc, b, cls) {
  const s = orig.querySelector("img").clientWidth / doc.width, d = document.createElement("div");
  d.className = "box " + cls; d.title = cls;
  Object.assign(d.style, {left: b.x * s + "px", top: b.y * s + "px", width: b.width * s + "px", height: b.height * s + "px"});
  orig.appendChild(d);
}
async function show(sec) {
  const fmt = document.getElementById("format").value;
  const res = await fetch(sec.dataset.meta);
  const facts = sec.querySelector(".facts");
  if (!res.ok) { facts.textContent = "/meta: " + res.status + " " + (await res.text()); return; }
  const doc = await res.json();
  facts.textContent = doc.width + "x" + doc.height + " " + doc.format + ", focal point " + doc.focus.x + "," + doc.focus.y + " (" + doc.focus.source + "), placeholder " + doc.placeholder;
  // The placeholder of each variant's aspect, painted before the variant is requested.
  for (const img of sec.querySelectorAll("img.variant")) {
    const a = doc.aspects.find(a => a.ratio === ratioOf(+img.dataset.w, +img.dataset.h));
    if (a && a.placeholder) img.style.backgroundImage = "url(" + blurhashURL(a.placeholder, 32, Math.max(1, Math.round(32 * img.dataset.h / img.dataset.w))) + ")";
    const url = img.dataset.src + (fmt ? "?format=" + fmt : "");
    img.src = url; img.closest("a").href = url;
    fetch(url, {method: "HEAD"}).then(r => {
      img.parentNode.parentNode.querySelector(".took").textContent = (r.headers.get("Content-Type") || "?").replace("image/", "") + ", " + r.headers.get("Content-Length") + " B";
    });
  }
  const orig = sec.querySelector(".orig"), draw = async () => {
    orig.querySelectorAll(".box,.dot").forEach(e => e.remove());
    const s = orig.querySelector("img").clientWidth / doc.width, dot = document.createElement("div");
    dot.className = "dot"; dot.title = "focal point (" + doc.focus.source + ")";
    Object.assign(dot.style, {left: doc.focus.x * doc.width * s + "px", top: doc.focus.y * doc.height * s + "px"});
    const crops = await (await fetch(sec.dataset.crops)).json();
    for (const c of crops) drawBox(orig, doc, c.box, c.policy);
    orig.appendChild(dot);
  };
  const o = orig.querySelector("img");
  if (o.complete) draw(); else o.addEventListener("load", draw);
}
const all = () => document.querySelectorAll("section[data-meta]").forEach(show);
document.getElementById("format").addEventListener("change", all);
all();
</script>
</html>
`))

func (p *indexPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var imgs []pageImage
	root := os.DirFS(p.dir)
	_ = fs.WalkDir(root, strings.TrimSuffix(p.prefix, "/"), func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !looksLikeImage(name) {
			return nil
		}
		rel := strings.TrimPrefix(name, p.prefix)
		if variantpath.CheckPath(rel) != nil {
			return nil
		}
		img := pageImage{Path: rel, Original: "/" + variantpath.EscapePath(name),
			Meta: "/meta/" + variantpath.EscapePath(rel), Crops: cropsPrefix + variantpath.EscapePath(rel)}
		for _, s := range p.sizes {
			dw, dh := s.W, s.H
			if dw > 400 { // show big variants at half size; the link opens them whole
				dw, dh = dw/2, dh/2
			}
			img.Variants = append(img.Variants, pageVariant{Size: s.String(), URL: variantpath.Variant{Size: s, Path: rel}.URLPath(), W: s.W, H: s.H, DisplayW: dw, DisplayH: dh})
		}
		imgs = append(imgs, img)
		return nil
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = pageTmpl.Execute(w, map[string]any{"Dir": p.dir, "Prefix": p.prefix, "Images": imgs, "Policy": p.policy})
}

// cropsPrefix is this server's own route: GET /_crops/<path> is the box of the first size's
// aspect that each policy would choose for the original at path, for the page to draw.
const cropsPrefix = "/_crops/"

// policyBox is one policy's choice.
type policyBox struct {
	Policy focus.Source `json:"policy"`
	Focus  struct {
		X float64 `json:"x"`
		Y float64 `json:"y"`
	} `json:"focus"`
	Box struct {
		X      int `json:"x"`
		Y      int `json:"y"`
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"box"`
}

// cropsPage answers /_crops/<path>: one decode per policy (attention, entropy) through the same
// imaging code the origin runs; the centre and the uploader's focal point need none.
type cropsPage struct {
	originals handler.Store
	prefix    string
	sizes     []size.Size
	resizers  map[focus.Source]handler.Resizer // attention, entropy
}

func (c *cropsPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel := strings.TrimPrefix(r.URL.Path, cropsPrefix)
	fail := func(code int, msg string) { http.Error(w, msg, code) }
	if variantpath.CheckPath(rel) != nil || len(c.sizes) == 0 {
		fail(http.StatusBadRequest, "bad path")
		return
	}
	orig, err := c.originals.Get(r.Context(), c.prefix+rel)
	if errors.Is(err, fs.ErrNotExist) {
		fail(http.StatusNotFound, "no such original")
		return
	}
	if err != nil {
		fail(http.StatusBadGateway, "cannot read the original")
		return
	}
	s := c.sizes[0]
	var out []policyBox
	add := func(src focus.Source, p focus.Point, w, h int) {
		b := focus.Crop(w, h, s.W, s.H, p)
		pb := policyBox{Policy: src}
		pb.Focus.X, pb.Focus.Y = p.X, p.Y
		pb.Box.X, pb.Box.Y, pb.Box.Width, pb.Box.Height = b.X, b.Y, b.W, b.H
		out = append(out, pb)
	}
	var uw, uh int
	for _, src := range []focus.Source{focus.FromAttention, focus.FromEntropy} {
		m, err := c.resizers[src].Make(orig.Body, handler.Job{})
		if err != nil {
			fail(http.StatusUnprocessableEntity, "not a readable image")
			return
		}
		uw, uh = m.Width, m.Height
		add(src, m.Focus, uw, uh)
	}
	add(focus.FromCentre, focus.Centre, uw, uh)
	if p, ok, _ := focus.FromObjectMetadata(orig.Metadata); ok {
		add(focus.FromMetadata, p, uw, uh)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

// looksLikeImage skips licence files and other non-images in the folder.
func looksLikeImage(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".heic", ".heif":
		return true
	}
	return false
}
