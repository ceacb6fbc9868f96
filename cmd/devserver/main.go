// Command devserver runs the origin on this machine: the same handler as the Lambda, over a
// folder (testdata/ by default: originals in testdata/originals/, variants written to
// testdata/cache/) or, with IMAGE_BUCKET set, over S3 or an S3-compatible server. The page at /
// shows each original beside its variants.
package main

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/imgorigin/imgorigin/edge"
	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
	"github.com/imgorigin/imgorigin/internal/app"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	dir := flag.String("dir", "testdata", "folder with the originals (under <dir>/"+config.DefaultOriginalsPrefix+"), used when "+config.EnvBucket+" is unset")
	cache := flag.String("cache", "", "folder for variants (default <dir>/cache)")
	storeNothing := flag.Bool("store-nothing", false, "for benchmarks: every request is a miss; variants are made and served, never stored, and the in-process LRU is off")
	flag.Parse()

	log := app.Logger()
	cfg, err := config.Load(nil)
	if err != nil {
		app.Fatal(log, "configuration", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	originals, variants, err := app.Stores(ctx, cfg, *dir, *cache)
	if err != nil {
		app.Fatal(log, "storage", err)
	}
	if *storeNothing {
		variants, cfg.LRUBytes = noStore{}, 0
		log.Warn("-store-nothing: every request is a miss, no variant is stored")
	}
	h := app.Handler(cfg, originals, variants, nil, log)

	// A plain dispatch, not http.ServeMux: the mux would answer unclean paths ("//", "/../")
	// with a redirect of its own, where the handler (like the Lambda) answers 400.
	// The local server makes the CloudFront Function's decision (edge.Route: format from Accept
	// or ?format=, the origin path, 400/404 for junk) before the handler, as CloudFront does:
	// `make run` shows AVIF in Chrome and JPEG to curl.
	allowed := size.NewAllowlist(cfg.Sizes)
	var root http.Handler = toOrigin(h, allowed)
	if cfg.Bucket == "" {
		page := &indexPage{dir: *dir, prefix: cfg.OriginalsPrefix, sizes: cfg.Sizes, policy: cfg.Crop}
		crops := &cropsPage{originals: originals, prefix: cfg.OriginalsPrefix, sizes: cfg.Sizes, resizers: map[focus.Source]handler.Resizer{}}
		for _, p := range []focus.Source{focus.FromAttention, focus.FromEntropy} {
			c := cfg
			c.Crop = p
			crops.resizers[p] = app.Resizer(c)
		}
		files := http.FileServerFS(os.DirFS(*dir))
		root = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
				page.ServeHTTP(w, r)
			case strings.HasPrefix(r.URL.Path, cropsPrefix) && r.Method == http.MethodGet:
				crops.ServeHTTP(w, r)
			case strings.HasPrefix(r.URL.Path, "/"+cfg.OriginalsPrefix) && variantpath.CheckPath(strings.TrimPrefix(r.URL.Path, "/")) == nil:
				files.ServeHTTP(w, r) // the originals themselves, for the page
			default:
				toOrigin(h, allowed).ServeHTTP(w, r)
			}
		})
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           root,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	source := *dir
	if cfg.Bucket != "" {
		source = "s3://" + cfg.Bucket
	}
	log.Info("listening", "url", "http://"+*addr+"/", "originals", source)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		app.Fatal(log, "listen", err)
	}
	log.Info("stopped")
}

// toOrigin is the viewer-request function in front of the origin: the viewer's path and Accept
// become the origin path (edge.Route); refusals are answered here, as at the edge.
func toOrigin(h http.Handler, allowed size.Allowlist) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := edge.Route(r.URL.EscapedPath(), r.URL.Query(), r.Header.Get("Accept"), allowed)
		if err != nil {
			code := http.StatusBadRequest
			if errors.Is(err, edge.ErrNoRoute) {
				code = http.StatusNotFound
			}
			w.Header().Set("Cache-Control", "public, max-age=60")
			http.Error(w, http.StatusText(code), code)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = req.OriginPath() // only unreserved characters and ~: no RawPath needed
		r2.URL.RawPath = ""
		r2.URL.RawQuery = ""
		r2.RequestURI = r2.URL.RequestURI()
		h.ServeHTTP(w, r2)
	})
}
