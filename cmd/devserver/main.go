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
	"syscall"
	"time"

	"github.com/imgorigin/imgorigin/cmd/internal/app"
	"github.com/imgorigin/imgorigin/handler/config"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	dir := flag.String("dir", "testdata", "folder with the originals (under <dir>/"+config.DefaultOriginalsPrefix+"), used when "+config.EnvBucket+" is unset")
	cache := flag.String("cache", "", "folder for variants (default <dir>/cache)")
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
	h := app.Handler(cfg, originals, variants, nil, log)

	mux := http.NewServeMux()
	mux.Handle("/", h)
	if cfg.Bucket == "" {
		page := &indexPage{dir: *dir, prefix: cfg.OriginalsPrefix, sizes: cfg.Sizes}
		mux.Handle("GET /{$}", page)
		mux.Handle("GET /"+cfg.OriginalsPrefix, http.FileServerFS(os.DirFS(*dir)))
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           mux,
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
