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

// NewClient builds an S3 client from the SDK's own configuration chain (AWS_REGION,
// credentials, AWS_ENDPOINT_URL_S3 for S3-compatible servers, AWS_CA_BUNDLE), with bounded
// retries and time-outs. pathStyle is for servers that need path-style addressing.
func NewClient(ctx context.Context, pathStyle bool) (*s3.Client, error) {
	// The SDK's buildable client, so that the SDK can still add AWS_CA_BUNDLE's roots to it.
	httpClient := awshttp.NewBuildableClient().
		WithTimeout(30 * time.Second).
		WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = 3 * time.Second
			d.KeepAlive = 30 * time.Second
		}).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 64
			t.IdleConnTimeout = 90 * time.Second
			t.ResponseHeaderTimeout = 10 * time.Second
			t.TLSHandshakeTimeout = 5 * time.Second
		})
	cfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.MaxBackoff = 2 * time.Second
			})
		}),
		awsconfig.WithHTTPClient(httpClient),
	)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = pathStyle
		// Checksums only when S3 requires them: S3-compatible servers vary in what they accept.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}
