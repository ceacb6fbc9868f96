// Package lambdae2e proves that the Lambda zips built by .ci/package.sh are self-contained: each
// zip is unpacked at /var/task in an empty root directory and run there under the real Lambda
// runtime interface emulator (aws-lambda-rie, statically linked), in a private mount and PID
// namespace, chrooted, so that no file of the host is visible to the function. The functions
// talk to a real S3 server (versitygw) on loopback.
//
// It needs root (unshare, mount, chroot) and build/origin.zip and build/prewarm.zip:
//
//	bash .ci/package.sh && go test ./cmd/lambdae2e -count=1 -v
//
// Without the zips it skips, unless CI is set: then it fails.
package lambdae2e

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imgorigin/imgorigin/edge"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
	"github.com/imgorigin/imgorigin/internal/proc"
	"github.com/imgorigin/imgorigin/internal/s3test"
	"github.com/imgorigin/imgorigin/internal/tools"
)

// The S3 server's (internal/s3test). aws-lambda-rie is pinned in tools.env, built with
// CGO_ENABLED=0 so that it runs in the empty root.
const (
	bucket    = s3test.Bucket
	accessKey = s3test.AccessKey
	secretKey = s3test.SecretKey
	region    = s3test.Region

	taskRoot  = "/var/task"
	rieInRoot = "/usr/local/bin/aws-lambda-rie"

	// A key with a nested folder, a space and a plus: the URL and S3-event encodings differ.
	key     = "e2e/my photo+1.jpg"
	heicKey = "e2e/iphone shot.heic"
	avifKey = "e2e/photo.avif"

	// Cold starts measured for the init median (a measurement, logged, never asserted).
	coldStarts = 10
)

// The standard sizes (the default SIZES and PREWARM_SIZES).
var standardSizes = []image.Point{{800, 600}, {400, 300}, {200, 150}}

