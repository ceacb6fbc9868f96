package s3event_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/imgorigin/imgorigin/handler/s3event"
)

// eventsDir holds the recorded events (testdata/events/README.md describes them).
var eventsDir = filepath.Join("..", "..", "testdata", "events")

const wantKey = "originals/nested/summer 2024/beach+sunset.jpg" // sent as summer+2024/beach%2Bsunset.jpg

func event(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatalf("recorded event: %v", err)
	}
	if !json.Valid(b) {
		t.Fatalf("%s is not valid JSON", name)
	}
	return b
}

func TestDecodeRecordedEvents(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []s3event.Record
	}{
		{"sns-s3-put.json", []s3event.Record{{Bucket: "images", Key: wantKey, EventName: "ObjectCreated:Put"}}},
		{"s3-put.json", []s3event.Record{{Bucket: "images", Key: wantKey, EventName: "ObjectCreated:Put"}}},
		{"sns-s3-delete.json", []s3event.Record{{Bucket: "images", Key: wantKey, EventName: "ObjectRemoved:Delete"}}},
		{"sns-s3-testevent.json", nil},
	} {
		got, err := s3event.Decode(event(t, tc.file))
		if err != nil {
			t.Errorf("Decode(%s): %v", tc.file, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Decode(%s) = %+v, want %+v", tc.file, got, tc.want)
		}
	}
}

// s3Record is one S3 event notification record, as S3 sends it (key URL-encoded).
func s3Record(eventName, encodedKey string) map[string]any {
	return map[string]any{
		"eventVersion": "2.1",
		"eventSource":  "aws:s3",
		"awsRegion":    "us-east-1",
		"eventTime":    "2024-07-14T18:03:11.214Z",
		"eventName":    eventName,
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"configurationId": "prewarm-originals",
			"bucket":          map[string]any{"name": "images", "arn": "arn:aws:s3:::images"},
			"object":          map[string]any{"key": encodedKey, "size": 1234, "sequencer": "0066941F8B3C2D1E4F"},
		},
	}
}

func s3Event(recs ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"Records": recs})
	return b
}

// snsEvent wraps messages in an SNS event, one record each.
func snsEvent(messages ...string) []byte {
	var recs []map[string]any
	for i, m := range messages {
		recs = append(recs, map[string]any{
			"EventSource":          "aws:sns",
			"EventVersion":         "1.0",
			"EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:image-uploads:x",
			"Sns": map[string]any{
				"Type":      "Notification",
				"MessageId": fmt.Sprintf("msg-%d", i),
				"TopicArn":  "arn:aws:sns:us-east-1:123456789012:image-uploads",
				"Subject":   "Amazon S3 Notification",
				"Message":   m,
			},
		})
	}
	b, _ := json.Marshal(map[string]any{"Records": recs})
	return b
}

const plainTestEvent = `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-07-14T17:59:02.105Z","Bucket":"images","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}`

// In the shape of aws-lambda-go's events/testdata/sqs-event.json.
const sqsEvent = `{
  "Records": [
    {
      "messageId": "MessageID_1",
      "receiptHandle": "MessageReceiptHandle",
      "body": "{\"Records\":[]}",
      "md5OfBody": "fce0ea8dd236ccb3ed9b37dae260836f",
      "eventSourceARN": "arn:aws:sqs:us-west-2:123456789012:SQSQueue",
      "eventSource": "aws:sqs",
      "awsRegion": "us-west-2",
      "attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1520621625029"}
    }
  ]
}`

// An S3 event as EventBridge delivers it: not a shape this function is subscribed to.
const eventBridgeEvent = `{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created","source":"aws.s3","account":"123456789012","time":"2021-11-12T00:00:00Z","region":"us-east-1","resources":["arn:aws:s3:::images"],"detail":{"version":"0","bucket":{"name":"images"},"object":{"key":"originals/a.jpg","size":5}}}`

