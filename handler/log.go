package handler

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// requestLog collects what one request did, for its single log line and Server-Timing.
type requestLog struct {
	start                   time.Time
	path, key, size, from   string
	status, bytesIn         int
	bytesOut                int
	fetch, transform, store time.Duration
	err                     error
}

// serverTiming is the Server-Timing header: where the variant came from, and the time spent
// fetching (S3), transforming (libvips) and storing (S3), which browsers' developer tools show.
func (rl *requestLog) serverTiming() string {
	parts := []string{fmt.Sprintf("%s;dur=%.1f", rl.from, ms(time.Since(rl.start)))}
	for _, p := range []struct {
		name string
		d    time.Duration
	}{{"fetch", rl.fetch}, {"transform", rl.transform}, {"store", rl.store}} {
		if p.d > 0 {
			parts = append(parts, fmt.Sprintf("%s;dur=%.1f", p.name, ms(p.d)))
		}
	}
	return strings.Join(parts, ", ")
}

// logRequest writes the request's one line: key, size, where it came from, bytes in and out,
// phase times, status; with Options.Metrics set, the CloudWatch Embedded Metric Format block
// that turns the same line into metrics without an API call.
func (h *Handler) logRequest(ctx context.Context, rl *requestLog) {
	total := ms(time.Since(rl.start))
	attrs := []slog.Attr{
		slog.String("path", clip(rl.path)),
		slog.Int("status", rl.status),
		slog.Float64("ms", total),
	}
	if rl.key != "" {
		attrs = append(attrs, slog.String("key", rl.key), slog.String("size", rl.size))
	}
	if rl.from != "" {
		attrs = append(attrs, slog.String("cache", rl.from))
	}
	attrs = append(attrs, slog.Int("bytes_in", rl.bytesIn), slog.Int("bytes_out", rl.bytesOut),
		slog.Float64("fetch_ms", ms(rl.fetch)), slog.Float64("transform_ms", ms(rl.transform)),
		slog.Float64("store_ms", ms(rl.store)))
	if rl.err != nil {
		attrs = append(attrs, slog.String("error", rl.err.Error()))
	}
	level := slog.LevelInfo
	if rl.status >= 500 {
		level = slog.LevelError
	}
	if h.opt.Metrics != "" {
		b := func(ok bool) int {
			if ok {
				return 1
			}
			return 0
		}
		attrs = append(attrs, h.emf(map[string]emfValue{
			"Requests":  {1, "Count"},
			"Hits":      {b(rl.from == fromLRU || rl.from == fromBucket), "Count"},
			"Misses":    {b(rl.from == fromMade), "Count"},
			"Errors4xx": {b(rl.status >= 400 && rl.status < 500), "Count"},
			"Errors5xx": {b(rl.status >= 500), "Count"},
			"LatencyMs": {total, "Milliseconds"},
			"BytesOut":  {rl.bytesOut, "Bytes"},
		})...)
	}
	h.log.LogAttrs(ctx, level, "request", attrs...)
}

type emfValue struct {
	v    any
	unit string
}

// EMF names: the Terraform dashboard and alarms read these (terraform/monitoring.tf).
const (
	emfNamespace = "ImageOrigin"
	emfDimension = "Function"
)

// emf returns the attributes of a CloudWatch Embedded Metric Format record: an "_aws" object
// declaring the metrics, the dimension, and each metric's value at the top level.
func (h *Handler) emf(metrics map[string]emfValue) []slog.Attr {
	defs := make([]map[string]string, 0, len(metrics))
	attrs := []slog.Attr{slog.String(emfDimension, h.opt.Metrics)}
	for _, name := range slices.Sorted(maps.Keys(metrics)) {
		m := metrics[name]
		defs = append(defs, map[string]string{"Name": name, "Unit": m.unit})
		attrs = append(attrs, slog.Any(name, m.v))
	}
	aws := slog.Group("_aws",
		slog.Int64("Timestamp", time.Now().UnixMilli()),
		slog.Any("CloudWatchMetrics", []map[string]any{{
			"Namespace":  emfNamespace,
			"Dimensions": [][]string{{emfDimension}},
			"Metrics":    defs,
		}}),
	)
	return append([]slog.Attr{aws}, attrs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func clip(p string) string {
	if len(p) > 200 {
		return p[:200] + "..."
	}
	return p
}
