// Package s3event decodes the events that announce an upload or a deletion of an original (S3
// event notifications, wrapped in SNS or sent straight to Lambda) and hands each original's key
// to the handler. It is the only package, with cmd/, that knows Lambda's event types.
package s3event

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Target is what a decoded record is handed to; *handler.Handler implements it.
type Target interface {
	Prewarm(ctx context.Context, key string) error // ObjectCreated:*
	Remove(ctx context.Context, key string) error  // ObjectRemoved:*
}

// ErrBadEvent is an event that is neither SNS nor S3 in the shapes AWS sends. Lambda would
// retry it for nothing, so Handle logs it and returns nil; Decode returns it for tests.
var ErrBadEvent = errors.New("not an SNS or S3 event")

// Record is one S3 record: the event name and the original's key, URL-decoded.
type Record struct {
	Bucket    string
	Key       string
	EventName string
}

// Decode reads an SNS event whose messages are S3 event notifications, or a plain S3 event.
// S3's test events (s3:TestEvent, sent when a notification is configured) decode to no records.
func Decode(raw []byte) ([]Record, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"EventSource"` // SNS spells it so; S3 "eventSource": JSON matching ignores case
		} `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEvent, err)
	}
	if len(probe.Records) == 0 {
		if isTestEvent(raw) {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: no records", ErrBadEvent)
	}
	switch probe.Records[0].EventSource {
	case "aws:sns":
		var ev events.SNSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadEvent, err)
		}
		var out []Record
		for _, r := range ev.Records {
			recs, err := Decode([]byte(r.SNS.Message))
			if err != nil {
				return nil, fmt.Errorf("SNS message %s: %w", r.SNS.MessageID, err)
			}
			out = append(out, recs...)
		}
		return out, nil
	case "aws:s3":
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadEvent, err)
		}
		out := make([]Record, 0, len(ev.Records))
		for _, r := range ev.Records {
			// URLDecodedKey is filled by events.S3Object's UnmarshalJSON: S3 sends keys
			// URL-encoded, with + for a space.
			out = append(out, Record{Bucket: r.S3.Bucket.Name, Key: r.S3.Object.URLDecodedKey, EventName: r.EventName})
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: event source %q", ErrBadEvent, probe.Records[0].EventSource)
}

func isTestEvent(raw []byte) bool {
	var t struct{ Event string }
	return json.Unmarshal(raw, &t) == nil && t.Event == "s3:TestEvent"
}

// Handler returns the Lambda handler for upload and deletion events: every ObjectCreated
// record goes to Target.Prewarm, every ObjectRemoved record to Target.Remove. Storage faults are
// returned (joined) so that Lambda retries the event; a retry is harmless. Events that cannot
// be decoded are logged and dropped.
func Handler(t Target, log *slog.Logger) func(ctx context.Context, raw json.RawMessage) error {
	return func(ctx context.Context, raw json.RawMessage) error {
		recs, err := Decode(raw)
		if err != nil {
			log.Error("event dropped", "error", err.Error())
			return nil
		}
		if len(recs) == 0 {
			log.Info("event without records (s3:TestEvent)")
		}
		var errs []error
		for _, r := range recs {
			var err error
			switch {
			case strings.HasPrefix(r.EventName, "ObjectCreated:"):
				err = t.Prewarm(ctx, r.Key)
			case strings.HasPrefix(r.EventName, "ObjectRemoved:"):
				err = t.Remove(ctx, r.Key)
			default:
				log.Info("record skipped", "event", r.EventName, "key", r.Key)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", r.EventName, r.Key, err))
			}
		}
		return errors.Join(errs...)
	}
}