func TestDecodeShapes(t *testing.T) {
	put := s3Event(s3Record("ObjectCreated:Put", "originals/nested/summer+2024/beach%2Bsunset.jpg"))
	for _, tc := range []struct {
		name string
		raw  []byte
		want []s3event.Record
	}{
		{"plain S3 test event", []byte(plainTestEvent), nil},
		{"SNS-wrapped S3 put", snsEvent(string(put)), []s3event.Record{{Bucket: "images", Key: wantKey, EventName: "ObjectCreated:Put"}}},
		{"keys decoded", s3Event(
			s3Record("ObjectCreated:Put", "originals/caf%C3%A9/%E6%97%A5%E6%9C%AC.jpg"),
			s3Record("ObjectCreated:Copy", "originals/100%25+sure.jpg"),
			s3Record("ObjectCreated:CompleteMultipartUpload", "originals/a%2Bb+c%2Fd.jpg"),
		), []s3event.Record{
			{Bucket: "images", Key: "originals/café/日本.jpg", EventName: "ObjectCreated:Put"},
			{Bucket: "images", Key: "originals/100% sure.jpg", EventName: "ObjectCreated:Copy"},
			{Bucket: "images", Key: "originals/a+b c/d.jpg", EventName: "ObjectCreated:CompleteMultipartUpload"},
		}},
		{"several SNS messages", snsEvent(
			string(s3Event(s3Record("ObjectCreated:Put", "originals/a.jpg"))),
			plainTestEvent,
			string(s3Event(s3Record("ObjectRemoved:Delete", "originals/b.jpg"), s3Record("ObjectCreated:Post", "originals/c.jpg"))),
		), []s3event.Record{
			{Bucket: "images", Key: "originals/a.jpg", EventName: "ObjectCreated:Put"},
			{Bucket: "images", Key: "originals/b.jpg", EventName: "ObjectRemoved:Delete"},
			{Bucket: "images", Key: "originals/c.jpg", EventName: "ObjectCreated:Post"},
		}},
	} {
		got, err := s3event.Decode(tc.raw)
		if err != nil {
			t.Errorf("%s: Decode: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Decode = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestDecodeBadEvents(t *testing.T) {
	cases := []struct {
		name string
		raw  []byte
	}{
		{"empty", nil},
		{"empty object", []byte(`{}`)},
		{"null", []byte(`null`)},
		{"array", []byte(`[]`)},
		{"string", []byte(`"hello"`)},
		{"number", []byte(`42`)},
		{"garbage", []byte(`this is not json`)},
		{"truncated JSON", []byte(`{"Records":[{"eventSource":"aws:s3"`)},
		{"no records", []byte(`{"Records":[]}`)},
		{"records not a list", []byte(`{"Records":"x"}`)},
		{"null record", []byte(`{"Records":[null]}`)},
		{"unknown source", []byte(`{"Records":[{"eventSource":"aws:kinesis"}]}`)},
		{"SQS event", []byte(sqsEvent)},
		{"EventBridge S3 event", []byte(eventBridgeEvent)},
		{"other test event", []byte(`{"Service":"Amazon S3","Event":"s3:SomethingElse"}`)},
		{"SNS with a text message", snsEvent("Hello from SNS!")},
		{"SNS with an empty message", snsEvent("")},
		{"SNS with an SQS message", snsEvent(sqsEvent)},
		{"SNS with bad JSON", snsEvent(`{"Records":[`)},
		{"SNS message not a string", []byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"Message":{"Records":[]}}}]}`)},
		{"S3 key with a bad escape", s3Event(s3Record("ObjectCreated:Put", "originals/%zz.jpg"))},
	}
	// The recorded function URL requests are not upload events.
	for _, f := range []string{"function-url-get.json", "function-url-head.json", "function-url-if-none-match.json"} {
		if b, err := os.ReadFile(filepath.Join(eventsDir, f)); err == nil {
			cases = append(cases, struct {
				name string
				raw  []byte
			}{f, b})
		}
	}
	for _, tc := range cases {
		got, err := s3event.Decode(tc.raw)
		if !errors.Is(err, s3event.ErrBadEvent) {
			t.Errorf("%s: Decode = %+v, %v; want ErrBadEvent", tc.name, got, err)
		}
		if len(got) != 0 {
			t.Errorf("%s: Decode returned records with its error: %+v", tc.name, got)
		}
	}
}

// recorder is a Target that records its calls and fails for the keys in fail.
type recorder struct {
	mu       sync.Mutex
	prewarms []string
	removes  []string
	fail     map[string]error
}

func (r *recorder) Prewarm(_ context.Context, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prewarms = append(r.prewarms, key)
	return r.fail[key]
}

func (r *recorder) Remove(_ context.Context, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removes = append(r.removes, key)
	return r.fail[key]
}

var _ s3event.Target = (*recorder)(nil)

// targetRemoves reports whether s3event.Target has a Remove method, i.e. whether ObjectRemoved
// records are handed on (to remove variants) rather than skipped.
func targetRemoves() bool {
	_, ok := reflect.TypeFor[s3event.Target]().MethodByName("Remove")
	return ok
}

func logger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func TestHandlerRecordedEvents(t *testing.T) {
	for _, tc := range []struct {
		file         string
		prewarms     []string
		removes      []string // when Target has Remove
		errorsLogged bool
	}{
		{"sns-s3-put.json", []string{wantKey}, nil, false},
		{"s3-put.json", []string{wantKey}, nil, false},
		{"sns-s3-delete.json", nil, []string{wantKey}, false},
		{"sns-s3-testevent.json", nil, nil, false},
		{"function-url-get.json", nil, nil, true},
	} {
		r := &recorder{}
		log, buf := logger()
		err := s3event.Handler(r, log)(context.Background(), event(t, tc.file))
		if err != nil {
			t.Errorf("%s: Handler = %v, want nil", tc.file, err)
		}
		if !slices.Equal(r.prewarms, tc.prewarms) {
			t.Errorf("%s: Prewarm called with %q, want %q", tc.file, r.prewarms, tc.prewarms)
		}
		wantRemoves := tc.removes
		if !targetRemoves() {
			wantRemoves = nil
		}
		if !slices.Equal(r.removes, wantRemoves) {
			t.Errorf("%s: Remove called with %q, want %q", tc.file, r.removes, wantRemoves)
		}
		if got := strings.Contains(buf.String(), `"level":"ERROR"`); got != tc.errorsLogged {
			t.Errorf("%s: error logged = %v, want %v; log:\n%s", tc.file, got, tc.errorsLogged, buf)
		}
	}
}

func TestHandlerOnlyObjectCreatedIsPrewarmed(t *testing.T) {
	raw := s3Event(
		s3Record("ObjectCreated:Put", "originals/1.jpg"),
		s3Record("ObjectRemoved:Delete", "originals/2.jpg"),
		s3Record("ObjectCreated:Copy", "originals/3.jpg"),
		s3Record("ObjectRemoved:DeleteMarkerCreated", "originals/4.jpg"),
		s3Record("ObjectRestore:Completed", "originals/5.jpg"),
		s3Record("ObjectCreated:CompleteMultipartUpload", "originals/6.jpg"),
		s3Record("ObjectCreated:Post", "originals/7.jpg"),
		s3Record("LifecycleExpiration:Delete", "originals/8.jpg"),
		s3Record("ObjectTagging:Put", "originals/9.jpg"),
		s3Record("ObjectCreatedPut", "originals/10.jpg"), // not the "ObjectCreated:" prefix
	)
	for _, wrap := range []struct {
		name string
		raw  []byte
	}{{"plain S3", raw}, {"SNS", snsEvent(string(raw))}} {
		r := &recorder{}
		log, _ := logger()
		if err := s3event.Handler(r, log)(context.Background(), wrap.raw); err != nil {
			t.Fatalf("%s: Handler: %v", wrap.name, err)
		}
		want := []string{"originals/1.jpg", "originals/3.jpg", "originals/6.jpg", "originals/7.jpg"}
		if !slices.Equal(r.prewarms, want) {
			t.Errorf("%s: Prewarm called with %q, want %q", wrap.name, r.prewarms, want)
		}
		var wantRemoves []string
		if targetRemoves() {
			wantRemoves = []string{"originals/2.jpg", "originals/4.jpg"}
		}
		if !slices.Equal(r.removes, wantRemoves) {
			t.Errorf("%s: Remove called with %q, want %q", wrap.name, r.removes, wantRemoves)
		}
	}
}

func TestHandlerReturnsTargetErrors(t *testing.T) {
	errA := errors.New("storage timeout A")
	errB := errors.New("storage throttled B")
	r := &recorder{fail: map[string]error{"originals/a.jpg": errA, "originals/c.jpg": errB}}
	raw := snsEvent(string(s3Event(
		s3Record("ObjectCreated:Put", "originals/a.jpg"),
		s3Record("ObjectCreated:Put", "originals/b.jpg"),
		s3Record("ObjectCreated:Put", "originals/c.jpg"),
	)))
	log, _ := logger()
	err := s3event.Handler(r, log)(context.Background(), raw)
	if err == nil {
		t.Fatal("Handler = nil; the target's errors must be returned so that Lambda retries")
	}
	if !errors.Is(err, errA) || !errors.Is(err, errB) {
		t.Errorf("Handler = %v; want both target errors joined (errors.Is)", err)
	}
	if !strings.Contains(err.Error(), "originals/a.jpg") || !strings.Contains(err.Error(), "originals/c.jpg") {
		t.Errorf("error %q does not name the failing keys", err)
	}
	if strings.Contains(err.Error(), "originals/b.jpg") {
		t.Errorf("error %q names a key that did not fail", err)
	}
	// A failure does not stop the other records.
	if want := []string{"originals/a.jpg", "originals/b.jpg", "originals/c.jpg"}; !slices.Equal(r.prewarms, want) {
		t.Errorf("Prewarm called with %q, want %q", r.prewarms, want)
	}

	// One failing record alone.
	r = &recorder{fail: map[string]error{wantKey: errA}}
	if err := s3event.Handler(r, log)(context.Background(), event(t, "sns-s3-put.json")); !errors.Is(err, errA) {
		t.Errorf("Handler = %v, want errA", err)
	}
}

func TestHandlerDropsUndecodableEvents(t *testing.T) {
	for _, raw := range [][]byte{
		[]byte(`garbage`), []byte(`{}`), []byte(sqsEvent), []byte(eventBridgeEvent), snsEvent("Hello from SNS!"), nil,
	} {
		r := &recorder{}
		log, buf := logger()
		if err := s3event.Handler(r, log)(context.Background(), raw); err != nil {
			t.Errorf("Handler(%.40q) = %v; an undecodable event is dropped (nil) so that Lambda does not retry it", raw, err)
		}
		if len(r.prewarms) != 0 || len(r.removes) != 0 {
			t.Errorf("Handler(%.40q) called the target: %q %q", raw, r.prewarms, r.removes)
		}
		if !strings.Contains(buf.String(), `"level":"ERROR"`) {
			t.Errorf("Handler(%.40q) dropped the event without logging an error", raw)
		}
	}
}

func TestHandlerPassesContext(t *testing.T) {
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	var got any
	tgt := targetFunc(func(c context.Context, key string) error {
		got = c.Value(ctxKey{})
		return nil
	})
	log, _ := logger()
	if err := s3event.Handler(tgt, log)(ctx, event(t, "s3-put.json")); err != nil {
		t.Fatal(err)
	}
	if got != "v" {
		t.Error("Prewarm did not get the handler's context")
	}
}

type targetFunc func(ctx context.Context, key string) error

func (f targetFunc) Prewarm(ctx context.Context, key string) error { return f(ctx, key) }
func (f targetFunc) Remove(context.Context, string) error          { return nil }
