package s3event_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgorigin/imgorigin/handler/s3event"
)

// FuzzDecode checks, on any bytes: Decode never panics and every error it returns wraps
// ErrBadEvent; the Lambda handler never panics, calls the target only for decoded records,
// and drops (nil) what Decode refuses. Seeds: the recorded events in testdata/events.
func FuzzDecode(f *testing.F) {
	ents, _ := os.ReadDir(eventsDir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			if b, err := os.ReadFile(filepath.Join(eventsDir, e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(plainTestEvent))
	f.Add([]byte(sqsEvent))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"a+b%2B"}}}]}`))
	f.Add(snsEvent(string(s3Event(s3Record("ObjectCreated:Put", "originals/x%20y.jpg")))))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, raw []byte) {
		recs, err := s3event.Decode(raw)
		if err != nil {
			if !errors.Is(err, s3event.ErrBadEvent) {
				t.Fatalf("Decode: %v does not wrap ErrBadEvent", err)
			}
			if len(recs) != 0 {
				t.Fatalf("Decode returned records with its error")
			}
		}
		calls := 0
		tgt := targetFunc(func(context.Context, string) error { calls++; return nil })
		if herr := s3event.Handler(tgt, log)(context.Background(), raw); herr != nil {
			t.Fatalf("Handler = %v with a target that never fails", herr)
		}
		created := 0
		for _, r := range recs {
			if strings.HasPrefix(r.EventName, "ObjectCreated:") {
				created++
			}
		}
		if calls != created {
			t.Fatalf("Prewarm called %d times for %d ObjectCreated records", calls, created)
		}
	})
}
