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

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/focus"
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
	var root http.Handler = h
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
				h.ServeHTTP(w, r)
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
