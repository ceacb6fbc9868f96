package s3store

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ClientOptions are the S3 client's retries and time-outs; the zero value of a field takes the
// default in its comment. The service uses the defaults; tests shorten the time-outs so that a
// slow server is beyond them in a second rather than in thirty.
type ClientOptions struct {
	MaxAttempts           int           // 3
	MaxBackoff            time.Duration // 2s
	DialTimeout           time.Duration // 3s
	ResponseHeaderTimeout time.Duration // 10s
	Timeout               time.Duration // 30s: the whole request, body included
}

func (o ClientOptions) withDefaults() ClientOptions {
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 3
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 2 * time.Second
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 3 * time.Second
	}
	if o.ResponseHeaderTimeout == 0 {
		o.ResponseHeaderTimeout = 10 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	return o
}

// Retryer is the SDK's standard retryer with bounded attempts and backoff.
func (o ClientOptions) Retryer() aws.Retryer {
	o = o.withDefaults()
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = o.MaxAttempts
		so.MaxBackoff = o.MaxBackoff
	})
}

// HTTPClient has the dial, response-header and whole-request time-outs. It is the SDK's
// buildable client, so that the SDK can still add AWS_CA_BUNDLE's roots to it.
func (o ClientOptions) HTTPClient() *awshttp.BuildableClient {
	o = o.withDefaults()
	return awshttp.NewBuildableClient().
		WithTimeout(o.Timeout).
		WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = o.DialTimeout
			d.KeepAlive = 30 * time.Second
		}).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 64
			t.IdleConnTimeout = 90 * time.Second
			t.ResponseHeaderTimeout = o.ResponseHeaderTimeout
			t.TLSHandshakeTimeout = 5 * time.Second
		})
}

// NewClient builds an S3 client from the SDK's own configuration chain (AWS_REGION,
// credentials, AWS_ENDPOINT_URL_S3 for S3-compatible servers, AWS_CA_BUNDLE), with the default
// ClientOptions. pathStyle is for servers that need path-style addressing.
func NewClient(ctx context.Context, pathStyle bool) (*s3.Client, error) {
	o := ClientOptions{}
	cfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithRetryer(o.Retryer),
		awsconfig.WithHTTPClient(o.HTTPClient()),
	)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.UsePathStyle = pathStyle
		Checksums(so)
	}), nil
}

// Checksums only when S3 requires them: S3-compatible servers vary in what they accept.
func Checksums(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}
