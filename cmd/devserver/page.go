package main

import (
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// indexPage lists every original under dir/prefix with its variants, so a person can look at
// the crops.
type indexPage struct {
	dir, prefix string
	sizes       []size.Size
}

type pageImage struct {
	Path     string
	Original string
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
img{display:block;background:repeating-conic-gradient(#ddd 0 25%,#fff 0 50%) 0 0/16px 16px}
code{background:#eee;padding:0 .3em}
</style>
<h1>Image origin, local</h1>
<p>Originals from <code>{{.Dir}}/{{.Prefix}}</code>; each variant is <code>GET /&lt;W&gt;x&lt;H&gt;/&lt;path&gt;</code>, made on first request and cached.</p>
{{range .Images}}<section><h2>{{.Path}}</h2><div class="row">
<figure><img src="{{.Original}}" style="max-width:320px;max-height:320px" alt="original"><figcaption>original</figcaption></figure>
{{range .Variants}}<figure><a href="{{.URL}}"><img src="{{.URL}}" width="{{.DisplayW}}" height="{{.DisplayH}}" alt="{{.Size}}"></a><figcaption>{{.Size}}</figcaption></figure>
{{end}}</div></section>
{{else}}<p>No originals found under <code>{{.Dir}}/{{.Prefix}}</code>.</p>{{end}}
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
		img := pageImage{Path: rel, Original: "/" + variantpath.EscapePath(name)}
		for _, s := range p.sizes {
			dw, dh := s.W, s.H
			if dw > 400 { // show big variants at half size; the link opens them whole
				dw, dh = dw/2, dh/2
			}
			img.Variants = append(img.Variants, pageVariant{Size: s.String(), URL: variantpath.Variant{Size: s, Path: rel}.URLPath(), DisplayW: dw, DisplayH: dh})
		}
		imgs = append(imgs, img)
		return nil
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = pageTmpl.Execute(w, map[string]any{"Dir": p.dir, "Prefix": p.prefix, "Images": imgs})
}

// looksLikeImage skips licence files and other non-images in the folder.
func looksLikeImage(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".heic", ".heif":
		return true
	}
	return false
}
