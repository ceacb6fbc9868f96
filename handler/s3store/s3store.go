// Package s3store is a handler.Store over an S3 bucket (aws-sdk-go-v2), for Lambda and for
// S3-compatible servers.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/imgorigin/imgorigin/handler"
)

// Bucket stores objects in one S3 bucket. MaxBytes, when above 0, refuses larger objects on Get
// from their Content-Length, before the body is read.
type Bucket struct {
	Client   *s3.Client
	Name     string
	MaxBytes int64
}

var _ handler.Store = (*Bucket)(nil)

// Get reads the whole object. A missing key wraps fs.ErrNotExist.
func (b *Bucket) Get(ctx context.Context, key string) (*handler.Object, error) {
	out, err := b.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.Name, Key: &key})
	if err != nil {
		return nil, classify(err)
	}
	defer out.Body.Close()
	n := aws.ToInt64(out.ContentLength)
	if b.MaxBytes > 0 && n > b.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", handler.ErrTooLarge, n, b.MaxBytes)
	}
	body := make([]byte, 0, n)
	buf := bytes.NewBuffer(body)
	r := io.Reader(out.Body)
	if b.MaxBytes > 0 {
		r = io.LimitReader(r, b.MaxBytes+1)
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, classify(fmt.Errorf("read body: %w", err))
	}
	if b.MaxBytes > 0 && int64(buf.Len()) > b.MaxBytes {
		return nil, fmt.Errorf("%w: over %d bytes", handler.ErrTooLarge, b.MaxBytes)
	}
	if n > 0 && int64(buf.Len()) != n {
		return nil, classify(fmt.Errorf("read body: got %d of %d bytes: %w", buf.Len(), n, io.ErrUnexpectedEOF))
	}
	return &handler.Object{
		Body:        buf.Bytes(),
		ContentType: aws.ToString(out.ContentType),
		ETag:        aws.ToString(out.ETag),
		Metadata:    out.Metadata,
	}, nil
}

// Head reads the object's ETag, type and metadata without its body.
func (b *Bucket) Head(ctx context.Context, key string) (*handler.Object, error) {
	out, err := b.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.Name, Key: &key})
	if err != nil {
		return nil, classify(err)
	}
	return &handler.Object{
		ContentType: aws.ToString(out.ContentType),
		ETag:        aws.ToString(out.ETag),
		Metadata:    out.Metadata,
	}, nil
}

// Delete removes the object; a missing key is not an error (S3 answers 204 either way).
func (b *Bucket) Delete(ctx context.Context, key string) error {
	_, err := b.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.Name, Key: &key})
	if err = classify(err); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Put writes the whole object with its content type, cache control and metadata, under S3's
// conditional writes when cond asks (If-None-Match: *, If-Match: etag).
func (b *Bucket) Put(ctx context.Context, key string, obj *handler.Object, cond handler.Cond) error {
	in := &s3.PutObjectInput{
		Bucket:        &b.Name,
		Key:           &key,
		Body:          bytes.NewReader(obj.Body),
		ContentLength: aws.Int64(int64(len(obj.Body))),
		Metadata:      obj.Metadata,
	}
	if cond.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if cond.IfMatch != "" {
		in.IfMatch = aws.String(cond.IfMatch)
	}
	if obj.ContentType != "" {
		in.ContentType = &obj.ContentType
	}
	if obj.CacheControl != "" {
		in.CacheControl = &obj.CacheControl
	}
	_, err := b.Client.PutObject(ctx, in)
	return classify(err)
}

// classify maps SDK errors (after the SDK's own retries) onto the handler's: missing keys to
// fs.ErrNotExist, throttling, 5xx and connection failures to handler.ErrUnavailable. Time-outs
// keep context.DeadlineExceeded. Anything else is returned as it is (a 502).
func classify(err error) error {
	if err == nil {
		return nil
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return fmt.Errorf("%w: %w", fs.ErrNotExist, err)
		case "PreconditionFailed", "ConditionalRequestConflict":
			return fmt.Errorf("%w: %w", handler.ErrPrecondition, err)
		case "SlowDown", "ServiceUnavailable", "RequestTimeout", "InternalError":
			return fmt.Errorf("%w: %w", handler.ErrUnavailable, err)
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch code := re.HTTPStatusCode(); {
		case code == http.StatusNotFound:
			return fmt.Errorf("%w: %w", fs.ErrNotExist, err)
		case code == http.StatusPreconditionFailed || code == http.StatusConflict:
			return fmt.Errorf("%w: %w", handler.ErrPrecondition, err)
		case code >= 500 || code == http.StatusTooManyRequests:
			return fmt.Errorf("%w: %w", handler.ErrUnavailable, err)
		}
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) {
		if ne != nil && ne.Timeout() {
			return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
		return fmt.Errorf("%w: %w", handler.ErrUnavailable, err)
	}
	return err
}
