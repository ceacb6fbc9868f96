// Package s3test starts a real S3-compatible server (versitygw, at the version tools.env pins,
// over a folder) on a free loopback port: for the handler's tests, cmd/lambdae2e and
// cmd/loadtest. A test that needs it fails, rather than skips, when it cannot start.
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imgorigin/imgorigin/handler/s3store"
	"github.com/imgorigin/imgorigin/internal/proc"
	"github.com/imgorigin/imgorigin/internal/tools"
)

// Credentials of the test server's root account.
const (
	AccessKey = "test-access-key"
	SecretKey = "test-secret-key-0123456789"
	Region    = "us-east-1"
	Bucket    = "images"
)

// Server is a running versitygw with one empty bucket.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT
	Bucket   string
	Client   *s3.Client
	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
}

// Launch runs versitygw over dir (objects in dir/data, metadata in sidecar files in dir/meta,
// so that the folder's filesystem needs no extended attributes), its output to log, and
// creates the bucket. The caller stops it.
func Launch(ctx context.Context, dir string, log io.Writer) (*Server, error) {
	bin, err := tools.Binary("versitygw")
	if err != nil {
		return nil, err
	}
	data, meta := filepath.Join(dir, "data"), filepath.Join(dir, "meta")
	for _, d := range []string{data, meta} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	addr, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: "http://" + addr, Bucket: Bucket, done: make(chan struct{})}
	s.cmd = exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region,
		"--port", addr, "--quiet", "posix", "--sidecar", meta, data)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=", "ROOT_SECRET_ACCESS_KEY=")
	s.cmd.Stdout, s.cmd.Stderr = log, log
	proc.DieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("versitygw: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := proc.WaitPort(addr, 10*time.Second, s.done); err != nil {
		s.Stop()
		return nil, fmt.Errorf("versitygw: %w", err)
	}
	s.Client = NewClient(s.Endpoint)
	if _, err := s.Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.Bucket}); err != nil {
		s.Stop()
		return nil, fmt.Errorf("create bucket: %w", err)
	}
	return s, nil
}

// Start runs versitygw until the test ends (its output in the test's log if the test fails).
func Start(t testing.TB) *Server {
	t.Helper()
	log := &proc.Buffer{}
	s, err := Launch(context.Background(), t.TempDir(), log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", log.String())
		}
	})
	return s
}

// Stop ends the server (idempotent); a test may call it to simulate an outage.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
}

// Credentials are the server's root account's.
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")
}

// NewClient is an S3 client for endpoint with the test credentials, path-style, checksums only
// when required (as s3store.NewClient).
func NewClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  Credentials(),
	}, s3store.Checksums)
}

// Env is the environment that points the service's own S3 client at this server.
func (s *Server) Env() []string {
	return []string{
		"IMAGE_BUCKET=" + s.Bucket,
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"S3_PATH_STYLE=true",
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region,
	}
}

// Put stores body at key.
func (s *Server) Put(t testing.TB, key string, body []byte) {
	t.Helper()
	if err := s.PutObject(context.Background(), key, body, ""); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// PutObject stores body at key, with contentType when it is not empty.
func (s *Server) PutObject(ctx context.Context, key string, body []byte, contentType string) error {
	in := &s3.PutObjectInput{Bucket: &s.Bucket, Key: &key, Body: bytes.NewReader(body)}
	if contentType != "" {
		in.ContentType = &contentType
	}
	_, err := s.Client.PutObject(ctx, in)
	return err
}

// Delete removes key.
func (s *Server) Delete(t testing.TB, key string) {
	t.Helper()
	if _, err := s.Client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &s.Bucket, Key: &key}); err != nil {
		t.Fatalf("delete %s: %v", key, err)
	}
}

// Keys lists every key in the bucket, sorted.
func (s *Server) Keys(t testing.TB) []string {
	t.Helper()
	keys, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return keys
}

// List is every key in the bucket, sorted.
func (s *Server) List(ctx context.Context) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: &s.Bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// Head returns the content type of key, or an error if it is missing.
func (s *Server) Head(key string) (*s3.HeadObjectOutput, error) {
	return s.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &s.Bucket, Key: &key})
}

// Get returns the body of key.
func (s *Server) Get(t testing.TB, key string) []byte {
	t.Helper()
	b, err := s.GetObject(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return b
}

// GetObject returns the body of key.
func (s *Server) GetObject(ctx context.Context, key string) ([]byte, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.Bucket, Key: &key})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}