func TestEmptyRoot(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("the Lambda package is built for x86_64 from this machine's libvips; this is %s", runtime.GOARCH)
	}
	repo := repoRoot(t)
	originZip := filepath.Join(repo, "build", "origin.zip")
	prewarmZip := filepath.Join(repo, "build", "prewarm.zip")
	for _, z := range []string{originZip, prewarmZip} {
		if _, err := os.Stat(z); err != nil {
			if os.Getenv("CI") == "" {
				t.Skipf("%s is missing: run `bash .ci/package.sh` (make package) first", z)
			}
			t.Fatalf("%s is missing (CI is set, so this is a failure): run `bash .ci/package.sh` first", z)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root: unshare, mount and chroot build the empty root")
	}
	for _, tool := range []string{"unshare", "mount", "chroot", "sh"} {
		lookPath(t, tool)
	}

	rie, err := tools.Binary("aws-lambda-rie")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkStatic(rie); err != nil {
		t.Fatalf("%s: %v", rie, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// A real S3 server on loopback, with the bucket and the originals.
	srv := s3test.Start(t)
	s3url, s3c := srv.Endpoint, srv.Client
	putObject(t, srv, "originals/"+key, readFixture(t, repo, "square.jpg"), "image/jpeg")
	putObject(t, srv, "originals/"+heicKey, readFixture(t, repo, "photo.heic"), "image/heic")
	putObject(t, srv, "originals/"+avifKey, readFixture(t, repo, "photo.avif"), "image/avif")
	for _, z := range []string{originZip, prewarmZip} {
		checkZipContents(t, z)
	}

	env := functionEnv(s3url)

	// ---- origin: function URL GET through lambdaurl's streaming response -----------------
	originRoot := emptyRoot(t, originZip, rie)
	origin := startRIE(t, originRoot, env)

	start := origin.started
	res := origin.get(t, ctx, "800x600", key)
	cold := time.Since(start)
	assertImage(t, res, 800, 600)
	assertVariant(t, ctx, s3c, "original/800x600/"+key, 800, 600)

	t0 := time.Now()
	res = origin.get(t, ctx, "800x600", key)
	hit := time.Since(t0)
	assertImage(t, res, 800, 600)

	t0 = time.Now()
	res = origin.get(t, ctx, "400x300", key)
	miss := time.Since(t0)
	assertImage(t, res, 400, 300)
	assertVariant(t, ctx, s3c, "original/400x300/"+key, 400, 300)

	// HEIC comes out as JPEG, AVIF as AVIF: libheif's libde265, dav1d and aom plugins load
	// from the zip (the function would not have started otherwise: it probes both at init).
	t0 = time.Now()
	res = origin.get(t, ctx, "200x150", heicKey)
	heic := time.Since(t0)
	assertImage(t, res, 200, 150)
	assertVariant(t, ctx, s3c, "original/200x150/"+heicKey, 200, 150)

	// AVIF and WebP from the packaged libvips (libheif's AV1 encoder and libwebp are in the
	// zip), asked the way CloudFront asks after the viewer-request function: the origin path.
	for _, f := range []struct {
		token edge.Format
		want  format.Format
	}{{edge.AVIF, format.AVIF}, {edge.WebP, format.WebP}} {
		p := edge.Request{Format: f.token, Size: size.Size{W: 400, H: 300}, Key: key}.OriginPath()
		res = origin.getPath(t, ctx, p)
		if res.status != http.StatusOK || format.Sniff(res.body) != f.want || res.headers.Get("Content-Type") != f.want.ContentType() || res.headers.Get("Vary") != "Accept" {
			t.Fatalf("GET %s: %d %s %v %q", p, res.status, format.Sniff(res.body), res.headers, trim(res.body))
		}
		obj, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(string(f.token) + "/400x300/" + key)})
		if err != nil || aws.ToString(obj.ContentType) != f.want.ContentType() {
			t.Fatalf("%s variant not stored: %v", f.token, err)
		}
	}
	// An AVIF original decodes in the empty root (libheif's dav1d plugin is in the zip).
	res = origin.getPath(t, ctx, edge.Request{Format: edge.AVIF, Size: size.Size{W: 200, H: 150}, Key: avifKey}.OriginPath())
	assertResponse(t, res, format.AVIF, 200, 150)

	// An unknown size is refused, not served: the contract's allowlist holds on Lambda too.
	res = origin.get(t, ctx, "123x45", key)
	if res.status != http.StatusBadRequest {
		t.Errorf("GET /123x45/...: status %d, want 400 (body %q)", res.status, trim(res.body))
	}

	t.Logf("origin: emulator ready %v after start; cold start (emulator start to first response) %v; function init %s",
		origin.ready.Sub(origin.started).Round(time.Millisecond), cold.Round(time.Millisecond), origin.initReport())
	t.Logf("origin: warm hit 800x600 %v, warm miss 400x300 %v, HEIC miss 200x150 %v",
		hit.Round(time.Millisecond), miss.Round(time.Millisecond), heic.Round(time.Millisecond))
	origin.stop(t)

	// Function init over fresh emulators on the same root (files in page cache, as on a warm
	// Lambda host): the median of coldStarts, each serving one bucket hit.
	var inits []float64
	for range coldStarts {
		e := startRIE(t, originRoot, env)
		assertImage(t, e.get(t, ctx, "800x600", key), 800, 600)
		// The emulator may write its INIT REPORT line a moment after the response.
		for wait := 0; wait < 50; wait++ {
			if ms, ok := e.initMs(); ok {
				inits = append(inits, ms)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		e.stop(t)
	}
	if len(inits) != coldStarts {
		t.Fatalf("INIT REPORT in %d of %d cold starts", len(inits), coldStarts)
	}
	slices.Sort(inits)
	t.Logf("origin: function init, median of %d cold starts %.1f ms (min %.1f, max %.1f): %v",
		coldStarts, (inits[coldStarts/2-1]+inits[coldStarts/2])/2, inits[0], inits[coldStarts-1], inits)

	// ---- prewarm: SNS-wrapped S3 ObjectCreated for the same key --------------------------
	// The origin already made two of the variants: remove them so that prewarm must make all.
	for _, s := range standardSizes {
		if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{
			Bucket: aws.String(bucket), Key: aws.String("original/" + sizeName(s) + "/" + key),
		}); err != nil {
			t.Fatalf("delete variant: %v", err)
		}
	}
	prewarmRoot := emptyRoot(t, prewarmZip, rie)
	prewarm := startRIE(t, prewarmRoot, env)
	start = prewarm.started
	out := prewarm.invoke(t, ctx, snsS3Event(t, repo, "originals/"+key))
	pcold := time.Since(start)
	if strings.TrimSpace(string(out)) != "null" {
		t.Fatalf("prewarm returned %q, want null (no error)", trim(out))
	}
	for _, s := range standardSizes {
		assertVariant(t, ctx, s3c, "original/"+sizeName(s)+"/"+key, s.X, s.Y)
		// PREWARM_FORMATS' default adds WebP, from the same decode.
		obj, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("webp/" + sizeName(s) + "/" + key)})
		if err != nil || aws.ToString(obj.ContentType) != "image/webp" {
			t.Errorf("prewarm: no WebP variant at %s: %v", sizeName(s), err)
		}
	}
	t.Logf("prewarm: cold start + %d sizes %v (emulator start to response); function init %s",
		len(standardSizes), pcold.Round(time.Millisecond), prewarm.initReport())
	prewarm.stop(t)
}

