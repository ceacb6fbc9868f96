package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/imgorigin/imgorigin/internal/s3test"
)

// The function-URL door: recorded function-URL events (as CloudFront forwards them, with an
// encoded space and plus) through lambdaurl.Wrap, the adapter cmd/origin starts, to the
// handler and a real S3 server.
func TestFunctionURLEventsThroughLambdaurl(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, nestedKey, bandsJPEG(t, 1800, 600))
	e := newEnv(t, srv, 1<<20)
	invoke := lambdaurl.Wrap(e.h)

	call := func(name string) (*events.LambdaFunctionURLStreamingResponse, []byte) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "events", name))
		if err != nil {
			t.Fatal(err)
		}
		var ev events.LambdaFunctionURLRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		res, err := invoke(context.Background(), &ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, _ := io.ReadAll(res.Body)
		return res, body
	}

	res, body := call("function-url-get.json")
	if res.StatusCode != 200 || res.Headers["Content-Type"] != "image/jpeg" || res.Headers["Etag"] == "" {
		t.Fatalf("GET: %d %v", res.StatusCode, res.Headers)
	}
	checkImage(t, body, "jpeg", 800, 600)
	if _, err := srv.Head("original/800x600/nested/summer 2024/beach+sunset.jpg"); err != nil {
		t.Errorf("variant not stored at its decoded key: %v", err)
	}

	// The same request as CloudFront sends it after the viewer-request function: the format
	// token and the key in unreserved characters (space, plus, percent, parentheses, unicode).
	res, body = call("function-url-get-avif-rewritten.json")
	if res.StatusCode != 200 || res.Headers["Content-Type"] != "image/avif" || res.Headers["Vary"] != "Accept" {
		t.Fatalf("rewritten AVIF GET: %d %v %q", res.StatusCode, res.Headers, body)
	}
	if !bytes.Equal(srv.Get(t, "avif/800x600/nested/summer 2024/beach+sunset.jpg"), body) {
		t.Error("AVIF variant not stored at its decoded key")
	}
	srv.Put(t, "originals/café/100% real (v2).jpg", bandsJPEG(t, 1800, 600))
	res, body = call("function-url-get-webp-unicode.json")
	if res.StatusCode != 200 || res.Headers["Content-Type"] != "image/webp" {
		t.Fatalf("rewritten WebP GET: %d %v %q", res.StatusCode, res.Headers, body)
	}
	if !bytes.Equal(srv.Get(t, "webp/400x300/café/100% real (v2).jpg"), body) {
		t.Error("WebP variant not stored at its decoded key")
	}

	// HEAD of a demo file that this bucket does not hold: 404, short body.
	res, body = call("function-url-head.json")
	if res.StatusCode != 404 {
		t.Errorf("HEAD missing: %d %q", res.StatusCode, body)
	}

	srv.Put(t, "originals/landscape.jpg", bandsJPEG(t, 1200, 400))
	res, body = call("function-url-head.json")
	if res.StatusCode != 200 || len(body) != 0 || res.Headers["Content-Length"] == "" {
		t.Errorf("HEAD: %d, %d body bytes, %v", res.StatusCode, len(body), res.Headers)
	}
}
