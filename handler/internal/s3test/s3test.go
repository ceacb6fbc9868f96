// Package s3test starts a real S3-compatible server (versitygw over a temporary folder) on a
// free loopback port for tests. `make tools` installs versitygw; a test that needs it fails,
// rather than skips, when it is missing.
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Credentials of the test server's root account.
const (
	AccessKey = "test-access-key"
	SecretKey = "test-secret-key-0123456789"
	Region    = "us-east-1"
)

// Server is a running versitygw with one empty bucket.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT
	Bucket   string
	Dir      string // the posix backend's folder; the bucket is Dir/Bucket
	Client   *s3.Client
	cmd      *exec.Cmd
}

// Binary finds versitygw on PATH or in $(go env GOPATH)/bin.
func Binary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	p := filepath.Join(gopath, "bin", name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found on PATH or in %s/bin: run `make tools`", name, gopath)
	}
	return p, nil
}

// FreePort returns a loopback address with a port that was free a moment ago.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start runs versitygw until the test ends and creates a bucket.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary("versitygw")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Bucket: "images", Dir: t.TempDir()}
	addr := FreePort(t)
	s.Endpoint = "http://" + addr
	s.cmd = exec.Command(bin, "--port", addr, "--quiet", "posix", s.Dir)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	log, _ := os.Create(filepath.Join(t.TempDir(), "versitygw.log"))
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not start on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Client = NewClient(s.Endpoint)
	if _, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &s.Bucket}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return s
}

// Stop ends the server (idempotent); a test may call it to simulate an outage.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil && s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// NewClient is an S3 client for endpoint with the test credentials, path-style.
func NewClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		// Checksums only when required, as s3store.NewClient does.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
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
	_, err := s.Client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &s.Bucket, Key: &key, Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
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
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: &s.Bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// Head returns the content type of key, or an error if it is missing.
func (s *Server) Head(key string) (*s3.HeadObjectOutput, error) {
	return s.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &s.Bucket, Key: &key})
}

// Get returns the body of key.
func (s *Server) Get(t testing.TB, key string) []byte {
	t.Helper()
	out, err := s.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &s.Bucket, Key: &key})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return b
}