// ---- the empty root and the emulator -----------------------------------------------------

// emptyRoot makes a root directory holding only the zip at /var/task, the emulator, an empty
// /tmp and a /dev/null to bind the host's onto.
func emptyRoot(t *testing.T, zipPath, rie string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	unzip(t, zipPath, filepath.Join(root, taskRoot))
	for _, f := range []string{"bootstrap", "lib/ld-linux-x86-64.so.2"} {
		fi, err := os.Stat(filepath.Join(root, taskRoot, f))
		if err != nil {
			t.Fatalf("%s: %v", zipPath, err)
		}
		if fi.Mode()&0o111 == 0 {
			t.Fatalf("%s: %s is not executable in the zip (mode %v)", zipPath, f, fi.Mode())
		}
	}
	copyFile(t, rie, filepath.Join(root, rieInRoot), 0o755)
	if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "dev", "null"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	// Nothing else: list the top level to prove it.
	var top []string
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		top = append(top, e.Name())
	}
	if !slices.Equal(top, []string{"dev", "tmp", "usr", "var"}) {
		t.Fatalf("root holds %v", top)
	}
	return root
}

type emulator struct {
	cmd     *exec.Cmd
	url     string
	started time.Time
	ready   time.Time
	logs    *proc.Buffer
	done    chan struct{}
	err     error
}

// startRIE runs the emulator in root: a private mount namespace (so the /dev/null bind is
// nobody else's business) and PID namespace (so killing it ends the function too), the host's
// network namespace (to reach versitygw on loopback), chrooted into root.
func startRIE(t *testing.T, root string, env []string) *emulator {
	t.Helper()
	apiAddr, rieAddr := freeAddr(t), freeAddr(t)
	// The host's tools run before the chroot, by absolute path: env is the function's.
	script := `set -e
"$1" --bind /dev/null "$3/dev/null"
chroot=$2 root=$3
shift 3
exec "$chroot" "$root" "$@"`
	cmd := exec.Command(lookPath(t, "unshare"),
		"--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
		lookPath(t, "sh"), "-c", script, "sh", lookPath(t, "mount"), lookPath(t, "chroot"), root,
		rieInRoot,
		"--runtime-interface-emulator-address", rieAddr,
		"--runtime-api-address", apiAddr,
		taskRoot+"/bootstrap")
	cmd.Env = env
	e := &emulator{cmd: cmd, logs: &proc.Buffer{}, done: make(chan struct{}),
		url: "http://" + rieAddr + "/2015-03-31/functions/function/invocations"}
	cmd.Stdout, cmd.Stderr = e.logs, e.logs
	proc.DieWithParent(cmd)
	e.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	go func() { e.err = cmd.Wait(); close(e.done) }()
	t.Cleanup(func() {
		e.stop(t)
		if t.Failed() {
			t.Logf("emulator and function output (%s):\n%s", root, e.logs.String())
		}
	})
	if err := proc.WaitPort(rieAddr, 30*time.Second, e.done); err != nil {
		t.Fatalf("emulator: %v:\n%s", err, e.logs.String())
	}
	e.ready = time.Now()
	return e
}

func (e *emulator) stop(t *testing.T) {
	select {
	case <-e.done:
		return
	default:
	}
	// unshare ignores SIGTERM while it waits; killing it makes --kill-child SIGKILL the
	// namespace's init (the emulator), which takes the function down with it.
	_ = e.cmd.Process.Kill()
	<-e.done
}

// invoke posts one event and returns the raw response body.
func (e *emulator) invoke(t *testing.T, ctx context.Context, event []byte) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 90 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, e.logs.String())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("invoke: read: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: emulator answered %s: %q\n%s", resp.Status, trim(body), e.logs.String())
	}
	return body
}

// initReport is the emulator's measure of the function's init phase (process start to the
// first call for an event: the dynamic loader, libvips' start-up, main).
func (e *emulator) initReport() string {
	ms, ok := e.initMs()
	if !ok {
		return "unknown"
	}
	return fmt.Sprintf("%gms", ms)
}

func (e *emulator) initMs() (float64, bool) {
	m := regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`).FindStringSubmatch(e.logs.String())
	if m == nil {
		return 0, false
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	return ms, err == nil
}

type response struct {
	status  int
	headers http.Header
	body    []byte
}

// get invokes the origin with a function URL GET of /<size>/<key> and decodes lambdaurl's
// streamed answer: a JSON prelude, eight NUL bytes, then the raw body.
func (e *emulator) get(t *testing.T, ctx context.Context, size, key string) response {
	t.Helper()
	return e.getPath(t, ctx, "/"+size+"/"+variantpath.EscapePath(key))
}

// getPath sends rawPath as CloudFront would, in a function URL event.
func (e *emulator) getPath(t *testing.T, ctx context.Context, rawPath string) response {
	t.Helper()
	raw := e.invoke(t, ctx, functionURLEvent(t, rawPath))
	prelude, body, ok := bytes.Cut(raw, make([]byte, 8))
	if !ok {
		t.Fatalf("GET %s: not a streamed function URL response (no 8 NUL separator): %q\n%s",
			rawPath, trim(raw), e.logs.String())
	}
	var p events.LambdaFunctionURLStreamingResponse
	if err := json.Unmarshal(prelude, &p); err != nil {
		t.Fatalf("GET %s: prelude %q: %v", rawPath, trim(prelude), err)
	}
	h := http.Header{}
	for k, v := range p.Headers {
		h.Set(k, v)
	}
	return response{status: p.StatusCode, headers: h, body: body}
}

// ---- events ---------------------------------------------------------------------------

// functionURLEvent is the recorded function URL GET (testdata/events/function-url-get.json) with
// its path replaced, or a built one of the same shape when there is no recording.
func functionURLEvent(t *testing.T, rawPath string) []byte {
	t.Helper()
	var ev events.LambdaFunctionURLRequest
	if b, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "events", "function-url-get.json")); err == nil {
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("testdata/events/function-url-get.json: %v", err)
		}
	} else {
		ev = events.LambdaFunctionURLRequest{
			Version: "2.0",
			RawPath: "/",
			Headers: map[string]string{
				"accept":     "image/avif,image/webp,image/*,*/*;q=0.8",
				"host":       "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
				"user-agent": "Amazon CloudFront",
				"via":        "2.0 0123456789abcdef.cloudfront.net (CloudFront)",
			},
			RequestContext: events.LambdaFunctionURLRequestContext{
				AccountID:    "123456789012",
				RequestID:    "e2e-request",
				APIID:        "abcdefghijklmnopqrstuvwxyz012345",
				DomainName:   "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
				DomainPrefix: "abcdefghijklmnopqrstuvwxyz012345",
				HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
					Method: http.MethodGet, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "Amazon CloudFront",
				},
				Time: "01/Jan/2026:00:00:00 +0000", TimeEpoch: 1767225600000,
			},
		}
	}
	ev.RawPath = rawPath
	ev.RawQueryString = ""
	ev.Body = ""
	ev.IsBase64Encoded = false
	ev.RequestContext.HTTP.Method = http.MethodGet
	ev.RequestContext.HTTP.Path = rawPath
	for k := range ev.Headers { // a recorded conditional request would turn the 200 into a 304
		if strings.EqualFold(k, "if-none-match") || strings.EqualFold(k, "if-modified-since") {
			delete(ev.Headers, k)
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snsS3Event is an SNS event whose message is an S3 ObjectCreated:Put notification for key, as
// AWS sends it: the key URL-encoded with + for a space. It follows the recording in
// testdata/events/sns-s3-put.json when there is one.
func snsS3Event(t *testing.T, repo, key string) []byte {
	t.Helper()
	var sns events.SNSEvent
	var s3ev events.S3Event
	if b, err := os.ReadFile(filepath.Join(repo, "testdata", "events", "sns-s3-put.json")); err == nil {
		if err := json.Unmarshal(b, &sns); err != nil || len(sns.Records) == 0 {
			t.Fatalf("testdata/events/sns-s3-put.json: not an SNS event (%v)", err)
		}
		if err := json.Unmarshal([]byte(sns.Records[0].SNS.Message), &s3ev); err != nil || len(s3ev.Records) == 0 {
			t.Fatalf("testdata/events/sns-s3-put.json: message is not an S3 event (%v)", err)
		}
		sns.Records = sns.Records[:1]
		s3ev.Records = s3ev.Records[:1]
	} else {
		sns.Records = []events.SNSEventRecord{{
			EventVersion: "1.0", EventSource: "aws:sns",
			EventSubscriptionArn: "arn:aws:sns:us-east-1:123456789012:uploads:e2e",
			SNS: events.SNSEntity{
				Type: "Notification", MessageID: "e2e-message", TopicArn: "arn:aws:sns:us-east-1:123456789012:uploads",
				Subject: "Amazon S3 Notification", Timestamp: time.Unix(1767225600, 0).UTC(),
			},
		}}
		s3ev.Records = []events.S3EventRecord{{
			EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: region,
			EventTime: time.Unix(1767225600, 0).UTC(), EventName: "ObjectCreated:Put",
			S3: events.S3Entity{SchemaVersion: "1.0", ConfigurationID: "originals"},
		}}
	}
	r := &s3ev.Records[0]
	r.EventName = "ObjectCreated:Put"
	r.S3.Bucket.Name = bucket
	r.S3.Bucket.Arn = "arn:aws:s3:::" + bucket
	r.S3.Object.Key = url.QueryEscape(key) // space -> "+", "+" -> "%2B", "/" -> "%2F"
	r.S3.Object.Key = strings.ReplaceAll(r.S3.Object.Key, "%2F", "/")
	r.S3.Object.URLDecodedKey = ""
	msg, err := json.Marshal(s3ev)
	if err != nil {
		t.Fatal(err)
	}
	sns.Records[0].SNS.Message = string(msg)
	b, err := json.Marshal(sns)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---- assertions ---------------------------------------------------------------------------

func assertImage(t *testing.T, r response, w, h int) {
	t.Helper()
	assertResponse(t, r, format.JPEG, w, h)
}

// assertResponse checks a 200 of format f, exactly w x h: JPEG decoded by Go, AVIF by its header
// (Go has no AVIF decoder; libvips decoding the original and encoding this is what is proved).
func assertResponse(t *testing.T, r response, f format.Format, w, h int) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %q", r.status, trim(r.body))
	}
	if ct := r.headers.Get("Content-Type"); ct != f.ContentType() {
		t.Errorf("Content-Type %q, want %s", ct, f.ContentType())
	}
	if cl := r.headers.Get("Content-Length"); cl != "" && cl != fmt.Sprint(len(r.body)) {
		t.Errorf("Content-Length %s, body has %d bytes", cl, len(r.body))
	}
	if got := format.Sniff(r.body); got != f {
		t.Fatalf("response is %s, want %s", got, f)
	}
	if f == format.JPEG {
		checkJPEG(t, "response", r.body, w, h)
		return
	}
	gw, gh, _, err := format.Header(f, r.body)
	if err != nil || gw != w || gh != h {
		t.Fatalf("%s response %dx%d (%v), want %dx%d", f, gw, gh, err, w, h)
	}
}

func assertVariant(t *testing.T, ctx context.Context, c *s3.Client, k string, w, h int) {
	t.Helper()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
	if err != nil {
		t.Fatalf("variant %q not in the bucket: %v", k, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("variant %q: %v", k, err)
	}
	checkJPEG(t, "variant "+k, b, w, h)
}

// zipFiles is everything a zip may hold: the binary, the dynamic loader and glibc, libvips and
// libheif, and the libraries the six formats, glib and the C/C++ runtimes need (the README's
// list). A library outside it (a new dependency of a rebuilt libvips, or a Debian library
// pulled in by accident) fails the test until it is reviewed and listed here and in the README.
var zipFiles = []string{
	"bootstrap",
	// glibc and the loader (AL2023's glibc 2.34 is older than Debian's)
	"lib/ld-linux-x86-64.so.2", "lib/libc.so.6", "lib/libm.so.6",
	// C++ and GCC runtimes (libvips' highway kernels, libheif, its plugins)
	"lib/libstdc++.so.6", "lib/libgcc_s.so.1",
	// libvips and glib
	"lib/libvips.so.42", "lib/libglib-2.0.so.0", "lib/libgobject-2.0.so.0", "lib/libgio-2.0.so.0",
	"lib/libgmodule-2.0.so.0", "lib/libffi.so.8", "lib/libpcre2-8.so.0", "lib/libmount.so.1",
	"lib/libblkid.so.1", "lib/libselinux.so.1", "lib/libz.so.1", "lib/libexpat.so.1",
	// formats, ICC and EXIF
	"lib/libjpeg.so.62", "lib/libspng.so.0", "lib/libwebp.so.7", "lib/libwebpmux.so.3",
	"lib/libwebpdemux.so.2", "lib/libheif.so.1", "lib/liblcms2.so.2", "lib/libexif.so.12",
	// libheif's codecs: HEIC decode, AVIF decode, AVIF encode
	"lib/heif-plugins/libheif-libde265.so", "lib/libde265.so.0",
	"lib/heif-plugins/libheif-dav1d.so", "lib/libdav1d.so.6",
	"lib/heif-plugins/libheif-aomenc.so", "lib/libaom.so.3",
}

// checkZipContents fails on any file of the zip outside zipFiles, and on any of zipFiles missing.
func checkZipContents(t *testing.T, zipPath string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatalf("%s: %v", zipPath, err)
	}
	defer zr.Close()
	var got []string
	for _, f := range zr.File {
		if !f.FileInfo().IsDir() {
			got = append(got, f.Name)
		}
	}
	for _, n := range got {
		if !slices.Contains(zipFiles, n) {
			t.Errorf("%s holds %s, which is not in the list of allowed files", filepath.Base(zipPath), n)
		}
	}
	for _, n := range zipFiles {
		if !slices.Contains(got, n) {
			t.Errorf("%s lacks %s", filepath.Base(zipPath), n)
		}
	}
}

func checkJPEG(t *testing.T, what string, b []byte, w, h int) {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not an image (%d bytes): %v", what, len(b), err)
	}
	if format != "jpeg" || cfg.Width != w || cfg.Height != h {
		t.Fatalf("%s: %s %dx%d, want jpeg %dx%d", what, format, cfg.Width, cfg.Height, w, h)
	}
}

// ---- versitygw and S3 -------------------------------------------------------------------------

func putObject(t *testing.T, srv *s3test.Server, k string, b []byte, ct string) {
	t.Helper()
	if err := srv.PutObject(context.Background(), k, b, ct); err != nil {
		t.Fatalf("put %q: %v", k, err)
	}
}

// functionEnv is what Lambda and Terraform would give the functions, pointed at versitygw.
func functionEnv(s3url string) []string {
	return []string{
		// Lambda's own (provided.al2023).
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=" + accessKey,
		"AWS_SECRET_ACCESS_KEY=" + secretKey,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		// Terraform's.
		"IMAGE_BUCKET=" + bucket,
		"VIPS_BLOCK_UNTRUSTED=1",
		// Pointed at the local S3 server.
		"AWS_ENDPOINT_URL_S3=" + s3url,
		"S3_PATH_STYLE=true",
	}
}

// ---- tools ------------------------------------------------------------------------------------

// checkStatic fails for an executable that needs a dynamic loader.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked (build it with CGO_ENABLED=0)")
		}
	}
	return nil
}

// ---- small helpers --------------------------------------------------------------------------

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

func readFixture(t *testing.T, repo, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "testdata", "fixtures", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

func unzip(t *testing.T, zipPath, dst string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatalf("%s: %v", zipPath, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		if !filepath.IsLocal(name) {
			t.Fatalf("%s: entry %q leaves the folder", zipPath, f.Name)
		}
		p := filepath.Join(dst, name)
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if f.Mode()&fs.ModeSymlink != 0 {
			t.Fatalf("%s: %q is a symlink; Lambda zips should hold files", zipPath, f.Name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, f.Mode().Perm())
		if err == nil {
			_, err = io.Copy(out, rc)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		rc.Close()
		if err != nil {
			t.Fatalf("unzip %s: %v", f.Name, err)
		}
		if err := os.Chmod(p, f.Mode().Perm()); err != nil { // umask aside
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, mode); err != nil {
		t.Fatal(err)
	}
}

// lookPath finds a host tool, in /usr/sbin and /sbin too.
func lookPath(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p
		}
	}
	t.Fatalf("%s not found (util-linux/coreutils)", name)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func sizeName(p image.Point) string { return fmt.Sprintf("%dx%d", p.X, p.Y) }

func trim(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
